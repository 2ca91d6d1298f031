"""Mandatory reports and cases: the state machine (every legal move and illegal
ones), deadlines and escalation on a frozen clock, need-to-know visibility and
the audit of every read."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from shouwang.accounts.roles import Role
from shouwang.audit.models import AuditEntry
from shouwang.care.tests.factories import make_person
from shouwang.conftest import COUNTY, NEIGHBOUR_VILLAGE, VILLAGE, _make
from shouwang.protection import casework
from shouwang.protection.choices import CaseState as S
from shouwang.protection.models import CaseDeadline, CaseEscalation, ProtectionCase
from shouwang.protection.services import cases as services
from shouwang.regions.models import Area

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NOON = dt.datetime(2026, 11, 20, 12, 0, tzinfo=SHANGHAI)


def report(user, people, *, now=NOON, **extra):
    data = {
        "village": Area.objects.get(code=VILLAGE),
        "category": "alone_unsupervised",
        "description": "孩子独自在家三天，父母在外务工，祖母住院",
        "discovered_at": now - dt.timedelta(minutes=30),
        "discovered_place": "家中",
        "reporter_name": "张桂兰",
        "people": people,
        **extra,
    }
    return services.case_report(user=user, now=now, **data)


@pytest.fixture
def case(village_worker, xiaoming):
    return report(village_worker, [xiaoming])


def walk(case, user, *states, now=NOON):
    for i, state in enumerate(states):
        note = "处置完毕，孩子已由祖母照顾" if state in (S.CLOSED, S.INVESTIGATING) else ""
        case = services.case_transition(user=user, case=case, to_state=state, note=note,
                                        now=now + dt.timedelta(minutes=10 * (i + 1)))  # fmt: skip
    return case


# --- the state machine, pure ----------------------------------------------------------


LEGAL = [(a, b) for a, targets in casework.TRANSITIONS.items() for b in targets]


@pytest.mark.parametrize(("current", "target"), LEGAL)
def test_every_legal_move_is_allowed_with_its_note_and_sign_off(current, target):
    assert casework.transition_error(current, target, note="理由", may_sign_off=True) is None


@pytest.mark.parametrize(
    ("current", "target", "message"),
    [
        (S.REPORTED, S.CLOSED, "案件尚未受理并完成跟踪回访，不能结案（当前：已报告）"),
        (S.ACCEPTED, S.CLOSED, "案件尚未受理并完成跟踪回访，不能结案（当前：已受理）"),
        (S.REPORTED, S.INVESTIGATING, "案件不能从「已报告」转为「调查评估」"),
        (S.EMERGENCY, S.ACCEPTED, "案件不能从「应急处置」转为「已受理」"),
        (S.CLOSED, S.SUPPORT, "案件不能从「结案」转为「帮扶」"),
        (S.FOLLOW_UP, "nonsense", "请选择下一步状态"),
    ],
)
def test_illegal_moves_are_refused_with_a_reason(current, target, message):
    assert casework.transition_error(current, target, note="x", may_sign_off=True) == message


def test_closing_needs_the_sign_off_and_a_summary_and_reopening_a_reason():
    assert casework.transition_error(S.FOLLOW_UP, S.CLOSED, note="好", may_sign_off=False) == (
        "结案须由乡镇督导员或县级保护工作人员审核签字"
    )
    assert casework.transition_error(S.FOLLOW_UP, S.CLOSED, note=" ", may_sign_off=True) == (
        "结案请填写结案意见"
    )
    assert casework.transition_error(S.CLOSED, S.INVESTIGATING, note="", may_sign_off=True) == (
        "重新开启已结案件须说明理由"
    )


# --- filing and handling --------------------------------------------------------------------


def test_a_village_worker_files_a_report_and_is_assigned_it(case, village_worker, xiaoming):
    assert case.state == S.REPORTED
    assert list(case.people.all()) == [xiaoming]
    assert list(case.assignees.all()) == [village_worker]
    assert case.deadline_at == NOON + dt.timedelta(hours=1)  # accepted within 1 hour
    (event,) = case.events.all()
    moved = (event.from_state, event.to_state, event.by, event.at)
    assert moved == ("", S.REPORTED, village_worker, NOON)
    assert case.number == f"BH20261120-{case.pk:04d}"


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"discovered_at": NOON + dt.timedelta(minutes=1)}, "discovered_at",
         "发现时间不能晚于现在"),
        ({"police_notified": True}, "police_notified_at", "已报警的，请填写报警时间"),
        ({"description": "  "}, "description", "请描述发现的情况"),
        ({"people": [], "others_involved": ""}, "others_involved",
         "请选择涉及的在册人员，或填写未建档人员的情况"),
    ],
)  # fmt: skip
def test_a_report_with_bad_input_is_refused_at_the_field(village_worker, xiaoming, extra, field,
                                                         message):  # fmt: skip
    data = {"people": [xiaoming], **extra}
    with pytest.raises(ValidationError) as refused:
        report(village_worker, data.pop("people"), **data)
    assert refused.value.message_dict[field] == [message]
    assert not ProtectionCase.objects.exists()


def test_nobody_can_report_about_people_they_cannot_see(outsider, neighbour, xiaoming):
    with pytest.raises(ValidationError) as refused:
        report(neighbour, [xiaoming])
    assert "village" in refused.value.message_dict  # not their village either
    with pytest.raises(ValidationError):
        report(outsider, [xiaoming])


def test_the_whole_path_is_recorded_with_who_and_when(case, supervisor):
    case = walk(case, supervisor, S.ACCEPTED, S.EMERGENCY, S.INVESTIGATING, S.INTERVENTION,
                S.SUPPORT, S.FOLLOW_UP, S.CLOSED)  # fmt: skip
    moves = list(case.events.values_list("from_state", "to_state", "by__username"))
    assert moves == [
        ("", S.REPORTED, "village"),
        (S.REPORTED, S.ACCEPTED, "supervisor"),
        (S.ACCEPTED, S.EMERGENCY, "supervisor"),
        (S.EMERGENCY, S.INVESTIGATING, "supervisor"),
        (S.INVESTIGATING, S.INTERVENTION, "supervisor"),
        (S.INTERVENTION, S.SUPPORT, "supervisor"),
        (S.SUPPORT, S.FOLLOW_UP, "supervisor"),
        (S.FOLLOW_UP, S.CLOSED, "supervisor"),
    ]
    assert (case.signed_off_by, case.deadline_at) == (supervisor, None)
    assert case.closed_at == NOON + dt.timedelta(minutes=70)


def test_a_village_worker_cannot_sign_off_the_closing(case, village_worker, supervisor):
    case = walk(case, supervisor, S.ACCEPTED, S.INVESTIGATING, S.SUPPORT, S.FOLLOW_UP)
    with pytest.raises(ValidationError) as refused:
        services.case_transition(user=village_worker, case=case, to_state=S.CLOSED, note="好")
    assert refused.value.message_dict == {
        "to_state": ["结案须由乡镇督导员或县级保护工作人员审核签字"]
    }
    case.refresh_from_db()
    assert case.state == S.FOLLOW_UP


def test_a_closed_case_reopens_into_investigation_with_a_reason(case, supervisor):
    case = walk(case, supervisor, S.ACCEPTED, S.INVESTIGATING, S.SUPPORT, S.FOLLOW_UP, S.CLOSED)
    with pytest.raises(ValidationError):
        services.case_transition(user=supervisor, case=case, to_state=S.INVESTIGATING, note="")
    case = services.case_transition(user=supervisor, case=case, to_state=S.INVESTIGATING,
                                    note="孩子再次独自在家")  # fmt: skip
    assert (case.state, case.signed_off_by, case.closed_at) == (S.INVESTIGATING, None, None)


def test_referrals_interventions_and_notes_belong_to_the_case(case, supervisor):
    today = timezone.localdate()
    referral = services.referral_add(user=supervisor, case=case, agency="police",
                                     referred_on=today, note="请派出所核查")  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        services.referral_answer(user=supervisor, referral=referral, answer="done",
                                 answered_on=today - dt.timedelta(days=400))  # fmt: skip
    assert refused.value.message_dict == {"answered_on": ["回复日期不能早于转介日期"]}
    services.referral_answer(user=supervisor, referral=referral, answer="done", answered_on=today,
                             answer_note="已训诫父母")  # fmt: skip
    services.intervention_add(user=supervisor, case=case, kind="admonish", on=today)
    with pytest.raises(ValidationError):
        services.intervention_add(user=supervisor, case=case, kind="admonish",
                                  on=today + dt.timedelta(days=1))  # fmt: skip
    services.case_note_add(user=supervisor, case=case, text="已联系父亲，下周返乡")
    assert (case.referrals.get().answer, case.interventions.count(), case.notes.count()) == (
        "done", 1, 1)  # fmt: skip


def test_only_supervisors_assign_and_only_to_staff_of_the_place(case, supervisor, village_worker,
                                                               outsider, neighbour):  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.case_assign(user=village_worker, case=case, assignees=[village_worker])
    with pytest.raises(ValidationError) as refused:
        services.case_assign(user=supervisor, case=case, assignees=[outsider])
    assert refused.value.message_dict == {"assignees": ["承办人须为该村所在乡镇或县的工作人员"]}
    with pytest.raises(ValidationError):
        services.case_assign(user=supervisor, case=case, assignees=[neighbour])  # next village
    services.case_assign(user=supervisor, case=case, assignees=[village_worker, supervisor])
    assert set(case.assignees.all()) == {village_worker, supervisor}


# --- deadlines and escalation on a frozen clock ---------------------------------------------


def test_a_report_not_accepted_within_the_hour_goes_to_the_township_then_the_county(
    case, supervisor, county_admin
):
    nothing = {"township": 0, "county": 0}
    assert services.deadlines_check(now=NOON + dt.timedelta(minutes=59)) == nothing
    # At the deadline itself nothing is late yet; a minute after, it is.
    assert services.deadlines_check(now=NOON + dt.timedelta(hours=1))["township"] == 0
    assert services.deadlines_check(now=NOON + dt.timedelta(hours=1, minutes=1)) == {
        "township": 1, "county": 0}  # fmt: skip
    (township,) = CaseEscalation.objects.all()
    assert (township.level, township.state, township.notified) == (1, S.REPORTED, ["supervisor"])
    # Running again tells nobody twice.
    assert services.deadlines_check(now=NOON + dt.timedelta(hours=2)) == nothing
    # The county is told 2 hours after the deadline (the default for 已报告).
    assert services.deadlines_check(now=NOON + dt.timedelta(hours=3, minutes=1)) == {
        "township": 0, "county": 1}  # fmt: skip
    assert CaseEscalation.objects.get(level=2).notified == ["county"]
    case.refresh_from_db()
    assert case.escalation_level == 2


def test_a_case_skipping_straight_past_both_thresholds_is_told_to_both(case, county_admin):
    counts = services.deadlines_check(now=NOON + dt.timedelta(days=1))
    assert counts == {"township": 1, "county": 1}


def test_moving_on_sets_the_next_deadline_and_clears_the_escalation(case, supervisor):
    services.deadlines_check(now=NOON + dt.timedelta(hours=2))
    case = walk(case, supervisor, S.ACCEPTED, now=NOON + dt.timedelta(hours=2))
    assert case.escalation_level == 0
    assert case.deadline_at == NOON + dt.timedelta(hours=2, minutes=10, days=1)  # 24 h
    case = walk(case, supervisor, S.INVESTIGATING, now=NOON + dt.timedelta(hours=3))
    assert case.deadline_at == NOON + dt.timedelta(hours=3, minutes=10) + dt.timedelta(hours=72)


def test_a_county_deadline_replaces_the_default(county_admin, village_worker, xiaoming):
    county = Area.objects.get(code=COUNTY)
    services.deadline_set(user=county_admin, county=county, state=S.REPORTED, hours=2,
                          county_after_hours=4)  # fmt: skip
    case = report(village_worker, [xiaoming])
    assert case.deadline_at == NOON + dt.timedelta(hours=2)
    assert services.deadlines_check(now=NOON + dt.timedelta(hours=1, minutes=30))["township"] == 0


@pytest.mark.parametrize(
    ("hours", "after", "field", "message"),
    [
        (-1, 2, "hours", "时限须为正整数小时"),
        (0, 2, "hours", "时限须为正整数小时"),
        (None, 2, "hours", "请填写时限（小时）"),
        (3, None, "county_after_hours", "请填写时限（小时）"),
        (24 * 365 + 1, 2, "hours", "时限不能超过一年"),
    ],
)
def test_a_negative_or_missing_deadline_is_refused(county_admin, hours, after, field, message):
    county = Area.objects.get(code=COUNTY)
    with pytest.raises(ValidationError) as refused:
        services.deadline_set(user=county_admin, county=county, state=S.REPORTED, hours=hours,
                              county_after_hours=after)  # fmt: skip
    assert refused.value.message_dict[field] == [message]
    assert not CaseDeadline.objects.filter(county=county).exists()


def test_the_deadline_page_shows_the_error_at_the_field(login, county_admin):
    response = login(county_admin).post(
        reverse("protection:deadlines"), {"state": "reported", "hours": "-3",
                                          "county_after_hours": "2"})  # fmt: skip
    assert response.status_code == 400
    assert "时限须为正整数小时" in response.content.decode()


def test_the_scheduled_job_uses_the_real_clock(case):
    with time_machine.travel(NOON + dt.timedelta(hours=5), tick=False):
        counts = services.deadlines_check()
    assert counts == {"township": 1, "county": 1}


# --- need-to-know ------------------------------------------------------------------------


@pytest.fixture
def other_worker(demo_areas):
    """A second village worker of the same village, not assigned to the case."""
    return _make("village2", Role.VILLAGE_WORKER, VILLAGE, "李红")


def test_cases_are_need_to_know(case, village_worker, other_worker, supervisor, county_admin,
                                neighbour, outsider, leader, volunteer, auditor):  # fmt: skip
    def sees(user):
        return ProtectionCase.objects.visible_to(user).filter(pk=case.pk).exists()

    assert sees(village_worker) and sees(supervisor) and sees(county_admin)
    for user in (other_worker, neighbour, outsider, leader, volunteer, auditor):
        assert not sees(user), user
    services.case_assign(user=supervisor, case=case, assignees=[other_worker])
    assert sees(other_worker) and not sees(village_worker)


def test_without_need_to_know_a_case_is_404_by_url(login, case, other_worker, neighbour,
                                                   outsider, leader, volunteer):  # fmt: skip
    urls = [reverse("protection:case", args=[case.pk])]
    posts = [reverse(name, args=[case.pk]) for name in
             ("protection:case_transition", "protection:case_note", "protection:referral_add",
              "protection:intervention_add", "protection:case_assign")]  # fmt: skip
    for user in (other_worker, neighbour, outsider):
        client = login(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user, url)
        for url in posts:
            assert client.post(url, {"to_state": "accepted", "text": "x"}).status_code == 404
        assert case.number not in client.get(reverse("protection:cases")).content.decode()
    for user in (leader, volunteer):  # no case permission at all
        assert login(user).get(urls[0]).status_code in (403, 404)
    case.refresh_from_db()
    assert case.state == S.REPORTED and not case.notes.exists()


def test_every_read_of_a_case_is_audited(login, case, supervisor):
    client = login(supervisor)
    before = AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS).count()
    page = client.get(reverse("protection:case", args=[case.pk]))
    assert "孩子独自在家三天" in page.content.decode()
    client.get(reverse("protection:case", args=[case.pk]))
    reads = AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS, object_pk=str(case.pk),
                                      content_type__model="protectioncase")  # fmt: skip
    assert reads.count() == before + 2
    assert reads.first().actor == supervisor


def test_case_content_is_encrypted_at_rest(case):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT description FROM protection_protectioncase WHERE id = %s",
                       [case.pk])  # fmt: skip
        (stored,) = cursor.fetchone()
    assert "孩子" not in stored


# --- pages -------------------------------------------------------------------------------------


def test_filing_a_report_on_the_page_and_accepting_it(login, village_worker, supervisor,
                                                      xiaoming):  # fmt: skip
    client = login(village_worker)
    form = client.get(reverse("protection:report") + f"?person={xiaoming.pk}").content.decode()
    assert "王小明" in form
    now = timezone.localtime().replace(second=0, microsecond=0)
    response = client.post(reverse("protection:report"), {
        "village": VILLAGE, "category": "domestic_violence", "people": [xiaoming.pk],
        "description": "邻居听到打骂声", "discovered_at": now.strftime("%Y-%m-%dT%H:%M"),
        "discovered_place": "家中", "channel": "system", "reporter_name": "张桂兰",
        "police_notified": "on", "police_notified_at": now.strftime("%Y-%m-%dT%H:%M"),
    })  # fmt: skip
    case = ProtectionCase.objects.get()
    assert response.status_code == 302 and response.url == reverse("protection:case",
                                                                   args=[case.pk])  # fmt: skip
    client = login(supervisor)
    response = client.post(reverse("protection:case_transition", args=[case.pk]),
                           {"to_state": "closed", "note": "结案", "version": 1})  # fmt: skip
    assert response.status_code == 400
    assert "不能结案" in response.content.decode()
    response = client.post(reverse("protection:case_transition", args=[case.pk]),
                           {"to_state": "accepted", "note": "", "version": 1})  # fmt: skip
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == S.ACCEPTED


def test_a_volunteer_files_a_report_but_does_not_see_the_case(login, volunteer, xiaoming):
    from shouwang.care.tests.factories import make_volunteer, pair

    pair(xiaoming, make_volunteer("刘晓燕", VILLAGE, user=volunteer))
    client = login(volunteer)
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("protection:report"), {
        "village": VILLAGE, "category": "alone_unsupervised", "people": [xiaoming.pk],
        "description": "孩子一个人在家", "discovered_at": now, "discovered_place": "家中",
        "channel": "system", "reporter_name": "刘晓燕",
    })  # fmt: skip
    assert response.status_code == 302 and response.url == reverse("core:home")
    case = ProtectionCase.objects.get()
    assert client.get(reverse("protection:case", args=[case.pk])).status_code in (403, 404)


def test_a_report_with_errors_keeps_the_input_and_saves_nothing(login, village_worker,
                                                                xiaoming):  # fmt: skip
    later = (timezone.localtime() + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = login(village_worker).post(reverse("protection:report"), {
        "village": VILLAGE, "category": "missing", "people": [xiaoming.pk],
        "description": "放学未归", "discovered_at": later, "discovered_place": "学校门口",
        "channel": "12355", "reporter_name": "来电人王女士",
    })  # fmt: skip
    body = response.content.decode()
    assert response.status_code == 200 and "发现时间不能晚于现在" in body and "放学未归" in body
    assert not ProtectionCase.objects.exists()


def test_the_case_list_has_no_n_plus_one(login, supervisor, village_worker, demo_areas,
                                         django_assert_max_num_queries):  # fmt: skip
    for i in range(8):
        report(village_worker, [make_person(f"孩子{i}", VILLAGE)])
    client = login(supervisor)
    client.get(reverse("protection:cases"))
    with django_assert_max_num_queries(8):
        body = client.get(reverse("protection:cases")).content.decode()
    assert body.count("独自居住、无人监护") == 8


def test_the_neighbouring_village_is_not_offered_to_a_village_worker(login, village_worker):
    body = login(village_worker).get(reverse("protection:report")).content.decode()
    assert VILLAGE in body and NEIGHBOUR_VILLAGE not in body


def test_assignment_and_notes_are_audited_without_their_content(case, supervisor,
                                                                village_worker):  # fmt: skip
    from shouwang.audit.context import acting_as

    with acting_as(supervisor):
        services.case_assign(user=supervisor, case=case, assignees=[supervisor])
        note = services.case_note_add(user=supervisor, case=case, text="父亲电话无人接听")
    assigned = AuditEntry.objects.filter(content_type__model="protectioncase",
                                         object_pk=str(case.pk), actor=supervisor)  # fmt: skip
    assert any("assignees" in (e.changes or {}) for e in assigned)
    (written,) = AuditEntry.objects.filter(content_type__model="casenote", object_pk=str(note.pk))
    assert "父亲" not in str(written.changes)


def test_the_timeline_shows_a_case_only_to_those_who_may_see_it(
    login, case, supervisor, other_worker, xiaoming
):
    url = reverse("protection:timeline", args=[xiaoming.pk])
    assert case.number in login(supervisor).get(url).content.decode()
    seen_by_other = login(other_worker).get(url)
    assert seen_by_other.status_code == 200  # the person is in their village
    assert case.number not in seen_by_other.content.decode()


def test_a_supervisor_hears_of_late_cases_in_the_worklist(login, case, supervisor):
    url = reverse("protection:reassessments") + "?panel=1"
    later = timezone.now() + dt.timedelta(minutes=30)
    ProtectionCase.objects.filter(pk=case.pk).update(deadline_at=later)
    assert "已超过办理时限" not in login(supervisor).get(url).content.decode()
    ProtectionCase.objects.filter(pk=case.pk).update(
        deadline_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert "辖区内 1 件案件已超过办理时限" in login(supervisor).get(url).content.decode()


# --- holes closed after review -----------------------------------------------------------


def test_the_closing_summary_is_encrypted_and_masked_in_the_audit_log(case, supervisor):
    from django.db import connection

    case = walk(case, supervisor, S.ACCEPTED, S.INVESTIGATING, S.SUPPORT, S.FOLLOW_UP)
    services.case_transition(user=supervisor, case=case, to_state=S.CLOSED,
                             note="孩子被父亲殴打，已由祖母监护")  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SELECT closing_summary FROM protection_protectioncase WHERE id = %s",
                       [case.pk])  # fmt: skip
        assert "殴打" not in cursor.fetchone()[0]
    assert not any("殴打" in str(e.changes) for e in AuditEntry.objects.all())


def test_a_year_typed_wrong_is_a_message_not_a_server_error(login, village_worker, xiaoming):
    with pytest.raises(ValidationError) as refused:
        report(village_worker, [xiaoming], discovered_at=dt.datetime(1, 1, 1, tzinfo=dt.UTC))
    assert refused.value.message_dict["discovered_at"] == ["发现时间不正确，请核对年份"]
    response = login(village_worker).post(reverse("protection:report"), {
        "village": VILLAGE, "category": "missing", "people": [xiaoming.pk],
        "description": "放学未归", "discovered_at": "0001-01-01T00:00", "discovered_place": "家",
        "channel": "system", "reporter_name": "张桂兰",
    })  # fmt: skip
    assert response.status_code == 200 and "请核对年份" in response.content.decode()


def test_an_id_no_database_can_hold_is_an_invalid_choice(login, village_worker, xiaoming):
    response = login(village_worker).post(reverse("protection:report"), {
        "village": VILLAGE, "category": "missing", "people": ["99999999999999999999"],
        "description": "放学未归", "discovered_at": "2026-11-20T10:00", "discovered_place": "家",
        "channel": "system", "reporter_name": "张桂兰",
    })  # fmt: skip
    assert response.status_code == 200
    assert not ProtectionCase.objects.exists()


def test_a_closed_case_takes_no_more_work_until_reopened(case, supervisor):
    case = walk(case, supervisor, S.ACCEPTED, S.INVESTIGATING, S.SUPPORT, S.FOLLOW_UP, S.CLOSED)
    today = timezone.localdate()
    for write in (
        lambda: services.case_note_add(user=supervisor, case=case, text="补记"),
        lambda: services.referral_add(user=supervisor, case=case, agency="police",
                                      referred_on=today),
        lambda: services.intervention_add(user=supervisor, case=case, kind="admonish", on=today),
        lambda: services.case_assign(user=supervisor, case=case, assignees=[supervisor]),
    ):  # fmt: skip
        with pytest.raises(ValidationError) as refused:
            write()
        assert refused.value.messages == ["案件已结案；如需继续处理，请先重新开启"]


def test_only_the_township_accepts_and_reopens(case, village_worker, supervisor):
    with pytest.raises(ValidationError) as refused:
        services.case_transition(user=village_worker, case=case, to_state=S.ACCEPTED)
    assert refused.value.message_dict == {"to_state": ["报告须由乡镇督导员或县级保护工作人员受理"]}
    case = walk(case, supervisor, S.ACCEPTED, S.INVESTIGATING, S.SUPPORT, S.FOLLOW_UP, S.CLOSED)
    with pytest.raises(ValidationError) as refused:
        services.case_transition(user=village_worker, case=case, to_state=S.INVESTIGATING,
                                 note="又发现独自在家")  # fmt: skip
    assert "须由乡镇督导员" in refused.value.message_dict["to_state"][0]


def test_a_step_from_a_stale_page_is_refused(login, case, supervisor):
    client = login(supervisor)
    services.case_transition(user=supervisor, case=case, to_state=S.ACCEPTED)
    # The page was loaded while the case was still 已报告; meanwhile it was accepted.
    response = client.post(reverse("protection:case_transition", args=[case.pk]),
                           {"to_state": "investigating", "from_state": "reported",
                            "version": 1})  # fmt: skip
    assert response.status_code == 409
    assert "案件已被他人更新为「已受理」" in response.content.decode()
    case.refresh_from_db()
    assert case.state == S.ACCEPTED


def test_a_referral_answer_is_not_overwritten(case, supervisor):
    today = timezone.localdate()
    referral = services.referral_add(user=supervisor, case=case, agency="health",
                                     referred_on=today)  # fmt: skip
    services.referral_answer(user=supervisor, referral=referral, answer="accepted",
                             answered_on=today)  # fmt: skip
    with pytest.raises(ValidationError):
        services.referral_answer(user=supervisor, referral=referral, answer="declined",
                                 answered_on=today)  # fmt: skip
    referral.refresh_from_db()
    assert referral.answer == "accepted"


def test_closed_cases_come_last_on_every_database(login, supervisor, village_worker, xiaoming):
    closed = walk(report(village_worker, [xiaoming]), supervisor, S.ACCEPTED, S.INVESTIGATING,
                  S.SUPPORT, S.FOLLOW_UP, S.CLOSED)  # fmt: skip
    open_case = report(village_worker, [xiaoming])
    body = login(supervisor).get(reverse("protection:cases") + "?state=all").content.decode()
    assert body.index(open_case.number) < body.index(closed.number)


def test_the_case_page_names_only_the_people_the_viewer_may_see(login, case, county_admin,
                                                                supervisor):  # fmt: skip
    elsewhere = make_person("外乡孩子", "350724102200")
    case.people.add(elsewhere)
    body = login(supervisor).get(reverse("protection:case", args=[case.pk])).content.decode()
    assert "王小明" in body and "外乡孩子" not in body
    assert "另有 1 人不在您的管辖范围内" in body
    assert "外乡孩子" in login(county_admin).get(
        reverse("protection:case", args=[case.pk])).content.decode()  # fmt: skip


def test_the_timeline_can_show_one_kind_of_event(login, case, supervisor, xiaoming):
    from shouwang.care.tests.factories import contact

    contact(xiaoming, "home_visit", timezone.localdate())
    url = reverse("protection:timeline", args=[xiaoming.pk])
    client = login(supervisor)
    everything = client.get(url).content.decode()
    assert case.number in everything and "入户走访" in everything
    only_cases = client.get(url + "?kind=case").content.decode()
    assert case.number in only_cases and "入户走访" not in only_cases
    assert "入户走访" in client.get(url + "?kind=nonsense").content.decode()  # all again

"""Risk grading: levels from scores at the thresholds, red flags, overrides, the
region's scale, and that a level changes what the care network owes."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from shouwang.audit.context import acting_as
from shouwang.audit.models import AuditEntry
from shouwang.care.selectors import obligations_for
from shouwang.care.tests.factories import make_elder, make_person
from shouwang.conftest import NEIGHBOUR_VILLAGE, VILLAGE
from shouwang.people.models import Person
from shouwang.protection import rubric
from shouwang.protection.models import Assessment, CurrentRisk, RiskGrade, RiskScale
from shouwang.protection.services.risk import assessment_record, scale_assign, scale_for
from shouwang.protection.tests.conftest import CHILD_OK

FIVE = [rubric.Threshold(r, m) for r, m in ((1, 16), (2, 11), (3, 7), (4, 3), (5, 0))]

# An elderly person with no concern at all (CHILD_OK: a child likewise).
ELDER_OK = {"safety": "safe", "physical": "healthy", "mental": "good", "economic": "normal",
            "elderly_living": "with_family", "dependence": "independent"}  # fmt: skip


def child(**changes):
    return {**CHILD_OK, **changes}


def elder(**changes):
    return {**ELDER_OK, **changes}


def rank(answers, *, subject=rubric.CHILD, age=10):
    return rubric.grade(subject=subject, answers=answers, age=age, thresholds=FIVE).rank


# --- the rubric: levels, thresholds, red flags ---------------------------------------


def test_no_concern_is_the_lowest_level():
    assert rank(CHILD_OK) == 5


@pytest.mark.parametrize(
    ("answers", "score", "expected"),
    [
        # 3 points (2 + 1) reach level 4 exactly; 2 points stay at level 5.
        (child(economic="difficult", mental="unstable"), 3, 4),
        (child(economic="difficult"), 2, 5),
        # 7 = 3 + 3 + 1 reaches level 3; 6 does not.
        (child(guardianship="insufficient", schooling="dropped_out", mental="unstable"), 7, 3),
        (child(guardianship="insufficient", schooling="dropped_out"), 6, 4),
        # 11 reaches level 2; 10 does not.
        (
            child(
                guardianship="insufficient",
                schooling="dropped_out",
                economic="very_difficult",
                physical="disabled",
            ),
            11,
            2,
        ),  # fmt: skip
        (
            child(
                guardianship="insufficient",
                schooling="dropped_out",
                economic="very_difficult",
                mental="unstable",
            ),
            10,
            3,
        ),  # fmt: skip
    ],
)
def test_the_total_score_decides_the_level_at_each_threshold(answers, score, expected):
    graded = rubric.grade(subject=rubric.CHILD, answers=answers, age=10, thresholds=FIVE)
    assert (graded.score, graded.rank, graded.red_flags) == (score, expected, ())


def test_no_one_supervising_a_child_forces_the_highest_level_whatever_the_score():
    graded = rubric.grade(subject=rubric.CHILD, answers=child(guardianship="none"), age=10,
                          thresholds=FIVE)  # fmt: skip
    assert graded.score == 5  # level 4 by points
    assert (graded.rank, graded.red_flags) == (1, ("unsupervised",))


def test_a_child_living_alone_is_a_red_flag_under_16_only():
    assert rank(child(living="alone"), age=15) == 1
    # At 16 living alone is 4 points (level 4), not a red flag.
    assert rank(child(living="alone"), age=16) == 4


def test_an_elderly_person_living_alone_is_a_red_flag_only_when_dependent():
    assert rank(elder(elderly_living="alone", dependence="semi"), subject=rubric.ELDERLY,
                age=82) == 1  # fmt: skip
    # Alone but independent: 3 points, level 4.
    assert rank(elder(elderly_living="alone"), subject=rubric.ELDERLY, age=82) == 4


def test_every_item_that_applies_is_mandatory():
    errors = rubric.answer_errors(rubric.CHILD, {k: v for k, v in CHILD_OK.items()
                                                 if k != "schooling"})  # fmt: skip
    assert list(errors) == ["schooling"]
    assert rubric.answer_errors(rubric.CHILD, child(safety="fine")) == {
        "safety": "请选择列出的选项"
    }
    # The elderly are not asked about schooling or guardianship.
    assert rubric.answer_errors(rubric.ELDERLY, ELDER_OK) == {}


def test_the_part_of_the_rubric_follows_the_program_then_the_age():
    assert rubric.subject_of(age=70, programs=["left_behind_elderly"]) == rubric.ELDERLY
    assert rubric.subject_of(age=17, programs=["child_in_difficulty"]) == rubric.CHILD
    assert rubric.subject_of(age=35, programs=[]) == rubric.WOMAN
    assert rubric.subject_of(age=17, programs=[]) == rubric.CHILD


# --- recording an assessment -------------------------------------------------------------


@pytest.fixture
def grandma(demo_areas):
    return make_elder("林婆婆", VILLAGE)


def test_an_assessment_becomes_the_level_in_force_and_is_audited(village_worker, xiaoming):
    with acting_as(village_worker):  # as the request middleware does
        a = assessment_record(user=village_worker, person=xiaoming,
                          answers=child(economic="difficult", mental="unstable"))  # fmt: skip
    assert (a.score, a.computed_grade.label, a.grade_id) == (
        3,
        "四级（低风险）",
        a.computed_grade_id,
    )
    assert a.next_due == timezone.localdate() + dt.timedelta(days=180)
    current = CurrentRisk.objects.get(person=xiaoming)
    assert (current.assessment, current.grade) == (a, a.grade)
    xiaoming.refresh_from_db()
    assert xiaoming.risk_level == "general"
    assert AuditEntry.objects.filter(content_type__model="assessment", object_pk=str(a.pk),
                                     actor=village_worker).exists()  # fmt: skip


def test_a_manual_override_needs_a_reason_and_keeps_the_computed_level(village_worker, xiaoming):
    top = RiskGrade.objects.get(scale__key="five-level", rank=1)
    with pytest.raises(ValidationError) as refused:
        assessment_record(user=village_worker, person=xiaoming, answers=CHILD_OK,
                          override_grade=top, override_reason="  ")  # fmt: skip
    assert refused.value.message_dict == {"override_reason": ["人工调整等级须说明理由"]}
    assert not Assessment.objects.exists()
    reason = "父亲有家暴前科，近日返乡"
    a = assessment_record(user=village_worker, person=xiaoming, answers=CHILD_OK,
                          override_grade=top, override_reason=reason)  # fmt: skip
    assert (a.computed_grade.rank, a.grade.rank, a.overridden) == (5, 1, True)
    assert a.next_due == timezone.localdate() + dt.timedelta(days=30)  # the decided level's


def test_an_override_to_a_level_of_another_scale_is_refused(village_worker, xiaoming):
    red = RiskGrade.objects.get(scale__key="four-colour", code="red")
    with pytest.raises(ValidationError) as refused:
        assessment_record(user=village_worker, person=xiaoming, answers=CHILD_OK,
                          override_grade=red, override_reason="试试")  # fmt: skip
    assert "override_grade" in refused.value.message_dict


def test_a_missing_item_or_a_future_date_saves_nothing(village_worker, xiaoming):
    answers = {k: v for k, v in CHILD_OK.items() if k != "guardianship"}
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        assessment_record(user=village_worker, person=xiaoming, answers=answers,
                          assessed_on=tomorrow)  # fmt: skip
    assert refused.value.message_dict == {
        "guardianship": ["请评估此项"],
        "assessed_on": ["评估日期不能晚于今天"],
    }
    assert not Assessment.objects.exists() and not CurrentRisk.objects.exists()


def test_an_outsider_cannot_assess(outsider, neighbour, xiaoming):
    for user in (outsider, neighbour):
        with pytest.raises(PermissionDenied):
            assessment_record(user=user, person=xiaoming, answers=CHILD_OK)


def test_the_latest_assessment_is_in_force_even_when_an_older_one_is_entered_later(
    village_worker, xiaoming
):
    today = timezone.localdate()
    assessment_record(user=village_worker, person=xiaoming, answers=child(guardianship="none"))
    assessment_record(user=village_worker, person=xiaoming, answers=CHILD_OK,
                      assessed_on=today - dt.timedelta(days=40))  # fmt: skip
    assert CurrentRisk.objects.get(person=xiaoming).grade.rank == 1


def test_a_county_switched_to_four_colours_grades_in_colours(county_admin, village_worker,
                                                             xiaoming):  # fmt: skip
    county = county_admin.scope_area
    scale_assign(user=county_admin, area=county, scale=RiskScale.objects.get(key="four-colour"))
    assert scale_for(VILLAGE).key == "four-colour"
    a = assessment_record(user=village_worker, person=xiaoming,
                          answers=child(guardianship="insufficient", schooling="dropped_out",
                                        economic="very_difficult"))  # fmt: skip
    assert (a.score, a.grade.label) == (9, "黄色（中高风险）")
    # Back to the default: the county's own choice is removed.
    scale_assign(user=county_admin, area=county, scale=RiskScale.objects.get(is_default=True))
    assert scale_for(VILLAGE).key == "five-level"


def test_a_village_worker_cannot_switch_the_county_scale(village_worker):
    with pytest.raises(PermissionDenied):
        scale_assign(user=village_worker, area=village_worker.scope_area.parent.parent,
                     scale=RiskScale.objects.get(key="four-colour"))  # fmt: skip


# --- the level feeds the care network ------------------------------------------------------


def test_changing_the_level_changes_what_is_owed(village_worker, grandma):
    def elderly_visit_period():
        (o,) = [o for o in obligations_for(Person.objects.filter(pk=grandma.pk))
                if o.duty == "elderly_visit"]  # fmt: skip
        return o.rule.period

    assessment_record(user=village_worker, person=grandma, answers=ELDER_OK,
                      assessed_on=timezone.localdate() - dt.timedelta(days=1))  # fmt: skip
    assert elderly_visit_period() == "quarter"  # level 5 → general tier
    assessment_record(user=village_worker, person=grandma,
                      answers=elder(elderly_living="alone", dependence="semi"))  # fmt: skip
    assert elderly_visit_period() == "week"  # red flag → level 1 → high tier
    grandma.refresh_from_db()
    assert grandma.risk_level == "high"
    entries = AuditEntry.objects.filter(content_type__model="person", object_pk=str(grandma.pk),
                                        changes__has_key="risk_level")  # fmt: skip
    change = entries.order_by("id").last()
    assert change.changes["risk_level"] == ["general", "high"]


# --- pages ----------------------------------------------------------------------------------


def test_the_assessment_page_shows_errors_at_the_item_and_saves_nothing(login, village_worker,
                                                                        xiaoming):  # fmt: skip
    client = login(village_worker)
    url = reverse("protection:assess", args=[xiaoming.pk])
    page = client.get(url)
    assert "监护状况" in page.content.decode() and "就学情况" in page.content.decode()
    answers = {k: v for k, v in CHILD_OK.items() if k != "mental"}
    response = client.post(url, answers)
    assert response.status_code == 200
    assert "请评估此项" in response.content.decode()
    assert not Assessment.objects.exists()
    response = client.post(url, child(guardianship="none"))
    assert response.status_code == 302
    detail = client.get(reverse("people:detail", args=[xiaoming.pk]))
    assert detail.status_code == 200
    panel = client.get(reverse("protection:risk_panel", args=[xiaoming.pk])).content.decode()
    assert "一级（极高风险）" in panel


def test_outsiders_get_404_on_assessments(login, village_worker, outsider, neighbour, xiaoming):
    a = assessment_record(user=village_worker, person=xiaoming, answers=CHILD_OK)
    for user in (outsider, neighbour):
        client = login(user)
        for url in (reverse("protection:assess", args=[xiaoming.pk]),
                    reverse("protection:assessment", args=[a.pk]),
                    reverse("protection:risk_panel", args=[xiaoming.pk]),
                    reverse("protection:timeline", args=[xiaoming.pk])):  # fmt: skip
            assert client.get(url).status_code == 404, (user, url)


def test_the_level_shows_in_the_people_list_without_extra_queries(
    login, village_worker, django_assert_max_num_queries
):
    people = [make_person(f"孩子{i}", VILLAGE) for i in range(6)]
    for p in people[:4]:
        assessment_record(user=village_worker, person=p, answers=child(guardianship="none"))
    client = login(village_worker)
    client.get(reverse("people:list"))  # warm caches (content types, session)
    with django_assert_max_num_queries(8):
        body = client.get(reverse("people:list")).content.decode()
    assert body.count("一级（极高风险）") == 4


def test_overdue_reassessments_are_listed_first(login, village_worker, demo_areas):
    today = timezone.localdate()
    late = make_person("陈一", VILLAGE)
    soon = make_person("陈二", VILLAGE)
    fine = make_person("陈三", VILLAGE)
    never = make_person("陈四", VILLAGE)
    other = make_person("陈五", NEIGHBOUR_VILLAGE)
    top = RiskGrade.objects.get(scale__key="five-level", rank=1)  # every 30 days
    for person, days_ago in ((late, 31), (soon, 20), (fine, 5), (other, 31)):
        day = today - dt.timedelta(days=days_ago)
        assessment_record(user=None, person=person, answers=CHILD_OK, override_grade=top,
                          override_reason="测试", assessed_on=day)  # fmt: skip
    body = login(village_worker).get(reverse("protection:reassessments")).content.decode()
    assert body.index("陈一") < body.index("陈二")
    assert "陈三" not in body and "陈五" not in body
    assert never.name in body


def test_overdue_reassessments_and_my_cases_appear_in_my_worklist(login, village_worker,
                                                                  demo_areas):  # fmt: skip
    from shouwang.protection.services.cases import case_report
    from shouwang.regions.models import Area

    today = timezone.localdate()
    late = make_person("陈一", VILLAGE)
    due_today = make_person("陈二", VILLAGE)
    top = RiskGrade.objects.get(scale__key="five-level", rank=1)  # every 30 days
    for person, days_ago in ((late, 31), (due_today, 30)):
        day = today - dt.timedelta(days=days_ago)
        assessment_record(user=None, person=person, answers=CHILD_OK, override_grade=top,
                          override_reason="测试", assessed_on=day)  # fmt: skip
    case = case_report(user=village_worker, village=Area.objects.get(code=VILLAGE),
                       category="missing", description="放学未归", people=[late],
                       discovered_at=timezone.now(), discovered_place="学校",
                       reporter_name="张桂兰")  # fmt: skip
    client = login(village_worker)
    assert 'id="protection-work"' in client.get(reverse("care:worklist")).content.decode()
    panel = client.get(reverse("protection:reassessments") + "?panel=1").content.decode()
    assert "1 人已超过复评日期" in panel and "陈一" in panel and "陈二" not in panel
    assert case.number in panel


def test_reassessments_and_the_timeline_take_a_fixed_number_of_queries(
    login, village_worker, demo_areas, django_assert_max_num_queries
):
    today = timezone.localdate()
    top = RiskGrade.objects.get(scale__key="five-level", rank=1)
    people = [make_person(f"孩子{i}", VILLAGE) for i in range(6)]
    for i, person in enumerate(people):
        for days_ago in (400, 40 + i):
            day = today - dt.timedelta(days=days_ago)
            assessment_record(user=None, person=person, answers=CHILD_OK, override_grade=top,
                              override_reason="测试", assessed_on=day)  # fmt: skip
    client = login(village_worker)
    client.get(reverse("protection:reassessments"))
    with django_assert_max_num_queries(8):
        body = client.get(reverse("protection:reassessments")).content.decode()
    assert all(p.name in body for p in people)
    timeline = reverse("protection:timeline", args=[people[0].pk])
    client.get(timeline)
    with django_assert_max_num_queries(10):
        body = client.get(timeline).content.decode()
    assert body.count("风险评估") == 2


def test_an_assessment_before_the_person_was_born_is_refused(village_worker, xiaoming):
    with pytest.raises(ValidationError) as refused:
        assessment_record(user=village_worker, person=xiaoming, answers=CHILD_OK,
                          assessed_on=dt.date(2000, 1, 1))  # fmt: skip
    assert refused.value.message_dict == {"assessed_on": ["评估日期不能早于出生日期（2014-05-06）"]}


def test_a_supervisor_sees_the_scale_the_county_chose(login, county_admin, supervisor):
    scale_assign(user=county_admin, area=county_admin.scope_area,
                 scale=RiskScale.objects.get(key="four-colour"))  # fmt: skip
    page = login(supervisor).get(reverse("protection:scales")).content.decode()
    assert "目前使用「四色风险等级（红黄蓝绿）」" in page
    assert 'name="scale"' not in page  # nothing to change for a supervisor
    deadlines = login(supervisor).get(reverse("protection:deadlines")).content.decode()
    assert "1 小时" in deadlines


def test_reading_an_assessment_is_audited(login, village_worker, xiaoming):
    a = assessment_record(user=village_worker, person=xiaoming, answers=child(mental="self_harm"))
    login(village_worker).get(reverse("protection:assessment", args=[a.pk]))
    read = AuditEntry.objects.get(action=AuditEntry.Action.ACCESS, object_pk=str(a.pk),
                                  content_type__model="assessment")  # fmt: skip
    assert read.actor == village_worker


# --- a county's own scale -----------------------------------------------------------------


def _rows(scale, **changes):
    rows = {g.rank: {"label": g.label, "colour": g.colour, "min_score": g.min_score,
                     "tier": g.tier, "reassess_days": g.reassess_days}
            for g in scale.grades.all()}  # fmt: skip
    for key, value in changes.items():
        rank, field = key.split("_", 1)
        rows[int(rank.removeprefix("r"))][field] = value
    return rows


def test_a_county_edits_its_own_copy_of_the_scale(county_admin, village_worker, grandma):
    from shouwang.protection.services.risk import scale_customise, scale_grades_update

    assessment_record(user=village_worker, person=grandma, answers=ELDER_OK)  # level 5
    own = scale_customise(user=county_admin, county=county_admin.scope_area)
    assert scale_for(VILLAGE) == own and own.grades.count() == 5
    assert RiskScale.objects.get(key="five-level").grades.get(rank=5).tier == "general"
    # Shared scales stay as they are; the county's copy changes.
    scale_grades_update(user=county_admin, scale=own,
                        rows=_rows(own, r5_reassess_days=200, r5_label="五级"))  # fmt: skip
    assert own.grades.get(rank=5).label == "五级"
    a = assessment_record(user=village_worker, person=grandma, answers=ELDER_OK)
    assert (a.grade.scale, a.next_due - a.assessed_on) == (own, dt.timedelta(days=200))
    # Putting level 5 in the priority tier changes what the people at it are owed.
    scale_grades_update(user=county_admin, scale=own, rows=_rows(own, r5_tier="priority"))
    grandma.refresh_from_db()
    assert grandma.risk_level == "priority"
    (visit,) = [o for o in obligations_for(Person.objects.filter(pk=grandma.pk))
                if o.duty == "elderly_visit"]  # fmt: skip
    assert visit.rule.period == "month"


@pytest.mark.parametrize(
    ("changes", "key", "message"),
    [
        ({"r3_min_score": 11}, "3-min_score", "应低于上一等级的最低分值"),
        ({"r5_min_score": 1}, "5-min_score", "最低一级的最低分值应为 0"),
        ({"r2_colour": "red"}, "2-colour", "颜色应为 #RRGGBB 形式"),
        ({"r1_reassess_days": 0}, "1-reassess_days", "复评间隔应为 1 到 730 天"),
        ({"r1_reassess_days": None}, "1-reassess_days", "复评间隔应为 1 到 730 天"),
        ({"r4_label": " "}, "4-label", "请填写等级名称（不超过 30 字）"),
        ({"r4_tier": "urgent"}, "4-tier", "请选择走访等级"),
    ],
)
def test_a_scale_that_does_not_hold_together_is_refused(county_admin, changes, key, message):
    from shouwang.protection.services.risk import scale_customise, scale_grades_update

    own = scale_customise(user=county_admin, county=county_admin.scope_area)
    before = list(own.grades.values_list("label", "min_score", "reassess_days"))
    with pytest.raises(ValidationError) as refused:
        scale_grades_update(user=county_admin, scale=own, rows=_rows(own, **changes))
    assert refused.value.message_dict[key] == [message]
    assert list(own.grades.values_list("label", "min_score", "reassess_days")) == before


def test_shared_scales_cannot_be_edited(county_admin, login):
    from shouwang.protection.services.risk import scale_grades_update

    shared = RiskScale.objects.get(key="five-level")
    with pytest.raises(PermissionDenied):
        scale_grades_update(user=county_admin, scale=shared, rows=_rows(shared))
    url = reverse("protection:scale_edit", args=[shared.pk])
    assert login(county_admin).get(url).status_code == 404


def test_the_scale_page_edits_the_county_scale(login, county_admin):
    client = login(county_admin)
    response = client.post(reverse("protection:scales"), {"action": "customise"})
    own = RiskScale.objects.get(county=county_admin.scope_area)
    assert response.url == reverse("protection:scale_edit", args=[own.pk])
    data = {f"{rank}-{field}": value for rank, row in _rows(own, r2_min_score=20).items()
            for field, value in row.items()} | {"version": own.version}  # fmt: skip
    page = client.post(response.url, data)
    assert page.status_code == 400 and "应低于上一等级的最低分值" in page.content.decode()
    data["2-min_score"] = 12
    assert client.post(response.url, data).status_code == 302
    assert own.grades.get(rank=2).min_score == 12


@pytest.mark.django_db(transaction=True)
def test_two_assessments_of_one_person_at_once_both_land(village_worker, demo_areas):
    """Two workers save at the same moment, on two real database connections: one
    waits for the other, and the level in force is the later one."""
    import threading

    from django.db import connection

    if connection.vendor == "sqlite":
        pytest.skip("SQLite's in-memory test database locks tables instead of waiting")
    person = make_person("王小明", VILLAGE)
    barrier, errors = threading.Barrier(2), []

    def save(answers):
        try:
            barrier.wait()
            assessment_record(user=village_worker, person=person, answers=answers)
        except Exception as exc:  # reported below; a thread cannot fail the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(a,))
               for a in (CHILD_OK, child(guardianship="none"))]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert Assessment.objects.filter(person=person).count() == 2
    latest = Assessment.objects.filter(person=person).order_by("-id").first()
    assert CurrentRisk.objects.get(person=person).assessment == latest

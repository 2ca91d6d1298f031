"""The volunteer pages: registering and editing a volunteer, the list, and the
review (报名 → 审查中 → 通过 / 驳回) with the record check and the situations of
未成年人保护法第二十二条, and withdrawal.

张桂兰 (village worker) registers the volunteers of her village; 吴丽萍 (township
supervisor of 郑墩镇) reviews them; 周明 (outsider, 渭田镇) sees none of them.
"""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType

from shouwang.audit.models import AuditEntry
from shouwang.care.choices import CarerKind, Disqualification, PairingEndReason, VolunteerStatus
from shouwang.care.models import Pairing, Volunteer
from shouwang.care.tests.factories import make_person, make_volunteer, pair
from shouwang.conftest import NEIGHBOUR_VILLAGE, VILLAGE, ZHENGDUN
from shouwang.people.forms import phone_index

pytestmark = pytest.mark.django_db

LIST_URL = "/care/volunteers/"
CREATE_URL = "/care/volunteers/new/"
PHONE = "13812345678"
MASKED = "138****5678"


def detail_url(v: Volunteer) -> str:
    return f"/care/volunteers/{v.pk}/"


def review_url(v: Volunteer) -> str:
    return f"/care/volunteers/{v.pk}/review/"


def form_data(**overrides) -> dict:
    data = {
        "name": "陈秀梅",
        "kind": CarerKind.PROXY_PARENT,
        "organisation": "women_federation",
        "organisation_name": "郑墩镇妇联",
        "area": VILLAGE,
        "phone": "138 1234 5678",
        "capacity": "3",
        "notes": "",
        **overrides,
    }
    return {k: v for k, v in data.items() if v is not None}


def volunteer_entries(volunteer: Volunteer):
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Volunteer), object_pk=str(volunteer.pk)
    )


def field_errors(response, form: str, field: str) -> list[str]:
    return [str(e) for e in response.context[form].errors.get(field, [])]


# --- registration and editing ---------------------------------------------------


def test_a_village_worker_registers_a_volunteer(login, village_worker):
    response = login(village_worker).post(CREATE_URL, form_data())

    volunteer = Volunteer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(volunteer)
    assert volunteer.status == VolunteerStatus.APPLIED
    assert volunteer.phone == PHONE  # normalised
    assert volunteer.phone_index == phone_index(PHONE)
    assert volunteer.created_by == village_worker
    entry = volunteer_entries(volunteer).get()
    assert entry.actor == village_worker
    assert PHONE not in str(entry.changes)  # the audit log masks the phone


def test_registration_refuses_an_area_outside_her_scope(login, village_worker):
    response = login(village_worker).post(CREATE_URL, form_data(area=NEIGHBOUR_VILLAGE))

    assert response.status_code == 200
    assert field_errors(response, "form", "area")
    assert "未保存任何内容" in response.content.decode()
    assert not Volunteer.objects.exists()


def test_registration_refuses_a_bad_phone_and_a_capacity_out_of_range(login, village_worker):
    response = login(village_worker).post(CREATE_URL, form_data(phone="12345", capacity="0"))

    assert response.status_code == 200
    assert field_errors(response, "form", "phone")
    assert field_errors(response, "form", "capacity")
    assert not Volunteer.objects.exists()


def test_the_area_list_offers_only_villages_and_townships_in_scope(login, supervisor):
    response = login(supervisor).get(CREATE_URL)

    codes = {str(code) for code, _label in response.context["form"].fields["area"].choices}
    assert ZHENGDUN in codes and VILLAGE in codes
    assert all(code == "" or code.startswith("350724101") for code in codes)


def test_an_empty_phone_on_edit_keeps_the_phone(login, village_worker):
    volunteer = make_volunteer("陈秀梅", VILLAGE, phone=PHONE, status=VolunteerStatus.APPLIED)
    client = login(village_worker)

    page = client.get(f"/care/volunteers/{volunteer.pk}/edit/").content.decode()
    response = client.post(
        f"/care/volunteers/{volunteer.pk}/edit/", form_data(phone="", name="陈秀美", version=1)
    )

    assert MASKED in page and PHONE not in page
    assert response.status_code == 302
    volunteer.refresh_from_db()
    assert volunteer.name == "陈秀美"
    assert volunteer.phone == PHONE
    assert volunteer.version == 2
    assert volunteer_entries(volunteer).filter(actor=village_worker).exists()


def test_capacity_cannot_drop_below_the_people_paired_now(login, village_worker):
    volunteer = make_volunteer("陈秀梅", VILLAGE, capacity=3)
    pair(make_person("李小明", VILLAGE), volunteer)
    pair(make_person("李小红", VILLAGE), volunteer)

    response = login(village_worker).post(
        f"/care/volunteers/{volunteer.pk}/edit/", form_data(capacity="1", version=1)
    )

    assert response.status_code == 200
    assert "该志愿者当前结对 2 人，可结对人数不能少于此数" in field_errors(
        response, "form", "capacity"
    )
    volunteer.refresh_from_db()
    assert volunteer.capacity == 3


# --- the list ---------------------------------------------------------------------


def test_the_list_shows_volunteers_in_scope_with_masked_phone_and_load(login, supervisor):
    volunteer = make_volunteer("陈秀梅", VILLAGE, capacity=2, phone=PHONE)
    pair(make_person("李小明", VILLAGE), volunteer)
    make_volunteer("周建国", "350724102200")  # 渭田镇

    html = login(supervisor).get(LIST_URL).content.decode()

    assert "陈秀梅" in html and "周建国" not in html
    assert MASKED in html and PHONE not in html
    assert "1 / 2" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=applied", {"王英"}),
        ("kind=teacher", {"刘老师"}),
        (f"area={NEIGHBOUR_VILLAGE}", {"刘老师"}),
        ("q=陈", {"陈秀梅"}),
        (f"q={PHONE}", {"陈秀梅"}),
    ],
)
def test_the_list_filters(login, supervisor, query, expected):
    with_phone = make_volunteer("陈秀梅", VILLAGE, phone=PHONE)
    # The factory writes the row directly; the services keep the blind index.
    Volunteer.objects.filter(pk=with_phone.pk).update(phone_index=phone_index(PHONE))
    make_volunteer("王英", VILLAGE, status=VolunteerStatus.APPLIED)
    make_volunteer("刘老师", NEIGHBOUR_VILLAGE, kind=CarerKind.TEACHER)

    response = login(supervisor).get(f"{LIST_URL}?{query}")

    assert {v.name for v in response.context["page"]} == expected


def test_a_htmx_request_gets_only_the_rows(login, supervisor):
    make_volunteer("陈秀梅", VILLAGE)

    response = login(supervisor).get(LIST_URL, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert "陈秀梅" in html and "<html" not in html


def test_the_list_runs_a_fixed_number_of_queries(login, supervisor, django_assert_num_queries):
    client = login(supervisor)
    for i in range(3):
        v = make_volunteer(f"志愿者{i}", VILLAGE, phone=PHONE)
        pair(make_person(f"对象{i}", VILLAGE), v)
    client.get(LIST_URL)  # warm the session and permission caches
    with django_assert_num_queries(LIST_QUERIES):
        client.get(LIST_URL)
    for i in range(3, 12):
        v = make_volunteer(f"志愿者{i}", NEIGHBOUR_VILLAGE)
        pair(make_person(f"对象{i}", NEIGHBOUR_VILLAGE), v)
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(LIST_URL)
    assert len(response.context["page"]) == 12


# session, user, permissions, filter areas, count, unread reminders (base page), rows
LIST_QUERIES = 7


# --- detail and review -------------------------------------------------------------


def test_the_detail_shows_the_masked_phone_and_the_review_panel_to_a_reviewer(
    login, supervisor, village_worker
):
    volunteer = make_volunteer("陈秀梅", VILLAGE, phone=PHONE, status=VolunteerStatus.APPLIED)

    for_supervisor = login(supervisor).get(detail_url(volunteer)).content.decode()
    for_worker = login(village_worker).get(detail_url(volunteer)).content.decode()

    assert MASKED in for_supervisor and PHONE not in for_supervisor
    assert "开始审查" in for_supervisor and "已查询违法犯罪记录" in for_supervisor
    assert str(Disqualification.HARM.label) in for_supervisor
    assert "开始审查" not in for_worker


def test_a_supervisor_starts_the_review(login, supervisor):
    volunteer = make_volunteer("陈秀梅", VILLAGE, status=VolunteerStatus.APPLIED)

    response = login(supervisor).post(review_url(volunteer), {"action": "start"})

    assert response.status_code == 302
    volunteer.refresh_from_db()
    assert volunteer.status == VolunteerStatus.REVIEWING
    assert volunteer.reviewed_by == supervisor
    assert volunteer_entries(volunteer).filter(actor=supervisor).exists()


def test_a_review_cannot_start_twice(login, supervisor):
    volunteer = make_volunteer("陈秀梅", VILLAGE, status=VolunteerStatus.REVIEWING)

    response = login(supervisor).post(review_url(volunteer), {"action": "start"})

    assert response.status_code == 200
    assert "只有已报名的志愿者可以开始审查" in response.content.decode()


def test_approval_records_the_reviewer_the_time_and_the_check(login, supervisor):
    volunteer = make_volunteer("陈秀梅", VILLAGE, status=VolunteerStatus.REVIEWING)

    response = login(supervisor).post(
        review_url(volunteer), {"action": "approve", "record_checked": "on", "reason": "符合条件"}
    )

    assert response.status_code == 302
    volunteer.refresh_from_db()
    assert volunteer.status == VolunteerStatus.APPROVED
    assert volunteer.record_checked
    assert volunteer.disqualifications == []
    assert volunteer.reviewed_by == supervisor and volunteer.reviewed_at is not None
    entry = volunteer_entries(volunteer).filter(actor=supervisor).latest("timestamp")
    assert "status" in entry.changes
    page = login(supervisor).get(detail_url(volunteer)).content.decode()
    assert "吴丽萍" in page and "符合条件" in page


def assert_unchanged(volunteer: Volunteer, status=VolunteerStatus.REVIEWING):
    entries = volunteer_entries(volunteer).count()
    volunteer.refresh_from_db()
    assert volunteer.status == status
    assert volunteer.reviewed_at is None
    assert volunteer_entries(volunteer).count() == entries


def test_approval_needs_the_record_check(login, supervisor):
    volunteer = make_volunteer("陈秀梅", VILLAGE, status=VolunteerStatus.REVIEWING)

    response = login(supervisor).post(review_url(volunteer), {"action": "approve"})

    assert response.status_code == 200
    assert field_errors(response, "review_form", "record_checked") == [
        "通过前须完成违法犯罪记录查询"
    ]
    assert_unchanged(volunteer)


@pytest.mark.parametrize("situation", Disqualification.values)
def test_approval_is_refused_with_any_situation_of_article_22(login, supervisor, situation):
    volunteer = make_volunteer("陈秀梅", VILLAGE, status=VolunteerStatus.REVIEWING)

    response = login(supervisor).post(
        review_url(volunteer),
        {"action": "approve", "record_checked": "on", "disqualifications": [situation]},
    )

    assert response.status_code == 200
    assert field_errors(response, "review_form", "disqualifications") == [
        "存在《未成年人保护法》第二十二条规定的情形，不能通过审查"
    ]
    assert_unchanged(volunteer)


def test_a_rejection_needs_a_reason(login, supervisor):
    volunteer = make_volunteer("陈秀梅", VILLAGE, status=VolunteerStatus.APPLIED)

    response = login(supervisor).post(review_url(volunteer), {"action": "reject", "reason": "  "})

    assert response.status_code == 200
    assert field_errors(response, "review_form", "reason") == ["驳回须填写理由"]
    assert_unchanged(volunteer, status=VolunteerStatus.APPLIED)


def test_a_rejection_records_the_situations_found(login, supervisor):
    volunteer = make_volunteer("陈秀梅", VILLAGE, status=VolunteerStatus.REVIEWING)

    response = login(supervisor).post(
        review_url(volunteer),
        {
            "action": "reject",
            "record_checked": "on",
            "disqualifications": [Disqualification.VICES],
            "reason": "经查有酗酒恶习",
        },
    )

    assert response.status_code == 302
    volunteer.refresh_from_db()
    assert volunteer.status == VolunteerStatus.REJECTED
    assert volunteer.disqualifications == [Disqualification.VICES]
    page = login(supervisor).get(detail_url(volunteer)).content.decode()
    assert str(Disqualification.VICES.label) in page and "经查有酗酒恶习" in page
    assert "审查结论" not in page  # no review panel once decided


def test_a_decided_volunteer_cannot_be_decided_again(login, supervisor):
    volunteer = make_volunteer("陈秀梅", VILLAGE, status=VolunteerStatus.APPROVED)

    response = login(supervisor).post(review_url(volunteer), {"action": "reject", "reason": "x"})

    assert response.status_code == 200
    assert "该志愿者已审查完毕" in response.content.decode()
    volunteer.refresh_from_db()
    assert volunteer.status == VolunteerStatus.APPROVED


def test_an_unknown_action_changes_nothing(login, supervisor):
    volunteer = make_volunteer("陈秀梅", VILLAGE, status=VolunteerStatus.REVIEWING)

    response = login(supervisor).post(review_url(volunteer), {"action": "delete"})

    assert response.status_code == 200
    assert "请选择审查操作" in response.content.decode()
    assert_unchanged(volunteer)


def test_a_village_worker_cannot_review(login, village_worker):
    volunteer = make_volunteer("陈秀梅", VILLAGE, status=VolunteerStatus.REVIEWING)

    response = login(village_worker).post(
        review_url(volunteer), {"action": "approve", "record_checked": "on"}
    )

    assert response.status_code == 403
    assert_unchanged(volunteer)


# --- withdrawal --------------------------------------------------------------------


def test_withdrawal_ends_the_open_pairings_and_keeps_the_history(login, village_worker):
    volunteer = make_volunteer("陈秀梅", VILLAGE)
    child = make_person("李小明", VILLAGE)
    pairing = pair(child, volunteer)

    response = login(village_worker).post(
        f"/care/volunteers/{volunteer.pk}/withdraw/", {"reason": "外出务工"}
    )

    assert response.status_code == 302
    volunteer.refresh_from_db()
    pairing.refresh_from_db()
    assert volunteer.status == VolunteerStatus.WITHDRAWN
    assert pairing.ended_on is not None
    assert pairing.end_reason == PairingEndReason.VOLUNTEER_LEFT
    assert pairing.ended_by == village_worker
    page = login(village_worker).get(detail_url(volunteer)).content.decode()
    assert "李小明" in page and str(PairingEndReason.VOLUNTEER_LEFT.label) in page


def test_withdrawal_needs_a_reason_and_an_approved_volunteer(login, village_worker):
    approved = make_volunteer("陈秀梅", VILLAGE)
    applied = make_volunteer("王英", VILLAGE, status=VolunteerStatus.APPLIED)
    client = login(village_worker)

    no_reason = client.post(f"/care/volunteers/{approved.pk}/withdraw/", {"reason": ""})
    not_approved = client.post(f"/care/volunteers/{applied.pk}/withdraw/", {"reason": "搬家"})

    assert field_errors(no_reason, "withdraw_form", "reason") == ["请填写退出原因"]
    assert "只有已通过审查的志愿者可以退出" in not_approved.content.decode()
    assert set(Volunteer.objects.values_list("status", flat=True)) == {
        VolunteerStatus.APPROVED,
        VolunteerStatus.APPLIED,
    }


# --- scope -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "", None),
        ("get", "edit/", None),
        ("post", "edit/", form_data()),
        ("post", "review/", {"action": "start"}),
        ("post", "withdraw/", {"reason": "x"}),
    ],
)
def test_an_outsider_gets_404_on_a_zhengdun_volunteer(login, outsider, method, path, data):
    volunteer = make_volunteer("陈秀梅", VILLAGE, status=VolunteerStatus.APPLIED)

    response = getattr(login(outsider), method)(f"{detail_url(volunteer)}{path}", data)

    assert response.status_code == 404
    volunteer.refresh_from_db()
    assert volunteer.status == VolunteerStatus.APPLIED and volunteer.name == "陈秀梅"


def test_the_detail_names_only_the_people_in_the_viewers_scope(login, neighbour):
    volunteer = make_volunteer("陈秀梅", NEIGHBOUR_VILLAGE)
    pair(make_person("李小明", VILLAGE), volunteer)
    pair(make_person("王小红", NEIGHBOUR_VILLAGE), volunteer)

    page = login(neighbour).get(detail_url(volunteer)).content.decode()

    assert "王小红" in page and "李小明" not in page
    assert "另有 1 条结对记录" in page
    assert Pairing.objects.count() == 2


def test_revealing_a_volunteers_phone_is_audited_and_scoped(
    login, supervisor, outsider, village_worker
):
    from shouwang.audit.models import AuditEntry
    from shouwang.care.tests.factories import make_volunteer as make

    record = make("刘晓燕", "350724101200", phone="13812345678")
    page = login(supervisor).get(f"/care/volunteers/{record.pk}/")
    assert "138****5678" in page.content.decode()
    assert "13812345678" not in page.content.decode()
    revealed = login(supervisor).post(f"/care/volunteers/{record.pk}/phone/")
    assert "13812345678" in revealed.content.decode()
    entry = AuditEntry.objects.get(content_type__model="volunteer", object_pk=str(record.pk),
                                   action=AuditEntry.Action.ACCESS)  # fmt: skip
    assert entry.actor == supervisor
    assert login(outsider).post(f"/care/volunteers/{record.pk}/phone/").status_code == 404

"""Pairing (结对) through the pages: suggestions nearest first (就近就亲), the
refusals (not approved, full, already paired, dates), ending a pairing with its
history kept, the coverage gap, and the care panel of a person's page.

张桂兰 (village worker of the first village of 郑墩镇) pairs the children of her
village; 黄建华 (county admin) sees volunteers of the whole county; 周明 (outsider,
渭田镇) gets 404 on everything of 郑墩镇.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.context_processors import PermWrapper
from django.contrib.contenttypes.models import ContentType
from django.template.loader import render_to_string
from django.utils import timezone

from shouwang.audit.models import AuditEntry
from shouwang.care import selectors
from shouwang.care.choices import CarerKind, ContactKind, PairingEndReason, VolunteerStatus
from shouwang.care.models import Contact, Pairing, Volunteer
from shouwang.care.tests.factories import ON_FILE, contact, make_elder, make_person, make_volunteer
from shouwang.care.tests.factories import pair as pair_row
from shouwang.conftest import NEIGHBOUR_VILLAGE, VILLAGE, ZHENGDUN
from shouwang.people.choices import PersonStatus, RiskLevel
from shouwang.people.eligibility import Program
from shouwang.people.models import Person

pytestmark = pytest.mark.django_db

WEITIAN_VILLAGE = "350724102200"  # first village of 渭田镇, same county
COVERAGE_URL = "/care/coverage/"


def today() -> dt.date:
    return timezone.localdate()


def pair_url(person: Person) -> str:
    return f"/care/people/{person.pk}/pair/"


def end_url(pairing: Pairing) -> str:
    return f"/care/pairings/{pairing.pk}/end/"


def post_pair(client, person, volunteer, *, on: dt.date | None = None, kind: str = ""):
    data = {"volunteer": volunteer.pk, "started_on": (on or today()).isoformat(), "kind": kind}
    return client.post(pair_url(person), data)


def post_end(client, pairing, *, on: dt.date | None = None, reason=PairingEndReason.REASSIGNED,
             note="", **extra):  # fmt: skip
    data = {"ended_on": (on or today()).isoformat(), "reason": reason, "note": note, **extra}
    return client.post(end_url(pairing), data)


def refusal(response) -> str:
    """The page of a refused pairing: it says why and that nothing was saved."""
    assert response.status_code == 200
    html = response.content.decode()
    assert "未能结对，未保存任何内容" in html
    return html


def audit_entries(model, obj):
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_pk=str(obj.pk)
    )


# --- suggestions ------------------------------------------------------------------


def test_suggestions_rank_village_then_township_then_county(login, county_admin):
    child = make_person("李小明", VILLAGE)
    county = make_volunteer("县志愿者", WEITIAN_VILLAGE)
    township = make_volunteer("镇志愿者", ZHENGDUN)
    neighbour = make_volunteer("邻村志愿者", NEIGHBOUR_VILLAGE)
    village = make_volunteer("本村志愿者", VILLAGE)
    full = make_volunteer("已满志愿者", VILLAGE, capacity=1)
    pair_row(make_person("王小红", VILLAGE), full)
    make_volunteer("报名志愿者", VILLAGE, status=VolunteerStatus.APPLIED)

    response = login(county_admin).get(pair_url(child))

    suggested = response.context["suggestions"]
    assert suggested[0] == village
    assert set(suggested[1:3]) == {township, neighbour}
    assert suggested[3] == county
    assert len(suggested) == 4  # the full and the unapproved are not offered
    assert [v.proximity for v in suggested] == [0, 1, 1, 2]
    html = response.content.decode()
    assert "本村" in html and "本镇" in html and "本县" in html
    assert "已满志愿者" not in [v.name for v in suggested]


def test_the_kinds_that_suit_the_person_come_first_within_a_distance(login, village_worker):
    elder = make_elder("王奶奶", VILLAGE)
    make_volunteer("代理家长", VILLAGE, kind=CarerKind.PROXY_PARENT, capacity=9)
    five = make_volunteer("五老", VILLAGE, kind=CarerKind.FIVE_ELDERS, capacity=1)

    response = login(village_worker).get(pair_url(elder))

    assert response.context["suggestions"][0] == five
    assert "类别适合" in response.content.decode()


def test_a_volunteer_already_paired_with_the_person_is_not_suggested(login, village_worker):
    child = make_person("李小明", VILLAGE)
    volunteer = make_volunteer("陈秀梅", VILLAGE)
    pair_row(child, volunteer)

    response = login(village_worker).get(pair_url(child))

    assert volunteer not in response.context["suggestions"]
    assert "已结对：陈秀梅" in response.content.decode()


# --- pairing ----------------------------------------------------------------------


def test_one_tap_pairs_and_returns_to_the_person_page(login, village_worker):
    child = make_person("李小明", VILLAGE)
    volunteer = make_volunteer("陈秀梅", VILLAGE)
    client = login(village_worker)

    response = post_pair(client, child, volunteer)

    assert response.status_code == 302
    assert response["Location"] == f"/people/{child.pk}/"
    pairing = Pairing.objects.get()
    assert (pairing.person, pairing.volunteer) == (child, volunteer)
    assert pairing.kind == CarerKind.PROXY_PARENT  # the volunteer's kind by default
    assert pairing.started_on == today()
    assert pairing.created_by == village_worker
    assert audit_entries(Pairing, pairing).get().actor == village_worker
    page = client.get(response["Location"]).content.decode()
    assert "陈秀梅 已与 李小明 结对" in page


def test_a_pairing_may_have_its_own_kind_and_an_earlier_start(login, village_worker):
    child = make_person("李小明", VILLAGE)
    volunteer = make_volunteer("刘老师", VILLAGE, kind=CarerKind.TEACHER)

    post_pair(login(village_worker), child, volunteer, on=ON_FILE, kind=CarerKind.PROXY_PARENT)

    pairing = Pairing.objects.get()
    assert pairing.kind == CarerKind.PROXY_PARENT
    assert pairing.started_on == ON_FILE


def test_capacity_is_a_hard_limit_and_ending_a_pairing_frees_a_place(login, village_worker):
    volunteer = make_volunteer("陈秀梅", VILLAGE, capacity=2)
    first, second, third = (make_person(n, VILLAGE) for n in ("李小明", "李小红", "李小刚"))
    client = login(village_worker)

    assert post_pair(client, first, volunteer).status_code == 302
    assert post_pair(client, second, volunteer).status_code == 302
    html = refusal(post_pair(client, third, volunteer))

    assert "该志愿者已结对 2 人，达到可结对人数上限（2 人）" in html
    assert not Pairing.objects.filter(person=third).exists()

    assert post_end(client, Pairing.objects.get(person=first)).status_code == 302
    assert post_pair(client, third, volunteer).status_code == 302
    assert Pairing.objects.filter(volunteer=volunteer, ended_on__isnull=True).count() == 2


def test_a_full_volunteer_is_listed_as_full_in_the_picker(login, village_worker):
    child = make_person("李小明", VILLAGE)
    volunteer = make_volunteer("陈秀梅", VILLAGE, capacity=1)
    pair_row(make_person("王小红", VILLAGE), volunteer)

    html = login(village_worker).get(pair_url(child)).content.decode()

    assert "陈秀梅（代理家长，" in html and "已满" in html


@pytest.mark.parametrize(
    "status",
    [VolunteerStatus.APPLIED, VolunteerStatus.REVIEWING, VolunteerStatus.REJECTED,
     VolunteerStatus.WITHDRAWN],
)  # fmt: skip
def test_a_volunteer_not_approved_is_refused(login, village_worker, status):
    child = make_person("李小明", VILLAGE)
    volunteer = make_volunteer("陈秀梅", VILLAGE, status=status)

    html = refusal(post_pair(login(village_worker), child, volunteer))

    assert "该志愿者未通过审查，不能结对" in html
    assert not Pairing.objects.exists()


def test_the_same_volunteer_cannot_be_paired_twice_with_a_person(login, village_worker):
    child = make_person("李小明", VILLAGE)
    volunteer = make_volunteer("陈秀梅", VILLAGE)
    pair_row(child, volunteer)

    html = refusal(post_pair(login(village_worker), child, volunteer))

    assert "该志愿者已与此人结对" in html
    assert Pairing.objects.count() == 1


def test_a_start_in_the_future_is_refused(login, village_worker):
    child = make_person("李小明", VILLAGE)
    volunteer = make_volunteer("陈秀梅", VILLAGE)

    response = post_pair(login(village_worker), child, volunteer, on=today() + dt.timedelta(1))

    assert "开始日期不能晚于今天" in refusal(response)
    assert response.context["form"].errors["started_on"] == ["开始日期不能晚于今天"]
    assert not Pairing.objects.exists()


def test_a_start_before_the_file_existed_is_refused(login, village_worker):
    child = make_person("李小明", VILLAGE)
    volunteer = make_volunteer("陈秀梅", VILLAGE)

    response = post_pair(login(village_worker), child, volunteer, on=ON_FILE - dt.timedelta(1))

    assert "开始日期不能早于建档日期（2024-01-01）" in refusal(response)
    assert not Pairing.objects.exists()


def test_a_person_no_longer_on_file_cannot_be_paired(login, village_worker):
    child = make_person("李小明", VILLAGE)
    Person.objects.filter(pk=child.pk).update(status=PersonStatus.MOVED_OUT)
    volunteer = make_volunteer("陈秀梅", VILLAGE)

    assert "该档案已不在册，不能结对" in refusal(post_pair(login(village_worker), child, volunteer))
    assert not Pairing.objects.exists()


def test_a_volunteer_outside_her_scope_is_not_accepted(login, village_worker):
    child = make_person("李小明", VILLAGE)
    volunteer = make_volunteer("陈秀梅", NEIGHBOUR_VILLAGE)

    html = refusal(post_pair(login(village_worker), child, volunteer))

    assert "请选择管辖范围内的志愿者" in html
    assert not Pairing.objects.exists()


def test_bad_input_is_a_form_error_not_a_crash(login, village_worker):
    child = make_person("李小明", VILLAGE)

    response = login(village_worker).post(
        pair_url(child), {"volunteer": "x", "started_on": "2024-13-45", "kind": "boss"}
    )

    errors = response.context["form"].errors
    assert response.status_code == 200
    assert {"volunteer", "started_on", "kind"} <= set(errors)


def test_one_volunteer_looks_after_many_and_one_person_has_many(login, village_worker):
    client = login(village_worker)
    proxy = make_volunteer("陈秀梅", VILLAGE, capacity=5)
    teacher = make_volunteer("刘老师", VILLAGE, kind=CarerKind.TEACHER)
    ming, hong = make_person("李小明", VILLAGE), make_person("李小红", VILLAGE)

    for person, volunteer in ((ming, proxy), (hong, proxy), (ming, teacher)):
        assert post_pair(client, person, volunteer).status_code == 302

    assert set(Pairing.objects.filter(volunteer=proxy).values_list("person", flat=True)) == {
        ming.pk,
        hong.pk,
    }
    assert set(Pairing.objects.filter(person=ming).values_list("volunteer", flat=True)) == {
        proxy.pk,
        teacher.pk,
    }
    page = client.get(f"/care/volunteers/{proxy.pk}/").content.decode()
    assert "李小明" in page and "李小红" in page


# --- ending a pairing --------------------------------------------------------------


def test_ending_a_pairing_keeps_it_as_history(login, village_worker):
    child = make_person("李小明", VILLAGE)
    volunteer = make_volunteer("陈秀梅", VILLAGE)
    pairing = pair_row(child, volunteer)
    client = login(village_worker)

    form = client.get(end_url(pairing))
    response = post_end(
        client, pairing, reason=PairingEndReason.PERSON_MOVED, note="随父母迁往福州"
    )

    assert form.status_code == 200 and "结束原因" in form.content.decode()
    assert response.status_code == 302
    assert response["Location"] == f"/people/{child.pk}/"
    pairing.refresh_from_db()
    assert pairing.ended_on == today()
    assert pairing.end_reason == PairingEndReason.PERSON_MOVED
    assert pairing.end_note == "随父母迁往福州"
    assert pairing.ended_by == village_worker
    assert audit_entries(Pairing, pairing).filter(actor=village_worker).exists()
    page = client.get(f"/care/volunteers/{volunteer.pk}/").content.decode()
    assert str(PairingEndReason.PERSON_MOVED.label) in page and "随父母迁往福州" in page


def test_ending_goes_back_to_a_safe_next_page_only(login, village_worker):
    volunteer = make_volunteer("陈秀梅", VILLAGE)
    one = pair_row(make_person("李小明", VILLAGE), volunteer)
    two = pair_row(make_person("李小红", VILLAGE), volunteer)
    client = login(village_worker)

    here = post_end(client, one, next=f"/care/volunteers/{volunteer.pk}/")
    away = post_end(client, two, next="https://example.com/")

    assert here["Location"] == f"/care/volunteers/{volunteer.pk}/"
    assert away["Location"] == f"/people/{two.person_id}/"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"on": dt.date(2100, 1, 1)}, "ended_on", "结束日期不能晚于今天"),
        ({"on": dt.date(2023, 12, 31)}, "ended_on", "结束日期不能早于开始日期"),
        ({"reason": "bored"}, "reason", "请选择结束原因"),
    ],
)
def test_an_end_that_makes_no_sense_is_refused(login, village_worker, data, field, message):
    pairing = pair_row(make_person("李小明", VILLAGE), make_volunteer("陈秀梅", VILLAGE))

    response = post_end(login(village_worker), pairing, **data)

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    pairing.refresh_from_db()
    assert pairing.ended_on is None


def test_a_pairing_cannot_end_twice(login, village_worker):
    volunteer = make_volunteer("陈秀梅", VILLAGE)
    pairing = pair_row(make_person("李小明", VILLAGE), volunteer, ended_on=dt.date(2024, 6, 1))

    response = post_end(login(village_worker), pairing)

    assert response.status_code == 200
    assert "该结对已结束" in response.content.decode()
    pairing.refresh_from_db()
    assert pairing.ended_on == dt.date(2024, 6, 1)


# --- coverage ----------------------------------------------------------------------


def test_coverage_shows_the_unpaired_and_hides_the_paired(login, village_worker):
    volunteer = make_volunteer("陈秀梅", VILLAGE)
    paired = make_person("李小明", VILLAGE)
    pair_row(paired, volunteer)
    was_paired = make_person("李小红", VILLAGE)
    pair_row(was_paired, volunteer, ended_on=dt.date(2024, 6, 1))
    make_person("李小刚", VILLAGE)
    make_person("不在项目", VILLAGE, program=None)

    response = login(village_worker).get(COVERAGE_URL)

    names = {p.name for p in response.context["page"]}
    assert names == {"李小红", "李小刚"}
    html = response.content.decode()
    assert "共 2 人未结对" in html
    assert f"/care/people/{was_paired.pk}/pair/" in html


def test_coverage_filters_by_program_risk_and_area(login, supervisor):
    make_person("李小明", VILLAGE)
    make_elder("王奶奶", NEIGHBOUR_VILLAGE)
    risky = make_person("张小花", NEIGHBOUR_VILLAGE)
    Person.objects.filter(pk=risky.pk).update(risk_level=RiskLevel.HIGH)
    client = login(supervisor)

    def names(query: str) -> set[str]:
        return {p.name for p in client.get(f"{COVERAGE_URL}?{query}").context["page"]}

    assert names("") == {"李小明", "王奶奶", "张小花"}
    assert names(f"program={Program.LEFT_BEHIND_ELDERLY}") == {"王奶奶"}
    assert names("high_risk=on") == {"张小花"}
    assert names(f"area={NEIGHBOUR_VILLAGE}") == {"王奶奶", "张小花"}
    assert names("area=350724102") == {"李小明", "王奶奶", "张小花"}  # outside scope: ignored


def test_coverage_runs_a_fixed_number_of_queries(login, supervisor, django_assert_num_queries):
    client = login(supervisor)
    for i in range(3):
        make_person(f"儿童{i}", VILLAGE)
    client.get(COVERAGE_URL)
    with django_assert_num_queries(COVERAGE_QUERIES):
        client.get(COVERAGE_URL)
    for i in range(3, 12):
        make_elder(f"老人{i}", NEIGHBOUR_VILLAGE)
    with django_assert_num_queries(COVERAGE_QUERIES):
        response = client.get(COVERAGE_URL)
    assert response.context["page"].paginator.count == 12


# session, user, permissions, filter areas, count, unread reminders, rows, enrollments
COVERAGE_QUERIES = 8


# --- scope -------------------------------------------------------------------------


def test_an_outsider_gets_404_on_zhengdun_people_and_pairings(login, outsider):
    child = make_person("李小明", VILLAGE)
    volunteer = make_volunteer("陈秀梅", VILLAGE)
    pairing = pair_row(child, volunteer)
    other = make_person("李小红", VILLAGE)
    client = login(outsider)

    assert client.get(pair_url(other)).status_code == 404
    assert post_pair(client, other, volunteer).status_code == 404
    assert client.get(end_url(pairing)).status_code == 404
    assert post_end(client, pairing).status_code == 404
    assert "李小明" not in client.get(COVERAGE_URL).content.decode()
    pairing.refresh_from_db()
    assert pairing.ended_on is None
    assert Pairing.objects.count() == 1


def test_a_volunteer_cannot_pair_or_end(login, volunteer):
    child = make_person("李小明", VILLAGE)
    carer = make_volunteer("刘晓燕", VILLAGE, user=volunteer)
    pairing = pair_row(child, carer)
    client = login(volunteer)

    assert client.get(pair_url(child)).status_code == 403
    assert post_end(client, pairing).status_code == 403
    assert client.get(COVERAGE_URL).status_code == 403


# --- the care panel of a person's page ----------------------------------------------


def test_the_person_page_loads_the_care_panel(login, village_worker):
    child = make_person("李小明", VILLAGE)

    html = login(village_worker).get(f"/people/{child.pk}/").content.decode()

    assert 'id="care-panel"' in html
    assert f'hx-get="/care/people/{child.pk}/?panel=1"' in html


def render_panel(user, person: Person, *, can_pair: bool = True) -> str:
    people = Person.objects.filter(pk=person.pk)
    context = {
        "person": person,
        "pairings": person.pairings.select_related("volunteer").order_by("-started_on", "-id"),
        "obligations": selectors.obligations_for(people),
        "contacts": Contact.objects.filter(person=person).select_related(
            "volunteer", "recorded_by"
        ),
        "can_pair": can_pair,
        "perms": PermWrapper(user),
    }
    return render_to_string("care/partials/_person_care.html", context)


def test_the_care_panel_shows_pairings_obligations_and_contacts(village_worker):
    child = make_person("李小明", VILLAGE)
    proxy = make_volunteer("陈秀梅", VILLAGE)
    former = make_volunteer("刘老师", VILLAGE, kind=CarerKind.TEACHER)
    active = pair_row(child, proxy)
    pair_row(child, former, ended_on=dt.date(2024, 3, 1))
    contact(child, ContactKind.HOME_VISIT, today(), volunteer=proxy, concern=True)

    html = render_panel(village_worker, child)

    assert html.index("陈秀梅") < html.index("刘老师")  # active first, then history
    assert "2024-03-01 结束" in html
    assert f"/care/pairings/{active.pk}/end/" in html
    assert f"/care/people/{child.pk}/pair/" in html
    assert "已完成" in html  # the weekly contact and the monthly visit, done today
    assert "已逾期" in html  # the monthly talk with the head teacher, never done
    assert "入户走访" in html and "需要关注" in html
    assert f"/care/people/{child.pk}/log/" in html


def test_the_care_panel_of_an_unpaired_person(supervisor):
    child = make_person("李小明", VILLAGE)

    html = render_panel(supervisor, child, can_pair=False)

    assert "尚未结对" in html and "暂无联系记录" in html
    assert f"/care/people/{child.pk}/pair/" not in html
    assert Volunteer.objects.count() == 0


def test_the_care_panel_comes_from_the_person_care_view(login, village_worker):
    child = make_person("李小明", VILLAGE)
    pair_row(child, make_volunteer("陈秀梅", VILLAGE))

    response = login(village_worker).get(f"/care/people/{child.pk}/?panel=1")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert "陈秀梅" in html and "结对中" in html and "记录联系" in html

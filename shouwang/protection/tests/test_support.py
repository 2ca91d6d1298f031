"""Services and aid (服务与慰问): recording them from the person page, the refusals,
the aid ledger and its totals by person, area and month.

张桂兰 (village_worker) looks after 李小明 in the first village of 郑墩镇; his father
李大山 works away in 广东. 王奶奶 lives in the second village (李美华, `neighbour`).
吴丽萍 (supervisor) oversees 郑墩镇; 周明 (`outsider`) the next township, 渭田镇,
where 陈小军 lives.

The hand-computed ledger (`ledger`):
  李小明  2026-01-10 慰问金 300.00
  李小明  2026-01-20 慰问品 大米 1 袋、食用油 1 桶, worth 120.50
  李小明  2026-02-05 慰问金 500.00 to his father working away
  王奶奶  2026-02-10 慰问金 200.00
  陈小军  2026-02-15 慰问品 书包, worth 80.00
so 李小明 920.50 (cash 800.00, goods 120.50), 郑墩镇 1120.50, 渭田镇 80.00,
January 420.50, February 780.00, the county 1200.50.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from shouwang.audit.models import AuditEntry
from shouwang.care.choices import VolunteerStatus
from shouwang.care.tests.factories import make_elder, make_person, make_volunteer
from shouwang.conftest import NEIGHBOUR_VILLAGE, VILLAGE
from shouwang.people.choices import RelationKind
from shouwang.people.models import Person, Relation
from shouwang.protection import choices as c
from shouwang.protection.models import Aid, Service
from shouwang.protection.selectors import support as selectors
from shouwang.protection.services.support import aid_record, service_record

WEITIAN_VILLAGE = "350724102200"
NOTHING_SAVED = "未保存任何内容"
JAN, FEB = dt.date(2026, 1, 10), dt.date(2026, 2, 5)


@pytest.fixture
def child(demo_areas):
    return make_person("李小明", VILLAGE, phone="13800001111")


@pytest.fixture
def father(child):
    return Relation.objects.create(person=child, kind=RelationKind.FATHER, name="李大山",
                                   working_away=True)  # fmt: skip


@pytest.fixture
def granny(demo_areas):
    return make_elder("王奶奶", NEIGHBOUR_VILLAGE)


@pytest.fixture
def far_child(demo_areas):
    return make_person("陈小军", WEITIAN_VILLAGE)


def cash(user, person, amount, on, **extra):
    return aid_record(user=user, person=person, kind=c.AidKind.CASH, date=on, giver="县妇联",
                      fund=c.Fund.WOMEN_FEDERATION, amount=Decimal(amount), **extra)  # fmt: skip


def goods(user, person, items, value, on, **extra):
    return aid_record(user=user, person=person, kind=c.AidKind.GOODS, date=on, giver="村委会",
                      fund=c.Fund.FISCAL, items=items, value=Decimal(value), **extra)  # fmt: skip


@pytest.fixture
def ledger(village_worker, neighbour, outsider, child, father, granny, far_child):
    cash(village_worker, child, "300", JAN)
    goods(village_worker, child, "大米 1 袋、食用油 1 桶", "120.50", dt.date(2026, 1, 20))
    cash(village_worker, child, "500", FEB, relation=father)
    cash(neighbour, granny, "200", dt.date(2026, 2, 10))
    goods(outsider, far_child, "书包", "80", dt.date(2026, 2, 15))


def aid_errors(**kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as exc:
        aid_record(**kwargs)
    return exc.value.message_dict


# --- recording aid ---------------------------------------------------------------


def test_cash_aid_is_recorded_and_audited(village_worker, child):
    aid = cash(village_worker, child, "300", JAN)
    assert (aid.kind, aid.amount, aid.items, aid.value, aid.total) == (
        "cash",
        Decimal("300"),
        "",
        None,
        Decimal("300"),
    )
    assert aid.recorded_by == village_worker
    entry = AuditEntry.objects.get(
        content_type=ContentType.objects.get_for_model(Aid), object_pk=str(aid.pk)
    )
    assert entry.action == AuditEntry.Action.CREATE


def test_goods_count_by_their_value_and_keep_no_amount(village_worker, child):
    aid = aid_record(user=village_worker, person=child, kind="goods", date=JAN, giver="村委会",
                     fund="fiscal", amount=Decimal("999"), items=" 书包 ",
                     value=Decimal("80"))  # fmt: skip
    assert (aid.amount, aid.items, aid.total) == (None, "书包", Decimal("80"))


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (None, "请填写慰问金金额"),
        (Decimal("0"), "金额必须大于 0"),
        (Decimal("-50"), "金额不能为负数"),
        (Decimal("0.001"), "金额最多保留两位小数"),
        (Decimal("100000000"), "金额过大"),
    ],
)
def test_cash_without_a_positive_amount_is_refused(village_worker, child, amount, message):
    errors = aid_errors(user=village_worker, person=child, kind="cash", date=JAN, giver="县妇联",
                        fund="fiscal", amount=amount)  # fmt: skip
    assert message in errors["amount"][0]
    assert not Aid.objects.exists()


def test_goods_without_items_or_value_are_refused(village_worker, child):
    errors = aid_errors(user=village_worker, person=child, kind="goods", date=JAN, giver="村委会",
                        fund="fiscal", items="  ", value=None)  # fmt: skip
    assert errors["items"] == ["请填写慰问品名称和数量"]
    assert errors["value"] == ["请填写慰问品折合金额"]
    errors = aid_errors(user=village_worker, person=child, kind="goods", date=JAN, giver="村委会",
                        fund="fiscal", items="书包", value=Decimal("-1"))  # fmt: skip
    assert errors == {"value": ["金额不能为负数"]}


def test_a_future_date_no_giver_and_no_fund_are_refused_at_their_fields(village_worker, child):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    errors = aid_errors(user=village_worker, person=child, kind="cash", date=tomorrow, giver="",
                        fund="", amount=Decimal("10"))  # fmt: skip
    assert errors == {
        "date": ["日期不能晚于今天"],
        "giver": ["请填写发放单位或人员"],
        "fund": ["请选择资金来源"],
    }


def test_aid_to_a_relative_of_somebody_else_is_refused(village_worker, child, demo_areas):
    other = make_person("李小红", VILLAGE, sex="F")
    her_mother = Relation.objects.create(person=other, kind=RelationKind.MOTHER, name="赵芳",
                                         working_away=True)  # fmt: skip
    errors = aid_errors(user=village_worker, person=child, kind="cash", date=JAN, giver="县妇联",
                        fund="fiscal", amount=Decimal("10"), relation=her_mother)  # fmt: skip
    assert errors == {"relation": ["该亲属不是此人的家庭成员"]}


def test_aid_to_someone_outside_the_scope_is_not_allowed(neighbour, child):
    with pytest.raises(PermissionDenied):
        cash(neighbour, child, "100", JAN)
    assert not Aid.objects.exists()


# --- recording services ----------------------------------------------------------


def test_a_service_is_recorded_with_its_volunteer_and_audited(village_worker, child):
    helper = make_volunteer("刘晓燕", VILLAGE)
    service = service_record(user=village_worker, person=child, kind="counselling", date=JAN,
                             provider=" 县社工站 ", volunteer=helper, notes="情绪疏导")  # fmt: skip
    assert (service.provider, service.volunteer, service.fund) == ("县社工站", helper, "")
    assert AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Service), object_pk=str(service.pk)
    ).exists()


def test_a_service_is_refused_for_bad_input_and_nothing_is_saved(village_worker, child):
    applied = make_volunteer("报名者", VILLAGE, status=VolunteerStatus.APPLIED)
    with pytest.raises(ValidationError) as exc:
        service_record(user=village_worker, person=child, kind="magic",
                       date=timezone.localdate() + dt.timedelta(days=3), provider="",
                       volunteer=applied, fund="bank")  # fmt: skip
    assert exc.value.message_dict == {
        "kind": ["请选择服务类别"],
        "date": ["日期不能晚于今天"],
        "provider": ["请填写服务提供方"],
        "volunteer": ["请选择您辖区内已通过审查的志愿者"],
        "fund": ["请选择资金来源"],
    }
    assert not Service.objects.exists()


def test_a_service_before_the_person_was_born_is_refused(village_worker, child):
    with pytest.raises(ValidationError) as exc:
        service_record(user=village_worker, person=child, kind="health_check",
                       date=dt.date(2010, 1, 1), provider="卫生院")  # fmt: skip
    assert "早于出生日期" in exc.value.message_dict["date"][0]


# --- totals ----------------------------------------------------------------------


def test_totals_by_person_count_cash_goods_and_aid_to_relatives(ledger, county_admin):
    aid = Aid.objects.visible_to(county_admin)
    by_person = {g.label: g.totals for g in selectors.aid_totals_by_person(aid)}
    xiaoming = by_person["李小明"]
    assert (xiaoming.count, xiaoming.cash, xiaoming.goods, xiaoming.total) == (
        3, Decimal("800.00"), Decimal("120.50"), Decimal("920.50")
    )  # fmt: skip
    assert xiaoming.to_relatives == 1
    assert by_person["陈小军"].total == Decimal("80.00")
    assert [g.label for g in selectors.aid_totals_by_person(aid)] == ["李小明", "王奶奶", "陈小军"]
    assert selectors.aid_totals(aid).total == Decimal("1200.50")


def test_totals_by_area_by_township_and_by_village(ledger, county_admin):
    aid = Aid.objects.visible_to(county_admin)
    townships = selectors.aid_totals_by_area(aid, level="township")
    assert [(g.key, g.label, g.totals.total, g.totals.people) for g in townships] == [
        ("350724101000", "郑墩镇", Decimal("1120.50"), 2),
        ("350724102000", "渭田镇", Decimal("80.00"), 1),
    ]
    villages = selectors.aid_totals_by_area(
        selectors.aid_filter(aid, area="350724101"), level="village"
    )
    assert [(g.key, g.totals.total) for g in villages] == [
        (VILLAGE, Decimal("920.50")),
        (NEIGHBOUR_VILLAGE, Decimal("200.00")),
    ]


def test_totals_by_month_and_in_a_date_range(ledger, county_admin):
    aid = Aid.objects.visible_to(county_admin)
    months = selectors.aid_totals_by_month(aid)
    assert [(g.key, g.label, g.totals.total) for g in months] == [
        ("2026-01-01", "2026-01", Decimal("420.50")),
        ("2026-02-01", "2026-02", Decimal("780.00")),
    ]
    february = selectors.aid_filter(aid, start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 28))
    assert selectors.aid_totals(february).count == 3
    cash_only = selectors.aid_filter(aid, kind="cash", fund="women_federation")
    assert selectors.aid_totals(cash_only).total == Decimal("1000.00")


def test_totals_are_scoped(ledger, supervisor, outsider):
    assert selectors.aid_totals(Aid.objects.visible_to(supervisor)).total == Decimal("1120.50")
    assert selectors.aid_totals(Aid.objects.visible_to(outsider)).total == Decimal("80.00")


def test_totals_of_nothing_are_zero(county_admin):
    totals = selectors.aid_totals(Aid.objects.visible_to(county_admin))
    assert (totals.count, totals.total) == (0, Decimal("0"))


# --- pages -----------------------------------------------------------------------


def aid_url(person) -> str:
    return f"/protection/people/{person.pk}/aid/new/"


def service_url(person) -> str:
    return f"/protection/people/{person.pk}/services/new/"


def test_the_aid_form_offers_the_relatives_working_away(login, village_worker, child, father):
    Relation.objects.create(person=child, kind=RelationKind.PATERNAL_GRANDMOTHER, name="李奶奶")
    html = login(village_worker).get(aid_url(child)).content.decode()
    assert "李大山" in html and "李奶奶" not in html


def test_aid_to_the_father_is_saved_from_the_page(login, village_worker, child, father):
    response = login(village_worker).post(aid_url(child), {
        "kind": "cash", "date": "2026-02-05", "amount": "500", "giver": "县妇联",
        "fund": "women_federation", "relation": father.pk,
    })  # fmt: skip
    assert response.status_code == 302 and response.url == f"/people/{child.pk}/"
    aid = Aid.objects.get()
    assert (aid.person, aid.relation, aid.amount) == (child, father, Decimal("500"))


@pytest.mark.parametrize("amount", ["-100", "0", ""])
def test_the_page_refuses_cash_without_a_positive_amount(login, village_worker, child, amount):
    response = login(village_worker).post(aid_url(child), {
        "kind": "cash", "date": "2026-02-05", "amount": amount, "giver": "县妇联",
        "fund": "fiscal",
    })  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 200 and NOTHING_SAVED in html
    assert "金额" in response.context["form"].errors["amount"][0]
    assert not Aid.objects.exists()


def test_the_page_refuses_a_relation_of_another_person(login, village_worker, child, demo_areas):
    other = make_person("李小红", VILLAGE, sex="F")
    mother = Relation.objects.create(person=other, kind=RelationKind.MOTHER, name="赵芳",
                                     working_away=True)  # fmt: skip
    response = login(village_worker).post(aid_url(child), {
        "kind": "cash", "date": "2026-02-05", "amount": "10", "giver": "县妇联",
        "fund": "fiscal", "relation": mother.pk,
    })  # fmt: skip
    assert response.status_code == 200 and "relation" in response.context["form"].errors
    assert not Aid.objects.exists()


def test_a_service_is_saved_from_the_page(login, village_worker, child):
    response = login(village_worker).post(service_url(child), {
        "kind": "cancer_screening", "date": "2026-03-01", "provider": "乡镇卫生院",
        "fund": "fiscal", "notes": "",
    })  # fmt: skip
    assert response.status_code == 302
    assert Service.objects.get().kind == "cancer_screening"


def test_a_future_service_is_refused_at_the_field(login, village_worker, child):
    later = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = login(village_worker).post(service_url(child), {
        "kind": "free_clinic", "date": later, "provider": "县医院",
    })  # fmt: skip
    assert response.context["form"].errors["date"] == ["日期不能晚于今天"]
    assert not Service.objects.exists()


def test_outsiders_get_404_on_the_forms(login, outsider, child):
    client = login(outsider)
    assert client.get(aid_url(child)).status_code == 404
    assert client.post(service_url(child), {"kind": "other"}).status_code == 404


def test_the_ledger_shows_totals_by_area_and_month(login, county_admin, ledger):
    response = login(county_admin).get("/protection/aid/?start=2026-01-01&end=2026-12-31")
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["totals"].total == Decimal("1200.50")
    assert response.context["level"] == "township"
    assert "郑墩镇" in html and "1120.50" in html and "2026-02" in html and "780.00" in html
    assert "李大山" in html  # the aid to the father, under 李小明


def test_the_ledger_filters_by_village_and_kind(login, supervisor, ledger):
    response = login(supervisor).get(f"/protection/aid/?area={VILLAGE}&kind=cash")
    assert response.context["totals"].total == Decimal("800.00")
    assert response.context["level"] == "village"
    assert [a.person.name for a in response.context["page"]] == ["李小明", "李小明"]


def test_a_ledger_filter_outside_the_scope_shows_nothing_of_it(login, outsider, ledger):
    response = login(outsider).get(f"/protection/aid/?area={VILLAGE}")
    assert "area" in response.context["filters"].errors
    assert response.context["totals"].total == Decimal("80.00")
    assert "李小明" not in response.content.decode()


def test_a_first_visit_shows_the_current_year(login, village_worker, child):
    response = login(village_worker).get("/protection/aid/")
    year = timezone.localdate().year
    assert response.context["filters"].cleaned_data["start"] == dt.date(year, 1, 1)


def test_the_ledger_answers_htmx_with_the_results_only(login, village_worker, ledger):
    response = login(village_worker).get(
        "/protection/aid/?kind=goods", headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "大米" in html and "<html" not in html


def test_the_service_list_counts_by_kind(login, supervisor, child, granny):
    for person, kind in ((child, "counselling"), (child, "school_aid"), (granny, "day_care"),
                         (granny, "day_care")):  # fmt: skip
        Service.objects.create(person=person, kind=kind, date=JAN, provider="乡镇")
    response = login(supervisor).get("/protection/services/?start=&end=")
    assert response.context["counts"][0] == ("day_care", "日间照料", 2)
    assert response.context["page"].paginator.count == 4


def test_the_lists_need_the_permission(login, leader, volunteer):
    for user in (leader, volunteer):
        client = login(user)
        assert client.get("/protection/aid/").status_code == 403
        assert client.get("/protection/services/").status_code == 403


def _many_rows(village_worker, n: int):
    for i in range(n):
        person = make_person(f"对象{i}", VILLAGE)
        relation = Relation.objects.create(person=person, kind=RelationKind.MOTHER,
                                           name=f"母亲{i}", working_away=True)  # fmt: skip
        cash(village_worker, person, "10", JAN, relation=relation)
        Service.objects.create(person=person, kind="day_care", date=JAN, provider="乡镇",
                               volunteer=make_volunteer(f"志愿者{i}", VILLAGE))  # fmt: skip


# session, user, permissions, filter areas, count, rows, totals, by area (2), by month, unread
AID_LIST_QUERIES = 11
# session, user, permissions, filter areas, count, rows, counts by kind, unread
SERVICE_LIST_QUERIES = 8


def test_the_lists_run_a_fixed_number_of_queries(login, village_worker, django_assert_num_queries):
    client = login(village_worker)
    _many_rows(village_worker, 2)
    client.get("/protection/aid/")  # warm the session and permission caches
    with django_assert_num_queries(AID_LIST_QUERIES):
        client.get("/protection/aid/?start=2026-01-01")
    with django_assert_num_queries(SERVICE_LIST_QUERIES):
        client.get("/protection/services/?start=2026-01-01")
    _many_rows(village_worker, 8)
    with django_assert_num_queries(AID_LIST_QUERIES):
        response = client.get("/protection/aid/?start=2026-01-01")
    assert len(response.context["page"]) == 10
    assert "母亲7" in response.content.decode()
    with django_assert_num_queries(SERVICE_LIST_QUERIES):
        response = client.get("/protection/services/?start=2026-01-01")
    assert len(response.context["page"]) == 10


def test_the_ledger_never_reads_the_id_numbers_of_people(login, village_worker, ledger):
    # Encrypted columns are deferred: the list reads no ciphertext it does not show.
    response = login(village_worker).get("/protection/aid/")
    first = next(iter(response.context["page"]))
    assert "phone" in first.person.get_deferred_fields()
    assert Person.objects.filter(name="李小明").exists()

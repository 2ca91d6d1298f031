"""The services, aid, stations and activities endpoints of /api/v1/protection,
scoped like the pages and refusing what the pages refuse, with 422
{"errors": {field: [message]}}.

张桂兰 (village_worker) looks after 李小明 in the first village of 郑墩镇, whose
father 李大山 works away; 周明 (`outsider`) supervises 渭田镇, where 陈小军 lives.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from shouwang.accounts.services import api_token_create
from shouwang.audit.models import AuditEntry
from shouwang.care.tests.factories import make_elder, make_person, make_volunteer
from shouwang.conftest import NEIGHBOUR_VILLAGE, VILLAGE
from shouwang.people.choices import RelationKind
from shouwang.people.models import Relation
from shouwang.protection.models import Activity, Aid, Service, Station
from shouwang.protection.services.support import aid_record

WEITIAN_VILLAGE = "350724102200"


class Api:
    """A client for /api/v1/protection with a bearer token and no session."""

    def __init__(self, token: str):
        self.client = Client(enforce_csrf_checks=True)
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, params=None):
        return self.client.get(f"/api/v1/protection{path}", params or {}, headers=self.headers)

    def post(self, path: str, body: dict):
        return self.client.post(f"/api/v1/protection{path}", body,
                                content_type="application/json", headers=self.headers)  # fmt: skip

    def put(self, path: str, body: dict):
        return self.client.put(f"/api/v1/protection{path}", body,
                               content_type="application/json", headers=self.headers)  # fmt: skip


def api_for(user) -> Api:
    _token, raw = api_token_create(user=user, name="手机")
    return Api(raw)


@pytest.fixture
def child(demo_areas):
    return make_person("李小明", VILLAGE)


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


@pytest.fixture
def zhang(village_worker) -> Api:
    return api_for(village_worker)


@pytest.fixture
def home(village_worker):
    return Station.objects.create(village_id=VILLAGE, kind="children_home", name="留守儿童之家",
                                  has_sign=True, has_venue=True)  # fmt: skip


def cash_body(person, **extra) -> dict:
    return {"person_id": person.pk, "kind": "cash", "date": "2026-02-05", "amount": "500",
            "giver": "县妇联", "fund": "women_federation", **extra}  # fmt: skip


# --- aid -------------------------------------------------------------------------


def test_aid_to_a_relative_working_away_is_recorded_and_audited(zhang, child, father):
    response = zhang.post("/aid", cash_body(child, relation_id=father.pk))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["person_name"], body["relation_id"], body["amount"], body["total"]) == (
        "李小明", father.pk, "500.00", "500.00"
    )  # fmt: skip
    assert AuditEntry.objects.filter(object_pk=str(body["id"]), action=0).exists()


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"amount": "-1"}, "amount", "金额不能为负数"),
        ({"amount": 0}, "amount", "金额必须大于 0"),
        ({"amount": None}, "amount", "请填写慰问金金额"),
        ({"kind": "goods", "items": "", "value": None}, "items", "请填写慰问品名称和数量"),
        ({"kind": "goods", "items": "书包", "value": "-3"}, "value", "金额不能为负数"),
        ({"fund": "bank"}, "fund", "请选择资金来源"),
        ({"date": "2099-01-01"}, "date", "日期不能晚于今天"),
        ({"amount": "lots"}, "amount", "格式不正确"),
        ({"date": "yesterday"}, "date", "日期格式应为 YYYY-MM-DD"),
    ],
)
def test_bad_aid_is_refused_at_the_field(zhang, child, extra, field, message):
    response = zhang.post("/aid", cash_body(child, **extra))
    assert response.status_code == 422
    assert message in response.json()["errors"][field][0]
    assert not Aid.objects.exists()


def test_a_relation_of_somebody_else_is_refused(zhang, child, demo_areas):
    other = make_person("李小红", VILLAGE, sex="F")
    mother = Relation.objects.create(person=other, kind=RelationKind.MOTHER, name="赵芳")
    response = zhang.post("/aid", cash_body(child, relation_id=mother.pk))
    assert response.status_code == 422
    assert response.json()["errors"] == {"relation_id": ["该亲属不是此人的家庭成员"]}


def test_aid_to_a_person_outside_the_scope_is_404(outsider, child):
    response = api_for(outsider).post("/aid", cash_body(child))
    assert response.status_code == 404
    assert not Aid.objects.exists()


def test_the_aid_list_is_scoped_and_filtered(zhang, village_worker, outsider, child, far_child):
    aid_record(user=village_worker, person=child, kind="cash", date=dt.date(2026, 1, 10),
               giver="村委会", fund="fiscal", amount=Decimal("300"))  # fmt: skip
    aid_record(user=outsider, person=far_child, kind="goods", date=dt.date(2026, 1, 11),
               giver="村委会", fund="fiscal", items="书包", value=Decimal("80"))  # fmt: skip
    body = zhang.get("/aid").json()
    assert [row["person_name"] for row in body["items"]] == ["李小明"]
    assert zhang.get("/aid", {"kind": "goods"}).json()["count"] == 0
    far = api_for(outsider).get("/aid", {"area": VILLAGE}).json()
    assert far["count"] == 0


def test_totals_by_area_month_and_person(
    county_admin, village_worker, outsider, child, father, far_child
):
    for person, user, kind, day, money in (
        (child, village_worker, "cash", dt.date(2026, 1, 10), {"amount": Decimal("300")}),
        (child, village_worker, "goods", dt.date(2026, 1, 20),
         {"items": "大米", "value": Decimal("120.50")}),
        (child, village_worker, "cash", dt.date(2026, 2, 5),
         {"amount": Decimal("500"), "relation": father}),
        (far_child, outsider, "goods", dt.date(2026, 2, 15),
         {"items": "书包", "value": Decimal("80")}),
    ):  # fmt: skip
        aid_record(user=user, person=person, kind=kind, date=day, giver="村委会", fund="fiscal",
                   **money)  # fmt: skip
    api = api_for(county_admin)
    by_area = api.get("/aid/totals").json()
    assert by_area["overall"]["total"] == "1000.50"
    assert [(g["label"], g["totals"]["total"]) for g in by_area["groups"]] == [
        ("郑墩镇", "920.50"),
        ("渭田镇", "80.00"),
    ]
    by_month = api.get("/aid/totals", {"by": "month"}).json()
    assert [(g["key"], g["totals"]["total"]) for g in by_month["groups"]] == [
        ("2026-01-01", "420.50"),
        ("2026-02-01", "580.00"),
    ]
    by_person = api.get("/aid/totals", {"by": "person", "start": "2026-02-01"}).json()
    rows = [(g["label"], g["totals"]["total"], g["totals"]["to_relatives"])
            for g in by_person["groups"]]  # fmt: skip
    assert rows == [("李小明", "500.00", 1), ("陈小军", "80.00", 0)]
    villages = api.get("/aid/totals", {"level": "village", "area": "350724101"}).json()
    assert [g["key"] for g in villages["groups"]] == [VILLAGE]
    assert api.get("/aid/totals", {"by": "year"}).status_code == 422
    assert api.get("/aid/totals", {"area": "35"}).status_code == 422


def test_the_totals_are_scoped(village_worker, outsider, child):
    aid_record(user=village_worker, person=child, kind="cash", date=dt.date(2026, 1, 10),
               giver="村委会", fund="fiscal", amount=Decimal("300"))  # fmt: skip
    assert api_for(outsider).get("/aid/totals").json()["overall"]["total"] == "0.00"


def test_the_lists_need_the_permission(leader):
    api = api_for(leader)
    assert api.get("/aid").status_code == 403
    assert api.get("/aid/totals").status_code == 403
    assert api.get("/services").status_code == 403
    assert api.get("/stations").status_code == 403


# --- services --------------------------------------------------------------------


def test_a_service_is_recorded_and_listed(zhang, child):
    helper = make_volunteer("刘晓燕", VILLAGE)
    response = zhang.post("/services", {
        "person_id": child.pk, "kind": "counselling", "date": "2026-03-01",
        "provider": "县社工站", "volunteer_id": helper.pk,
    })  # fmt: skip
    assert response.status_code == 201, response.content
    assert response.json()["kind_label"] == "心理疏导"
    assert [row["provider"] for row in zhang.get("/services").json()["items"]] == ["县社工站"]


def test_a_bad_service_is_refused(zhang, child, demo_areas):
    stranger = make_volunteer("外乡志愿者", WEITIAN_VILLAGE)
    response = zhang.post("/services", {
        "person_id": child.pk, "kind": "counselling", "date": "2026-03-01", "provider": "x",
        "volunteer_id": stranger.pk,
    })  # fmt: skip
    assert response.json()["errors"] == {"volunteer_id": ["请选择您辖区内已通过审查的志愿者"]}
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = zhang.post("/services", {
        "person_id": child.pk, "kind": "nonsense", "date": tomorrow, "provider": " ",
    })  # fmt: skip
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"kind", "date", "provider"}
    assert not Service.objects.exists()


def test_services_of_an_outsider_are_404(outsider, child):
    response = api_for(outsider).post("/services", {
        "person_id": child.pk, "kind": "counselling", "date": "2026-03-01", "provider": "x",
    })  # fmt: skip
    assert response.status_code == 404


# --- stations and activities -----------------------------------------------------


def test_a_station_is_registered_and_read(zhang):
    response = zhang.post("/stations", {
        "village": VILLAGE, "kind": "women_home", "name": "妇女之家",
        "haves": ["has_sign", "has_venue", "has_staff", "has_plan"],
    })  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["haves_done"], body["completion"], body["haves"]["has_plan"]) == (4, 50, True)
    station = zhang.get(f"/stations/{body['id']}").json()
    assert station["missing"] == ["有活动设施", "有儿童档案", "有活动台账", "有经费保障"]


def test_a_station_outside_the_scope_or_badly_described_is_refused(zhang, demo_areas):
    response = zhang.post("/stations", {"village": NEIGHBOUR_VILLAGE, "kind": "women_home",
                                        "name": "妇女之家"})  # fmt: skip
    assert response.json()["errors"] == {"village": ["请选择您辖区内的村（社区）"]}
    response = zhang.post("/stations", {"village": VILLAGE, "kind": "x", "name": "",
                                        "haves": ["has_pool"]})  # fmt: skip
    assert set(response.json()["errors"]) == {"kind", "name", "haves"}
    assert not Station.objects.exists()


def test_a_station_is_replaced_with_put(zhang, home):
    response = zhang.put(f"/stations/{home.pk}", {
        "village": VILLAGE, "kind": "children_home", "name": "留守儿童之家", "version": 1,
        "haves": list(("has_sign", "has_venue", "has_equipment", "has_staff", "has_files",
                       "has_plan", "has_ledger", "has_funding")),
    })  # fmt: skip
    assert response.status_code == 200 and response.json()["completion"] == 100


def test_the_station_list_counts_activities(zhang, home):
    Activity.objects.create(station=home, date=dt.date(2026, 5, 1), kind="culture", title="读书")
    Activity.objects.create(station=home, date=dt.date(2026, 6, 1), kind="culture", title="读书")
    [row] = zhang.get("/stations").json()["items"]
    assert (row["activity_count"], row["last_activity"]) == (2, "2026-06-01")


def test_an_activity_with_aid_is_recorded(zhang, home, child):
    response = zhang.post(f"/stations/{home.pk}/activities", {
        "date": "2026-06-01", "kind": "festival", "title": "“六一”游园",
        "participant_ids": [child.pk],
        "aid": {"kind": "goods", "items": "书包", "value": "45.5", "giver": "县妇联",
                "fund": "women_federation"},
    })  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["participant_ids"] == [child.pk]
    assert [(a["person_id"], a["total"], a["activity_id"]) for a in body["aid"]] == [
        (child.pk, "45.50", body["id"])
    ]
    assert zhang.get(f"/activities/{body['id']}").json()["aid_totals"]["total"] == "45.50"


def test_an_activity_refuses_people_outside_the_township_or_scope(
    county_admin, zhang, home, child, granny, far_child
):
    body = {"date": "2026-06-01", "kind": "culture", "title": "读书会"}
    response = api_for(county_admin).post(
        f"/stations/{home.pk}/activities", {**body, "participant_ids": [child.pk, far_child.pk]}
    )
    assert response.status_code == 422
    assert "陈小军" in response.json()["errors"]["participant_ids"][0]
    response = zhang.post(f"/stations/{home.pk}/activities",
                          {**body, "participant_ids": [granny.pk]})  # fmt: skip
    assert response.json()["errors"] == {"participant_ids": ["所选人员不在您的管辖范围内"]}
    response = zhang.post(f"/stations/{home.pk}/activities", {
        **body, "participant_ids": [child.pk],
        "aid": {"kind": "cash", "amount": "-5", "giver": "村委会", "fund": "fiscal"},
    })  # fmt: skip
    assert response.json()["errors"] == {"aid.amount": ["金额不能为负数"]}
    assert not Activity.objects.exists() and not Aid.objects.exists()


def test_stations_and_activities_of_others_are_404(outsider, home, child):
    activity = Activity.objects.create(station=home, date=dt.date(2026, 6, 1), kind="culture",
                                       title="读书")  # fmt: skip
    api = api_for(outsider)
    assert api.get(f"/stations/{home.pk}").status_code == 404
    assert api.get(f"/activities/{activity.pk}").status_code == 404
    replaced = {"village": VILLAGE, "kind": "children_home", "name": "x", "version": 1}
    assert api.put(f"/stations/{home.pk}", replaced).status_code == 404
    response = api.post(f"/stations/{home.pk}/activities",
                        {"date": "2026-06-01", "kind": "culture", "title": "x"})  # fmt: skip
    assert response.status_code == 404
    assert api.get("/stations").json()["count"] == 0


def test_the_aid_list_runs_a_fixed_number_of_queries(
    zhang, village_worker, django_assert_max_num_queries
):
    def rows(n: int, start: int):
        for i in range(start, start + n):
            person = make_person(f"对象{i}", VILLAGE)
            mother = Relation.objects.create(person=person, kind=RelationKind.MOTHER,
                                             name=f"母亲{i}", working_away=True)  # fmt: skip
            aid_record(user=village_worker, person=person, kind="cash",
                       date=dt.date(2026, 1, 1), giver="村委会", fund="fiscal",
                       amount=Decimal("10"), relation=mother)  # fmt: skip

    rows(2, 0)
    zhang.get("/aid")
    with django_assert_max_num_queries(API_LIST_QUERIES):
        zhang.get("/aid")
    rows(8, 2)
    with django_assert_max_num_queries(API_LIST_QUERIES):
        assert zhang.get("/aid").json()["count"] == 10


# token, token user, permissions (cached), count, rows, plus the token's last-use touch
API_LIST_QUERIES = 8

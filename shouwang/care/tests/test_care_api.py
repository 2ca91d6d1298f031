"""The care endpoints of /api/v1/ for the phone: my worklist, my people, a
person's contacts, and logging a contact idempotently with a client key.

刘晓燕 (the `volunteer` actor) is 代理家长 to 李小明 in the first village of 郑墩镇;
李小红 in the same village has another carer, 王阿姨. 张桂兰 (village worker)
logs for her village; 周明 (`outsider`) supervises the next township.
"""

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shouwang.accounts.services import api_token_create
from shouwang.audit.models import AuditEntry
from shouwang.care.choices import ContactKind
from shouwang.care.models import Contact
from shouwang.care.tests.factories import ON_FILE, contact, make_person, make_volunteer, pair
from shouwang.conftest import NEIGHBOUR_VILLAGE, VILLAGE
from shouwang.people.models import Relation


class Api:
    """A client for /api/v1/care with a bearer token and no session."""

    def __init__(self, token: str | None):
        self.client = Client(enforce_csrf_checks=True)
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, params=None):
        return self.client.get(f"/api/v1/care{path}", params or {}, headers=self.headers)

    def post(self, path: str, body: dict):
        return self.client.post(f"/api/v1/care{path}", body, content_type="application/json",
                                headers=self.headers)  # fmt: skip


def api_for(user) -> Api:
    _token, raw = api_token_create(user=user, name="手机")
    return Api(raw)


@pytest.fixture
def liu(volunteer):
    """刘晓燕's volunteer record, linked to her login."""
    return make_volunteer("刘晓燕", VILLAGE, user=volunteer, capacity=12)


@pytest.fixture
def xiaoming(liu):
    child = make_person("李小明", VILLAGE, school="郑墩中心小学", grade="三年级",
                        id_number="", phone="13812345678")  # fmt: skip
    pair(child, liu)
    return child


@pytest.fixture
def xiaohong(demo_areas):
    child = make_person("李小红", VILLAGE, sex="F")
    pair(child, make_volunteer("王阿姨", VILLAGE))
    return child


@pytest.fixture
def liu_api(volunteer) -> Api:
    return api_for(volunteer)


@pytest.fixture
def zhang_api(village_worker) -> Api:
    return api_for(village_worker)


def today() -> dt.date:
    return timezone.localdate()


def a_visit(person, **fields) -> dict:
    return {"person_id": person.pk, "kind": ContactKind.HOME_VISIT,
            "date": today().isoformat(), "client_key": str(uuid.uuid4())} | fields  # fmt: skip


# --- authentication and rights ------------------------------------------------------


@pytest.mark.parametrize("token", [None, "sw_not-a-token"])
def test_without_a_valid_token_every_endpoint_answers_401_and_logs_nothing(xiaoming, token):
    api = Api(token)

    assert api.get("/worklist").status_code == 401
    assert api.get("/people").status_code == 401
    assert api.get(f"/people/{xiaoming.pk}/contacts").status_code == 401
    assert api.post("/contacts", a_visit(xiaoming)).status_code == 401
    assert not Contact.objects.exists()


def test_a_leader_may_not_read_a_worklist_nor_log(leader, xiaoming):
    api = api_for(leader)

    response = api.get("/worklist")

    assert response.status_code == 403
    assert response.json() == {"detail": "无权记录联系"}
    assert api.get("/people").status_code == 403
    assert api.post("/contacts", a_visit(xiaoming)).status_code == 403
    assert not Contact.objects.exists()


# --- my worklist ------------------------------------------------------------------------


def test_a_volunteers_worklist_holds_only_the_people_paired_with_them(liu_api, xiaoming, xiaohong):
    response = liu_api.get("/worklist")

    assert response.status_code == 200
    body = response.json()
    items = body["overdue"] + body["today"] + body["this_week"] + body["later"]
    assert items
    assert {item["person_name"] for item in items} == {"李小明"}
    assert body["open_count"] == len(items)
    visit = next(item for item in body["overdue"] if item["duty"] == "home_visit")
    assert visit["person_id"] == xiaoming.pk
    assert visit["village_code"] == VILLAGE
    assert visit["duty_label"] == "入户走访"
    assert visit["period"] == "month"
    assert visit["state"] == "overdue"
    assert visit["days_overdue"] > 0
    assert visit["carers"] == ["刘晓燕"]
    assert visit["risk"] == "general"


def test_a_village_workers_worklist_holds_everyone_owed_in_her_village(zhang_api, xiaoming,
                                                                       xiaohong):  # fmt: skip
    make_person("王小军", NEIGHBOUR_VILLAGE)

    body = zhang_api.get("/worklist").json()

    names = {item["person_name"] for item in body["overdue"]}
    assert names == {"李小明", "李小红"}


def test_a_logged_visit_takes_the_duty_off_the_worklist(liu_api, xiaoming):
    assert liu_api.post("/contacts", a_visit(xiaoming)).status_code == 201

    body = liu_api.get("/worklist").json()

    assert "home_visit" not in {item["duty"] for item in body["overdue"] + body["today"]}


def test_the_worklist_runs_as_many_queries_for_10_people_as_for_1(
    liu, liu_api, django_assert_max_num_queries
):
    def children(start, count):
        for n in range(start, start + count):
            child = make_person(f"李{n}", VILLAGE)
            pair(child, liu)
            contact(child, ContactKind.HOME_VISIT, today(), volunteer=liu)

    children(0, 1)
    liu_api.get("/worklist")  # the token's first use records last_used_at
    with CaptureQueriesContext(connection) as one:
        assert len(liu_api.get("/worklist").json()["overdue"]) > 0
    children(1, 9)

    with django_assert_max_num_queries(len(one)):
        body = liu_api.get("/worklist").json()
    assert len({item["person_id"] for item in body["overdue"]}) == 10


# --- my people --------------------------------------------------------------------------


def test_a_volunteers_people_are_those_paired_with_them_without_id_number_or_phone(
    liu_api, xiaoming, xiaohong
):
    Relation.objects.create(person=xiaoming, kind="father", name="李大山", working_away=True)
    Relation.objects.create(person=xiaoming, kind="paternal_grandmother", name="王秀兰")

    response = liu_api.get("/people")

    assert response.status_code == 200
    assert response.json()["count"] == 1
    (person,) = response.json()["items"]
    assert person["id"] == xiaoming.pk
    assert person["name"] == "李小明"
    assert person["age"] == xiaoming.age
    assert person["village_code"] == VILLAGE
    assert (person["school"], person["grade"]) == ("郑墩中心小学", "三年级")
    assert person["programs"] == ["left_behind_child"]
    assert [(p["volunteer_name"], p["kind"]) for p in person["pairings"]] == [
        ("刘晓燕", "proxy_parent")
    ]
    assert [(p["kind"], p["name"]) for p in person["parents"]] == [("father", "李大山")]
    assert "13812345678" not in response.content.decode()
    assert not {"id_number", "phone", "id_number_masked", "phone_masked"} & set(person)


def test_a_volunteer_no_longer_paired_no_longer_has_the_child(liu, liu_api, demo_areas):
    child = make_person("李小明", VILLAGE)
    pair(child, liu, ended_on=today())

    assert liu_api.get("/people").json()["count"] == 0


def test_staffs_people_are_those_enrolled_in_scope(zhang_api, xiaoming, xiaohong):
    make_person("张无项", VILLAGE, program=None)
    make_person("李邻村", NEIGHBOUR_VILLAGE)

    body = zhang_api.get("/people").json()

    assert {p["name"] for p in body["items"]} == {"李小明", "李小红"}
    pairings = {p["name"]: [q["volunteer_name"] for q in p["pairings"]] for p in body["items"]}
    assert pairings == {"李小明": ["刘晓燕"], "李小红": ["王阿姨"]}


def test_the_outsider_has_no_people_of_another_township(outsider, xiaoming):
    assert api_for(outsider).get("/people").json()["count"] == 0


# --- a person's contacts --------------------------------------------------------------


def test_a_volunteer_reads_her_own_contacts_with_a_paired_child(liu, liu_api, xiaoming):
    contact(xiaoming, ContactKind.TALK, today(), volunteer=liu, notes="聊了学习")
    contact(xiaoming, ContactKind.HOME_VISIT, today())  # by staff: not hers to read

    response = liu_api.get(f"/people/{xiaoming.pk}/contacts")

    assert response.status_code == 200
    rows = [
        (c["kind"], c["kind_label"], c["who"], c["has_notes"]) for c in response.json()["items"]
    ]
    assert rows == [("talk", "谈心", "刘晓燕", True)]
    assert "聊了学习" not in response.content.decode()  # notes are read one by one, audited


def test_a_volunteer_gets_404_for_the_contacts_of_a_child_not_paired_with_her(
    liu_api, xiaoming, xiaohong
):
    contact(xiaohong, ContactKind.HOME_VISIT, today())

    assert liu_api.get(f"/people/{xiaohong.pk}/contacts").status_code == 404


def test_the_outsider_gets_404_for_a_childs_contacts(outsider, xiaoming):
    assert api_for(outsider).get(f"/people/{xiaoming.pk}/contacts").status_code == 404


# --- logging a contact -----------------------------------------------------------------


def test_a_volunteer_logs_a_visit_as_herself_and_the_audit_names_her(
    volunteer, liu, liu_api, xiaoming
):
    response = liu_api.post("/contacts", a_visit(xiaoming, duration_minutes=40, notes=" 作业 "))

    assert response.status_code == 201
    body = response.json()
    saved = Contact.objects.get(pk=body["id"])
    assert (saved.person, saved.volunteer, saved.recorded_by) == (xiaoming, liu, volunteer)
    assert (saved.pairing_kind, saved.duration_minutes, saved.notes) == ("proxy_parent", 40, "作业")
    assert body["who"] == "刘晓燕"
    entry = AuditEntry.objects.get(content_type__model="contact", object_pk=str(saved.pk))
    assert entry.action == AuditEntry.Action.CREATE
    assert entry.actor == volunteer


def test_a_retry_with_the_same_client_key_returns_the_same_contact_and_logs_once(liu_api, xiaoming):
    visit = a_visit(xiaoming)

    first = liu_api.post("/contacts", visit)
    retry = liu_api.post("/contacts", visit)

    assert first.status_code == 201
    assert retry.status_code == 200
    assert retry.json()["id"] == first.json()["id"]
    assert retry.json()["client_key"] == visit["client_key"]
    assert Contact.objects.count() == 1
    assert AuditEntry.objects.filter(content_type__model="contact").count() == 1


def test_a_different_client_key_logs_a_second_contact(liu_api, xiaoming):
    first = liu_api.post("/contacts", a_visit(xiaoming))
    second = liu_api.post("/contacts", a_visit(xiaoming))

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
    assert Contact.objects.count() == 2


def test_the_same_key_from_another_user_is_another_contact(liu_api, zhang_api, xiaoming):
    visit = a_visit(xiaoming)

    assert liu_api.post("/contacts", visit).status_code == 201
    assert zhang_api.post("/contacts", visit).status_code == 201
    assert Contact.objects.count() == 2


def test_a_volunteer_gets_404_logging_for_a_child_not_paired_with_her(liu_api, xiaoming, xiaohong):
    response = liu_api.post("/contacts", a_visit(xiaohong))

    assert response.status_code == 404
    assert not Contact.objects.exists()


def test_the_outsider_gets_404_logging_for_a_child_of_another_township(outsider, xiaoming):
    response = api_for(outsider).post("/contacts", a_visit(xiaoming))

    assert response.status_code == 404
    assert not Contact.objects.exists()


def test_an_unknown_person_is_404(liu_api, xiaoming):
    assert liu_api.post("/contacts", a_visit(xiaoming, person_id=999_999)).status_code == 404


def test_a_contact_in_the_future_gets_422_and_saves_nothing(liu_api, xiaoming):
    tomorrow = today() + dt.timedelta(days=1)

    response = liu_api.post("/contacts", a_visit(xiaoming, date=tomorrow.isoformat()))

    assert response.status_code == 422
    assert response.json() == {"errors": {"date": ["联系日期不能晚于今天"]}}
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"date": (ON_FILE - dt.timedelta(days=1)).isoformat()},
         {"date": [f"联系日期不能早于建档日期（{ON_FILE.isoformat()}）"]}),
        ({"kind": ContactKind.FAMILY_CALL},
         {"parent_id": ["亲情通话请选择与孩子通话的父亲或母亲"]}),
        ({"kind": "telepathy"}, {"kind": ["请选择联系方式"]}),
        ({"duration_minutes": 0}, {"duration_minutes": ["时长应在 1 到 1440 分钟之间"]}),
    ],
)  # fmt: skip
def test_a_refused_contact_gets_422_in_chinese_by_field_and_saves_nothing(
    liu_api, xiaoming, fields, errors
):
    response = liu_api.post("/contacts", a_visit(xiaoming, **fields))

    assert response.status_code == 422
    assert response.json() == {"errors": errors}
    assert not Contact.objects.exists()
    assert not AuditEntry.objects.filter(content_type__model="contact").exists()


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"client_key": "not-a-uuid"}, {"client_key": ["应为 UUID"]}),
        ({"client_key": None}, {"client_key": ["应为 UUID"]}),
        ({"date": "2025-02-30"}, {"date": ["日期格式应为 YYYY-MM-DD"]}),
        ({"person_id": "小明"}, {"person_id": ["应为整数"]}),
        ({"duration_minutes": "long"}, {"duration_minutes": ["应为整数"]}),
    ],
)
def test_malformed_input_gets_422_in_chinese_not_a_500(liu_api, xiaoming, fields, errors):
    response = liu_api.post("/contacts", a_visit(xiaoming, **fields))

    assert response.status_code == 422
    assert response.json() == {"errors": errors}
    assert not Contact.objects.exists()


def test_the_client_key_is_required(liu_api, xiaoming):
    visit = a_visit(xiaoming)
    del visit["client_key"]

    response = liu_api.post("/contacts", visit)

    assert response.status_code == 422
    assert response.json() == {"errors": {"client_key": ["必填"]}}


def test_a_family_call_names_the_parent_away(liu_api, xiaoming):
    mother = Relation.objects.create(person=xiaoming, kind="mother", name="王芳",
                                     working_away=True)  # fmt: skip

    response = liu_api.post(
        "/contacts", a_visit(xiaoming, kind=ContactKind.FAMILY_CALL, parent_id=mother.pk)
    )

    assert response.status_code == 201
    assert response.json()["parent_id"] == mother.pk


def test_a_family_call_with_another_childs_parent_is_refused(liu_api, xiaoming, xiaohong):
    theirs = Relation.objects.create(person=xiaohong, kind="mother", name="陈丽")

    response = liu_api.post(
        "/contacts", a_visit(xiaoming, kind=ContactKind.FAMILY_CALL, parent_id=theirs.pk)
    )

    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"parent_id"}
    assert not Contact.objects.exists()


def test_staff_log_a_contact_made_by_a_paired_volunteer(village_worker, zhang_api, liu, xiaoming):
    response = zhang_api.post("/contacts", a_visit(xiaoming, volunteer_id=liu.pk))

    assert response.status_code == 201
    saved = Contact.objects.get()
    assert (saved.volunteer, saved.pairing_kind, saved.recorded_by) == (
        liu, "proxy_parent", village_worker,
    )  # fmt: skip


def test_staff_may_not_log_for_a_volunteer_not_paired_with_the_person(zhang_api, liu, xiaohong):
    response = zhang_api.post("/contacts", a_visit(xiaohong, volunteer_id=liu.pk))

    assert response.status_code == 422
    assert response.json() == {"errors": {"volunteer_id": ["该志愿者在该日期未与此人结对"]}}
    assert not Contact.objects.exists()


def test_a_volunteer_may_not_log_in_another_volunteers_name(liu_api, xiaoming, xiaohong):
    other = xiaohong.pairings.get().volunteer
    pair(xiaoming, other)

    response = liu_api.post("/contacts", a_visit(xiaoming, volunteer_id=other.pk))

    assert response.status_code == 422
    assert response.json() == {"errors": {"volunteer_id": ["请选择有效的志愿者"]}}
    assert not Contact.objects.exists()


# --- the schema -------------------------------------------------------------------------


def test_the_openapi_schema_lists_the_care_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    assert set(paths["/api/v1/care/worklist"]) == {"get"}
    assert set(paths["/api/v1/care/people"]) == {"get"}
    assert set(paths["/api/v1/care/people/{person_id}/contacts"]) == {"get"}
    assert set(paths["/api/v1/care/contacts"]) == {"post"}


def test_my_people_runs_as_many_queries_for_10_people_as_for_1(
    liu, zhang_api, django_assert_max_num_queries
):
    def children(start, count):
        for n in range(start, start + count):
            child = make_person(f"李{n}", VILLAGE)
            pair(child, liu)
            Relation.objects.create(person=child, kind="mother", name=f"王{n}")

    children(0, 1)
    zhang_api.get("/people")  # the token's first use records last_used_at
    with CaptureQueriesContext(connection) as one:
        assert zhang_api.get("/people").json()["count"] == 1
    children(1, 9)

    with django_assert_max_num_queries(len(one)):
        assert zhang_api.get("/people").json()["count"] == 10

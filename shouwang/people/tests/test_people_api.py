"""The people endpoints of /api/v1/: bearer tokens, the same validation and scope
as the pages, audit entries that name the token's user, and the schema.

张桂兰 (village worker) has a token for her village's tablet; the leader 郑国平
has one for reports; the neighbour works in the next village.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from stdnum.cn import ric

from shouwang.accounts.services import api_token_create, api_token_revoke
from shouwang.audit.models import AuditEntry
from shouwang.conftest import NEIGHBOUR_VILLAGE, VILLAGE
from shouwang.people.models import Person
from shouwang.people.services.persons import person_create
from shouwang.people.services.programs import enrollment_start
from shouwang.regions.models import Area


def id_for(birth: str = "20140506", *, region: str = "350724", sequence: str = "123") -> str:
    body = region + birth + sequence
    return body + ric.calc_check_digit(body + "0")


def a_person(name="李小明", *, village=VILLAGE, **fields) -> Person:
    data = {"name": name, "sex": "M", "birth_date": dt.date(2014, 5, 6),
            "village": Area.objects.get(code=village), **fields}  # fmt: skip
    return person_create(user=None, data=data)


class Api:
    """A client for /api/v1/people with a bearer token and no session."""

    def __init__(self, token: str | None):
        self.client = Client(enforce_csrf_checks=True)
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path="", params=None):
        return self.client.get(f"/api/v1/people{path}", params or {}, headers=self.headers)

    def post(self, body: dict):
        return self.client.post("/api/v1/people", body, content_type="application/json",
                                headers=self.headers)  # fmt: skip

    def patch(self, path: str, body: dict):
        return self.client.patch(f"/api/v1/people{path}", body, content_type="application/json",
                                 headers=self.headers)  # fmt: skip


@pytest.fixture
def zhang_api(village_worker) -> Api:
    _token, raw = api_token_create(user=village_worker, name="村里的平板")
    return Api(raw)


NEW_CHILD = {"name": "李小明", "sex": "M", "birth_date": "2014-05-06", "village": VILLAGE,
             "ethnicity": "汉族", "health": "healthy", "dependence": "independent"}  # fmt: skip


# --- authentication --------------------------------------------------------------


def test_a_token_reads_a_file_in_its_users_scope(zhang_api):
    child = a_person(id_number=id_for())

    response = zhang_api.get(f"/{child.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "李小明"
    assert body["id_number_masked"] == id_for()[:6] + "********" + id_for()[-4:]
    assert body["village_code"] == VILLAGE
    assert body["version"] == 1


def test_a_token_is_scoped_like_its_users_session(zhang_api):
    neighbours_child = a_person(village=NEIGHBOUR_VILLAGE)

    assert zhang_api.get(f"/{neighbours_child.pk}").status_code == 404
    assert (
        zhang_api.patch(f"/{neighbours_child.pk}", {"version": 1, "address": "x"}).status_code
        == 404
    )


def test_a_revoked_token_is_refused(village_worker):
    token, raw = api_token_create(user=village_worker, name="丢失的手机")
    child = a_person()
    api = Api(raw)
    assert api.get(f"/{child.pk}").status_code == 200

    api_token_revoke(token=token)

    assert api.get(f"/{child.pk}").status_code == 401
    assert api.post(NEW_CHILD).status_code in (401, 403)
    assert Person.objects.count() == 1


@pytest.mark.parametrize("token", [None, "sw_not-a-token"])
def test_without_a_valid_token_or_session_a_read_answers_401(demo_areas, token):
    child = a_person()

    response = Api(token).get(f"/{child.pk}")

    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


@pytest.mark.parametrize("token", [None, "sw_not-a-token"])
def test_without_a_valid_token_or_session_a_write_is_refused_and_saves_nothing(demo_areas, token):
    child = a_person()
    api = Api(token)

    assert api.post(NEW_CHILD).status_code in (401, 403)
    assert api.patch(f"/{child.pk}", {"version": 1, "address": "x"}).status_code in (401, 403)
    assert Person.objects.count() == 1
    child.refresh_from_db()
    assert child.address == ""


def test_a_write_with_a_revoked_token_is_told_401(village_worker):
    token, raw = api_token_create(user=village_worker, name="丢失的手机")
    api_token_revoke(token=token)

    response = Api(raw).post(NEW_CHILD)

    assert response.status_code == 401


def test_the_token_of_a_deactivated_user_is_refused(village_worker):
    _token, raw = api_token_create(user=village_worker, name="平板")
    village_worker.is_active = False
    village_worker.save()

    assert Api(raw).get(f"/{a_person().pk}").status_code == 401


def test_a_session_write_needs_the_csrf_token(login, village_worker):
    session = Client(enforce_csrf_checks=True)
    session.force_login(village_worker, backend="shouwang.accounts.backends.ScopedModelBackend")

    response = session.post("/api/v1/people", NEW_CHILD, content_type="application/json")

    assert response.status_code in (401, 403)
    assert not Person.objects.exists()


# --- creating ---------------------------------------------------------------------


def test_a_token_creates_a_file_and_the_audit_entry_names_the_tokens_user(
    village_worker, zhang_api
):
    response = zhang_api.post(NEW_CHILD | {"id_number": id_for(), "phone": "138 1234 5678"})

    assert response.status_code == 201
    body = response.json()
    person = Person.objects.get(pk=body["id"])
    assert person.id_number == id_for()
    assert person.phone == "13812345678"
    assert person.created_by == village_worker
    assert body["phone_masked"] == "138****5678"
    assert id_for() not in response.content.decode()
    entry = AuditEntry.objects.get(content_type__model="person", object_pk=str(person.pk))
    assert entry.action == AuditEntry.Action.CREATE
    assert entry.actor == village_worker


def test_birth_date_and_sex_are_read_off_the_id_number_in_the_api_too(zhang_api):
    body = NEW_CHILD | {"id_number": id_for("20120229", sequence="124").lower()}
    del body["birth_date"], body["sex"]

    response = zhang_api.post(body)

    assert response.status_code == 201
    assert response.json()["birth_date"] == "2012-02-29"
    assert response.json()["sex"] == "F"


def test_bad_input_gets_422_with_chinese_messages_by_field_and_saves_nothing(zhang_api):
    wrong_check = id_for()[:-1] + ("0" if id_for()[-1] != "0" else "1")

    bad = {"name": "李" * 51, "id_number": wrong_check, "village": NEIGHBOUR_VILLAGE,
           "phone": "12345"}  # fmt: skip

    response = zhang_api.post(NEW_CHILD | bad)

    assert response.status_code == 422
    assert response.json() == {
        "errors": {
            "name": ["确保该变量包含不超过 50 字符 (目前字符数 51)。"],
            "id_number": ["身份证号码校验位错误"],
            "phone": ["电话号码格式不正确（手机号11位，座机请带区号）"],
            "village": ["选择一个有效的选项： 该选择不在可用的选项中。"],
        }
    }
    assert not Person.objects.exists()
    assert not AuditEntry.objects.filter(content_type__model="person").exists()


def test_an_id_number_already_on_file_elsewhere_gets_422_without_naming_the_file(
    zhang_api, neighbour
):
    a_person("王小红", village=NEIGHBOUR_VILLAGE, id_number=id_for())

    response = zhang_api.post(NEW_CHILD | {"id_number": id_for()})

    assert response.status_code == 422
    assert response.json()["errors"] == {
        "id_number": ["该身份证号码已在其他地区登记，请联系县级管理员核实"]
    }


def test_missing_required_fields_are_named(zhang_api):
    response = zhang_api.post({"name": "李小明"})

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors["sex"] == ["这个字段是必填项。"]
    assert errors["village"] == ["这个字段是必填项。"]
    assert errors["birth_date"] == ["请填写出生日期，或填写身份证号码"]


def test_a_leader_token_may_not_create_files(leader):
    _token, raw = api_token_create(user=leader, name="报表")

    response = Api(raw).post(NEW_CHILD)

    assert response.status_code == 403
    assert not Person.objects.exists()


def test_a_leader_token_sees_no_personal_file(leader):
    _token, raw = api_token_create(user=leader, name="报表")

    assert Api(raw).get(f"/{a_person().pk}").status_code == 403


# --- changing ---------------------------------------------------------------------


def test_a_token_patch_changes_only_the_fields_sent_and_is_audited_as_its_user(
    village_worker, zhang_api
):
    child = a_person(address="老街1号", school="郑墩中心小学", orphan=True)

    response = zhang_api.patch(f"/{child.pk}", {"version": 1, "school": "松溪一中"})

    assert response.status_code == 200
    assert response.json()["version"] == 2
    child.refresh_from_db()
    assert (child.school, child.address, child.orphan) == ("松溪一中", "老街1号", True)
    entry = AuditEntry.objects.get(
        content_type__model="person", object_pk=str(child.pk), action=AuditEntry.Action.UPDATE
    )
    assert entry.actor == village_worker
    assert set(entry.changes) == {"school"}


def test_a_patch_with_false_unsets_a_flag(zhang_api):
    child = a_person(lives_alone=True, boarding=True)

    response = zhang_api.patch(f"/{child.pk}", {"version": 1, "lives_alone": False})

    assert response.status_code == 200
    child.refresh_from_db()
    assert (child.lives_alone, child.boarding) == (False, True)


def test_the_api_records_the_assistance_flags_of_the_form(zhang_api):
    response = zhang_api.post(NEW_CHILD | {"orphan": True, "dibao": True, "hobbies": "画画"})

    assert response.status_code == 201
    person = Person.objects.get()
    assert (person.orphan, person.dibao, person.hobbies) == (True, True, "画画")
    assert person.proposals.filter(program="child_in_difficulty", action="enroll").exists()


def test_a_patch_that_leaves_out_the_id_number_and_phone_keeps_them(zhang_api):
    child = a_person(id_number=id_for(), phone="13812345678")

    response = zhang_api.patch(f"/{child.pk}", {"version": 1, "school": "松溪一中"})

    assert response.status_code == 200
    assert response.json()["id_number_masked"] != ""
    child.refresh_from_db()
    assert (child.id_number, child.phone) == (id_for(), "13812345678")


def test_a_patch_with_bad_input_gets_422_and_changes_nothing(zhang_api):
    child = a_person(school="郑墩中心小学")

    response = zhang_api.patch(f"/{child.pk}", {"version": 1, "school": "松溪一中",
                                                "birth_date": "2014-05-07",
                                                "id_number": id_for()})  # fmt: skip

    assert response.status_code == 422
    assert response.json()["errors"] == {
        "birth_date": ["出生日期与身份证号码不一致（身份证为 2014-05-06）"]
    }
    child.refresh_from_db()
    assert (child.school, child.version) == ("郑墩中心小学", 1)


# --- listing ----------------------------------------------------------------------


def test_the_list_holds_only_the_people_in_the_tokens_scope(zhang_api, neighbour):
    a_person("张村一")
    a_person("李村二", village=NEIGHBOUR_VILLAGE)
    a_person("王渭田", village="350724102200")

    response = zhang_api.get()

    assert response.status_code == 200
    assert [item["name"] for item in response.json()["items"]] == ["张村一"]
    assert response.json()["count"] == 1


def test_the_list_is_paged_by_50(zhang_api):
    for n in range(51):
        a_person(f"李{n}")

    first, second = zhang_api.get(params={"page": 1}), zhang_api.get(params={"page": 2})

    assert len(first.json()["items"]) == 50
    assert len(second.json()["items"]) == 1
    assert first.json()["count"] == 51


def test_the_list_runs_as_many_queries_for_60_people_as_for_5(village_worker, zhang_api):
    def enrolled(start, count):
        for n in range(start, start + count):
            person = a_person(f"李{n}", orphan=True)
            enrollment_start(user=village_worker, person=person, program="child_in_difficulty",
                             on=dt.date(2024, 1, 1))  # fmt: skip

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert zhang_api.get().status_code == 200
        return len(captured)

    enrolled(0, 5)
    queries()  # the token's first use records last_used_at: one UPDATE, not counted
    few = queries()
    enrolled(5, 55)

    assert queries() == few


# --- the schema -------------------------------------------------------------------


def test_the_openapi_schema_lists_the_people_endpoints(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert set(paths["/api/v1/people"]) == {"get", "post"}
    assert set(paths["/api/v1/people/{person_id}"]) == {"get", "patch"}
    parameters = {p["name"] for p in paths["/api/v1/people"]["get"]["parameters"]}
    assert {"q", "area", "program", "status", "age_band", "school", "page"} <= parameters


def test_a_malformed_date_gets_a_chinese_message_at_the_field(login, village_worker):
    response = login(village_worker).post(
        "/api/v1/people",
        data={"name": "张三", "sex": "F", "birth_date": "2015-13-45",
                         "village": "350724101200"},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 422
    assert response.json() == {"errors": {"birth_date": ["日期格式应为 YYYY-MM-DD"]}}


def test_a_volunteer_cannot_read_files_through_the_registry_api(client, volunteer, demo_areas):
    from shouwang.accounts.services import api_token_create
    from shouwang.care.tests.factories import make_person, make_volunteer, pair

    child = make_person("王小明", "350724101200")
    pair(child, make_volunteer("刘晓燕", "350724101200", user=volunteer))
    token = api_token_create(user=volunteer, name="test")[1]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/people", headers=headers).status_code == 403
    assert client.get(f"/api/v1/people/{child.pk}", headers=headers).status_code == 403

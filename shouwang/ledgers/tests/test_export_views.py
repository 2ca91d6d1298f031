"""Downloading templates and exporting ledgers: who may, what they get (only their
scope, masked unless revealed with the permission), the audit entry, the query
count of the row builders.

李小明 lives in 张桂兰's village (the village worker), with a father, a mother and
his grandmother 王秀兰 as entrusted guardian; 陈小红 lives in the neighbouring
village; 周小军 in 渭田镇, the outsider's township. The leader reads no files.
"""

import csv
import datetime as dt
import io
from urllib.parse import quote

import pytest
from django.contrib.auth.models import Group, Permission
from python_calamine import CalamineWorkbook
from stdnum.cn import ric

from shouwang.audit.models import AuditEntry
from shouwang.care.choices import ContactKind
from shouwang.care.models import Contact, Pairing, Volunteer
from shouwang.care.tests.factories import contact, make_elder, make_person, make_volunteer, pair
from shouwang.conftest import NEIGHBOUR_VILLAGE, VILLAGE
from shouwang.ledgers.columns import (
    CHILDREN,
    CONTACTS,
    DIFFICULTY,
    ELDERLY,
    LEDGERS,
    PAIRINGS,
    VOLUNTEERS,
)
from shouwang.ledgers.selectors import contact_rows, pairing_rows, person_rows, volunteer_rows
from shouwang.people.models import Person, Relation
from shouwang.regions.models import Area

WEITIAN_VILLAGE = "350724102200"


def id_for(birth: str = "20140506", sequence: str = "123") -> str:
    body = "350724" + birth + sequence
    return body + ric.calc_check_digit(body + "0")


CHILD_ID = id_for()
CHILD_PHONE = "13812345678"
MASKED_ID = CHILD_ID[:6] + "********" + CHILD_ID[-4:]


@pytest.fixture
def xiaoming(demo_areas) -> Person:
    child = make_person("李小明", VILLAGE, id_number=CHILD_ID, phone=CHILD_PHONE,
                        notes="=1+1")  # fmt: skip
    Relation.objects.create(
        person=child, kind="father", name="李大山", id_number=id_for("19800101", "135"),
        phone="13900001111", working_away=True, work_province=Area.objects.get(code="350000000000"),
    )  # fmt: skip
    Relation.objects.create(person=child, kind="mother", name="王芳")
    grandmother = make_elder("王秀兰", VILLAGE, sex="F", program=None)
    Relation.objects.create(
        person=child, kind="paternal_grandmother", relative=grandmother, is_guardian=True,
        entrusted=True,
    )  # fmt: skip
    return child


@pytest.fixture
def xiaohong(demo_areas) -> Person:
    return make_person("陈小红", NEIGHBOUR_VILLAGE, sex="F")


@pytest.fixture
def xiaojun(demo_areas) -> Person:
    return make_person("周小军", WEITIAN_VILLAGE)


def export(client, ledger: str, **params) -> tuple:
    params.setdefault("format", "xlsx")
    response = client.get(f"/ledgers/{ledger}/export/", params)
    assert response.status_code == 200, response.status_code
    data = b"".join(response.streaming_content)
    if params["format"] == "csv":
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    else:
        rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    return response, rows


def as_dicts(rows: list[list]) -> list[dict]:
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def export_entries():
    return AuditEntry.objects.filter(
        action=AuditEntry.Action.ACCESS, additional_data__has_key="export"
    )


# --- templates --------------------------------------------------------------------


@pytest.mark.parametrize("ledger", [k for k, led in LEDGERS.items() if led.template])
def test_a_village_worker_downloads_every_template(login, village_worker, ledger):
    response = login(village_worker).get(f"/ledgers/{ledger}/template/")
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    headers = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()[0]
    assert headers == [str(col.header) for col in LEDGERS[ledger].columns]
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=utf-8''{quote(str(LEDGERS[ledger].title))}".lower() in disposition.lower()


@pytest.mark.parametrize("ledger", ["children", "volunteers"])
def test_the_leader_and_a_volunteer_may_download_no_template(login, leader, volunteer, ledger):
    assert login(leader).get(f"/ledgers/{ledger}/template/").status_code == 403
    assert login(volunteer).get(f"/ledgers/{ledger}/template/").status_code == 403


def test_an_unknown_ledger_is_not_found(login, village_worker):
    assert login(village_worker).get("/ledgers/nothing/template/").status_code == 404
    assert login(village_worker).get("/ledgers/nothing/export/").status_code == 404


def test_templates_need_a_login(client, demo_areas):
    response = client.get("/ledgers/children/template/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- exports: scope ---------------------------------------------------------------


def test_a_village_worker_exports_the_children_of_their_village_only(
    login, village_worker, xiaoming, xiaohong, xiaojun
):
    response, rows = export(login(village_worker), "children")
    assert rows[0] == [str(col.header) for col in CHILDREN.columns]
    assert [row["姓名"] for row in as_dicts(rows)] == ["李小明"]
    disposition = response["Content-Disposition"].lower()
    assert f"filename*=utf-8''{quote(str(CHILDREN.title))}".lower() in disposition


def test_an_outsider_gets_none_of_another_townships_rows(
    login, outsider, xiaoming, xiaohong, xiaojun
):
    _response, rows = export(login(outsider), "children")
    assert [row["姓名"] for row in as_dicts(rows)] == ["周小军"]
    _response, rows = export(login(outsider), "children", format="csv", q="李小明")
    assert rows[1:] == []


def test_the_people_lists_filters_apply(login, supervisor, xiaoming, xiaohong, xiaojun):
    client = login(supervisor)
    names = [r["姓名"] for r in as_dicts(export(client, "children")[1])]
    assert sorted(names) == sorted(["李小明", "陈小红"])
    by_village = as_dicts(export(client, "children", area=NEIGHBOUR_VILLAGE)[1])
    assert [r["姓名"] for r in by_village] == ["陈小红"]
    by_name = as_dicts(export(client, "children", q="李小明")[1])
    assert [r["姓名"] for r in by_name] == ["李小明"]


def test_a_ledger_holds_the_people_enrolled_in_its_program(login, village_worker, xiaoming):
    make_elder("王老汉", VILLAGE)
    client = login(village_worker)
    assert [r["姓名"] for r in as_dicts(export(client, "elderly")[1])] == ["王老汉"]
    assert [r["姓名"] for r in as_dicts(export(client, "children")[1])] == ["李小明"]


def test_the_leader_and_a_volunteer_may_export_nothing(login, leader, volunteer, xiaoming):
    for user in (leader, volunteer):
        client = login(user)
        for ledger in ("children", "volunteers", "pairings", "contacts"):
            assert client.get(f"/ledgers/{ledger}/export/").status_code == 403


def test_an_unknown_format_is_refused(login, village_worker, xiaoming):
    response = login(village_worker).get("/ledgers/children/export/", {"format": "pdf"})
    assert response.status_code == 400


# --- exports: content ---------------------------------------------------------------


def test_the_export_carries_the_parents_and_the_entrusted_guardian(login, village_worker, xiaoming):
    (row,) = as_dicts(export(login(village_worker), "children")[1])
    assert row["父亲姓名"] == "李大山"
    assert row["父亲外出务工"] == "是"
    assert row["父亲务工省份"] == "福建省"
    assert row["母亲姓名"] == "王芳"
    assert row["母亲外出务工"] == "否"
    # The guardian's name is read from her own file, which the worker may see.
    assert row["受委托监护人姓名"] == "王秀兰"
    assert row["与儿童关系"] == "祖母"
    assert row["受委托监护人监护能力"] == "有监护能力"


def test_a_relative_on_file_outside_the_scope_is_shown_only_by_the_relation(
    login, village_worker, xiaoming
):
    away = make_elder("赵阿婆", NEIGHBOUR_VILLAGE, sex="F", program=None)
    Relation.objects.filter(person=xiaoming, kind="paternal_grandmother").update(relative=away)
    (row,) = as_dicts(export(login(village_worker), "children")[1])
    assert row["受委托监护人姓名"] == ""


def test_id_and_phone_numbers_are_masked_without_reveal(login, village_worker, xiaoming):
    (row,) = as_dicts(export(login(village_worker), "children")[1])
    assert row["身份证号码"] == MASKED_ID
    assert row["联系电话"] == "138****5678"
    assert row["父亲联系电话"] == "139****1111"
    _response, rows = export(login(village_worker), "children", format="csv")
    text = "\n".join(",".join(r) for r in rows)
    assert CHILD_ID not in text and CHILD_PHONE not in text


def test_reveal_with_the_permission_gives_the_full_numbers(login, village_worker, xiaoming):
    (row,) = as_dicts(export(login(village_worker), "children", reveal="1")[1])
    assert row["身份证号码"] == CHILD_ID
    assert row["联系电话"] == CHILD_PHONE


@pytest.fixture
def reader(village_worker):
    """A user of the village who may read files but not reveal numbers."""
    group, _created = Group.objects.get_or_create(name="test-reader")
    group.permissions.set(
        [Permission.objects.get(codename="view_person", content_type__app_label="people")]
    )
    village_worker.groups.set([group])
    return village_worker


def test_reveal_is_ignored_without_the_permission(login, reader, xiaoming):
    (row,) = as_dicts(export(login(reader), "children", reveal="1")[1])
    assert row["身份证号码"] == MASKED_ID
    assert export_entries().get().additional_data["revealed"] == []


def test_formulas_in_names_and_notes_are_neutralised(login, village_worker, xiaoming):
    Person.objects.filter(pk=xiaoming.pk).update(name='＝HYPERLINK("http://x")')
    Relation.objects.filter(person=xiaoming, kind="mother").update(name="@SUM(A1)")
    client = login(village_worker)
    for kind in ("xlsx", "csv"):
        (row,) = as_dicts(export(client, "children", format=kind)[1])
        assert row["姓名"] == '\'＝HYPERLINK("http://x")'
        assert row["备注"] == "'=1+1"
        assert row["母亲姓名"] == "'@SUM(A1)"


def test_the_csv_has_a_bom_and_opens_as_utf8(login, village_worker, xiaoming):
    response = login(village_worker).get("/ledgers/children/export/", {"format": "csv"})
    data = b"".join(response.streaming_content)
    assert response["Content-Type"].startswith("text/csv")
    assert data.startswith(b"\xef\xbb\xbf")
    assert data[3:].decode("utf-8").startswith("姓名,性别,民族")
    assert ".csv" in response["Content-Disposition"]


# --- audit ---------------------------------------------------------------------------


def test_an_export_writes_one_audit_entry(login, village_worker, xiaoming, xiaohong):
    export(login(village_worker), "children", format="csv", q="李")
    entry = export_entries().get()
    assert entry.actor == village_worker
    assert entry.content_type.model == "person"
    assert entry.additional_data["export"] == "children"
    assert entry.additional_data["rows"] == 1
    assert entry.additional_data["fields"] == [col.key for col in CHILDREN.columns]
    assert entry.additional_data["revealed"] == []
    assert entry.additional_data["format"] == "csv"
    assert entry.additional_data["filters"] == {"q": "李"}


def test_a_revealed_export_names_the_fields_shown_in_full(login, village_worker, xiaoming):
    export(login(village_worker), "children", reveal="1")
    revealed = export_entries().get().additional_data["revealed"]
    assert "id_number" in revealed and "guardian.phone" in revealed


# --- the care network ------------------------------------------------------------------


@pytest.fixture
def network(xiaoming, xiaohong):
    here = make_volunteer("刘晓燕", VILLAGE, phone="13700002222")
    there = make_volunteer("林志明", NEIGHBOUR_VILLAGE)
    pair(xiaoming, here)
    pair(xiaohong, there)
    contact(xiaoming, ContactKind.HOME_VISIT, dt.date(2024, 3, 1), volunteer=here,
            notes="-3 度，注意保暖", concern=True)  # fmt: skip
    contact(xiaohong, ContactKind.HOME_VISIT, dt.date(2024, 3, 2), volunteer=there)
    return here


def test_the_care_ledgers_hold_the_village_workers_scope_only(login, village_worker, network):
    client = login(village_worker)
    volunteers = as_dicts(export(client, "volunteers")[1])
    assert [r["姓名"] for r in volunteers] == ["刘晓燕"]
    assert volunteers[0]["联系电话"] == "137****2222"
    assert volunteers[0]["所在地区代码"] == VILLAGE
    pairings = as_dicts(export(client, "pairings")[1])
    assert [(r["志愿者姓名"], r["结对对象姓名"]) for r in pairings] == [("刘晓燕", "李小明")]
    assert pairings[0]["开始日期"] == dt.date(2024, 1, 1)
    contacts = as_dicts(export(client, "contacts", format="csv")[1])
    assert [r["对象姓名"] for r in contacts] == ["李小明"]
    assert contacts[0]["日期"] == "2024-03-01"
    assert contacts[0]["情况记录"] == "'-3 度，注意保暖"
    assert contacts[0]["需要关注"] == "是"
    assert contacts[0]["对象身份证号码"] == MASKED_ID


def test_the_volunteers_lists_filters_apply(login, supervisor, network):
    client = login(supervisor)
    names = [r["姓名"] for r in as_dicts(export(client, "volunteers", q="林")[1])]
    assert names == ["林志明"]


def test_an_outsider_exports_no_volunteers_pairings_or_contacts_of_another_township(
    login, outsider, network
):
    client = login(outsider)
    for ledger in ("volunteers", "pairings", "contacts"):
        assert export(client, ledger)[1][1:] == []


# --- query counts --------------------------------------------------------------------


def _people(n: int) -> None:
    for i in range(n):
        child = make_person(f"儿童{i}", VILLAGE)
        Relation.objects.create(person=child, kind="father", name=f"父亲{i}")
        Relation.objects.create(person=child, kind="mother", name=f"母亲{i}", is_guardian=True,
                                entrusted=True)  # fmt: skip


@pytest.mark.parametrize("n", [3, 30])
def test_person_rows_use_the_same_queries_for_3_and_30_people(
    demo_areas, village_worker, django_assert_num_queries, n
):
    _people(n)
    people = Person.objects.visible_to(village_worker)
    relatives = Person.objects.visible_to(village_worker)
    with django_assert_num_queries(2):  # a chunk of people, their relations
        rows = list(person_rows(people, CHILDREN, relatives=relatives))
    assert len(rows) == n
    assert rows[0]["mother.name"] == rows[0]["guardian.name"]


def test_person_rows_of_a_ledger_without_relations_use_one_query(
    demo_areas, django_assert_num_queries
):
    for i in range(5):
        make_elder(f"老人{i}", VILLAGE)
    with django_assert_num_queries(1):
        assert len(list(person_rows(Person.objects.all(), ELDERLY))) == 5


def test_person_rows_read_only_the_ledgers_columns(demo_areas):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_elder("老人", VILLAGE, phone=CHILD_PHONE)
    with CaptureQueriesContext(connection) as queries:
        (row,) = person_rows(Person.objects.all(), ELDERLY)
    assert row["phone"] == CHILD_PHONE
    # Not exported, so never read (nor decrypted): the school fields of a child.
    assert '"head_teacher_phone"' not in queries[0]["sql"]


def test_the_difficulty_ledger_gives_the_categories_as_codes(demo_areas):
    from shouwang.people.eligibility import DifficultyCategory

    child = make_person("困境儿童", VILLAGE)
    codes = sorted(value for value, _label in DifficultyCategory.choices[:2])
    child.difficulty_categories = codes
    child.save()
    (row,) = person_rows(Person.objects.filter(pk=child.pk), DIFFICULTY)
    assert row["difficulty_categories"] == codes


def test_the_care_row_builders_use_one_query(network, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert len(list(volunteer_rows(Volunteer.objects.all()))) == 2
    with django_assert_num_queries(1):
        assert len(list(pairing_rows(Pairing.objects.all()))) == 2
    with django_assert_num_queries(1):
        assert len(list(contact_rows(Contact.objects.all()))) == 2


def test_row_builders_give_a_value_for_every_column(network):
    (row, *_rest) = list(person_rows(Person.objects.filter(name="李小明"), CHILDREN))
    assert set(row) == {col.key for col in CHILDREN.columns}
    for ledger, rows in ((VOLUNTEERS, volunteer_rows(Volunteer.objects.all())),
                         (PAIRINGS, pairing_rows(Pairing.objects.all())),
                         (CONTACTS, contact_rows(Contact.objects.all()))):  # fmt: skip
        assert set(next(iter(rows))) == {col.key for col in ledger.columns}


def test_the_case_summary_exports_only_cases_with_need_to_know_and_no_content(
    login, village_worker, supervisor, neighbour, demo_areas
):
    import io

    import python_calamine
    from django.urls import reverse
    from django.utils import timezone

    from shouwang.audit.models import AuditEntry
    from shouwang.care.tests.factories import make_person
    from shouwang.conftest import VILLAGE
    from shouwang.protection.services.cases import case_report
    from shouwang.regions.models import Area

    child = make_person("王小明", VILLAGE)
    case = case_report(user=village_worker, village=Area.objects.get(code=VILLAGE),
                       category="missing", description="放学未归，至今未找到", people=[child],
                       discovered_at=timezone.now(), discovered_place="学校",
                       reporter_name="张桂兰")  # fmt: skip
    url = reverse("ledgers:export", args=["cases"])
    response = login(supervisor).get(url)
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    rows = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(
        0).to_python()  # fmt: skip
    assert rows[0][:2] == ["案件编号", "报告情形"]
    assert rows[1][0] == case.number and rows[1][1] == "失踪、走失"
    assert "放学未归" not in str(rows)
    assert AuditEntry.objects.filter(additional_data__export="cases", actor=supervisor).exists()
    # A village worker not assigned (the neighbour) exports an empty summary.
    other = b"".join(login(neighbour).get(url).streaming_content)
    assert len(python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(other))
               .get_sheet_by_index(0).to_python()) == 1  # fmt: skip
    assert login(supervisor).get(reverse("ledgers:template", args=["cases"])).status_code == 404

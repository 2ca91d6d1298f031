"""Importing the care network's ledgers through the pages — upload, the check (run
inline: the tests' task queue is immediate), the preview's counts and issues, the
commit, the error workbook, importing the same file again, an export importing
back — and who may: the permission of each ledger, scope, an outsider.

张桂兰 (village worker of the first village of 郑墩镇) imports for her village: the
volunteer 陈志愿 is paired with 李小明. A clerk of the same village (`clerk`) may
import files of people but adds nothing to the care network. 周明 (outsider, 渭田镇)
has his own volunteer 周志愿 and child 周小军, which her files must never touch; the
leader and the volunteer import nothing.
"""

import csv
import datetime as dt
import io

import pytest
import xlsxwriter
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook

from shouwang.audit.models import AuditEntry
from shouwang.care.choices import VolunteerStatus
from shouwang.care.models import Contact, Pairing, Volunteer
from shouwang.care.services.contacts import CONTACT_NOTES_MAX
from shouwang.care.tests.factories import make_person, make_volunteer, pair
from shouwang.conftest import VILLAGE
from shouwang.ledgers.columns import LEDGERS
from shouwang.ledgers.models import ImportBatch

WEITIAN_VILLAGE = "350724102200"  # first village of 渭田镇, the outsider's
CARE = ("volunteers", "pairings", "contacts")


def today() -> dt.date:
    return timezone.localdate()


# --- files and pages ----------------------------------------------------------------


def xlsx(key: str, rows: list[dict]) -> bytes:
    """A workbook with the headers of ledger `key` and `rows` ({column key: value})."""
    columns = LEDGERS[key].columns
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet()
    text = book.add_format({"num_format": "@"})
    for c, column in enumerate(columns):
        sheet.write_string(0, c, str(column.header))
    for r, row in enumerate(rows, start=1):
        for c, column in enumerate(columns):
            value = row.get(column.key)
            if isinstance(value, dt.date):
                value = value.isoformat()
            if value is not None:
                sheet.write_string(r, c, str(value), text)
    book.close()
    return out.getvalue()


def csv_file(key: str, rows: list[dict]) -> bytes:
    columns = LEDGERS[key].columns
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([str(column.header) for column in columns])
    for row in rows:
        writer.writerow([str(row.get(column.key, "")) for column in columns])
    return out.getvalue().encode("utf-8-sig")


def upload(client, key: str, data: bytes, name: str = "台账.xlsx") -> ImportBatch:
    """Post the file as the upload form does; the check runs before the redirect."""
    response = client.post(
        reverse("ledgers:import"), {"ledger": key, "file": SimpleUploadedFile(name, data)}
    )
    batch = ImportBatch.objects.latest("pk")
    assert response.status_code == 302, response.content.decode()
    assert response.url == reverse("ledgers:batch", args=[batch.pk])
    return batch


def page(client, batch: ImportBatch) -> str:
    response = client.get(reverse("ledgers:batch", args=[batch.pk]))
    assert response.status_code == 200
    return response.content.decode()


def commit(client, batch: ImportBatch, mode: str) -> ImportBatch:
    response = client.post(reverse("ledgers:commit", args=[batch.pk]), {"mode": mode})
    assert response.status_code == 302
    batch.refresh_from_db()
    return batch


def issues(batch: ImportBatch) -> set[tuple[int, str, str]]:
    return set(batch.issues.values_list("row", "column", "message"))


def care_entries(since: int = 0):
    """Audit entries of records, not of the import batches themselves."""
    return AuditEntry.objects.filter(id__gt=since).exclude(content_type__model="importbatch")


def last_entry() -> int:
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def volunteer_row(name="陈志愿", area=VILLAGE, **extra):
    return {"name": name, "kind": "代理家长", "organisation": "村委", "area": area, **extra}


def pairing_row(volunteer="陈志愿", person="李小明", village=VILLAGE, **extra):
    return {"volunteer.name": volunteer, "person.name": person, "person.village": village,
            "kind": "代理家长", "started_on": today(), **extra}  # fmt: skip


def contact_row(person="李小明", village=VILLAGE, kind="入户走访", **extra):
    return {"person.name": person, "person.village": village, "date": today(), "kind": kind,
            **extra}  # fmt: skip


@pytest.fixture
def xiaoming(demo_areas):
    return make_person("李小明", VILLAGE)


@pytest.fixture
def carer(xiaoming):
    """陈志愿, approved, paired with 李小明 since his file was made."""
    volunteer = make_volunteer("陈志愿", VILLAGE, phone="13800001111")
    pair(xiaoming, volunteer)
    return volunteer


@pytest.fixture
def outsiders_network(outsider):
    """周明's volunteer and child in 渭田镇."""
    volunteer = make_volunteer("周志愿", WEITIAN_VILLAGE, phone="13900009999")
    child = make_person("周小军", WEITIAN_VILLAGE)
    return volunteer, child


@pytest.fixture
def clerk(village_worker):
    """张桂兰 with her role's permissions but none to add to the care network."""
    role = Group.objects.get(name=village_worker.role)
    group, _created = Group.objects.get_or_create(name="test-people-clerk")
    group.permissions.set(
        role.permissions.exclude(
            content_type__app_label="care",
            codename__in=["add_volunteer", "add_pairing", "add_contact"],
        )
    )
    village_worker.groups.set([group])
    return village_worker


# --- volunteers ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_village_worker_imports_volunteers_previewed_then_written_and_audited(
    login, village_worker, kind
):
    rows = [
        volunteer_row("陈志愿", phone="13800001111", capacity=2),
        volunteer_row("李秀英", notes="退休教师"),
        volunteer_row("王厨师", kind="厨师"),
    ]
    data = csv_file("volunteers", rows) if kind == "csv" else xlsx("volunteers", rows)
    client = login(village_worker)
    batch = upload(client, "volunteers", data, name=f"志愿者.{kind}")
    assert batch.status == "checked"
    assert batch.counts == {"new": 2, "update": 0, "unchanged": 0, "error": 1}
    assert not Volunteer.objects.exists()  # nothing written before the commit
    preview = page(client, batch)
    assert "<b>2</b> 新建" in preview and "关爱志愿者名册" in preview
    ((row, column, message),) = issues(batch)
    assert (row, column) == (4, "类别") and "厨师" in message
    assert "第 4 行" in preview and message in preview

    batch = commit(client, batch, "valid")
    assert batch.status == "committed"
    assert (batch.written["created"], batch.written["updated"], batch.written["skipped"]) == (
        2,
        0,
        1,
    )
    assert "已导入：新建 2 份，更新 0 份，跳过 1 行" in page(client, batch)
    chen = Volunteer.objects.get(name="陈志愿")
    assert (chen.status, chen.capacity, chen.area_id, chen.phone) == (
        VolunteerStatus.APPLIED,
        2,
        VILLAGE,
        "13800001111",
    )
    assert set(Volunteer.objects.values_list("name", flat=True)) == {"陈志愿", "李秀英"}
    entries = care_entries().filter(content_type__model="volunteer")
    assert entries.count() == 2
    assert {e.additional_data["source"] for e in entries} == {"ledger volunteers"}
    assert {e.actor for e in entries} == {village_worker}

    # The same file again: every valid row unchanged, nothing written.
    since = last_entry()
    again = upload(client, "volunteers", data, name=f"志愿者.{kind}")
    assert again.counts == {"new": 0, "update": 0, "unchanged": 2, "error": 1}
    again = commit(client, again, "valid")
    assert again.written["created"] == again.written["updated"] == 0
    assert Volunteer.objects.count() == 2
    assert set(Volunteer.objects.values_list("version", flat=True)) == {1}
    assert not care_entries(since).exists()


def test_the_volunteers_rows_with_errors_download_with_what_to_fix(login, village_worker):
    rows = [volunteer_row(), volunteer_row("=HYPERLINK(1)", area=WEITIAN_VILLAGE)]
    client = login(village_worker)
    batch = upload(client, "volunteers", xlsx("volunteers", rows))
    response = client.get(reverse("ledgers:errors", args=[batch.pk]))
    assert response.status_code == 200
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    data = sheet.get_sheet_by_index(0).to_python()
    assert len(data) == 2 and data[1][0] == 3
    assert data[1][1] == "'=HYPERLINK(1)"  # never a formula
    assert "所在地区代码：地区代码 350724102200 不是您管辖范围内的村（社区）或乡镇" in data[1][-1]


def test_an_outsiders_volunteer_is_never_matched_or_changed(
    login, village_worker, outsiders_network
):
    theirs, _child = outsiders_network
    client = login(village_worker)
    batch = upload(client, "volunteers", xlsx("volunteers", [
        volunteer_row("周志愿", phone="13900009999", notes="改他的备注"),
    ]))  # fmt: skip
    assert batch.counts["error"] == 1
    assert issues(batch) == {
        (2, "联系电话", "该联系电话的志愿者已在其他地区登记，请联系县级管理员核实")
    }
    commit(client, batch, "valid")
    theirs.refresh_from_db()
    assert (theirs.notes, theirs.version, theirs.area_id) == ("", 1, WEITIAN_VILLAGE)
    assert Volunteer.objects.count() == 1


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
@pytest.mark.parametrize("reveal", ["1", "0"], ids=["revealed", "masked"])
def test_an_exported_volunteers_register_imports_back_with_no_change(
    login, village_worker, carer, kind, reveal
):
    make_volunteer("报名人", VILLAGE, status=VolunteerStatus.APPLIED, phone="0599-6234567")
    client = login(village_worker)
    exported = client.get(
        reverse("ledgers:export", args=["volunteers"]), {"format": kind, "reveal": reveal}
    )
    assert exported.status_code == 200
    since = last_entry()
    batch = upload(client, "volunteers", b"".join(exported.streaming_content), f"导出.{kind}")
    assert batch.counts == {"new": 0, "update": 0, "unchanged": 2, "error": 0}, issues(batch)
    batch = commit(client, batch, "all")
    assert batch.status == "committed"
    assert not care_entries(since).exists()
    assert set(Volunteer.objects.values_list("version", flat=True)) == {1}


# --- pairings and contacts ----------------------------------------------------------


def test_a_pairing_is_imported_and_an_outsiders_child_is_not_found(
    login, village_worker, xiaoming, outsiders_network
):
    volunteer = make_volunteer("王志愿", VILLAGE)
    rows = [
        pairing_row("王志愿", "李小明"),
        pairing_row("王志愿", "周小军"),  # the outsider's child, in her village
        pairing_row("王志愿", "周小军", WEITIAN_VILLAGE),  # and in his
    ]
    client = login(village_worker)
    batch = upload(client, "pairings", xlsx("pairings", rows))
    assert batch.counts == {"new": 1, "update": 0, "unchanged": 0, "error": 2}
    assert issues(batch) == {
        (3, "结对对象姓名", f"村（社区）{VILLAGE} 没有名为「周小军」的档案"),
        (4, "村（社区）代码", f"村（社区）代码 {WEITIAN_VILLAGE} 不在您的管辖范围内"),
    }
    assert "结对对象姓名" in page(client, batch)
    batch = commit(client, batch, "valid")
    assert batch.written["created"] == 1
    (pairing,) = Pairing.objects.all()
    assert (pairing.person, pairing.volunteer, pairing.started_on) == (xiaoming, volunteer, today())
    (entry,) = care_entries().filter(content_type__model="pairing")
    assert entry.additional_data["source"] == "ledger pairings"
    assert not Pairing.objects.filter(person=outsiders_network[1]).exists()

    again = upload(client, "pairings", xlsx("pairings", rows[:1]))
    assert again.counts == {"new": 0, "update": 0, "unchanged": 1, "error": 0}


def test_a_change_after_the_preview_fails_the_whole_commit(login, village_worker, xiaoming):
    """The commit checks the rows again: the volunteer's last place was taken on the
    pairing page after the preview, so "all" writes nothing and says which row."""
    volunteer = make_volunteer("王志愿", VILLAGE, capacity=1)
    hong = make_person("王小红", VILLAGE, sex="F")
    client = login(village_worker)
    batch = upload(client, "pairings", xlsx("pairings", [pairing_row("王志愿", "李小明")]))
    assert batch.counts["new"] == 1
    pair(hong, volunteer, on=today())  # meanwhile
    batch = commit(client, batch, "all")
    assert batch.status == "failed" and batch.data is None
    assert batch.message.startswith("第 2 行在检查后出现错误")
    assert batch.message in page(client, batch)
    assert not Pairing.objects.filter(person=xiaoming).exists()


def test_contacts_are_imported_with_their_rules_and_never_twice(login, village_worker, carer):
    rows = [
        contact_row(**{"volunteer.name": "陈志愿"}, notes="孩子精神很好", duration_minutes=30),
        contact_row(kind="亲情通话"),  # without the parent on the line
        contact_row(kind="电话", notes="长" * (CONTACT_NOTES_MAX + 1)),
    ]
    client = login(village_worker)
    batch = upload(client, "contacts", csv_file("contacts", rows), "走访.csv")
    assert batch.counts == {"new": 1, "update": 0, "unchanged": 0, "error": 2}
    assert issues(batch) == {
        (3, "通话亲属", "亲情通话请选择与孩子通话的父亲或母亲"),
        (4, "情况记录", f"情况记录不能超过 2000 字（现有 {CONTACT_NOTES_MAX + 1} 字）"),
    }
    batch = commit(client, batch, "valid")
    (logged,) = Contact.objects.all()
    assert (logged.volunteer, logged.notes, logged.duration_minutes, logged.recorded_by) == (
        carer,
        "孩子精神很好",
        30,
        village_worker,
    )
    (entry,) = care_entries().filter(content_type__model="contact")
    assert entry.additional_data["source"] == "ledger contacts"

    since = last_entry()
    again = upload(client, "contacts", csv_file("contacts", rows), "走访.csv")
    assert again.counts == {"new": 0, "update": 0, "unchanged": 1, "error": 2}
    assert commit(client, again, "valid").written["created"] == 0
    assert Contact.objects.count() == 1 and not care_entries(since).exists()


# --- who may ------------------------------------------------------------------------


def test_the_upload_page_offers_the_care_ledgers_and_their_templates(login, village_worker):
    client = login(village_worker)
    text = client.get(reverse("ledgers:import")).content.decode()
    for key in ("children", *CARE):
        assert f'value="{key}"' in text
        assert reverse("ledgers:template", args=[key]) in text
    assert "不能导入新的亲情通话" in text
    for key in CARE:
        response = client.get(reverse("ledgers:template", args=[key]))
        assert response.status_code == 200


def test_without_the_care_permissions_the_care_ledgers_are_neither_offered_nor_taken(login, clerk):
    batch = ImportBatch.objects.create(
        ledger="volunteers", file_name="x.xlsx", file_size=1, file_hash="0" * 64,
        data=xlsx("volunteers", [volunteer_row()]), scope=clerk.scope_area,
        uploaded_by=clerk, status=ImportBatch.Status.CHECKED,
    )  # fmt: skip  # uploaded before the permission was taken away
    client = login(clerk)
    text = client.get(reverse("ledgers:import")).content.decode()
    assert 'value="children"' in text
    for key in CARE:
        assert f'value="{key}"' not in text
        assert reverse("ledgers:template", args=[key]) not in text
    response = client.post(
        reverse("ledgers:import"),
        {"ledger": "volunteers", "file": SimpleUploadedFile("x.xlsx", batch.data)},
    )
    assert response.status_code == 200 and ImportBatch.objects.count() == 1
    assert client.get(reverse("ledgers:batch", args=[batch.pk])).status_code == 404
    commit_url = reverse("ledgers:commit", args=[batch.pk])
    assert client.post(commit_url, {"mode": "all"}).status_code == 404
    assert client.get(reverse("ledgers:errors", args=[batch.pk])).status_code == 404
    assert not Volunteer.objects.exists()


@pytest.mark.parametrize("actor", ["leader", "volunteer", "auditor"])
def test_those_who_add_nothing_may_not_import(login, request, actor):
    client = login(request.getfixturevalue(actor))
    assert client.get(reverse("ledgers:import")).status_code == 403
    response = client.post(
        reverse("ledgers:import"),
        {"ledger": "contacts", "file": SimpleUploadedFile("x.csv", b"a,b\n1,2\n")},
    )
    assert response.status_code == 403
    assert not ImportBatch.objects.exists()


def test_an_outsider_neither_sees_nor_commits_a_care_batch(login, village_worker, outsider):
    batch = upload(login(village_worker), "volunteers", xlsx("volunteers", [volunteer_row()]))
    client = login(outsider)
    assert client.get(reverse("ledgers:batch", args=[batch.pk])).status_code == 404
    assert client.post(reverse("ledgers:commit", args=[batch.pk]),
                       {"mode": "all"}).status_code == 404  # fmt: skip
    assert client.post(reverse("ledgers:cancel", args=[batch.pk])).status_code == 404
    assert batch.file_name not in client.get(reverse("ledgers:import")).content.decode()
    assert ImportBatch.objects.get(pk=batch.pk).status == "checked"
    assert not Volunteer.objects.exists()


# --- bad input ----------------------------------------------------------------------


def test_bad_files_and_bad_requests_get_a_message_never_a_server_error(login, village_worker):
    client = login(village_worker)
    corrupt = upload(client, "contacts", b"PK\x03\x04 not a workbook", "坏.xlsx")
    assert corrupt.status == "failed" and corrupt.message in page(client, corrupt)
    wrong = upload(client, "pairings", xlsx("volunteers", [volunteer_row()]))
    assert wrong.status == "failed" and "志愿者姓名" in wrong.message
    empty = client.post(reverse("ledgers:import"), {"ledger": "volunteers"})
    assert empty.status_code == 200 and ImportBatch.objects.count() == 2
    unknown = client.post(
        reverse("ledgers:import"),
        {"ledger": "cases", "file": SimpleUploadedFile("x.csv", b"a\n1\n")},
    )
    assert unknown.status_code == 200 and ImportBatch.objects.count() == 2
    checked = upload(client, "volunteers", xlsx("volunteers", [volunteer_row()]))
    assert commit(client, checked, "everything").status == "checked"
    assert client.get(reverse("ledgers:commit", args=[checked.pk])).status_code == 405
    assert commit(client, checked, "all").status == "committed"
    assert commit(client, checked, "all").status == "committed"  # once only
    assert Volunteer.objects.count() == 1

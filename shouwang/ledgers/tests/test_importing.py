"""Importing a ledger of people: the preview's counts, matching by ID number and by
name + birth date + village, duplicates in the file, all-or-nothing versus only
the valid rows, idempotent re-import, scope."""

import datetime as dt
import io

import pytest
import xlsxwriter
from django.core.exceptions import ValidationError

from shouwang.audit.models import AuditEntry
from shouwang.care.tests.factories import make_person
from shouwang.conftest import NEIGHBOUR_VILLAGE, VILLAGE
from shouwang.ledgers import services
from shouwang.ledgers.columns import CHILDREN
from shouwang.ledgers.models import ImportBatch
from shouwang.people.models import Enrollment, Person, Relation

HEAD = {col.key: str(col.header) for col in CHILDREN.columns}
# A valid 18-digit number of a boy born 2014-05-06 in 松溪县 (checksum computed below).


def id_number(body: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]


BOY = id_number("35072420140506001")  # odd sequence: male
GIRL = id_number("35072420150809002")


def workbook(rows: list[dict[str, object]], *, title: str | None = None) -> bytes:
    """An .xlsx with the children ledger's headers and `rows` ({column key: value})."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("数据")
    text = book.add_format({"num_format": "@"})
    top = 0
    if title:
        sheet.write_string(0, 0, title)
        top = 2
    keys = [col.key for col in CHILDREN.columns]
    for c, key in enumerate(keys):
        sheet.write_string(top, c, HEAD[key])
    for r, row in enumerate(rows, start=top + 1):
        for c, key in enumerate(keys):
            value = row.get(key)
            if value is None:
                continue
            if isinstance(value, str):
                sheet.write_string(r, c, value, text)
            else:
                sheet.write(r, c, value)
    book.close()
    return out.getvalue()


def child(name="王小明", id_no=BOY, village=VILLAGE, **extra):
    return {"name": name, "id_number": id_no, "village": village, "sex": "男",
            "schooling": "小学", "father.name": "王大山", "father.working_away": "是",
            "father.work_province": "福建省", **extra}  # fmt: skip


def upload(user, data, name="留守儿童.xlsx"):
    batch = services.batch_upload(user=user, ledger_key="children", file_name=name, data=data)
    return services.batch_check(batch_id=batch.pk)


def commit(user, batch, mode):
    """What the 导入 button does: queue the commit, then the worker writes it."""
    batch = services.batch_commit_start(user=user, batch=batch, mode=mode)
    return services.batch_commit(batch_id=batch.pk)


def test_new_rows_are_previewed_then_written_with_their_parents(village_worker, demo_areas):
    batch = upload(village_worker, workbook([child(), child("李小红", GIRL, sex="女")]))
    assert batch.status == "checked"
    assert batch.counts == {"new": 2, "update": 0, "unchanged": 0, "error": 0}
    assert not Person.objects.exists()  # nothing written before the commit
    batch = commit(village_worker, batch, "all")
    assert batch.written["created"] == 2 and batch.data is None
    boy = Person.objects.get(name="王小明")
    assert (boy.birth_date, boy.sex, boy.village_id) == (dt.date(2014, 5, 6), "M", VILLAGE)
    father = Relation.objects.get(person=boy)
    assert (father.kind, father.name, father.working_away, father.work_province_id) == (
        "father",
        "王大山",
        True,
        "350000000000",
    )
    assert Enrollment.objects.filter(person=boy, program="left_behind_child").exists()
    audited = AuditEntry.objects.filter(content_type__model="person", object_pk=str(boy.pk))
    assert audited.filter(additional_data__source="ledger children").exists()


def test_importing_the_same_file_again_changes_nothing(village_worker, demo_areas):
    data = workbook([child(), child("李小红", GIRL, sex="女")])
    commit(village_worker, upload(village_worker, data), "all")
    last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    again = upload(village_worker, data)
    assert again.counts == {"new": 0, "update": 0, "unchanged": 2, "error": 0}
    commit(village_worker, again, "all")
    assert Person.objects.count() == 2 and Relation.objects.count() == 2
    # Only the batches' own records were audited the second time.
    since = AuditEntry.objects.filter(id__gt=last).exclude(content_type__model="importbatch")
    assert not since.exists()


def test_a_row_matches_by_id_number_else_by_name_birth_date_and_village(village_worker,
                                                                        demo_areas):  # fmt: skip
    by_id = make_person("王晓明", VILLAGE, id_number=BOY)  # the file spells the name 王小明
    by_name = make_person("张三", VILLAGE, birth=dt.date(2013, 1, 2))
    rows = [
        child(),  # same ID: an update of the name
        child("张三", "", birth_date="2013-01-02", sex="男"),  # no ID: by name and birth
        child("张三", "", birth_date="2013-01-03", sex="男"),
    ]  # another birthday: new
    batch = upload(village_worker, workbook(rows))
    assert batch.counts == {"new": 1, "update": 2, "unchanged": 0, "error": 0}
    commit(village_worker, batch, "all")
    by_id.refresh_from_db()
    assert by_id.name == "王小明"
    assert Relation.objects.filter(person=by_name, kind="father").exists()
    assert Person.objects.filter(name="张三").count() == 2


def test_duplicates_in_the_file_and_other_peoples_files_are_errors(village_worker, outsider,
                                                                   demo_areas):  # fmt: skip
    make_person("外乡孩子", "350724102200", id_number=GIRL)
    rows = [child(), child("王小明二", BOY), child("李小红", GIRL, sex="女")]
    batch = upload(village_worker, workbook(rows))
    assert batch.counts["error"] == 2
    messages = {(i.row, i.message) for i in batch.issues.all()}
    assert (3, "与第 2 行的身份证号码相同") in messages
    assert (4, "该身份证号码已在其他地区登记，请联系县级管理员核实") in messages


def test_all_or_nothing_writes_nothing_when_a_row_is_wrong(village_worker, demo_areas):
    rows = [child(), child("李小红", GIRL, sex="女", village=NEIGHBOUR_VILLAGE)]
    batch = upload(village_worker, workbook(rows))
    assert batch.counts["error"] == 1
    (issue,) = batch.issues.all()
    assert (issue.row, issue.column) == (3, "村（社区）代码")
    assert "不在您的管辖范围内" in issue.message
    with pytest.raises(ValidationError, match="有 1 行有错误，未导入任何内容"):
        commit(village_worker, batch, "all")
    assert not Person.objects.exists()
    batch = commit(village_worker, batch, "valid")
    assert batch.written == {"created": 1, "updated": 0, "enrolled": 1, "relations": 1,
                             "skipped": 1}  # fmt: skip
    assert list(Person.objects.values_list("name", flat=True)) == ["王小明"]
    with pytest.raises(ValidationError):  # committed once only
        commit(village_worker, batch, "valid")


def test_an_empty_or_masked_cell_never_erases_a_value(village_worker, demo_areas):
    person = make_person("王小明", VILLAGE, id_number=BOY, phone="13800001111", school="郑墩小学")
    row = child(phone="138****1111", school="")
    batch = upload(village_worker, workbook([row]))
    commit(village_worker, batch, "all")
    person.refresh_from_db()
    assert (person.phone, person.school) == ("13800001111", "郑墩小学")


def test_the_title_row_above_the_header_is_skipped(village_worker, demo_areas):
    batch = upload(village_worker, workbook([child()], title="松溪县农村留守儿童信息表"))
    assert batch.counts["new"] == 1
    assert not batch.issues.exists()


def test_an_outsider_cannot_see_or_commit_a_batch(village_worker, outsider, login, demo_areas):
    from django.urls import reverse

    batch = upload(village_worker, workbook([child()]))
    client = login(outsider)
    assert client.get(reverse("ledgers:batch", args=[batch.pk])).status_code == 404
    assert client.post(reverse("ledgers:commit", args=[batch.pk]),
                       {"mode": "all"}).status_code == 404  # fmt: skip
    assert ImportBatch.objects.get(pk=batch.pk).status == "checked"


def test_the_pages_upload_check_and_commit(login, village_worker, demo_areas):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    client = login(village_worker)
    assert client.get(reverse("ledgers:import")).status_code == 200
    upload_file = SimpleUploadedFile("台账.xlsx", workbook([child(), child("坏", "123")]))
    response = client.post(reverse("ledgers:import"), {"ledger": "children", "file": upload_file})
    batch = ImportBatch.objects.get()
    assert response.url == reverse("ledgers:batch", args=[batch.pk])
    page = client.get(response.url).content.decode()  # the check ran inline in the tests
    assert "第 3 行" in page and "身份证号码" in page
    client.post(reverse("ledgers:commit", args=[batch.pk]), {"mode": "valid"})
    assert list(Person.objects.values_list("name", flat=True)) == ["王小明"]


def test_the_rows_with_errors_download_with_what_to_fix(login, village_worker, demo_areas):
    import python_calamine
    from django.urls import reverse

    rows = [child(), child("=HYPERLINK(1)", "123"), child("李小红", GIRL, sex="女")]
    batch = upload(village_worker, workbook(rows))
    response = login(village_worker).get(reverse("ledgers:errors", args=[batch.pk]))
    assert response.status_code == 200
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    sheet = book.get_sheet_by_index(0).to_python()
    assert sheet[0][0] == "原行号" and sheet[0][-1] == "错误说明"
    assert len(sheet) == 2  # the header and row 3
    assert sheet[1][0] == 3 and "身份证号码" in sheet[1][-1]
    assert sheet[1][1] == "'=HYPERLINK(1)"  # never a formula


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_an_export_imports_back_with_no_change(login, village_worker, demo_areas, fmt):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    rows = [child(notes="=1+1 不是公式", school="'郑墩小学"), child("李小红", GIRL, sex="女",
            **{"mother.name": "陈梅", "mother.phone": "13900001111",
               "guardian.name": "王奶奶", "guardian.kind": "祖母"})]  # fmt: skip
    commit(village_worker, upload(village_worker, workbook(rows)), "all")
    client = login(village_worker)
    exported = client.get(reverse("ledgers:export", args=["children"]),
                          {"format": fmt, "reveal": "1"})  # fmt: skip
    assert exported.status_code == 200
    data = b"".join(exported.streaming_content) if exported.streaming else exported.content
    client.post(reverse("ledgers:import"), {
        "ledger": "children", "file": SimpleUploadedFile(f"导出.{fmt}", data)})  # fmt: skip
    batch = ImportBatch.objects.latest("pk")
    assert batch.counts == {"new": 0, "update": 0, "unchanged": 2, "error": 0}, list(
        batch.issues.values_list("row", "column", "message"))  # fmt: skip
    assert Person.objects.get(name="王小明").notes == "=1+1 不是公式"


def test_a_check_can_be_cancelled_and_then_writes_nothing(village_worker, demo_areas):
    batch = services.batch_upload(user=village_worker, ledger_key="children",
                                  file_name="x.xlsx", data=workbook([child()]))  # fmt: skip
    # The worker has started checking; the user presses 取消.
    ImportBatch.objects.filter(pk=batch.pk).update(status="checking")
    batch.refresh_from_db()
    services.batch_cancel(user=village_worker, batch=batch)
    ImportBatch.objects.filter(pk=batch.pk).update(status="queued")  # as the worker saw it
    batch = services.batch_check(batch_id=batch.pk)
    assert (batch.status, batch.data, batch.cancel_requested) == ("cancelled", None, True)
    with pytest.raises(ValidationError):
        commit(village_worker, batch, "all")
    assert not Person.objects.exists()


def test_a_commit_can_be_cancelled_and_then_writes_nothing(village_worker, demo_areas):
    batch = upload(village_worker, workbook([child(), child("李小红", GIRL, sex="女")]))
    batch = services.batch_commit_start(user=village_worker, batch=batch, mode="all")
    assert batch.status == "committing"
    # The worker has not reached its next chunk when the user presses 取消.
    services.batch_cancel(user=village_worker, batch=batch)
    batch = services.batch_commit(batch_id=batch.pk)
    assert (batch.status, batch.data, batch.message) == ("cancelled", None,
                                                         "已取消，未导入任何内容")  # fmt: skip
    assert not Person.objects.exists()


def test_all_or_nothing_stops_when_the_register_changed_after_the_preview(village_worker,
                                                                          demo_areas):  # fmt: skip
    batch = upload(village_worker, workbook([child(), child("李小红", GIRL, sex="女")]))
    assert batch.counts["error"] == 0
    make_person("外乡孩子", "350724102200", id_number=GIRL)  # registered elsewhere meanwhile
    batch = services.batch_commit_start(user=village_worker, batch=batch, mode="all")
    batch = services.batch_commit(batch_id=batch.pk)
    assert batch.status == "failed"
    assert batch.message.startswith("第 3 行在检查后出现错误")
    assert not Person.objects.filter(name="王小明").exists()  # row 2 was rolled back


def test_the_commit_progress_is_shown_while_the_worker_writes(login, village_worker,
                                                              demo_areas):  # fmt: skip
    from django.urls import reverse

    batch = upload(village_worker, workbook([child(), child("李小红", GIRL, sex="女")]))
    batch = services.batch_commit_start(user=village_worker, batch=batch, mode="all")
    services._signal_put(batch.pk, "done", 1)  # as the worker reports after a chunk
    client = login(village_worker)
    url = reverse("ledgers:batch", args=[batch.pk])
    fragment = client.get(url, {"progress": 1}, headers={"HX-Request": "true"}).content.decode()
    assert "已导入 1 / 2 行" in fragment and 'aria-valuenow="50"' in fragment
    services.batch_commit(batch_id=batch.pk)
    done = client.get(url, {"progress": 1}, headers={"HX-Request": "true"})
    assert done.headers["HX-Refresh"] == "true"
    assert "已导入：新建 2 份" in client.get(url).content.decode()


def test_a_checked_batch_can_be_dropped(village_worker, demo_areas):
    batch = upload(village_worker, workbook([child()]))
    batch = services.batch_cancel(user=village_worker, batch=batch)
    assert (batch.status, batch.data) == ("cancelled", None)


def test_a_file_above_the_limit_is_refused_before_it_is_read(login, village_worker, settings,
                                                             demo_areas):  # fmt: skip
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    settings.LEDGER_IMPORT_MAX_BYTES = 1024
    junk = SimpleUploadedFile("大文件.xlsx", b"PK" + b"x" * 5000)
    response = login(village_worker).post(reverse("ledgers:import"),
                                          {"ledger": "children", "file": junk})  # fmt: skip
    assert response.status_code == 200
    assert "请分成几个文件导入" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_a_corrupt_file_fails_with_a_message(village_worker, demo_areas):
    batch = upload(village_worker, b"PK\x03\x04 this is not a workbook", name="坏.xlsx")
    assert batch.status == "failed"
    assert "文件已损坏" in batch.message or "不是 Excel" in batch.message


def test_the_progress_fragment_polls_until_done(login, village_worker, demo_areas):
    from django.urls import reverse

    batch = services.batch_upload(user=village_worker, ledger_key="children",
                                  file_name="x.xlsx", data=workbook([child()]))  # fmt: skip
    ImportBatch.objects.filter(pk=batch.pk).update(status="checking", total_rows=4000,
                                                   done_rows=1000)  # fmt: skip
    client = login(village_worker)
    url = reverse("ledgers:batch", args=[batch.pk]) + "?progress=1"
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'aria-valuenow="25"' in fragment and "已检查 1000 / 4000 行" in fragment
    ImportBatch.objects.filter(pk=batch.pk).update(status="checked")
    done = client.get(url, headers={"HX-Request": "true"})
    assert done.headers.get("HX-Refresh") == "true"  # reload to show the preview

"""Import batches: upload, check (in the background, with progress and
cancellation), commit all-or-nothing or only the valid rows, cancel.

What must hold: nothing is written before the user commits; a commit re-reads the
same bytes (the hash is kept) and re-checks them, so a file changed on the
register meanwhile is judged as it is now; "all" writes nothing when any row has
an error; a batch is committed at most once; the same file imported again
finds every row unchanged and writes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from itertools import islice

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.audit.context import acting_as
from shouwang.ledgers import importing, reading
from shouwang.ledgers.columns import LEDGERS
from shouwang.ledgers.models import ImportBatch, ImportIssue

PERSON_LEDGERS = ("children", "difficulty", "women", "elderly")
Status = ImportBatch.Status


def importable(user) -> list[str]:
    """The ledgers a user may import: people's ledgers, for those who add files."""
    return list(PERSON_LEDGERS) if user.has_perm("people.add_person") else []


def size_error(size: int) -> str:
    """The message for a file above the size limit, or "" (checked before reading it)."""
    limit = reading.Limits().max_bytes
    if size <= limit:
        return ""
    return _("文件超过 %(size)s，请分成几个文件导入") % {"size": filesizeformat(limit)}


@transaction.atomic
def batch_upload(*, user, ledger_key: str, file_name: str, data: bytes) -> ImportBatch:
    """Keep an uploaded file as a batch to check; refused with a message: a ledger
    the user may not import, no file, a file above the size limit."""
    if ledger_key not in importable(user) or user.scope_area is None:
        raise PermissionDenied(_("您不能导入该台账"))
    if not data:
        raise ValidationError({"file": _("请选择要导入的文件")})
    if message := size_error(len(data)):
        raise ValidationError({"file": message})
    return ImportBatch.objects.create(
        ledger=ledger_key, file_name=file_name[:200], file_size=len(data), data=data,
        file_hash=hashlib.sha256(data).hexdigest(), scope=user.scope_area, uploaded_by=user,
    )  # fmt: skip


def _sheet(batch: ImportBatch) -> reading.Sheet:
    return reading.read_ledger(bytes(batch.data), batch.file_name, LEDGERS[batch.ledger],
                               limits=reading.Limits())  # fmt: skip


def _chunks(sheet: reading.Sheet) -> Iterator[list[reading.RawRow]]:
    """The sheet's rows a chunk at a time: a 100,000-row file is never held as
    100,000 rows at once."""
    rows = iter(sheet.rows)
    while chunk := list(islice(rows, importing.CHUNK)):
        yield chunk


def _cancelled(batch: ImportBatch) -> bool:
    return ImportBatch.objects.filter(pk=batch.pk, cancel_requested=True).exists()


def batch_check(*, batch_id: int) -> ImportBatch:
    """Read and check every row (run by the worker): the counts and the issues of
    the preview. Writes nothing but the batch's own record."""
    batch = ImportBatch.objects.get(pk=batch_id)
    if batch.status not in (Status.QUEUED, Status.CHECKED):
        return batch
    user = batch.uploaded_by
    ImportBatch.objects.filter(pk=batch.pk).update(status=Status.CHECKING, done_rows=0)
    try:
        sheet = _sheet(batch)
    except reading.LedgerFileError as exc:
        return _finish(batch, Status.FAILED, message=str(exc))
    # Rows below the header until they are counted (blank rows are skipped).
    ImportBatch.objects.filter(pk=batch.pk).update(total_rows=sheet.row_count)
    counts = dict.fromkeys((importing.NEW, importing.UPDATE, importing.UNCHANGED,
                            importing.ERROR), 0)  # fmt: skip
    issues: list[ImportIssue] = [
        ImportIssue(batch=batch, row=sheet.header_row, column=header,
                    message=_("未识别的列，将不导入"))
        for header in sheet.unknown_headers
    ]  # fmt: skip
    checker = importing.Checker(user=user, ledger=LEDGERS[batch.ledger])
    done = 0
    for chunk in _chunks(sheet):
        if _cancelled(batch):
            return _finish(batch, Status.CANCELLED, message=_("已取消"))
        for checked, found in checker.check_chunk(chunk):
            counts[checked.outcome] += 1
            issues.extend(ImportIssue(batch=batch, row=i.row, column=i.column[:60],
                                      message=i.message[:300]) for i in found)  # fmt: skip
        done += len(chunk)
        ImportBatch.objects.filter(pk=batch.pk).update(done_rows=done)
    with transaction.atomic():
        ImportIssue.objects.filter(batch=batch).delete()
        ImportIssue.objects.bulk_create(issues, batch_size=2000)
    return _finish(batch, Status.CHECKED, counts=counts, done_rows=done, total_rows=done)


def _finish(batch: ImportBatch, status: str, **values) -> ImportBatch:
    ImportBatch.objects.filter(pk=batch.pk).update(status=status, **values)
    if status in (Status.CANCELLED, Status.FAILED):
        ImportBatch.objects.filter(pk=batch.pk).update(data=None, finished_at=timezone.now())
    batch.refresh_from_db()
    return batch


def _scoped(user, batch: ImportBatch) -> ImportBatch:
    if not ImportBatch.objects.visible_to(user).filter(pk=batch.pk).exists() or (
        batch.ledger not in importable(user)
    ):
        raise PermissionDenied(_("您不能处理该导入批次"))
    return ImportBatch.objects.select_for_update().get(pk=batch.pk)


def batch_commit(*, user, batch: ImportBatch, mode: str) -> ImportBatch:
    """Write the checked batch: everything or nothing (`all`), or only the rows
    without errors (`valid`). The rows are checked again as they stand now, in the
    same transaction as the writes."""
    with transaction.atomic():
        batch = _scoped(user, batch)
        if batch.status != Status.CHECKED:
            raise ValidationError(
                _("该批次不能导入（当前：%(s)s）") % {"s": batch.get_status_display()}
            )
        if mode not in ImportBatch.Mode.values:
            raise ValidationError(_("请选择导入方式"))
        checker = importing.Checker(user=batch.uploaded_by, ledger=LEDGERS[batch.ledger])
        # Every row is checked before anything is written, as the preview was.
        checked = [c for chunk in _chunks(_sheet(batch))
                   for c, _found in checker.check_chunk(chunk)]  # fmt: skip
        errors = sum(c.outcome == importing.ERROR for c in checked)
        if mode == ImportBatch.Mode.ALL and errors:
            raise ValidationError(
                _("有 %(n)s 行有错误，未导入任何内容；请修改后重新上传，或选择只导入无误的行")
                % {"n": errors}
            )
        written = {"created": 0, "updated": 0, "enrolled": 0, "relations": 0}
        with acting_as(user):
            for i in range(0, len(checked), importing.CHUNK):
                part = importing.write(user=user, ledger=LEDGERS[batch.ledger],
                                       checked=checked[i : i + importing.CHUNK])  # fmt: skip
                written = {k: written[k] + part[k] for k in written}
        written["skipped"] = errors
        batch.status, batch.mode, batch.written = Status.COMMITTED, mode, written
        batch.data, batch.finished_at = None, timezone.now()
        batch.save()
    return batch


def batch_cancel(*, user, batch: ImportBatch) -> ImportBatch:
    """Stop a check in progress, or drop a checked batch; the file is discarded."""
    with transaction.atomic():
        batch = _scoped(user, batch)
        if batch.status in (Status.COMMITTED, Status.CANCELLED, Status.FAILED):
            raise ValidationError(_("该批次已结束，不能取消"))
        if batch.status == Status.CHECKING:
            batch.cancel_requested = True
            batch.save(update_fields=["cancel_requested"])
            return batch
        batch.status, batch.cancel_requested = Status.CANCELLED, True
        batch.data, batch.finished_at = None, timezone.now()
        batch.save()
    return batch


def error_workbook(*, batch: ImportBatch, out) -> None:
    """The rows of a checked batch that have errors, as the file had them, with a
    column saying what to fix — to correct and upload again."""
    import xlsxwriter

    from shouwang.ledgers.writing import neutralise

    if batch.data is None:
        raise ValidationError(_("该批次的文件已不再保留"))
    sheet = _sheet(batch)
    problems: dict[int, list[str]] = {}
    for issue in batch.issues.exclude(row=sheet.header_row):
        text = f"{issue.column}：{issue.message}" if issue.column else issue.message
        problems.setdefault(issue.row, []).append(text)
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": False})
    data = book.add_worksheet(_("需修改的行"))
    bold = book.add_format({"bold": True})
    columns = [column for _index, column in sheet.columns]
    heads = [_("原行号"), *(str(c.header) for c in columns), _("错误说明")]
    for c, head in enumerate(heads):
        data.write_string(0, c, head, bold)
    r = 1
    for raw in sheet.rows:
        if raw.number not in problems:
            continue
        data.write_number(r, 0, raw.number)
        for c, column in enumerate(columns, start=1):
            value = raw.values.get(column.key)
            if value is None or value == "":
                continue
            if isinstance(value, str):
                data.write_string(r, c, neutralise(value))
            else:
                data.write(r, c, value)
        data.write_string(r, len(heads) - 1, neutralise("；".join(problems[raw.number])))
        r += 1
    book.close()

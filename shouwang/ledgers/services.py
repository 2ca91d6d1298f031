"""Import batches: upload, check (in the background, with progress and
cancellation), commit all-or-nothing or only the valid rows, cancel — for the
ledgers of people (`importing`) and of the care network (`care_import`) alike,
through one code path given the ledger's checker and writer (`IMPORTS`).

What must hold: nothing is written before the user commits; a commit re-reads the
same bytes (the hash is kept) and re-checks them, so a file changed on the
register meanwhile is judged as it is now; "all" writes nothing when any row has
an error; a batch is committed at most once; the same file imported again
finds every row unchanged and writes nothing.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from itertools import islice

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from shouwang.audit.context import acting_as
from shouwang.ledgers import importing, reading
from shouwang.ledgers.care_import import CARE_IMPORTS
from shouwang.ledgers.columns import LEDGERS
from shouwang.ledgers.models import ImportBatch, ImportIssue

logger = logging.getLogger(__name__)
PERSON_LEDGERS = ("children", "difficulty", "women", "elderly")
# The ledgers that can be imported: the checker of a file's rows and the writer of
# the checked rows (same interface: `check_chunk(rows)` → [(checked, issues)], each
# checked with `.row` and `.outcome`; `write(user=, ledger=, checked=)` → counts),
# and the permission a user needs to import it (besides ledgers.add_importbatch).
IMPORTS = {
    **{key: (importing.Checker, importing.write) for key in PERSON_LEDGERS},
    **CARE_IMPORTS,
}
IMPORT_PERMISSIONS = {
    **dict.fromkeys(PERSON_LEDGERS, "people.add_person"),
    "volunteers": "care.add_volunteer",
    "pairings": "care.add_pairing",
    "contacts": "care.add_contact",
}
Status = ImportBatch.Status
_FAILED = _lazy("处理出错，未导入任何内容；请稍后重试或联系管理员")
_ALL_REFUSED = _lazy("有 %(n)s 行有错误，未导入任何内容；请修改后重新上传，或选择只导入无误的行")


def importable(user) -> list[str]:
    """The ledgers a user may import, in the order of `IMPORTS`: those whose records
    they may add, if they may import at all (volunteers never do: they hold no
    ledgers.add_importbatch)."""
    if not user.has_perm("ledgers.add_importbatch"):
        return []
    return [key for key in IMPORTS if user.has_perm(IMPORT_PERMISSIONS[key])]


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
    """The batch's kept file, read. The file is fetched here and held only by the
    reader: the worker loads its batches without it (`defer("data")`), so neither
    the batch nor its refreshes carry a second copy (on PostgreSQL a `bytea` also
    arrives as hex text, twice its size, while it is loaded)."""
    data = ImportBatch.objects.filter(pk=batch.pk).values_list("data", flat=True).get()
    return reading.read_ledger(bytes(data), batch.file_name, LEDGERS[batch.ledger],
                               limits=reading.Limits())  # fmt: skip


def _chunks(sheet: reading.Sheet) -> Iterator[list[reading.RawRow]]:
    """The sheet's rows a chunk at a time: a 100,000-row file is never held as
    100,000 rows at once."""
    rows = iter(sheet.rows)
    while chunk := list(islice(rows, settings.LEDGER_IMPORT_CHUNK_ROWS)):
        yield chunk


# While a batch runs in the worker, its progress and a request to cancel it pass
# through the task queue's own key-value store (huey: SQLite file or Redis), not the
# database: a commit writes in one long transaction, whose updates of the batch no
# one else sees until it ends, and on SQLite it holds the only write lock, so the
# page could neither read the progress nor ask it to stop.
def _signal(batch_id: int, name: str) -> str:
    return f"ledgers:import:{batch_id}:{name}"


def _signal_put(batch_id: int, name: str, value) -> None:
    from huey.contrib.djhuey import HUEY

    HUEY.put(_signal(batch_id, name), value)


def _signal_get(batch_id: int, name: str, default=None):
    from huey.contrib.djhuey import HUEY

    found = HUEY.get(_signal(batch_id, name), peek=True)
    return default if found is None else found


def _signal_clear(batch_id: int) -> None:
    from huey.contrib.djhuey import HUEY

    for name in ("cancel", "done"):
        HUEY.delete(_signal(batch_id, name))


def _cancelled(batch: ImportBatch) -> bool:
    return bool(_signal_get(batch.pk, "cancel"))


def done_rows(batch: ImportBatch) -> int:
    """The rows handled so far in the batch's current step (for the progress bar)."""
    if batch.status == Status.COMMITTING:
        return _signal_get(batch.pk, "done", 0)
    return batch.done_rows


def batch_check(*, batch_id: int) -> ImportBatch:
    """Read and check every row (run by the worker): the counts and the issues of
    the preview. Writes nothing but the batch's own record."""
    batch = ImportBatch.objects.defer("data").get(pk=batch_id)
    if batch.status not in (Status.QUEUED, Status.CHECKED):
        return batch
    ImportBatch.objects.filter(pk=batch.pk).update(status=Status.CHECKING, done_rows=0)
    try:
        return _check(batch)
    except reading.LedgerFileError as exc:
        return _finish(batch, Status.FAILED, message=str(exc))
    except Exception:
        logger.exception("import batch %s: check failed", batch.pk)
        return _finish(batch, Status.FAILED, message=str(_FAILED))


def _importer(batch: ImportBatch):
    """A fresh checker of the batch's ledger, for its uploader (a file is judged in
    the scope of who uploaded it, at the check and again at the commit), and the
    function that writes its checked rows."""
    make, write = IMPORTS[batch.ledger]
    return make(user=batch.uploaded_by, ledger=LEDGERS[batch.ledger]), write


def _check(batch: ImportBatch) -> ImportBatch:
    sheet = _sheet(batch)
    # Rows below the header until they are counted (blank rows are skipped).
    ImportBatch.objects.filter(pk=batch.pk).update(total_rows=sheet.row_count)
    counts = dict.fromkeys((importing.NEW, importing.UPDATE, importing.UNCHANGED,
                            importing.ERROR), 0)  # fmt: skip
    issues: list[ImportIssue] = [
        ImportIssue(batch=batch, row=sheet.header_row, column=header,
                    message=_("未识别的列，将不导入"))
        for header in sheet.unknown_headers
    ]  # fmt: skip
    checker, _write = _importer(batch)
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
    if status in (Status.CANCELLED, Status.FAILED):
        values.update(data=None, finished_at=timezone.now())
        values.setdefault("cancel_requested", status == Status.CANCELLED)
    ImportBatch.objects.filter(pk=batch.pk).update(status=status, **values)
    _signal_clear(batch.pk)
    batch.refresh_from_db()
    return batch


def _scoped(user, batch: ImportBatch, *, lock: bool = True) -> ImportBatch:
    if not ImportBatch.objects.visible_to(user).filter(pk=batch.pk).exists() or (
        batch.ledger not in importable(user)
    ):
        raise PermissionDenied(_("您不能处理该导入批次"))
    batches = ImportBatch.objects.select_for_update() if lock else ImportBatch.objects
    return batches.get(pk=batch.pk)


def batch_commit_start(*, user, batch: ImportBatch, mode: str) -> ImportBatch:
    """Queue the checked batch to be written by the worker (`batch_commit`):
    everything or nothing (`all`), or only the rows without errors (`valid`).
    "all" is refused at once when the preview found errors."""
    with transaction.atomic():
        batch = _scoped(user, batch)
        if batch.status != Status.CHECKED:
            raise ValidationError(
                _("该批次不能导入（当前：%(s)s）") % {"s": batch.get_status_display()}
            )
        if mode not in ImportBatch.Mode.values:
            raise ValidationError(_("请选择导入方式"))
        if mode == ImportBatch.Mode.ALL and batch.counts.get(importing.ERROR):
            raise ValidationError(_ALL_REFUSED % {"n": batch.counts[importing.ERROR]})
        batch.status, batch.mode, batch.committed_by = Status.COMMITTING, mode, user
        batch.done_rows, batch.message = 0, ""
        batch.save()
    _signal_clear(batch.pk)
    return batch


class _Stop(Exception):
    """Ends a commit before it is done: everything written so far is rolled back."""

    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def batch_commit(*, batch_id: int) -> ImportBatch:
    """Write a batch queued by `batch_commit_start` (run by the worker): the rows
    are read again from the kept file and checked as the register stands now, a
    chunk at a time, and each chunk is written as soon as it is checked — all in
    one transaction, so that a cancel, an error in "all" mode or a failure leaves
    nothing written."""
    batches = ImportBatch.objects.select_related("committed_by", "uploaded_by")
    batch = batches.defer("data").get(pk=batch_id)
    if batch.status != Status.COMMITTING:
        return batch
    ledger = LEDGERS[batch.ledger]
    checker, write = _importer(batch)
    written = {"created": 0, "updated": 0, "enrolled": 0, "relations": 0, "skipped": 0}
    done = 0
    try:
        with transaction.atomic(), acting_as(batch.committed_by):
            for chunk in _chunks(_sheet(batch)):
                if _cancelled(batch):
                    raise _Stop(Status.CANCELLED, _("已取消，未导入任何内容"))
                checked = [c for c, _found in checker.check_chunk(chunk)]
                errors = [c.row for c in checked if c.outcome == importing.ERROR]
                if errors and batch.mode == ImportBatch.Mode.ALL:
                    message = _("第 %(row)s 行在检查后出现错误（档案已有变动），未导入任何内容；"
                                "请重新上传检查") % {"row": errors[0]}  # fmt: skip
                    raise _Stop(Status.FAILED, message)
                part = write(user=batch.committed_by, ledger=ledger, checked=checked)
                written = {k: written[k] + part.get(k, 0) for k in written}
                written["skipped"] += len(errors)
                done += len(chunk)
                _signal_put(batch.pk, "done", done)
    except _Stop as stop:
        return _finish(batch, stop.status, message=stop.message)
    except reading.LedgerFileError as exc:
        return _finish(batch, Status.FAILED, message=str(exc))
    except ValidationError as exc:  # a rule held under the row locks (a place taken meanwhile)
        message = _("未导入任何内容：%(reason)s") % {"reason": "；".join(exc.messages)}
        return _finish(batch, Status.FAILED, message=message[:500])
    except Exception:
        logger.exception("import batch %s: commit failed", batch.pk)
        return _finish(batch, Status.FAILED, message=str(_FAILED))
    return _finish(batch, Status.COMMITTED, written=written, done_rows=done, data=None,
                   finished_at=timezone.now())  # fmt: skip


def batch_cancel(*, user, batch: ImportBatch) -> ImportBatch:
    """Stop a check or a commit in progress (the worker stops at its next chunk;
    a commit is rolled back), or drop a checked batch; the file is discarded."""
    batch = _scoped(user, batch, lock=False)
    if batch.status in (Status.COMMITTED, Status.CANCELLED, Status.FAILED):
        raise ValidationError(_("该批次已结束，不能取消"))
    if batch.status in (Status.CHECKING, Status.COMMITTING):  # asked of the worker
        _signal_put(batch.pk, "cancel", True)
        return batch
    with transaction.atomic():
        batch = _scoped(user, batch)
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

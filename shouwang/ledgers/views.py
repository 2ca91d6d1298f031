"""Ledger pages: the blank template of each ledger, the export of the records in
the user's scope (xlsx or CSV, with the lists' filters), and the import — upload,
watch the check, read the preview, commit all-or-nothing or only the valid rows,
cancel, download the rows with errors."""

from __future__ import annotations

import functools
import tempfile
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Model, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from shouwang.audit.services import audit_export
from shouwang.care.forms.volunteers import VolunteerFilterForm
from shouwang.care.models import Contact, Pairing, Volunteer
from shouwang.care.selectors import volunteer_filter
from shouwang.core.forms import form_errors_from
from shouwang.ledgers import services
from shouwang.ledgers.columns import CASES, CONTACTS, LEDGERS, PAIRINGS, VOLUNTEERS, Ledger
from shouwang.ledgers.forms import UploadForm
from shouwang.ledgers.models import ImportBatch
from shouwang.ledgers.selectors import ledger_rows
from shouwang.ledgers.tasks import import_check
from shouwang.ledgers.tasks import import_commit as import_commit_task
from shouwang.ledgers.writing import export_csv, export_xlsx, template_xlsx
from shouwang.people.forms import PersonFilterForm
from shouwang.people.models import Person
from shouwang.people.selectors import person_filter
from shouwang.protection.models import ProtectionCase

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
REVEAL_PERMISSION = "people.reveal_sensitive"
# What a user must hold to download a ledger's template, and to export it.
_PEOPLE = ("people.view_person",)
_TEMPLATE_PERMISSIONS = {VOLUNTEERS.key: ("care.view_volunteer",),
                         PAIRINGS.key: ("care.view_volunteer",),
                         CONTACTS.key: ("care.view_volunteer",)}  # fmt: skip
_EXPORT_PERMISSIONS = {CASES.key: ("protection.view_protectioncase",),
                       VOLUNTEERS.key: ("care.view_volunteer",),
                       PAIRINGS.key: ("care.view_volunteer", "care.view_pairing"),
                       CONTACTS.key: ("care.view_volunteer", "care.view_contact")}  # fmt: skip
_MODELS: dict[str, type[Model]] = {VOLUNTEERS.key: Volunteer, PAIRINGS.key: Pairing,
                                   CONTACTS.key: Contact, CASES.key: ProtectionCase}  # fmt: skip


def _ledger(ledger_key: str) -> Ledger:
    ledger = LEDGERS.get(ledger_key)
    if ledger is None:
        raise Http404
    return ledger


def _allowed(user, permissions: tuple[str, ...]) -> bool:
    # Volunteers never download or export ledgers, whatever their permissions.
    return not getattr(user, "is_volunteer", False) and user.has_perms(permissions)


def may_download_template(user, ledger: Ledger) -> bool:
    return _allowed(user, _TEMPLATE_PERMISSIONS.get(ledger.key, _PEOPLE))


def may_export(user, ledger: Ledger) -> bool:
    return _allowed(user, _EXPORT_PERMISSIONS.get(ledger.key, _PEOPLE))


def _file_name(ledger: Ledger, suffix: str, extension: str) -> str:
    return f"{ledger.title}_{suffix}.{extension}"


@login_required
def template_download(request: HttpRequest, ledger_key: str) -> HttpResponse:
    """The blank template of a ledger (填写模板) with its notes and drop-downs."""
    ledger = _ledger(ledger_key)
    if not ledger.template:
        raise Http404
    if not may_download_template(request.user, ledger):
        raise PermissionDenied
    out = tempfile.TemporaryFile()  # noqa: SIM115 — FileResponse closes it
    template_xlsx(ledger, out)
    out.seek(0)
    name = _file_name(ledger, _("模板"), "xlsx")
    return FileResponse(out, as_attachment=True, filename=name, content_type=XLSX)


def _records(request: HttpRequest, ledger: Ledger) -> tuple[QuerySet, dict[str, Any]]:
    """The records in the user's scope to export, and the filters applied: for a
    ledger of people, the people list's filters (`person_list`) and an open
    enrollment in the ledger's program; for volunteers the volunteers list's."""
    user = request.user
    if ledger.program:
        filters = PersonFilterForm(request.GET or None, user=user)
        people = Person.objects.visible_to(user)
        applied: dict[str, Any] = {}
        if filters.is_valid():
            people = person_filter(people, **filters.cleaned_data)
            applied = {k: v for k, v in filters.cleaned_data.items() if v}
        return person_filter(people, program=ledger.program), applied
    if ledger.key == VOLUNTEERS.key:
        filters = VolunteerFilterForm(request.GET or None, user=user)
        volunteers = Volunteer.objects.visible_to(user)
        if filters.is_valid():
            applied = {k: v for k, v in filters.cleaned_data.items() if v}
            return volunteer_filter(volunteers, **filters.cleaned_data), applied
        return volunteers, {}
    return _MODELS[ledger.key].objects.visible_to(user), {}


@login_required
def export(request: HttpRequest, ledger_key: str) -> HttpResponse:
    """The records of a ledger in the user's scope, as xlsx (default) or CSV
    (`?format=csv`). ID and phone numbers are masked unless `?reveal=1` and the
    user holds people.reveal_sensitive. One audit entry records the export."""
    ledger = _ledger(ledger_key)
    if not may_export(request.user, ledger):
        raise PermissionDenied
    kind = request.GET.get("format", "xlsx")
    if kind not in ("xlsx", "csv"):
        return HttpResponseBadRequest(_("不支持的导出格式"))
    reveal = request.GET.get("reveal") == "1" and request.user.has_perm(REVEAL_PERMISSION)
    records, applied = _records(request, ledger)
    rows = ledger_rows(ledger, records, relatives=Person.objects.visible_to(request.user))

    # Written to a temporary file first (an xlsx is only complete when closed, and
    # the audit entry needs the count) and then streamed from disk.
    out = tempfile.TemporaryFile()  # noqa: SIM115 — FileResponse closes it
    writer = export_xlsx if kind == "xlsx" else export_csv
    try:
        count = writer(rows, ledger, out, reveal=reveal)
    except BaseException:
        out.close()
        raise
    audit_export(
        model=_MODELS.get(ledger.key, Person),
        name=ledger.key,
        label=_("导出%(title)s") % {"title": ledger.title},
        rows=count,
        fields=[col.key for col in ledger.columns],
        revealed=[col.key for col in ledger.columns if col.sensitive] if reveal else [],
        extra={"format": kind, "filters": applied},
    )
    out.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d")
    return FileResponse(
        out,
        as_attachment=True,
        filename=_file_name(ledger, stamp, kind),
        content_type=XLSX if kind == "xlsx" else CSV,
    )


# --- import -------------------------------------------------------------------------

ISSUES_PER_PAGE = 100


def _may_import(view):
    """Only for a user who may import some ledger (403 otherwise): a batch of a
    ledger they may not import is then not found (`_batch`)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not services.importable(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(wrapped)


def _batch(request: HttpRequest, pk: int) -> ImportBatch:
    return get_object_or_404(
        ImportBatch.objects.visible_to(request.user)
        .defer("data")
        .filter(ledger__in=services.importable(request.user)),
        pk=pk,
    )


@_may_import
def import_upload(request: HttpRequest) -> HttpResponse:
    """Upload a file of one of the ledgers the user may import; the templates of
    those ledgers and the recent batches."""
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if message := services.size_error(upload.size):  # before reading it into memory
            form.add_error("file", message)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = services.batch_upload(
                user=request.user, ledger_key=form.cleaned_data["ledger"],
                file_name=upload.name, data=upload.read(),
            )  # fmt: skip
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            import_check.enqueue(batch.pk)
            return redirect("ledgers:batch", pk=batch.pk)
    importable = [LEDGERS[key] for key in services.importable(request.user)]
    batches = (
        ImportBatch.objects.visible_to(request.user)
        .filter(ledger__in=[ledger.key for ledger in importable])
        .defer("data")
        .select_related("uploaded_by")[:20]
    )
    templates = [ledger for ledger in importable if may_download_template(request.user, ledger)]
    return render(
        request,
        "ledgers/import_upload.html",
        {
            "form": form,
            "batches": [(batch, LEDGERS[batch.ledger].title) for batch in batches],
            "templates": templates,
        },
    )


@_may_import
def import_batch(request: HttpRequest, pk: int) -> HttpResponse:
    """The batch: progress while it is checked (htmx polls the fragment), then the
    preview with its counts and the issues by row."""
    batch = _batch(request, pk)
    batch.done_rows = services.done_rows(batch)
    if request.htmx and request.GET.get("progress"):
        if not batch.running:  # done: show the preview, or what was written
            return HttpResponseClientRefresh()
        return render(request, "ledgers/partials/_import_progress.html", {"batch": batch})
    issues = Paginator(batch.issues.all(), ISSUES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "ledgers/import_batch.html",
        {"batch": batch, "ledger": LEDGERS[batch.ledger], "issues": issues},
    )


@_may_import
@require_POST
def import_commit(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    try:
        batch = services.batch_commit_start(user=request.user, batch=batch,
                                            mode=request.POST.get("mode", ""))  # fmt: skip
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        import_commit_task.enqueue(batch.pk)
    return redirect("ledgers:batch", pk=batch.pk)


@_may_import
@require_POST
def import_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    try:
        services.batch_cancel(user=request.user, batch=batch)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("已取消导入")
            if batch.status == ImportBatch.Status.CANCELLED
            else _("已请求取消，将在当前部分处理完后停止"),
        )
    return redirect("ledgers:batch", pk=batch.pk)


@_may_import
def import_errors(request: HttpRequest, pk: int) -> HttpResponse:
    """The rows with errors, as an .xlsx to correct and upload again."""
    batch = _batch(request, pk)  # the file itself is read only here
    response = HttpResponse(content_type=XLSX)
    try:
        services.error_workbook(batch=batch, out=response)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("ledgers:batch", pk=batch.pk)
    name = quote(f"{batch.file_name.rsplit('.', 1)[0]}-错误.xlsx")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
    return response

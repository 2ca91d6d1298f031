"""Import pages: upload a ledger, watch it being checked, read the preview, commit
all-or-nothing or only the valid rows, cancel, download the rows with errors."""

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from shouwang.core.forms import form_errors_from
from shouwang.ledgers import services
from shouwang.ledgers.columns import LEDGERS
from shouwang.ledgers.forms import UploadForm
from shouwang.ledgers.models import ImportBatch
from shouwang.ledgers.tasks import import_check

ISSUES_PER_PAGE = 100


def _batch(request: HttpRequest, pk: int) -> ImportBatch:
    return get_object_or_404(
        ImportBatch.objects.visible_to(request.user)
        .defer("data")
        .filter(ledger__in=services.importable(request.user)),
        pk=pk,
    )


@login_required
@permission_required("people.add_person", raise_exception=True)
def import_upload(request: HttpRequest) -> HttpResponse:
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
    batches = (
        ImportBatch.objects.visible_to(request.user)
        .filter(ledger__in=services.importable(request.user))
        .defer("data")
        .select_related("uploaded_by")[:20]
    )
    return render(
        request,
        "ledgers/import_upload.html",
        {"form": form, "batches": batches, "ledgers": LEDGERS},
    )


@login_required
@permission_required("people.add_person", raise_exception=True)
def import_batch(request: HttpRequest, pk: int) -> HttpResponse:
    """The batch: progress while it is checked (htmx polls the fragment), then the
    preview with its counts and the issues by row."""
    batch = _batch(request, pk)
    if request.htmx and request.GET.get("progress"):
        if not batch.running:  # done: show the preview
            return HttpResponseClientRefresh()
        return render(request, "ledgers/partials/_import_progress.html", {"batch": batch})
    issues = Paginator(batch.issues.all(), ISSUES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "ledgers/import_batch.html",
        {"batch": batch, "ledger": LEDGERS[batch.ledger], "issues": issues},
    )


@login_required
@require_POST
def import_commit(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    try:
        batch = services.batch_commit(user=request.user, batch=batch,
                                      mode=request.POST.get("mode", ""))  # fmt: skip
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        w = batch.written
        text = _("已导入：新建 %(c)s 份档案，更新 %(u)s 份，跳过有错误的 %(s)s 行")
        messages.success(request, text % {"c": w["created"], "u": w["updated"], "s": w["skipped"]})
    return redirect("ledgers:batch", pk=batch.pk)


@login_required
@require_POST
def import_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    try:
        services.batch_cancel(user=request.user, batch=batch)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("已取消导入"))
    return redirect("ledgers:batch", pk=batch.pk)


@login_required
@permission_required("people.add_person", raise_exception=True)
def import_errors(request: HttpRequest, pk: int) -> HttpResponse:
    """The rows with errors, as an .xlsx to correct and upload again."""
    batch = get_object_or_404(
        ImportBatch.objects.visible_to(request.user).filter(
            ledger__in=services.importable(request.user)
        ),
        pk=pk,
    )
    response = HttpResponse(
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    try:
        services.error_workbook(batch=batch, out=response)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("ledgers:batch", pk=batch.pk)
    name = quote(f"{batch.file_name.rsplit('.', 1)[0]}-错误.xlsx")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
    return response

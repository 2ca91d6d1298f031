from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from shouwang.audit.filters import AuditEntryFilter
from shouwang.audit.models import AuditEntry


@login_required
@permission_required("audit.view_auditentry", raise_exception=True)
def log(request: HttpRequest) -> HttpResponse:
    """The audit log for 审计管理员, filterable by user, record, action and date."""
    entries = AuditEntry.objects.visible_to(request.user).select_related("actor", "content_type")
    filterset = AuditEntryFilter(request.GET, queryset=entries)
    page = Paginator(filterset.qs.order_by("-timestamp", "-id"), 50).get_page(
        request.GET.get("page")
    )
    params = request.GET.copy()
    params.pop("page", None)
    context = {"filter": filterset, "page": page, "query_string": params.urlencode()}
    template = "audit/partials/_entries.html" if request.htmx else "audit/log.html"
    return render(request, template, context)

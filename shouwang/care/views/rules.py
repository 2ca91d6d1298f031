"""The visiting rules (走访频次) of the user's county: read by staff, changed by
the county administrator."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shouwang.care.forms.rules import RuleForm
from shouwang.care.models import ObligationRule
from shouwang.care.services import rules as services
from shouwang.core.forms import form_errors_from
from shouwang.core.locking import stale_status
from shouwang.regions.models import Area, Level


def _county(request: HttpRequest) -> Area:
    """The county the user works in (their scope area or the county above it)."""
    area = request.user.scope_area
    if area is None or area.level < Level.COUNTY:
        raise Http404
    return Area.objects.get(code=area.code[:6] + "000000")


def _may_edit(request: HttpRequest) -> bool:
    area = request.user.scope_area
    return (
        area is not None
        and area.level == Level.COUNTY
        and request.user.has_perm("care.change_obligationrule")
    )


@login_required
@permission_required("care.view_obligationrule", raise_exception=True)
def rule_list(request: HttpRequest) -> HttpResponse:
    county = _county(request)
    rules = sorted(
        services.county_rules(county),
        key=lambda r: (r.program, r.pairing_kind, r.duty, r.risk_level),
    )
    context = {
        "county": county,
        "rules": rules,
        "own": bool(rules) and rules[0].county_id is not None,
        "may_edit": _may_edit(request),
    }
    return render(request, "care/rules.html", context)


def _rules_of(county: Area):
    """The rows a county administrator may open: the county's and the defaults
    (editing a default edits the county's copy of it)."""
    return ObligationRule.objects.filter(Q(county=county) | Q(county__isnull=True))


def _editable(request: HttpRequest) -> Area:
    if not _may_edit(request):
        raise Http404
    return _county(request)


@login_required
@permission_required("care.change_obligationrule", raise_exception=True)
def rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    county = _editable(request)
    rule = get_object_or_404(_rules_of(county), pk=pk) if pk else None
    form = RuleForm(request.POST or None, instance=rule)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = {field: form.cleaned_data[field] for field in services.RULE_FIELDS}
        try:
            services.rule_save(user=request.user, county=county, rule=rule, data=data,
                               version=form.cleaned_data.get("version"))  # fmt: skip
        except ValidationError as exc:
            form_errors_from(exc, form)
            status = stale_status(exc)
        else:
            messages.success(request, _("已保存本县走访频次规则"))
            return redirect("care:rules")
    context = {"form": form, "rule": rule, "county": county}
    return render(request, "care/rule_form.html", context, status=status)


@login_required
@permission_required("care.change_obligationrule", raise_exception=True)
@require_POST
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    county = _editable(request)
    rule = get_object_or_404(_rules_of(county), pk=pk)
    try:
        services.rule_delete(user=request.user, county=county, rule=rule)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("已删除该规则"))
    return redirect("care:rules")


@login_required
@permission_required("care.change_obligationrule", raise_exception=True)
@require_POST
def rules_customise(request: HttpRequest) -> HttpResponse:
    """POST action=reset drops the county's own rules; the defaults apply again."""
    county = _editable(request)
    if request.POST.get("action") == "reset":
        services.rules_reset(user=request.user, county=county)
        messages.success(request, _("已恢复默认走访频次规则"))
    return redirect("care:rules")

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.people.eligibility import Program
from shouwang.people.forms import RuleForm
from shouwang.people.models import EligibilityRule
from shouwang.people.services.programs import RuleBook, rule_publish
from shouwang.regions.models import Level


def _rules_for(user):
    """National rules and those for the user's scope area or an area above it."""
    area = user.scope_area
    codes = [*area.ancestor_codes(), area.code] if area else []
    return EligibilityRule.objects.filter(Q(area__isnull=True) | Q(area_id__in=codes))


@login_required
@permission_required("people.view_eligibilityrule", raise_exception=True)
def rule_list(request: HttpRequest) -> HttpResponse:
    """Every version of every program's rule that applies in the user's county,
    and a form for a county administrator to publish a new version."""
    area = request.user.scope_area
    today = timezone.localdate()
    book = RuleBook()
    in_force = {p: book.rule_for(p, area.code, today) for p in Program.values} if area else {}
    form = None
    if (
        area is not None
        and area.level == Level.COUNTY
        and request.user.has_perm("people.add_eligibilityrule")
    ):
        current = {p: rule.params for p, rule in in_force.items()}
        form = RuleForm(request.POST or None, current=current)
        if request.method == "POST" and form.is_valid():
            rule = rule_publish(
                user=request.user, program=form.cleaned_data["program"],
                params=form.cleaned_data["params"], area=area,
                effective_from=form.cleaned_data["effective_from"],
                note=form.cleaned_data["note"],
            )  # fmt: skip
            messages.success(
                request,
                _(
                    "已发布%(program)s认定规则第 %(v)s 版，%(date)s 起生效；"
                    "当晚的评估将按新规则提出建议。"
                )
                % {
                    "program": rule.get_program_display(),
                    "v": rule.version,
                    "date": rule.effective_from,
                },  # fmt: skip
            )
            return redirect("people:rules")
    rules = _rules_for(request.user).select_related("area", "created_by")
    return render(
        request,
        "people/rules.html",
        {"rules": rules, "in_force": {r.pk for r in in_force.values()}, "form": form},
    )

"""Risk grading pages: assess a person, one assessment, reassessments due (待复评),
the region's scale, and a person's timeline (the fragment on the person page)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from shouwang.audit.services import audit_access
from shouwang.core.forms import form_errors_from
from shouwang.core.locking import VersionForm, is_stale
from shouwang.people.models import Person
from shouwang.protection import rubric
from shouwang.protection.forms.risk import AssessmentForm, GradeForm, ScaleForm, scales_for_county
from shouwang.protection.models import Assessment, CurrentRisk, ProtectionCase, RiskScale
from shouwang.protection.selectors.risk import never_assessed, reassessments_due
from shouwang.protection.selectors.timeline import KINDS as TIMELINE_KINDS
from shouwang.protection.selectors.timeline import person_timeline as timeline_of
from shouwang.protection.services import risk as services
from shouwang.protection.views import county_settings

LIST_LIMIT = 200
TIMELINE_LABELS = [
    ("assessment", _lazy("评估")),
    ("case", _lazy("案件")),
    ("service", _lazy("服务")),
    ("aid", _lazy("慰问")),
    ("activity", _lazy("活动")),
    ("contact", _lazy("联系")),
]


@login_required
@permission_required("protection.add_assessment", raise_exception=True)
def assessment_create(request: HttpRequest, person_pk: int) -> HttpResponse:
    person = get_object_or_404(
        Person.objects.visible_to(request.user).select_related("village"), pk=person_pk
    )
    today = timezone.localdate()
    subject = services.subject_for(person, today)
    scale = services.scale_for(person.village_id)
    form = AssessmentForm(request.POST or None, subject=subject, scale=scale)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            assessment = services.assessment_record(
                user=request.user, person=person, answers=form.answers(),
                override_grade=data["override_grade"], override_reason=data["override_reason"],
                notes=data["notes"], assessed_on=data["assessed_on"] or today,
            )  # fmt: skip
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(
                request,
                _("已完成 %(name)s 的风险评估：%(grade)s")
                % {"name": person.name, "grade": assessment.grade.label},
            )
            return redirect("people:detail", pk=person.pk)
    current = CurrentRisk.objects.filter(person=person).select_related("grade").first()
    return render(
        request,
        "protection/assessment_form.html",
        {
            "person": person,
            "form": form,
            "scale": scale,
            "grades": scale.grades.all(),
            "current": current,
            "max_score": rubric.max_score(subject),
            "red_flags": rubric.RED_FLAGS,
        },
    )


@login_required
@permission_required("protection.view_assessment", raise_exception=True)
def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = get_object_or_404(
        Assessment.objects.visible_to(request.user).select_related(
            "person__village", "grade", "computed_grade", "scale", "assessed_by"
        ),
        pk=pk,
    )
    # The answers say whether a child is harmed or self-harming: a read is audited.
    audit_access(instance=assessment, fields=["answers", "red_flags"], reason="assessment page")
    return render(
        request,
        "protection/assessment_detail.html",
        {
            "a": assessment,
            "answers": rubric.answer_labels(assessment.answers),
            "flags": rubric.red_flag_labels(assessment.red_flags),
        },
    )


@login_required
@permission_required("protection.add_assessment", raise_exception=True)
def reassessment_list(request: HttpRequest) -> HttpResponse:
    """待复评: levels whose reassessment is overdue or due within two weeks, and
    people in a program never assessed."""
    today = timezone.localdate()
    if request.GET.get("panel"):
        return _worklist_panel(request, today)
    due = list(reassessments_due(request.user, today=today)[:LIST_LIMIT])
    missing = list(never_assessed(request.user, today=today)[:LIST_LIMIT])
    return render(
        request,
        "protection/reassessments.html",
        {"due": due, "missing": missing, "today": today, "limit": LIST_LIMIT},
    )


PANEL_ITEMS = 5


def _worklist_panel(request: HttpRequest, today) -> HttpResponse:
    """The protection part of 我的待办 (loaded by htmx): reassessments overdue and
    the user's own open cases, those past their deadline first."""
    overdue = reassessments_due(request.user, today=today, within_days=-1)
    mine = (
        ProtectionCase.objects.visible_to(request.user)
        .open()
        .filter(assignees=request.user)
        .select_related("village")
        .order_by(F("deadline_at").asc(nulls_last=True))
    )
    now = timezone.now()
    late_cases = (
        ProtectionCase.objects.visible_to(request.user).open().filter(deadline_at__lt=now).count()
        if request.user.has_perm("protection.oversee_cases")
        else 0
    )
    return render(
        request,
        "protection/partials/_worklist_panel.html",
        {
            "overdue": list(overdue[:PANEL_ITEMS]),
            "overdue_count": overdue.count(),
            "cases": list(mine[:PANEL_ITEMS]),
            "late_cases": late_cases,
            "now": now,
        },
    )


@login_required
@permission_required("protection.view_riskscale", raise_exception=True)
def scale_settings(request: HttpRequest) -> HttpResponse:
    """The scales and their levels; a county administrator picks the county's."""
    # The scale in force where the user works (scale_assign checks again).
    county, can_change = county_settings(request.user, "protection.change_riskscaleassignment")
    in_force = services.scale_for(county.code) if county else RiskScale.objects.get(is_default=True)
    form = ScaleForm(request.POST or None, county=county, initial={"scale": in_force.pk})
    if request.method == "POST" and not can_change:
        raise PermissionDenied
    if request.method == "POST" and request.POST.get("action") == "customise":
        own = services.scale_customise(user=request.user, county=county)
        messages.success(request, _("已建立本县风险等级标准，可调整各等级"))
        return redirect("protection:scale_edit", pk=own.pk)
    if request.method == "POST" and form.is_valid():
        try:
            services.scale_assign(user=request.user, area=county, scale=form.cleaned_data["scale"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(
                request,
                _("%(county)s 今后按「%(scale)s」评定风险等级")
                % {"county": county.name, "scale": form.cleaned_data["scale"].name},
            )
            return redirect("protection:scales")
    scales = scales_for_county(county).prefetch_related("grades")
    return render(
        request,
        "protection/scales.html",
        {
            "scales": scales,
            "in_force": in_force,
            "county": county,
            "form": form,
            "can_change": can_change,
        },
    )


@login_required
@permission_required("protection.change_riskscaleassignment", raise_exception=True)
def scale_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The levels of the county's own scale: names, colours, thresholds, visiting
    tiers and reassessment intervals."""
    area = request.user.scope_area
    county_code = area.code[:6] + "000000" if area else ""
    scale = get_object_or_404(RiskScale.objects.filter(county_id=county_code), pk=pk)
    grades = list(scale.grades.all())
    version_form = VersionForm(request.POST or None, record=scale)
    forms = {
        g.rank: GradeForm(request.POST or None, prefix=str(g.rank), initial={
            "label": g.label, "colour": g.colour, "min_score": g.min_score, "tier": g.tier,
            "reassess_days": g.reassess_days})
        for g in grades
    }  # fmt: skip
    status = 200
    valid = [version_form.is_valid()] + [f.is_valid() for f in forms.values()]
    if request.method == "POST" and all(valid):
        try:
            services.scale_grades_update(
                user=request.user, scale=scale, version=version_form.version,
                rows={rank: f.cleaned_data for rank, f in forms.items()},
            )  # fmt: skip
        except ValidationError as exc:
            if is_stale(exc):
                form_errors_from(exc, version_form)
                status = 409
            else:
                for key, errors in exc.message_dict.items():
                    rank, _sep, field = key.partition("-")
                    forms[int(rank)].add_error(field, errors)
        else:
            messages.success(request, _("已保存本县风险等级标准"))
            return redirect("protection:scales")
    if status == 200 and any(f.errors for f in [version_form, *forms.values()]):
        status = 400
    return render(
        request,
        "protection/scale_edit.html",
        {"scale": scale, "version_form": version_form,
         "rows": [(g, forms[g.rank]) for g in grades]},
        status=status,
    )  # fmt: skip


@login_required
def person_timeline(request: HttpRequest, person_pk: int) -> HttpResponse:
    """The person page's timeline fragment (loaded by htmx)."""
    person = get_object_or_404(Person.objects.visible_to(request.user), pk=person_pk)
    kind = request.GET.get("kind", "")
    kinds = (kind,) if kind in TIMELINE_KINDS else TIMELINE_KINDS
    return render(
        request,
        "protection/partials/_timeline.html",
        {
            "person": person,
            "events": timeline_of(request.user, person, kinds=kinds),
            "kind": kind if kind in TIMELINE_KINDS else "",
            "kinds": TIMELINE_LABELS,
        },
    )


@login_required
@permission_required("protection.view_assessment", raise_exception=True)
def risk_panel(request: HttpRequest, person_pk: int) -> HttpResponse:
    """The person page's risk panel: the level in force, when it is due again, and
    the assessments so far (loaded by htmx)."""
    person = get_object_or_404(Person.objects.visible_to(request.user), pk=person_pk)
    assessments = list(
        Assessment.objects.visible_to(request.user)
        .filter(person=person)
        .select_related("grade", "assessed_by")[:10]
    )
    current = assessments[0] if assessments else None
    return render(
        request,
        "protection/partials/_risk_panel.html",
        {
            "person": person,
            "current": current,
            "assessments": assessments,
            "overdue": current is not None and current.next_due < timezone.localdate(),
        },
    )

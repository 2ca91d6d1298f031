"""Mandatory reports (强制报告) and protection cases: file a report, the cases list,
one case (every read audited) with its next step, assignment, notes, referrals and
interventions, and the deadlines of each step.

Cases are need-to-know: every lookup goes through `ProtectionCase.objects
.visible_to`, so someone who is neither assigned nor a supervisor gets 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import F, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shouwang.accounts.models import User
from shouwang.core.forms import form_errors_from
from shouwang.core.locking import stale_status
from shouwang.people.models import Person
from shouwang.protection import casework
from shouwang.protection import choices as c
from shouwang.protection.forms.cases import (
    AssignForm,
    DeadlineForm,
    InterventionForm,
    NoteForm,
    ReferralAnswerForm,
    ReferralForm,
    ReportForm,
    TransitionForm,
)
from shouwang.protection.models import ProtectionCase, Referral
from shouwang.protection.services import cases as services
from shouwang.protection.views import county_settings
from shouwang.regions.models import Area

PAGE_SIZE = 50


def _scoped_case(request: HttpRequest, pk: int) -> ProtectionCase:
    return get_object_or_404(
        ProtectionCase.objects.visible_to(request.user).select_related(
            "village", "signed_off_by", "reported_by"
        ),
        pk=pk,
    )


@login_required
@permission_required("protection.add_protectioncase", raise_exception=True)
def report_create(request: HttpRequest) -> HttpResponse:
    """强制报告. `?person=<id>` starts from a person's page; choosing a village
    (htmx) lists its people to tick."""
    person = None
    if request.GET.get("person", "").isdigit():
        person = Person.objects.visible_to(request.user).filter(pk=request.GET["person"]).first()
    village = person.village if person else None
    if request.method != "POST" and request.GET.get("village"):
        village = Area.objects.filter(code=request.GET["village"][:12]).first()
    initial = {"reporter_name": request.user.display_name, "discovered_at": timezone.localtime()}
    if person is not None:
        initial["people"] = [person.pk]
    form = ReportForm(request.POST or None, user=request.user, village=village, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = services.case_report(
                user=request.user, village=data["village"], category=data["category"],
                people=data["people"], others_involved=data["others_involved"],
                description=data["description"], discovered_at=data["discovered_at"],
                discovered_place=data["discovered_place"], channel=data["channel"],
                reporter_name=data["reporter_name"], reporter_phone=data["reporter_phone"],
                reporter_org=data["reporter_org"], immediate_action=data["immediate_action"],
                police_notified=data["police_notified"],
                police_notified_at=data["police_notified_at"],
            )  # fmt: skip
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(
                request,
                _("已上报，案件编号 %(number)s。乡镇督导员将尽快受理。") % {"number": case.number},
            )
            if ProtectionCase.objects.visible_to(request.user).filter(pk=case.pk).exists():
                return redirect("protection:case", pk=case.pk)
            return redirect("core:home")
    if request.htmx and request.method == "GET":
        return render(request, "protection/partials/_report_people.html", {"form": form})
    return render(request, "protection/report_form.html", {"form": form})


@login_required
@permission_required("protection.view_protectioncase", raise_exception=True)
def case_list(request: HttpRequest) -> HttpResponse:
    """Cases the user has need-to-know of: open ones first, those past their
    deadline at the top. No case content here, so no read is audited."""
    now = timezone.now()
    cases = ProtectionCase.objects.visible_to(request.user).select_related("village")
    state = request.GET.get("state", "open")
    if state == "open":
        cases = cases.open()
    elif state == "overdue":
        cases = cases.open().filter(deadline_at__lt=now)
    elif state in c.CaseState.values:
        cases = cases.filter(state=state)
    cases = cases.prefetch_related(
        Prefetch("assignees", queryset=User.objects.only("username", "full_name"))
    ).order_by(F("deadline_at").asc(nulls_last=True), "-created_at")
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "protection/case_list.html",
        {
            "page": page,
            "now": now,
            "state": state,
            "states": c.CaseState.choices,
            "query_string": params.urlencode(),
        },
    )


def _render_case(request: HttpRequest, case: ProtectionCase, status: int = 200, **forms):
    """The case page; `forms` replaces a blank form with a bound one showing errors."""
    services.case_read(user=request.user, case=case, what="case page")
    today = timezone.localdate()
    # People involved who have since left the viewer's scope are counted, not named.
    people = list(
        Person.objects.visible_to(request.user).filter(cases=case).only("name", "village_id")
    )
    can_change = request.user.has_perm("protection.change_protectioncase")
    oversee = request.user.has_perm("protection.oversee_cases")
    context = {
        "case": case,
        "now": timezone.now(),
        "people": people,
        "people_hidden": case.people.count() - len(people),
        "assignees": case.assignees.all(),
        "events": case.events.select_related("by"),
        "notes": case.notes.select_related("author"),
        "referrals": case.referrals.all(),
        "interventions": case.interventions.select_related("by"),
        "escalations": case.escalations.all(),
        "can_change": can_change,
        "oversee": oversee,
        "transition_form": forms.get("transition_form")
        or TransitionForm(case=case, initial={"to_state": ""}),
        "note_form": forms.get("note_form") or NoteForm(),
        "referral_form": forms.get("referral_form") or ReferralForm(initial={"referred_on": today}),
        "answer_form": ReferralAnswerForm(initial={"answered_on": today}),
        "intervention_form": forms.get("intervention_form")
        or InterventionForm(initial={"on": today}),
        "assign_form": forms.get("assign_form")
        or AssignForm(
            case=case,
            users=services.assignable_users(case),
            initial={"assignees": [u.pk for u in case.assignees.all()]},
        ),
        "steps": [(s, label) for s, label in c.CaseState.choices],
    }
    return render(request, "protection/case_detail.html", context, status=status)


@login_required
@permission_required("protection.view_protectioncase", raise_exception=True)
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_case(request, _scoped_case(request, pk))


def _post(request: HttpRequest, pk: int, form_class, name: str, action, success: str,
          form_kwargs=None):  # fmt: skip
    """Run `action(case, cleaned_data)` for one of the case page's forms: back to
    the case on success, else the case page again with the form's errors.
    `form_kwargs(case)` gives the form's extra arguments."""
    case = _scoped_case(request, pk)
    if not request.user.has_perm("protection.change_protectioncase"):
        raise PermissionDenied
    form = form_class(request.POST, **(form_kwargs(case) if form_kwargs else {}))
    status = 400
    if form.is_valid():
        try:
            action(case, form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(exc, form)
            status = stale_status(exc, otherwise=400)
        else:
            messages.success(request, success)
            return redirect("protection:case", pk=case.pk)
    return _render_case(request, case, status=status, **{name: form})


@login_required
@require_POST
def case_transition(request: HttpRequest, pk: int) -> HttpResponse:
    def move(case, data):
        services.case_transition(
            user=request.user, case=case, to_state=data["to_state"], note=data["note"],
            expected_state=data["from_state"], version=data["version"],
        )  # fmt: skip

    return _post(request, pk, TransitionForm, "transition_form", move, _("已更新案件状态"),
                 form_kwargs=lambda case: {"case": case})  # fmt: skip


@login_required
@require_POST
def case_assign(request: HttpRequest, pk: int) -> HttpResponse:
    def assign(case, data):
        services.case_assign(user=request.user, case=case, assignees=data["assignees"],
                             version=data["version"])  # fmt: skip

    return _post(request, pk, AssignForm, "assign_form", assign, _("已指定承办人"),
                 form_kwargs=lambda case: {"case": case,
                                           "users": services.assignable_users(case)})  # fmt: skip


@login_required
@require_POST
def case_note_add(request: HttpRequest, pk: int) -> HttpResponse:
    def add(case, data):
        services.case_note_add(user=request.user, case=case, text=data["text"])

    return _post(request, pk, NoteForm, "note_form", add, _("已添加工作记录"))


@login_required
@require_POST
def referral_add(request: HttpRequest, pk: int) -> HttpResponse:
    def add(case, data):
        services.referral_add(user=request.user, case=case, agency=data["agency"],
                              referred_on=data["referred_on"], note=data["note"])  # fmt: skip

    return _post(request, pk, ReferralForm, "referral_form", add, _("已记录转介"))


@login_required
@require_POST
def referral_answer(request: HttpRequest, pk: int, referral_pk: int) -> HttpResponse:
    case = _scoped_case(request, pk)
    referral = get_object_or_404(Referral.objects.filter(case=case), pk=referral_pk)
    form = ReferralAnswerForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.referral_answer(
                user=request.user, referral=referral, answer=data["answer"],
                answered_on=data["answered_on"], answer_note=data["answer_note"],
            )  # fmt: skip
        except (ValidationError, PermissionDenied) as exc:
            for message in getattr(exc, "messages", [str(exc)]):
                messages.error(request, message)
        else:
            messages.success(request, _("已记录转介单位的回复"))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect("protection:case", pk=case.pk)


@login_required
@require_POST
def intervention_add(request: HttpRequest, pk: int) -> HttpResponse:
    def add(case, data):
        services.intervention_add(user=request.user, case=case, kind=data["kind"],
                                  on=data["on"], note=data["note"])  # fmt: skip

    return _post(request, pk, InterventionForm, "intervention_form", add, _("已记录监护干预"))


@login_required
@permission_required("protection.view_casedeadline", raise_exception=True)
def deadline_settings(request: HttpRequest) -> HttpResponse:
    """The deadline of each step in the user's county; county administrators set
    the county's own."""
    county, can_change = county_settings(request.user, "protection.change_casedeadline")
    deadlines = services.deadlines_for(county.code) if county else {}
    versions = {s: d.version if d.county_id else 0 for s, d in deadlines.items()}
    form = DeadlineForm(request.POST or None, versions=versions)
    status = 200
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.deadline_set(
                    user=request.user, county=county, state=data["state"], hours=data["hours"],
                    county_after_hours=data["county_after_hours"], version=form.version,
                )  # fmt: skip
            except ValidationError as exc:
                form_errors_from(exc, form)
                status = stale_status(exc)
            else:
                messages.success(request, _("已保存办理时限"))
                return redirect("protection:deadlines")
    rows = [(c.CaseState(s).label, deadlines.get(s)) for s in casework.OPEN_STATES]
    if status == 200 and form.errors:
        status = 400
    return render(
        request,
        "protection/deadlines.html",
        {"rows": rows, "form": form, "can_change": can_change, "county": county,
         "stale": status == 409},
        status=status,
    )  # fmt: skip

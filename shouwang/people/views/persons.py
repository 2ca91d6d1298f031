import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shouwang.audit.models import AuditEntry
from shouwang.core.forms import form_errors_from
from shouwang.core.locking import stale_status
from shouwang.people.forms import (
    EndEnrollmentForm,
    EnrollForm,
    PersonEditForm,
    PersonFilterForm,
    PersonForm,
    RelationForm,
    StatusForm,
)
from shouwang.people.models import Household, Person, Proposal, Relation
from shouwang.people.selectors import people_for_list, person_filter
from shouwang.people.services import persons, programs

PAGE_SIZE = 50


def _scoped_person(request: HttpRequest, pk: int) -> Person:
    return get_object_or_404(Person.objects.visible_to(request.user).select_related("village"),
                             pk=pk)  # fmt: skip


def _run_and_report(request: HttpRequest, form, action, success: str) -> None:
    """For the small forms on the person page, which answer with messages: run
    `action(cleaned_data)` if the form is valid and flash the outcome in Chinese."""
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return
    try:
        action(form.cleaned_data)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)


@login_required
@permission_required("people.view_person", raise_exception=True)
def person_list(request: HttpRequest) -> HttpResponse:
    """Files in scope with search and filters; a htmx request gets only the rows."""
    filters = PersonFilterForm(request.GET or None, user=request.user)
    people = Person.objects.visible_to(request.user)
    if filters.is_valid():
        people = person_filter(people, **filters.cleaned_data)
    page = Paginator(people_for_list(people), PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {"filters": filters, "page": page, "query_string": params.urlencode()}
    template = "people/partials/_rows.html" if request.htmx else "people/list.html"
    return render(request, template, context)


@login_required
@permission_required("people.view_person", raise_exception=True)
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = _scoped_person(request, pk)
    relations = list(person.relations.select_related("relative", "work_province", "work_city"))
    # A relative on file outside the viewer's scope is shown by the name recorded on
    # the relation, never from their file.
    visible_relatives = set(
        Person.objects.visible_to(request.user)
        .filter(pk__in=[r.relative_id for r in relations if r.relative_id])
        .values_list("pk", flat=True)
    )
    enrollments = person.enrollments.select_related("rule__area", "confirmed_by", "ended_by")
    proposals = person.proposals.filter(status=Proposal.Status.PENDING).select_related("rule__area")
    housemates = (
        Person.objects.visible_to(request.user)
        .filter(household_id=person.household_id)
        .exclude(pk=person.pk)
        .order_by("birth_date")
        if person.household_id
        else Person.objects.none()
    )
    timeline = (
        AuditEntry.objects.filter(
            content_type__app_label="people",
            content_type__model="person",
            object_pk=str(person.pk),
        )  # fmt: skip
        .select_related("actor", "content_type")
        .order_by("-timestamp")[:30]
    )
    return render(
        request,
        "people/detail.html",
        {
            "person": person,
            "relations": relations,
            "visible_relatives": visible_relatives,
            "enrollments": enrollments,
            "proposals": proposals,
            "housemates": housemates,
            "timeline": timeline,
            "enroll_form": EnrollForm(),
            "status_form": StatusForm(initial={"status": person.status}),
            "end_form": EndEnrollmentForm(),
        },
    )


@login_required
@permission_required("people.add_person", raise_exception=True)
def person_create(request: HttpRequest) -> HttpResponse:
    """A new file; `?household=<id>` adds a member to that household."""
    initial = {}
    household = None
    if re.fullmatch(r"[0-9]{1,18}", request.GET.get("household", "")):
        household = get_object_or_404(Household.objects.visible_to(request.user),
                                      pk=request.GET["household"])  # fmt: skip
        initial = {"household": household.pk, "village": household.village_id,
                   "address": household.address}  # fmt: skip
    form = PersonForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            person = persons.person_create(user=request.user, data=form.data_for_save())
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            for warning in form.id_warnings:
                messages.warning(request, warning)
            messages.success(request, _("已建立 %(name)s 的档案") % {"name": person.name})
            return redirect("people:detail", pk=person.pk)
    return render(request, "people/form.html",
                  {"form": form, "person": None, "household": household})  # fmt: skip


@login_required
@permission_required("people.change_person", raise_exception=True)
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = _scoped_person(request, pk)
    form = PersonEditForm(request.POST or None, instance=person, user=request.user)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            persons.person_update(
                user=request.user, person=person, data=form.data_for_save(),
                version=form.cleaned_data["version"], loaded_at=form.cleaned_data["loaded_at"],
            )  # fmt: skip
        except persons.StaleEdit as stale:
            conflict = stale
            form = PersonEditForm(request.POST, instance=stale.person, user=request.user)
            form.data = form.data.copy()
            form.data["version"] = stale.person.version
            form.data["loaded_at"] = timezone.now().isoformat()
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            for warning in form.id_warnings:
                messages.warning(request, warning)
            messages.success(request, _("已保存"))
            return redirect("people:detail", pk=person.pk)
    status = 409 if conflict else 200
    return render(
        request,
        "people/form.html",
        {"form": form, "person": person, "conflict": conflict},
        status=status,
    )


@login_required
@require_POST
def person_reveal(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    person = _scoped_person(request, pk)
    if field not in persons.SENSITIVE:
        raise PermissionDenied
    value = persons.person_reveal(user=request.user, person=person, field=field)
    return render(request, "people/partials/_revealed.html", {"value": value})


@login_required
@permission_required("people.view_person", raise_exception=True)
def person_card(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable A4 archive card (档案卡), sensitive fields masked."""
    person = _scoped_person(request, pk)
    return render(
        request,
        "people/card.html",
        {
            "person": person,
            "relations": person.relations.select_related(
                "relative", "work_province", "work_city"
            ),  # fmt: skip
            "enrollments": person.enrollments.filter(ended_on__isnull=True),
            "printed_on": timezone.localdate(),
        },
    )


@login_required
@permission_required("people.change_person", raise_exception=True)
def relation_form(request: HttpRequest, pk: int, relation_pk: int | None = None) -> HttpResponse:
    person = _scoped_person(request, pk)
    relation = get_object_or_404(person.relations, pk=relation_pk) if relation_pk else None
    form = RelationForm(request.POST or None, instance=relation, user=request.user,
                        person=person)  # fmt: skip
    status = 200
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        if not data.get("phone") and relation is not None:
            data.pop("phone")  # empty means unchanged
        try:
            persons.relation_save(person=person, relation=relation, data=data, version=version)
        except ValidationError as exc:
            form_errors_from(exc, form)
            status = stale_status(exc)
        else:
            messages.success(request, _("已保存家庭成员"))
            return redirect("people:detail", pk=person.pk)
    context = {"form": form, "person": person, "relation": relation}
    return render(request, "people/relation_form.html", context, status=status)


@login_required
@permission_required("people.change_person", raise_exception=True)
@require_POST
def relation_delete(request: HttpRequest, pk: int, relation_pk: int) -> HttpResponse:
    person = _scoped_person(request, pk)
    relation = get_object_or_404(Relation.objects.filter(person=person), pk=relation_pk)
    persons.relation_delete(relation=relation)
    messages.success(request, _("已删除家庭成员"))
    return redirect("people:detail", pk=person.pk)


@login_required
@permission_required("people.change_person", raise_exception=True)
@require_POST
def person_status(request: HttpRequest, pk: int) -> HttpResponse:
    """迁出 / 死亡 / back on file; exits are then proposed with that reason."""
    person = _scoped_person(request, pk)
    _run_and_report(
        request, StatusForm(request.POST),
        lambda data: persons.person_set_status(user=request.user, person=person, **data),
        _("已变更档案状态"),
    )  # fmt: skip
    return redirect("people:detail", pk=person.pk)


@login_required
@permission_required("people.add_enrollment", raise_exception=True)
@require_POST
def enroll(request: HttpRequest, pk: int) -> HttpResponse:
    person = _scoped_person(request, pk)
    _run_and_report(
        request, EnrollForm(request.POST),
        lambda data: programs.enrollment_start(user=request.user, person=person,
                                               program=data["program"], on=data["started_on"]),
        _("已纳入"),
    )  # fmt: skip
    return redirect("people:detail", pk=person.pk)


@login_required
@permission_required("people.change_enrollment", raise_exception=True)
@require_POST
def enrollment_end(request: HttpRequest, pk: int, enrollment_pk: int) -> HttpResponse:
    person = _scoped_person(request, pk)
    enrollment = get_object_or_404(person.enrollments, pk=enrollment_pk)
    _run_and_report(
        request, EndEnrollmentForm(request.POST),
        lambda data: programs.enrollment_end(user=request.user, enrollment=enrollment,
                                             on=data["ended_on"], exit_reason=data["exit_reason"],
                                             note=data["note"]),
        _("已退出"),
    )  # fmt: skip
    return redirect("people:detail", pk=person.pk)


@login_required
@permission_required("people.change_proposal", raise_exception=True)
@require_POST
def proposal_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    proposal = get_object_or_404(Proposal.objects.visible_to(request.user), pk=pk)
    try:
        if decision == "confirm":
            programs.proposal_confirm(user=request.user, proposal=proposal)
            messages.success(request, _("已确认"))
        elif decision != "dismiss":
            raise Http404
        else:
            programs.proposal_dismiss(user=request.user, proposal=proposal)
            messages.success(request, _("已驳回"))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    return redirect("people:detail", pk=proposal.person_id)


@login_required
@permission_required("people.view_proposal", raise_exception=True)
def proposal_list(request: HttpRequest) -> HttpResponse:
    proposals = (
        Proposal.objects.visible_to(request.user)
        .filter(status=Proposal.Status.PENDING)
        .select_related("person__village", "rule__area")
        .order_by("proposed_on", "person__village_id")
    )
    page = Paginator(proposals, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "people/proposals.html", {"page": page})

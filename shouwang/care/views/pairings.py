"""Pairing pages: pair a volunteer with a person (suggestions nearest first, 就近
就亲), end a pairing, and the coverage gap (people who should be paired and are not)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from shouwang.care.choices import VolunteerStatus
from shouwang.care.forms.volunteers import CoverageFilterForm, PairingEndForm, PairingForm
from shouwang.care.models import Pairing, Volunteer
from shouwang.care.selectors import pairing_suggestions, unpaired, with_load
from shouwang.care.services import pairings as services
from shouwang.core.forms import form_errors_from
from shouwang.people.models import Person
from shouwang.people.selectors import people_for_list

PAGE_SIZE = 50


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@login_required
@permission_required("care.add_pairing", raise_exception=True)
def pairing_create(request: HttpRequest, person_pk: int) -> HttpResponse:
    """GET: the person, ranked suggestions and a form to pick any volunteer.
    POST: pair them; a refusal shows the reason and saves nothing."""
    person = get_object_or_404(
        Person.objects.visible_to(request.user).select_related("village"), pk=person_pk
    )
    volunteers = Volunteer.objects.visible_to(request.user)
    offered = (
        with_load(volunteers.filter(status=VolunteerStatus.APPROVED))
        .select_related("area")
        .order_by("area_id", "name", "pk")
    )
    form = PairingForm(
        request.POST if request.method == "POST" else None,
        volunteers=volunteers,
        offered=offered,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            pairing = services.pairing_create(
                user=request.user, person=person, volunteer=data["volunteer"],
                started_on=data["started_on"], kind=data["kind"],
            )  # fmt: skip
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(
                request,
                _("%(volunteer)s 已与 %(person)s 结对")
                % {"volunteer": pairing.volunteer.name, "person": person.name},
            )
            return redirect("people:detail", pk=person.pk)
    context = {
        "person": person,
        "form": form,
        "suggestions": pairing_suggestions(volunteers, person),
        "current": Pairing.objects.active().filter(person=person).select_related("volunteer"),
        "today": timezone.localdate(),
    }
    return render(request, "care/pairing_form.html", context)


@login_required
@permission_required("care.change_pairing", raise_exception=True)
def pairing_end(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the form; POST: end the pairing from the given day, with a reason."""
    pairing = get_object_or_404(
        Pairing.objects.visible_to(request.user).select_related("person", "volunteer"), pk=pk
    )
    form = PairingEndForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.pairing_end(
                user=request.user, pairing=pairing, ended_on=data["ended_on"],
                reason=data["reason"], note=data["note"],
            )  # fmt: skip
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(
                request,
                _("%(volunteer)s 与 %(person)s 的结对已结束")
                % {"volunteer": pairing.volunteer.name, "person": pairing.person.name},
            )
            return redirect(
                _safe_next(request) or reverse("people:detail", args=[pairing.person_id])
            )
    context = {"pairing": pairing, "form": form, "next": _safe_next(request)}
    return render(request, "care/pairing_end.html", context)


@login_required
@permission_required("care.add_pairing", raise_exception=True)
def coverage(request: HttpRequest) -> HttpResponse:
    """People in a program (or at high risk) with no pairing in force."""
    filters = CoverageFilterForm(request.GET or None, user=request.user)
    people = Person.objects.visible_to(request.user)
    program, high_risk = "", False
    if filters.is_valid():
        program, high_risk = filters.cleaned_data["program"], filters.cleaned_data["high_risk"]
        if filters.cleaned_data["area"]:
            people = people.in_area_prefix(filters.cleaned_data["area"])
    gap = people_for_list(unpaired(people, program=program, high_risk=high_risk)).defer("id_number")
    page = Paginator(gap, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {"filters": filters, "page": page, "query_string": params.urlencode()}
    return render(request, "care/coverage.html", context)

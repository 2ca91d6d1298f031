"""Services and aid (服务与慰问): recording a service or an aid from the person page,
the aid ledger with its totals by area and month, and the list of services."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.core.forms import form_errors_from
from shouwang.people.models import Person
from shouwang.protection.forms.support import AidFilterForm, AidForm, ServiceForm, SupportFilterForm
from shouwang.protection.models import Aid, Service
from shouwang.protection.selectors import support as selectors
from shouwang.protection.services import support as services

PAGE_SIZE = 50


def _scoped_person(request: HttpRequest, pk: int) -> Person:
    people = Person.objects.visible_to(request.user).select_related("village")
    return get_object_or_404(people.defer("id_number", "phone", "head_teacher_phone"), pk=pk)


def _filter_data(request: HttpRequest) -> QueryDict:
    """The filters as asked; a first visit shows the current year."""
    if request.GET:
        return request.GET
    today = timezone.localdate()
    data = QueryDict(mutable=True)
    data.update({"start": dt.date(today.year, 1, 1).isoformat(), "end": today.isoformat()})
    return data


def _query_string(request: HttpRequest, data: QueryDict) -> str:
    params = data.copy()
    params.pop("page", None)
    return params.urlencode()


@login_required
@permission_required("protection.add_service", raise_exception=True)
def service_create(request: HttpRequest, person_pk: int) -> HttpResponse:
    person = _scoped_person(request, person_pk)
    form = ServiceForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            service = services.service_record(
                user=request.user, person=person, kind=data["kind"], date=data["date"],
                provider=data["provider"], volunteer=data["volunteer"], fund=data["fund"],
                notes=data["notes"],
            )  # fmt: skip
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(
                request,
                _("已记录 %(name)s 的服务：%(kind)s")
                % {"name": person.name, "kind": service.get_kind_display()},
            )
            return redirect("people:detail", pk=person.pk)
    return render(request, "protection/service_form.html", {"form": form, "person": person})


@login_required
@permission_required("protection.add_aid", raise_exception=True)
def aid_create(request: HttpRequest, person_pk: int) -> HttpResponse:
    """Aid to the person, or to one of their relatives working away."""
    person = _scoped_person(request, person_pk)
    form = AidForm(request.POST or None, person=person)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            aid = services.aid_record(
                user=request.user, person=person, kind=data["kind"], date=data["date"],
                giver=data["giver"], fund=data["fund"], amount=data["amount"],
                items=data["items"], value=data["value"], relation=data["relation"],
            )  # fmt: skip
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(
                request,
                _("已登记 %(name)s 的%(kind)s，%(total)s 元")
                % {"name": person.name, "kind": aid.get_kind_display(), "total": aid.total},
            )
            return redirect("people:detail", pk=person.pk)
    return render(request, "protection/aid_form.html", {"form": form, "person": person})


@login_required
@permission_required("protection.view_aid", raise_exception=True)
def aid_list(request: HttpRequest) -> HttpResponse:
    """服务与慰问: the aid ledger in scope with its filters, the totals of what is
    filtered, by area and by month; a htmx request gets the results only."""
    data = _filter_data(request)
    filters = AidFilterForm(data, user=request.user)
    aid = selectors.aid_filter(Aid.objects.visible_to(request.user), **filters.filters())
    level = filters.level(request.user)
    page = Paginator(selectors.aid_for_list(aid), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filters": filters,
        "page": page,
        "totals": selectors.aid_totals(aid),
        "by_area": selectors.aid_totals_by_area(aid, level=level),
        "by_month": selectors.aid_totals_by_month(aid),
        "level": level,
        "query_string": _query_string(request, data),
    }
    template = (
        "protection/partials/_support_aid.html" if request.htmx else "protection/aid_list.html"
    )
    return render(request, template, context)


@login_required
@permission_required("protection.view_service", raise_exception=True)
def service_list(request: HttpRequest) -> HttpResponse:
    """Services delivered in scope, with the same filters and counts by kind."""
    data = _filter_data(request)
    filters = SupportFilterForm(data, user=request.user)
    rows = selectors.service_filter(Service.objects.visible_to(request.user), **filters.filters())
    page = Paginator(selectors.services_for_list(rows), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filters": filters,
        "page": page,
        "counts": selectors.service_counts(rows),
        "query_string": _query_string(request, data),
    }
    template = (
        "protection/partials/_support_services.html"
        if request.htmx
        else "protection/service_list.html"
    )
    return render(request, template, context)

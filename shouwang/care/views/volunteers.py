"""Volunteer pages: the list, registration and editing, the detail page with its
review panel (报名 → 审查中 → 通过 / 驳回) and withdrawal (退出)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shouwang.care.choices import VolunteerStatus
from shouwang.care.forms.volunteers import (
    ReviewForm,
    VolunteerFilterForm,
    VolunteerForm,
    WithdrawForm,
)
from shouwang.care.models import Volunteer
from shouwang.care.selectors import volunteer_filter, with_load
from shouwang.care.services import volunteers as services
from shouwang.core.forms import form_errors_from
from shouwang.core.locking import stale_status
from shouwang.people.models import Person

PAGE_SIZE = 50
# Encrypted or long columns of a person that a list of pairings never shows.
_UNLISTED = ("person__id_number", "person__phone", "person__head_teacher_phone", "person__notes")


def _scoped_volunteer(request: HttpRequest, pk: int) -> Volunteer:
    volunteers = Volunteer.objects.visible_to(request.user).select_related("area", "reviewed_by")
    return get_object_or_404(with_load(volunteers), pk=pk)


@login_required
@permission_required("care.view_volunteer", raise_exception=True)
def volunteer_list(request: HttpRequest) -> HttpResponse:
    """Volunteers in scope with filters and their load; a htmx request gets only the rows."""
    filters = VolunteerFilterForm(request.GET or None, user=request.user)
    volunteers = Volunteer.objects.visible_to(request.user)
    if filters.is_valid():
        volunteers = volunteer_filter(volunteers, **filters.cleaned_data)
    volunteers = with_load(volunteers).select_related("area").order_by("area_id", "name", "pk")
    page = Paginator(volunteers, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {"filters": filters, "page": page, "query_string": params.urlencode()}
    template = "care/partials/_volunteer_rows.html" if request.htmx else "care/volunteer_list.html"
    return render(request, template, context)


@login_required
@permission_required("care.add_volunteer", raise_exception=True)
def volunteer_create(request: HttpRequest) -> HttpResponse:
    """报名: the volunteer starts as 已报名 and cannot be paired until approved."""
    form = VolunteerForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            volunteer = services.volunteer_register(user=request.user, data=form.data_for_save())
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("已登记志愿者 %(name)s") % {"name": volunteer.name})
            return redirect("care:volunteer_detail", pk=volunteer.pk)
    return render(request, "care/volunteer_form.html", {"form": form, "volunteer": None})


@login_required
@permission_required("care.change_volunteer", raise_exception=True)
def volunteer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a volunteer's details; an empty phone leaves the phone unchanged."""
    volunteer = _scoped_volunteer(request, pk)
    form = VolunteerForm(request.POST or None, instance=volunteer, user=request.user)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.volunteer_update(
                user=request.user, volunteer=volunteer, data=form.data_for_save(),
                version=form.version,
            )  # fmt: skip
        except ValidationError as exc:
            form_errors_from(exc, form)
            status = stale_status(exc)
        else:
            messages.success(request, _("已保存 %(name)s 的信息") % {"name": saved.name})
            return redirect("care:volunteer_detail", pk=volunteer.pk)
    context = {"form": form, "volunteer": volunteer, "stale": status == 409}
    return render(request, "care/volunteer_form.html", context, status=status)


def _render_detail(
    request: HttpRequest,
    volunteer: Volunteer,
    *,
    review_form: ReviewForm | None = None,
    withdraw_form: WithdrawForm | None = None,
) -> HttpResponse:
    """The detail page, with the review or withdrawal form as posted when it failed.

    Pairings name only the people in the viewer's scope; the others are counted."""
    today = timezone.localdate()
    pairings = list(
        volunteer.pairings.filter(person__in=Person.objects.visible_to(request.user))
        .select_related("person__village")
        .defer(*_UNLISTED)
        .order_by("-started_on", "-pk")
    )
    context = {
        "volunteer": volunteer,
        "review_form": review_form or ReviewForm(),
        "withdraw_form": withdraw_form or WithdrawForm(),
        "can_review": volunteer.status in services.REVIEWABLE,
        "can_withdraw": volunteer.status == VolunteerStatus.APPROVED,
        "active": [p for p in pairings if p.ended_on is None or p.ended_on > today],
        "history": [p for p in pairings if p.ended_on is not None and p.ended_on <= today],
        "elsewhere": volunteer.pairings.count() - len(pairings),
    }
    return render(request, "care/volunteer_detail.html", context)


@login_required
@permission_required("care.view_volunteer", raise_exception=True)
def volunteer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _scoped_volunteer(request, pk))


@login_required
@permission_required("care.review_volunteer", raise_exception=True)
@require_POST
def volunteer_review(request: HttpRequest, pk: int) -> HttpResponse:
    """开始审查, or the decision 通过 / 驳回; a refusal changes nothing and says why."""
    volunteer = _scoped_volunteer(request, pk)
    form = ReviewForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["action"] == "start":
                services.volunteer_review_start(user=request.user, volunteer=volunteer)
                done = _("已开始审查 %(name)s")
            else:
                approve = data["action"] == "approve"
                services.volunteer_decide(
                    user=request.user, volunteer=volunteer, approve=approve,
                    record_checked=data["record_checked"],
                    disqualifications=data["disqualifications"], reason=data["reason"],
                )  # fmt: skip
                done = _("%(name)s 已通过审查") if approve else _("%(name)s 的报名已驳回")
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, done % {"name": volunteer.name})
            return redirect("care:volunteer_detail", pk=volunteer.pk)
    return _render_detail(request, volunteer, review_form=form)


@login_required
@permission_required("care.change_volunteer", raise_exception=True)
@require_POST
def volunteer_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """退出: the volunteer's open pairings end today."""
    volunteer = _scoped_volunteer(request, pk)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            services.volunteer_withdraw(
                user=request.user, volunteer=volunteer, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("%(name)s 已退出，其结对已结束") % {"name": volunteer.name})
            return redirect("care:volunteer_detail", pk=volunteer.pk)
    return _render_detail(request, volunteer, withdraw_form=form)


@login_required
@permission_required("care.view_volunteer", raise_exception=True)
@require_POST
def volunteer_phone(request: HttpRequest, pk: int) -> HttpResponse:
    """The full phone number, for staff allowed to reveal it (audited)."""
    volunteer = _scoped_volunteer(request, pk)
    value = services.volunteer_phone_reveal(user=request.user, volunteer=volunteer)
    return render(request, "people/partials/_revealed.html", {"value": value})

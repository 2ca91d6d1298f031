"""Survey rounds (摸底排查): the rounds a user takes part in, opening one, its
progress by village and the files still to verify (核实)."""

from django import forms
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
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from shouwang.core.widgets import DateInput
from shouwang.people.models import Person, SurveyRound
from shouwang.people.selectors import round_progress, unverified_people
from shouwang.people.services import surveys
from shouwang.regions.models import Area, Level

PAGE_SIZE = 50


class SurveyRoundForm(forms.Form):
    title = forms.CharField(label=_lazy("名称"), max_length=100)
    area = forms.ModelChoiceField(label=_lazy("范围"), queryset=Area.objects.none())
    starts_on = forms.DateField(label=_lazy("开始日期"), widget=DateInput())
    ends_on = forms.DateField(label=_lazy("截止日期"), widget=DateInput())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        area = self.fields["area"]
        area.queryset = (
            Area.objects.visible_to(user)
            .filter(level__in=(Level.COUNTY, Level.TOWNSHIP))
            .order_by("code")
        )
        area.label_from_instance = lambda a: ("— " if a.level == Level.TOWNSHIP else "") + a.name
        area.empty_label = _("请选择县或乡镇")
        if not self.is_bound:
            self.initial["starts_on"] = timezone.localdate()
            choices = list(area.queryset[:2])
            if len(choices) == 1:  # a supervisor's own township
                self.initial["area"] = choices[0].pk

    def clean(self):
        data = super().clean()
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("截止日期不能早于开始日期"))
        return data


class VerifyForm(forms.Form):
    changed = forms.BooleanField(label=_lazy("有变化"), required=False)
    note = forms.CharField(label=_lazy("核实说明"), max_length=200, required=False)

    def clean(self):
        data = super().clean()
        if data.get("changed") and not data.get("note", "").strip():
            self.add_error("note", _("有变化时请说明变化情况"))
        return data


def _scoped_round(request: HttpRequest, pk: int) -> SurveyRound:
    return get_object_or_404(
        SurveyRound.objects.visible_to(request.user).select_related("area", "opened_by"), pk=pk
    )


def _is_open(survey: SurveyRound) -> bool:
    return survey.starts_on <= timezone.localdate() <= survey.ends_on


@login_required
@permission_required("people.view_surveyround", raise_exception=True)
def survey_list(request: HttpRequest) -> HttpResponse:
    """Rounds for the user's area or an area above it, newest first."""
    rounds = SurveyRound.objects.visible_to(request.user).select_related("area", "opened_by")
    page = Paginator(rounds, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "people/surveys.html", {"page": page, "today": timezone.localdate()})


@login_required
@permission_required("people.add_surveyround", raise_exception=True)
def survey_create(request: HttpRequest) -> HttpResponse:
    form = SurveyRoundForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            survey = surveys.survey_round_open(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
        else:
            messages.success(request, _("已发起摸底排查「%(title)s」") % {"title": survey.title})
            return redirect("people:survey_detail", pk=survey.pk)
    return render(request, "people/survey_form.html", {"form": form})


@login_required
@permission_required("people.view_surveyround", raise_exception=True)
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Progress per village in the user's scope, then the files not yet verified
    (optionally of one village), each with its 核实 form."""
    survey = _scoped_round(request, pk)
    progress = round_progress(user=request.user, survey=survey)
    for row in progress:
        row["percent"] = _percent(row["verified"], row["total"])
    total = sum(row["total"] for row in progress)
    verified = sum(row["verified"] for row in progress)
    people = unverified_people(user=request.user, survey=survey)
    village = request.GET.get("village", "")
    if village and any(row["village_id"] == village for row in progress):
        people = people.filter(village_id=village)
    else:
        village = ""
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "people/survey_detail.html",
        {
            "survey": survey,
            "progress": progress,
            "total": total,
            "verified": verified,
            "percent": _percent(verified, total),
            "village": village,
            "page": page,
            "query_string": params.urlencode(),
            "is_open": _is_open(survey),
            "verify_form": VerifyForm(),
        },
    )


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


@login_required
@permission_required("people.add_verification", raise_exception=True)
@require_POST
def survey_verify(request: HttpRequest, pk: int, person_pk: int) -> HttpResponse:
    """核实 one file. An htmx request gets its row back (verified, or with the
    error); a plain form goes back to the round page with a message."""
    survey = _scoped_round(request, pk)
    person = get_object_or_404(
        Person.objects.visible_to(request.user).select_related("village"), pk=person_pk
    )
    form = VerifyForm(request.POST)
    verification, errors = None, []
    if form.is_valid():
        try:
            verification = surveys.person_verify(
                user=request.user, survey=survey, person=person,
                changed=form.cleaned_data["changed"], note=form.cleaned_data["note"].strip(),
            )  # fmt: skip
        except ValidationError as exc:
            errors = exc.messages
    else:
        errors = [message for field_errors in form.errors.values() for message in field_errors]
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("people:survey_detail", args=[survey.pk])
    if request.htmx:
        return render(
            request,
            "people/partials/_survey_person.html",
            {
                "next_url": next_url,
                "survey": survey,
                "p": person,
                "verification": verification,
                "errors": errors,
                "verify_form": form if errors else VerifyForm(),
                "is_open": _is_open(survey),
            },
        )
    if verification is not None:
        messages.success(request, _("已核实 %(name)s 的档案") % {"name": person.name})
    for message in errors:
        messages.error(request, message)
    return redirect(next_url)

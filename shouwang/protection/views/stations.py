"""Care stations and activities (关爱阵地与活动): the stations in scope with their
八有 completion, registering and editing a station, its activities, and recording
an activity with its participants, volunteers and the aid handed out."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from shouwang.core.forms import form_errors_from
from shouwang.core.locking import stale_status
from shouwang.people.models import Person
from shouwang.protection import choices as c
from shouwang.protection.forms.stations import ActivityForm, StationFilterForm, StationForm
from shouwang.protection.models import Activity, Aid, Station
from shouwang.protection.selectors.support import aid_for_list, aid_totals, aid_totals_by_activity
from shouwang.protection.services import stations as services

PAGE_SIZE = 50
ACTIVITIES_SHOWN = 50
_ALL_EIGHT = Q(**{name: True for name in c.EIGHT_HAVES})


def _scoped_station(request: HttpRequest, pk: int) -> Station:
    stations = Station.objects.visible_to(request.user).select_related("village")
    return get_object_or_404(stations, pk=pk)


@login_required
@permission_required("protection.view_station", raise_exception=True)
def station_list(request: HttpRequest) -> HttpResponse:
    """Stations in scope with their 八有 completion and latest activity."""
    filters = StationFilterForm(request.GET or None, user=request.user)
    stations = Station.objects.visible_to(request.user)
    if filters.is_valid():
        if kind := filters.cleaned_data["kind"]:
            stations = stations.filter(kind=kind)
        if area := filters.cleaned_data["area"]:
            stations = stations.in_area_prefix(area)
    summary = stations.aggregate(count=Count("pk"), complete=Count("pk", filter=_ALL_EIGHT))
    rows = (
        stations.select_related("village")
        .annotate(activity_count=Count("activities"), last_activity=Max("activities__date"))
        .order_by("village_id", "kind", "name", "pk")
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {"filters": filters, "page": page, "summary": summary,
               "query_string": params.urlencode()}  # fmt: skip
    template = (
        "protection/partials/_station_rows.html" if request.htmx else "protection/station_list.html"
    )
    return render(request, template, context)


@login_required
@permission_required("protection.add_station", raise_exception=True)
def station_create(request: HttpRequest) -> HttpResponse:
    form = StationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            station = services.station_create(user=request.user, **form.data_for_save())
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("已登记关爱阵地 %(name)s") % {"name": station.name})
            return redirect("protection:station", pk=station.pk)
    return render(request, "protection/station_form.html", {"form": form, "station": None})


@login_required
@permission_required("protection.change_station", raise_exception=True)
def station_edit(request: HttpRequest, pk: int) -> HttpResponse:
    station = _scoped_station(request, pk)
    form = StationForm(request.POST or None, user=request.user, station=station)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.station_update(user=request.user, station=station, **form.data_for_save())
        except ValidationError as exc:
            form_errors_from(exc, form)
            status = stale_status(exc)
        else:
            messages.success(request, _("已保存 %(name)s") % {"name": form.cleaned_data["name"]})
            return redirect("protection:station", pk=station.pk)
    context = {"form": form, "station": station, "stale": status == 409}
    return render(request, "protection/station_form.html", context, status=status)


@login_required
@permission_required("protection.view_station", raise_exception=True)
def station_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A station's 八有 and its latest activities, each with its people and aid."""
    station = _scoped_station(request, pk)
    activities = list(
        station.activities.annotate(
            people=Count("participants", distinct=True),
            helpers=Count("volunteers", distinct=True),
        ).order_by("-date", "-id")[:ACTIVITIES_SHOWN]
    )
    aid = aid_totals_by_activity(
        Aid.objects.visible_to(request.user).filter(activity__in=[a.pk for a in activities])
    )
    context = {
        "station": station,
        "haves": [(label, getattr(station, name)) for name, label in c.EIGHT_HAVES.items()],
        "activities": [(a, aid.get(a.pk)) for a in activities],
        "total_activities": station.activities.count(),
        "shown": ACTIVITIES_SHOWN,
    }
    return render(request, "protection/station_detail.html", context)


@login_required
@permission_required("protection.add_activity", raise_exception=True)
def activity_create(request: HttpRequest, pk: int) -> HttpResponse:
    station = _scoped_station(request, pk)
    form = ActivityForm(request.POST or None, station=station, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            activity = services.activity_record(
                user=request.user, station=station, date=data["date"], kind=data["kind"],
                title=data["title"], description=data["description"],
                participants=data["participants"], volunteers=data["volunteers"],
                aid=form.aid_spec(),
            )  # fmt: skip
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("已记录活动 %(title)s") % {"title": activity.title})
            return redirect("protection:activity", pk=activity.pk)
    return render(request, "protection/activity_form.html", {"form": form, "station": station})


@login_required
@permission_required("protection.view_activity", raise_exception=True)
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An activity, naming only the participants the viewer may see (the others are
    counted), and the aid handed out there."""
    activity = get_object_or_404(
        Activity.objects.visible_to(request.user).select_related("station__village", "recorded_by"),
        pk=pk,
    )
    people = list(
        Person.objects.visible_to(request.user)
        .filter(activities=activity)
        .select_related("village")
        .only("pk", "name", "sex", "birth_date", "village__code", "village__name")
        .order_by("village_id", "name_pinyin", "pk")
    )
    aid = Aid.objects.visible_to(request.user).filter(activity=activity)
    context = {
        "activity": activity,
        "people": people,
        "elsewhere": activity.participants.count() - len(people),
        "volunteers": list(activity.volunteers.select_related("area").order_by("name", "pk")),
        "aid": list(aid_for_list(aid)),
        "aid_totals": aid_totals(aid),
        "can_see_volunteers": request.user.has_perm("care.view_volunteer"),
    }
    return render(request, "protection/activity_detail.html", context)

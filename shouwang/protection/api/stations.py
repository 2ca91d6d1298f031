"""Care stations and activities over HTTP: the stations in scope with their 八有,
registering a station, recording an activity (with the aid handed out), and an
activity — the same scoping and services as the pages.

No `from __future__ import annotations` here: django-ninja must resolve the
annotations of paginated views at import time.
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Max
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from shouwang.care.models import Volunteer
from shouwang.core.locking import StaleOut, conflict, is_stale
from shouwang.people.api import BoundedPages, ErrorsOut
from shouwang.people.models import Person
from shouwang.protection import choices as c
from shouwang.protection.api.cases import Id
from shouwang.protection.api.support import AidOut, TotalsOut, require, service_errors
from shouwang.protection.models import Activity, Aid, Station
from shouwang.protection.selectors.support import aid_for_list, aid_totals
from shouwang.protection.services import stations as services
from shouwang.regions.models import Area

router = Router(tags=["protection"])


# --- schemas ---------------------------------------------------------------------


class StationOut(Schema):
    id: int
    village_code: str = Field(alias="village_id")
    village_name: str = Field(alias="village.name")
    kind: str
    kind_label: str
    name: str
    address: str
    manager: str
    opened_on: dt.date | None
    haves: dict[str, bool]
    haves_done: int
    completion: int
    missing: list[str] = Field(alias="haves_missing")
    version: int

    @staticmethod
    def resolve_kind_label(obj: Station) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_haves(obj: Station) -> dict[str, bool]:
        return {name: getattr(obj, name) for name in c.EIGHT_HAVES}


class StationListOut(StationOut):
    activity_count: int
    last_activity: dt.date | None


class StationIn(Schema):
    village: str = Field(description="12-digit code of a village in scope")
    kind: str = Field(description="类别: " + ", ".join(c.StationKind.values))
    name: str = Field(max_length=100)
    address: str = Field("", max_length=200)
    manager: str = Field("", max_length=50)
    opened_on: dt.date | None = None
    haves: list[str] = Field(
        default_factory=list, description="八有 in place: " + ", ".join(c.EIGHT_HAVES)
    )


class StationReplaceIn(StationIn):
    version: int = Field(description="读取时的 version；已被他人修改则返回 409")


class StationFilters(Schema):
    kind: str = ""
    area: str = Field("", description="code prefix of a township (9 digits) or village (12)")


class AidSpecIn(Schema):
    """The same aid to every participant."""

    kind: str = Field(description="cash (amount) or goods (items and value)")
    amount: Decimal | None = None
    items: str = Field("", max_length=200)
    value: Decimal | None = None
    giver: str = Field(max_length=100)
    fund: str = Field(description="资金来源: " + ", ".join(c.Fund.values))


class ActivityIn(Schema):
    date: dt.date
    kind: str = Field(description="活动类别: " + ", ".join(c.ActivityKind.values))
    title: str = Field(max_length=100)
    description: str = Field("", max_length=2000)
    participant_ids: list[Id] = Field(default_factory=list, max_length=2000)
    volunteer_ids: list[Id] = Field(default_factory=list, max_length=500)
    aid: AidSpecIn | None = None


class ActivityOut(Schema):
    id: int
    station_id: int
    station_name: str = Field(alias="station.name")
    date: dt.date
    kind: str
    kind_label: str
    title: str
    description: str
    participant_ids: list[int]
    participants_elsewhere: int
    volunteer_ids: list[int]
    aid: list[AidOut] = Field(alias="aid_rows")
    aid_totals: TotalsOut

    @staticmethod
    def resolve_kind_label(obj: Activity) -> str:
        return str(obj.get_kind_display())


# --- helpers ---------------------------------------------------------------------

_ACTIVITY_FIELDS = {
    "participants": "participant_ids",
    "volunteers": "volunteer_ids",
    **{f"aid_{name}": f"aid.{name}" for name in ("kind", "amount", "items", "value", "giver",
                                                 "fund")},
}  # fmt: skip


def _stations(request):
    require(request, "protection.view_station", _("无权查看关爱阵地"))
    return Station.objects.visible_to(request.user).select_related("village")


def _activity(request, activity_id: int) -> Activity:
    """An activity in scope with what the viewer may see of it."""
    require(request, "protection.view_activity", _("无权查看阵地活动"))
    activity = get_object_or_404(
        Activity.objects.visible_to(request.user).select_related("station"), pk=activity_id
    )
    visible = Person.objects.visible_to(request.user).filter(activities=activity)
    activity.participant_ids = sorted(visible.values_list("pk", flat=True))
    activity.participants_elsewhere = activity.participants.count() - len(activity.participant_ids)
    activity.volunteer_ids = sorted(activity.volunteers.values_list("pk", flat=True))
    aid = Aid.objects.visible_to(request.user).filter(activity=activity)
    activity.aid_rows = list(aid_for_list(aid))
    activity.aid_totals = aid_totals(aid)
    return activity


def _station_data(request, payload: StationIn):
    """The service's arguments; an area outside the scope is simply not found."""
    village = Area.objects.visible_to(request.user).filter(code=payload.village).first()
    if village is None:
        return None
    return {**payload.dict(exclude={"village"}), "village": village}


# --- endpoints -------------------------------------------------------------------


@router.get("/stations", response=list[StationListOut], summary="关爱阵地")
@paginate(BoundedPages, page_size=50)
def station_list(request, filters: Query[StationFilters]):
    stations = _stations(request)
    if filters.kind:
        stations = stations.filter(kind=filters.kind)
    if filters.area:
        stations = stations.in_area_prefix(filters.area[:12])
    return stations.annotate(
        activity_count=Count("activities"), last_activity=Max("activities__date")
    ).order_by("village_id", "kind", "name", "pk")


@router.get("/stations/{int:station_id}", response=StationOut, summary="关爱阵地详情")
def station_get(request, station_id: int):
    return get_object_or_404(_stations(request), pk=station_id)


@router.post("/stations", response={201: StationOut, 422: ErrorsOut}, summary="登记关爱阵地")
def station_create(request, payload: StationIn):
    require(request, "protection.add_station", _("无权登记关爱阵地"))
    data = _station_data(request, payload)
    if data is None:
        return Status(422, {"errors": {"village": [_("请选择您辖区内的村（社区）")]}})
    try:
        station = services.station_create(user=request.user, **data)
    except ValidationError as exc:
        return Status(422, {"errors": service_errors(exc, {})})
    except PermissionDenied as exc:
        raise Http404 from exc
    return Status(201, station)


@router.put("/stations/{int:station_id}",
            response={200: StationOut, 409: StaleOut, 422: ErrorsOut},
            summary="修改关爱阵地（整体替换；乐观锁：须带上读取时的 version）")  # fmt: skip
def station_update(request, station_id: int, payload: StationReplaceIn):
    station = get_object_or_404(_stations(request), pk=station_id)
    require(request, "protection.change_station", _("无权修改关爱阵地"))
    data = _station_data(request, payload)
    if data is None:
        return Status(422, {"errors": {"village": [_("请选择您辖区内的村（社区）")]}})
    try:
        station = services.station_update(user=request.user, station=station, **data)
    except ValidationError as exc:
        if is_stale(exc):
            return Status(409, conflict(exc, Station.objects.get(pk=station.pk).version))
        return Status(422, {"errors": service_errors(exc, {})})
    except PermissionDenied as exc:
        raise Http404 from exc
    return Status(200, station)


@router.post(
    "/stations/{int:station_id}/activities",
    response={201: ActivityOut, 422: ErrorsOut},
    summary="记录阵地活动（可同时向每位参加人员发放慰问）",
)
def activity_create(request, station_id: int, payload: ActivityIn):
    station = get_object_or_404(_stations(request), pk=station_id)
    require(request, "protection.add_activity", _("无权记录阵地活动"))
    errors: dict[str, list[str]] = {}
    people = list(Person.objects.visible_to(request.user).filter(pk__in=payload.participant_ids))
    if len(people) != len(set(payload.participant_ids)):
        errors["participant_ids"] = [_("所选人员不在您的管辖范围内")]
    volunteers = list(Volunteer.objects.visible_to(request.user).filter(
        pk__in=payload.volunteer_ids))  # fmt: skip
    if len(volunteers) != len(set(payload.volunteer_ids)):
        errors["volunteer_ids"] = [_("所选志愿者不在您的管辖范围内")]
    if errors:
        return Status(422, {"errors": errors})
    aid = services.AidSpec(**payload.aid.dict()) if payload.aid is not None else None
    try:
        activity = services.activity_record(
            user=request.user, station=station, date=payload.date, kind=payload.kind,
            title=payload.title, description=payload.description, participants=people,
            volunteers=volunteers, aid=aid,
        )  # fmt: skip
    except ValidationError as exc:
        return Status(422, {"errors": service_errors(exc, _ACTIVITY_FIELDS)})
    except PermissionDenied as exc:
        raise Http404 from exc
    return Status(201, _activity(request, activity.pk))


@router.get("/activities/{int:activity_id}", response=ActivityOut, summary="阵地活动")
def activity_get(request, activity_id: int):
    return _activity(request, activity_id)

"""Services and aid over HTTP: the lists with the page's filters, recording a
service or an aid, and the aid totals by area, month or person — the same
scoping, selectors and services as the pages. Amounts are decimal strings
("300.00"), in yuan.

No `from __future__ import annotations` here: django-ninja must resolve the
annotations of paginated views at import time.
"""

import datetime as dt
from decimal import Decimal
from typing import Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from shouwang.care.models import Volunteer
from shouwang.people.api import BoundedPages, ErrorsOut
from shouwang.people.models import Person
from shouwang.protection import choices as c
from shouwang.protection.models import Activity, Aid, Service
from shouwang.protection.selectors import support as selectors
from shouwang.protection.services import support as services

router = Router(tags=["protection"])


# --- schemas ---------------------------------------------------------------------


class ServiceOut(Schema):
    id: int
    person_id: int
    person_name: str = Field(alias="person.name")
    village_code: str = Field(alias="person.village_id")
    kind: str
    kind_label: str
    date: dt.date
    provider: str
    volunteer_id: int | None
    fund: str
    notes: str
    activity_id: int | None

    @staticmethod
    def resolve_kind_label(obj: Service) -> str:
        return str(obj.get_kind_display())


class ServiceIn(Schema):
    person_id: int
    kind: str = Field(description="服务类别: " + ", ".join(c.ServiceKind.values))
    date: dt.date
    provider: str = Field(max_length=100)
    volunteer_id: int | None = None
    fund: str = Field("", description="资金来源 (optional): " + ", ".join(c.Fund.values))
    notes: str = Field("", max_length=300)


class AidOut(Schema):
    id: int
    person_id: int
    person_name: str = Field(alias="person.name")
    village_code: str = Field(alias="person.village_id")
    relation_id: int | None
    kind: str
    kind_label: str
    date: dt.date
    amount: Decimal | None
    items: str
    value: Decimal | None
    total: Decimal
    giver: str
    fund: str
    activity_id: int | None

    @staticmethod
    def resolve_kind_label(obj: Aid) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_total(obj: Aid) -> Decimal:
        return Decimal(obj.total)


class AidIn(Schema):
    person_id: int
    kind: str = Field(description="cash (慰问金: amount) or goods (慰问品: items and value)")
    date: dt.date
    amount: Decimal | None = None
    items: str = Field("", max_length=200)
    value: Decimal | None = None
    giver: str = Field(max_length=100)
    fund: str = Field(description="资金来源: " + ", ".join(c.Fund.values))
    relation_id: int | None = Field(None, description="a relative of the person (working away)")
    activity_id: int | None = None


class SupportFilters(Schema):
    start: dt.date | None = None
    end: dt.date | None = None
    kind: str = ""
    fund: str = ""
    area: str = Field("", description="code prefix of a township (9 digits) or village (12)")


class TotalsOut(Schema):
    count: int
    people: int
    cash: Decimal
    goods: Decimal
    total: Decimal
    to_relatives: int


class GroupOut(Schema):
    key: str
    label: str
    totals: TotalsOut


class AidTotalsOut(Schema):
    by: str
    overall: TotalsOut
    groups: list[GroupOut]


class TotalsFilters(SupportFilters):
    by: Literal["area", "month", "person"] = "area"
    level: Literal["township", "village"] = "township"


# --- helpers ---------------------------------------------------------------------

_BODY_FIELDS = {"volunteer": "volunteer_id", "relation": "relation_id", "activity": "activity_id"}


def service_errors(exc: ValidationError, names: dict[str, str] | None = None):
    """A service's ValidationError as {field: [message]}, fields named as the body
    names them."""
    names = names or _BODY_FIELDS
    if not hasattr(exc, "error_dict"):
        return {"__all__": [str(m) for m in exc.messages]}
    return {names.get(f, f): [str(m) for m in msgs] for f, msgs in exc.message_dict.items()}


def require(request, permission: str, message: str) -> None:
    if not request.user.has_perm(permission):
        raise HttpError(403, message)


def _filters(filters: SupportFilters) -> dict:
    if filters.area and (not filters.area.isdigit() or len(filters.area) not in (9, 12)):
        raise HttpError(422, _("地区应为乡镇（9 位）或村（12 位）代码"))
    return filters.dict(include={"start", "end", "kind", "fund", "area"})


def _person(request, person_id: int) -> Person:
    return get_object_or_404(Person.objects.visible_to(request.user), pk=person_id)


# --- endpoints -------------------------------------------------------------------


@router.get("/services", response=list[ServiceOut], summary="服务记录")
@paginate(BoundedPages, page_size=50)
def service_list(request, filters: Query[SupportFilters]):
    require(request, "protection.view_service", _("无权查看服务记录"))
    rows = Service.objects.visible_to(request.user)
    return selectors.services_for_list(selectors.service_filter(rows, **_filters(filters)))


@router.post("/services", response={201: ServiceOut, 422: ErrorsOut}, summary="记录服务")
def service_create(request, payload: ServiceIn):
    require(request, "protection.add_service", _("无权记录服务"))
    person = _person(request, payload.person_id)
    volunteer = None
    if payload.volunteer_id is not None:
        volunteer = Volunteer.objects.visible_to(request.user).filter(pk=payload.volunteer_id)
        volunteer = volunteer.first()
        if volunteer is None:
            message = _("请选择您辖区内已通过审查的志愿者")
            return Status(422, {"errors": {"volunteer_id": [message]}})
    try:
        service = services.service_record(
            user=request.user, person=person, kind=payload.kind, date=payload.date,
            provider=payload.provider, volunteer=volunteer, fund=payload.fund,
            notes=payload.notes,
        )  # fmt: skip
    except ValidationError as exc:
        return Status(422, {"errors": service_errors(exc)})
    except PermissionDenied as exc:
        raise Http404 from exc
    return Status(201, service)


@router.get("/aid", response=list[AidOut], summary="慰问台账")
@paginate(BoundedPages, page_size=50)
def aid_list(request, filters: Query[SupportFilters]):
    require(request, "protection.view_aid", _("无权查看慰问台账"))
    rows = Aid.objects.visible_to(request.user)
    return selectors.aid_for_list(selectors.aid_filter(rows, **_filters(filters)))


@router.get("/aid/totals", response=AidTotalsOut, summary="慰问汇总（按地区、月份或人员）")
def aid_totals(request, filters: Query[TotalsFilters]):
    require(request, "protection.view_aid", _("无权查看慰问台账"))
    aid = selectors.aid_filter(Aid.objects.visible_to(request.user), **_filters(filters))
    if filters.by == "month":
        groups = selectors.aid_totals_by_month(aid)
    elif filters.by == "person":
        groups = selectors.aid_totals_by_person(aid)
    else:
        groups = selectors.aid_totals_by_area(aid, level=filters.level)
    return {"by": filters.by, "overall": selectors.aid_totals(aid), "groups": groups}


@router.post("/aid", response={201: AidOut, 422: ErrorsOut}, summary="登记慰问")
def aid_create(request, payload: AidIn):
    require(request, "protection.add_aid", _("无权登记慰问"))
    person = _person(request, payload.person_id)
    errors: dict[str, list[str]] = {}
    relation = activity = None
    if payload.relation_id is not None:
        # Looked up through the person, so a relation of someone else is not found.
        relation = person.relations.filter(pk=payload.relation_id).first()
        if relation is None:
            errors["relation_id"] = [_("该亲属不是此人的家庭成员")]
    if payload.activity_id is not None:
        activity = Activity.objects.visible_to(request.user).filter(pk=payload.activity_id).first()
        if activity is None:
            errors["activity_id"] = [_("该活动不在您的管辖范围内")]
    if errors:
        return Status(422, {"errors": errors})
    try:
        aid = services.aid_record(
            user=request.user, person=person, kind=payload.kind, date=payload.date,
            giver=payload.giver, fund=payload.fund, amount=payload.amount, items=payload.items,
            value=payload.value, relation=relation, activity=activity,
        )  # fmt: skip
    except ValidationError as exc:
        return Status(422, {"errors": service_errors(exc)})
    except PermissionDenied as exc:
        raise Http404 from exc
    return Status(201, aid)

"""Mandatory reports and cases over HTTP. Need-to-know like the pages: a case the
caller may not see is 404, whatever its id; every read of a case is audited.

No `from __future__ import annotations` here: django-ninja resolves annotations
at import time.
"""

import datetime as dt
from typing import Annotated

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from shouwang.accounts.models import User
from shouwang.core.forms import MAX_ID
from shouwang.core.locking import StaleOut, conflict, is_stale
from shouwang.people.api import BoundedPages, ErrorsOut
from shouwang.people.models import Person
from shouwang.protection import choices as c
from shouwang.protection.models import ProtectionCase
from shouwang.protection.services import cases as services
from shouwang.regions.models import Area

router = Router()
# An id a database can hold (SQLite overflows on larger ones).
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class CaseListOut(Schema):
    id: int
    number: str
    category: str
    village_code: str = Field(alias="village_id")
    state: str
    state_since: dt.datetime
    deadline_at: dt.datetime | None
    created_at: dt.datetime


class EventOut(Schema):
    from_state: str
    to_state: str
    at: dt.datetime
    by: str | None = Field(None, alias="by.username")
    note: str


class NoteOut(Schema):
    id: int
    text: str
    author: str | None = Field(None, alias="author.username")
    created_at: dt.datetime


class ReferralOut(Schema):
    id: int
    agency: str
    referred_on: dt.date
    note: str
    answer: str
    answer_note: str
    answered_on: dt.date | None


class InterventionOut(Schema):
    id: int
    kind: str
    on: dt.date
    note: str


class EscalationOut(Schema):
    level: int
    state: str
    at: dt.datetime
    notified: list[str]


class CaseOut(CaseListOut):
    people: list[int]
    others_involved: str
    description: str
    discovered_at: dt.datetime
    discovered_place: str
    channel: str
    reporter_name: str
    reporter_phone: str
    reporter_org: str
    immediate_action: str
    police_notified: bool
    police_notified_at: dt.datetime | None
    escalation_level: int
    version: int
    assignees: list[str]
    closing_summary: str
    signed_off_by: str | None = Field(None, alias="signed_off_by.username")
    closed_at: dt.datetime | None
    events: list[EventOut]
    notes: list[NoteOut]
    referrals: list[ReferralOut]
    interventions: list[InterventionOut]
    escalations: list[EscalationOut]

    @staticmethod
    def resolve_people(obj: ProtectionCase) -> list[int]:
        return [p.pk for p in obj.people.all()]

    @staticmethod
    def resolve_assignees(obj: ProtectionCase) -> list[str]:
        return [u.username for u in obj.assignees.all()]


class ReportIn(Schema):
    village_code: str = Field(pattern=r"^[0-9]{12}$")
    category: str
    people: list[Id] = []
    others_involved: str = Field("", max_length=200)
    description: str
    discovered_at: dt.datetime
    discovered_place: str = Field(max_length=200)
    channel: str = c.IntakeChannel.SYSTEM
    reporter_name: str = Field(max_length=50)
    reporter_phone: str = Field("", max_length=20)
    reporter_org: str = Field("", max_length=100)
    immediate_action: str = ""
    police_notified: bool = False
    police_notified_at: dt.datetime | None = None


class TransitionIn(Schema):
    to_state: str
    note: str = ""
    expected_state: str = Field("", description="读取时的状态；若已被他人改变则拒绝")
    version: int | None = Field(None, description="读取时的 version；已被他人修改则返回 409")


class NoteIn(Schema):
    text: str


class ReferralIn(Schema):
    agency: str
    referred_on: dt.date
    note: str = Field("", max_length=300)


class ReferralAnswerIn(Schema):
    answer: str
    answered_on: dt.date
    answer_note: str = Field("", max_length=300)


class InterventionIn(Schema):
    kind: str
    on: dt.date
    note: str = Field("", max_length=300)


class AssignIn(Schema):
    assignees: list[str] = Field(description="承办人的用户名")
    version: int | None = Field(None, description="读取时的 version；已被他人修改则返回 409")


def _errors(exc: ValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {"errors": {f: [str(m) for m in ms] for f, ms in exc.message_dict.items()}}
    return {"errors": {"__all__": [str(m) for m in exc.messages]}}


def _case(request, case_id: int) -> ProtectionCase:
    """The case if the caller has need-to-know of it, else 404."""
    return get_object_or_404(ProtectionCase.objects.visible_to(request.user), pk=case_id)


def _detail(request, case_id: int) -> ProtectionCase:
    case = get_object_or_404(
        ProtectionCase.objects.visible_to(request.user)
        .select_related("signed_off_by")
        .prefetch_related(
            "people",
            "assignees",
            "events__by",
            "notes__author",
            "referrals",
            "interventions",
            "escalations",
        ),  # fmt: skip
        pk=case_id,
    )
    services.case_read(user=request.user, case=case, what="api")
    return case


def _act(request, case_id: int, action):
    """Run a write on a case the caller may see; the case afterwards, or 422."""
    case = _case(request, case_id)
    try:
        action(case)
    except PermissionDenied as exc:
        raise HttpError(403, str(exc) or "无权处理该案件") from exc
    except ValidationError as exc:
        if is_stale(exc):
            return Status(409, conflict(exc, ProtectionCase.objects.get(pk=case.pk).version))
        return Status(422, _errors(exc))
    return Status(200, _detail(request, case.pk))


@router.get("/cases", response=list[CaseListOut], summary="保护案件（仅限承办人、督导员和县级）")
@paginate(BoundedPages, page_size=50)
def case_list(request, state: str = ""):
    cases = ProtectionCase.objects.visible_to(request.user).order_by(
        F("deadline_at").asc(nulls_last=True), "-created_at"
    )
    if state == "open":
        cases = cases.open()
    elif state:
        cases = cases.filter(state=state)
    return cases


@router.post("/cases", response={201: CaseListOut, 422: ErrorsOut}, summary="强制报告")
def case_report(request, payload: ReportIn):
    if not request.user.has_perm("protection.add_protectioncase"):
        raise HttpError(403, "无权填报强制报告")
    data = payload.dict()
    village = Area.objects.filter(code=data.pop("village_code")).first()
    wanted = data.pop("people")
    people = list(Person.objects.visible_to(request.user).active().filter(pk__in=wanted))
    if len(people) != len(set(wanted)):
        return Status(422, {"errors": {"people": ["所选人员不在您的管辖范围内"]}})
    try:
        case = services.case_report(user=request.user, village=village, people=people, **data)
    except ValidationError as exc:
        return Status(422, _errors(exc))
    return Status(201, case)


@router.get("/cases/{int:case_id}", response=CaseOut, summary="案件详情（每次查看均记入审计）")
def case_get(request, case_id: int):
    return _detail(request, case_id)


@router.post(
    "/cases/{int:case_id}/transitions", response={200: CaseOut, 409: StaleOut, 422: ErrorsOut},
    summary="案件流转（结案须督导员审核；重新开启须说明理由）",
)  # fmt: skip
def case_transition(request, case_id: int, payload: TransitionIn):
    return _act(request, case_id, lambda case: services.case_transition(
        user=request.user, case=case, to_state=payload.to_state, note=payload.note,
        expected_state=payload.expected_state, version=payload.version))  # fmt: skip


@router.post("/cases/{int:case_id}/assignees",
             response={200: CaseOut, 409: StaleOut, 422: ErrorsOut})  # fmt: skip
def case_assign(request, case_id: int, payload: AssignIn):
    _case(request, case_id)  # 404 first: nothing about users is told to an outsider
    users = list(User.objects.filter(username__in=payload.assignees))
    if len(users) != len(set(payload.assignees)):
        return Status(422, {"errors": {"assignees": ["承办人须为该村所在乡镇或县的工作人员"]}})
    return _act(request, case_id, lambda case: services.case_assign(
        user=request.user, case=case, assignees=users, version=payload.version))  # fmt: skip


@router.post("/cases/{int:case_id}/notes", response={200: CaseOut, 422: ErrorsOut})
def case_note(request, case_id: int, payload: NoteIn):
    return _act(request, case_id, lambda case: services.case_note_add(
        user=request.user, case=case, text=payload.text))  # fmt: skip


@router.post("/cases/{int:case_id}/referrals", response={200: CaseOut, 422: ErrorsOut})
def case_referral(request, case_id: int, payload: ReferralIn):
    return _act(request, case_id, lambda case: services.referral_add(
        user=request.user, case=case, **payload.dict()))  # fmt: skip


@router.post(
    "/cases/{int:case_id}/referrals/{int:referral_id}/answer",
    response={200: CaseOut, 422: ErrorsOut},
)
def case_referral_answer(request, case_id: int, referral_id: int, payload: ReferralAnswerIn):
    def answer(case):
        referral = get_object_or_404(case.referrals, pk=referral_id)
        services.referral_answer(user=request.user, referral=referral, **payload.dict())

    return _act(request, case_id, answer)


@router.post("/cases/{int:case_id}/interventions", response={200: CaseOut, 422: ErrorsOut})
def case_intervention(request, case_id: int, payload: InterventionIn):
    return _act(request, case_id, lambda case: services.intervention_add(
        user=request.user, case=case, **payload.dict()))  # fmt: skip

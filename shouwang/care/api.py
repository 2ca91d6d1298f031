"""The care network over HTTP, for the phone: my worklist (我的待办), my people, and
logging a contact idempotently with a client-generated key.

The same scoping, selectors and services as the pages. A volunteer sees only the
people paired with them (the models' volunteer hooks); staff see their scope.

No `from __future__ import annotations` here: django-ninja must resolve the
annotations of paginated views at import time.
"""

import datetime as dt
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from shouwang.care import choices as c
from shouwang.care import selectors
from shouwang.care.models import Contact, Pairing, Volunteer, in_force
from shouwang.care.services.contacts import CONTACT_NOTES_MAX, contact_log
from shouwang.people.api import BoundedPages, ErrorsOut
from shouwang.people.choices import PARENT_KINDS
from shouwang.people.models import Enrollment, Person, Relation

router = Router(tags=["care"])


# --- schemas ---------------------------------------------------------------------


class ObligationOut(Schema):
    person_id: int
    person_name: str
    village_code: str = Field(alias="village_id")
    village_name: str
    duty: str
    duty_label: str
    period: str = Field(alias="rule.period")
    period_label: str
    due_on: dt.date
    days_overdue: int
    state: str
    risk: str
    risk_label: str
    last_on: dt.date | None
    suggested_kind: str
    carers: list[str]

    @staticmethod
    def resolve_duty_label(obj: selectors.Obligation) -> str:
        return str(obj.duty_label)

    @staticmethod
    def resolve_period_label(obj: selectors.Obligation) -> str:
        return str(obj.period_label)

    @staticmethod
    def resolve_risk_label(obj: selectors.Obligation) -> str:
        return str(obj.risk_label)

    @staticmethod
    def resolve_carers(obj: selectors.Obligation) -> list[str]:
        return [carer.name for carer in obj.carers]


class WorklistOut(Schema):
    overdue: list[ObligationOut]
    today: list[ObligationOut]
    this_week: list[ObligationOut]
    later: list[ObligationOut]
    open_count: int


class PairingOut(Schema):
    volunteer_id: int
    volunteer_name: str = Field(alias="volunteer.name")
    kind: str
    kind_label: str
    started_on: dt.date

    @staticmethod
    def resolve_kind_label(obj: Pairing) -> str:
        return str(obj.get_kind_display())


class ParentOut(Schema):
    """A parent a 亲情通话 can be logged with (`parent_id` of a contact)."""

    id: int
    kind: str
    kind_label: str
    name: str
    working_away: bool

    @staticmethod
    def resolve_kind_label(obj: Relation) -> str:
        return str(obj.get_kind_display())


class CarePersonOut(Schema):
    """What a carer needs to find and look after someone: no ID number, no phone."""

    id: int
    name: str
    sex: str
    age: int
    village_code: str = Field(alias="village_id")
    village_name: str = Field(alias="village.name")
    risk: str
    school: str
    grade: str
    programs: list[str]
    pairings: list[PairingOut]
    parents: list[ParentOut]

    @staticmethod
    def resolve_school(obj: Person) -> str:
        return obj.school if obj.age < 18 else ""

    @staticmethod
    def resolve_grade(obj: Person) -> str:
        return obj.grade if obj.age < 18 else ""

    @staticmethod
    def resolve_programs(obj: Person) -> list[str]:
        return [e.program for e in obj.open_enrollments]

    @staticmethod
    def resolve_pairings(obj: Person):
        return obj.open_pairings

    @staticmethod
    def resolve_parents(obj: Person):
        return obj.parent_relations


class ContactOut(Schema):
    id: int
    person_id: int
    kind: str
    kind_label: str
    date: dt.date
    duration_minutes: int | None
    # Notes are not listed: reading them is audited one contact at a time (the
    # page's 查看 on the attention list), as for other sensitive text.
    has_notes: bool
    parent_id: int | None
    concern: bool
    volunteer_id: int | None
    pairing_kind: str
    who: str
    client_key: uuid.UUID | None
    created_at: dt.datetime

    @staticmethod
    def resolve_kind_label(obj: Contact) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_has_notes(obj: Contact) -> bool:
        return bool(obj.notes)


class ContactIn(Schema):
    person_id: int
    kind: str = Field(description="联系方式: " + ", ".join(c.ContactKind.values))
    date: dt.date
    duration_minutes: int | None = None
    notes: str = Field("", max_length=CONTACT_NOTES_MAX)
    parent_id: int | None = Field(None, description="亲情通话: the Relation id of the parent")
    volunteer_id: int | None = Field(
        None, description="staff only: the volunteer who made the contact"
    )
    concern: bool = False
    client_key: uuid.UUID = Field(
        description="generated once per contact on the phone; a retry with the same key "
        "returns the contact already logged (200) instead of logging it twice"
    )


# --- helpers ---------------------------------------------------------------------


def _require_carer(request) -> None:
    if not request.user.has_perm("care.add_contact"):
        raise HttpError(403, _("无权记录联系"))


def _my_people(user, today: dt.date):
    """A volunteer's people are those paired with them now (the scoping hook);
    staff's are the people in scope on file with an enrollment in force."""
    people = Person.objects.visible_to(user).active()
    if not user.is_volunteer:
        enrolled = Enrollment.objects.filter(in_force(today), person=OuterRef("pk"))
        people = people.filter(Exists(enrolled))
    return people


# Service fields named as the request body names them.
_BODY_FIELDS = {"volunteer": "volunteer_id", "parent": "parent_id"}


def _service_errors(exc: ValidationError) -> dict[str, list[str]]:
    if not hasattr(exc, "error_dict"):
        return {"__all__": [str(m) for m in exc.messages]}
    return {
        _BODY_FIELDS.get(field, field): [str(m) for m in messages]
        for field, messages in exc.message_dict.items()
    }


# --- endpoints -------------------------------------------------------------------


@router.get("/worklist", response=WorklistOut, summary="我的待办")
def worklist(request):
    _require_carer(request)
    return selectors.worklist(request.user)


@router.get("/people", response=list[CarePersonOut], summary="我的结对对象")
@paginate(BoundedPages, page_size=50)
def my_people(request):
    _require_carer(request)
    today = timezone.localdate()
    return (
        _my_people(request.user, today)
        .with_risk(today)
        .select_related("village")
        .prefetch_related(
            Prefetch(
                "enrollments",
                queryset=Enrollment.objects.filter(in_force(today)),
                to_attr="open_enrollments",
            ),
            Prefetch(
                "pairings",
                queryset=Pairing.objects.visible_to(request.user)
                .active(today)
                .select_related("volunteer"),
                to_attr="open_pairings",
            ),
            Prefetch(
                "relations",
                queryset=Relation.objects.filter(kind__in=PARENT_KINDS).order_by("kind", "pk"),
                to_attr="parent_relations",
            ),
        )
        .order_by("village_id", "name_pinyin", "pk")
    )


@router.get("/people/{int:person_id}/contacts", response=list[ContactOut], summary="联系记录")
@paginate(BoundedPages, page_size=50)
def person_contacts(request, person_id: int):
    person = get_object_or_404(Person.objects.visible_to(request.user), pk=person_id)
    return (
        Contact.objects.visible_to(request.user)
        .filter(person=person)
        .select_related("volunteer", "recorded_by")
        .order_by("-date", "-id")
    )


@router.post(
    "/contacts",
    response={200: ContactOut, 201: ContactOut, 422: ErrorsOut},
    summary="记录联系（client_key 幂等：重试不会重复记录）",
)
def contact_create(request, payload: ContactIn):
    _require_carer(request)
    user = request.user
    person = get_object_or_404(Person.objects.visible_to(user), pk=payload.person_id)
    volunteer = None
    if payload.volunteer_id is not None:
        # A volunteer sees only their own row: they cannot log for someone else.
        volunteer = Volunteer.objects.visible_to(user).filter(pk=payload.volunteer_id).first()
        if volunteer is None:
            return Status(422, {"errors": {"volunteer_id": [_("请选择有效的志愿者")]}})
    parent = None
    if payload.parent_id is not None:
        # Through the person, already in scope (a volunteer sees no Relation rows).
        parent = person.relations.filter(pk=payload.parent_id).first()
    try:
        contact, created = contact_log(
            user=user,
            person=person,
            kind=payload.kind,
            date=payload.date,
            volunteer=volunteer,
            duration_minutes=payload.duration_minutes,
            notes=payload.notes,
            parent=parent,
            concern=payload.concern,
            client_key=payload.client_key,
        )
    except ValidationError as exc:
        return Status(422, {"errors": _service_errors(exc)})
    except PermissionDenied as exc:
        raise Http404 from exc
    return Status(201 if created else 200, contact)

"""People over HTTP: the same scoping, form validation and services as the pages.

No `from __future__ import annotations` here: django-ninja must resolve the
annotations of paginated views at import time.
"""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate

from shouwang.people.forms import PersonEditForm, PersonForm
from shouwang.people.identity import mask_id_number, mask_phone
from shouwang.people.models import Person
from shouwang.people.selectors import people_for_list, person_filter
from shouwang.people.services import persons

router = Router(tags=["people"])


class EnrollmentOut(Schema):
    program: str
    started_on: dt.date
    ended_on: dt.date | None
    exit_reason: str


class PersonListOut(Schema):
    id: int
    name: str
    sex: str
    birth_date: dt.date
    village_code: str = Field(alias="village_id")
    village_name: str = Field(alias="village.name")
    id_number_masked: str
    status: str
    programs: list[str]

    @staticmethod
    def resolve_id_number_masked(obj: Person) -> str:
        return mask_id_number(obj.id_number)

    @staticmethod
    def resolve_programs(obj: Person) -> list[str]:
        return [e.program for e in obj.open_enrollments]


class RelationOut(Schema):
    id: int
    kind: str
    name: str
    relative_id: int | None
    living: bool
    working_away: bool
    work_province: str | None = Field(None, alias="work_province_id")
    work_city: str | None = Field(None, alias="work_city_id")
    months_away_12: int | None
    returned: bool
    is_guardian: bool
    entrusted: bool
    capacity: str

    @staticmethod
    def resolve_name(obj) -> str:
        # A relative outside the caller's scope is not named from their file.
        return obj.display_name if getattr(obj, "relative_visible", False) else obj.name

    @staticmethod
    def resolve_relative_id(obj) -> int | None:
        return obj.relative_id if getattr(obj, "relative_visible", False) else None


class PersonOut(Schema):
    id: int
    version: int
    name: str
    sex: str
    ethnicity: str
    birth_date: dt.date
    id_number_masked: str
    phone_masked: str
    hukou_registered: bool
    village_code: str = Field(alias="village_id")
    address: str
    health: str
    schooling: str
    school: str
    status: str
    difficulty_categories: list[str]
    relations: list[RelationOut]
    enrollments: list[EnrollmentOut]

    @staticmethod
    def resolve_id_number_masked(obj: Person) -> str:
        return mask_id_number(obj.id_number)

    @staticmethod
    def resolve_phone_masked(obj: Person) -> str:
        return mask_phone(obj.phone)

    @staticmethod
    def resolve_relations(obj: Person):
        return list(obj.relations.all())

    @staticmethod
    def resolve_enrollments(obj: Person):
        return list(obj.enrollments.all())


class PersonFilters(Schema):
    q: str = ""
    area: str = ""
    program: str = ""
    status: str = ""
    age_band: str = ""
    school: str = ""


class PersonIn(Schema):
    """Fields of the registration form; see PersonForm for the rules."""

    name: str | None = None
    sex: str | None = None
    ethnicity: str | None = None
    birth_date: dt.date | None = None
    id_number: str | None = None
    hukou_registered: bool | None = None
    phone: str | None = None
    village: str | None = Field(None, description="12-digit code of a village in scope")
    address: str | None = None
    health: str | None = None
    disability_type: str | None = None
    disability_grade: int | None = None
    illness: str | None = None
    lives_alone: bool | None = None
    dependence: str | None = None
    dibao: bool | None = None
    tekun: bool | None = None
    temporary_aid: bool | None = None
    medical_aid: bool | None = None
    housing_aid: bool | None = None
    poverty_monitoring: bool | None = None
    orphan: bool | None = None
    de_facto_unsupported: bool | None = None
    schooling: str | None = None
    school: str | None = None
    grade: str | None = None
    class_name: str | None = None
    head_teacher: str | None = None
    head_teacher_phone: str | None = None
    boarding: bool | None = None
    personality: str | None = None
    hobbies: str | None = None
    guardianship_type: str | None = None
    guardianship_assessment: str | None = None
    difficulty_categories: list[str] | None = None
    income_sources: list[str] | None = None
    notes: str | None = None


class PersonPatch(PersonIn):
    version: int = Field(description="the version you read; a stale one gets 409")


class ErrorsOut(Schema):
    errors: dict[str, list[str]]


class ConflictOut(Schema):
    detail: str
    current_version: int
    changed_fields: list[str]


def _scoped(request):
    # Registry files need the registry permission: a volunteer sees the people
    # paired with them through the care API only, with the fields their work needs.
    if not request.user.has_perm("people.view_person"):
        raise HttpError(403, "无权查看人员档案")
    return Person.objects.visible_to(request.user)


def _detail_queryset(request):
    return _scoped(request).select_related("village").prefetch_related("relations__relative",
                                                                       "enrollments")  # fmt: skip


def _form_data(payload: dict[str, Any], instance: Person | None = None) -> dict[str, Any]:
    """Form data from JSON: the current file for what the payload leaves out."""
    data: dict[str, Any] = {}
    if instance is not None:
        data = {k: v for k, v in model_to_dict(instance).items() if v is not None}
        data["village"] = instance.village_id
        data["difficulty_categories"] = instance.difficulty_categories
        for secret in ("id_number", "phone", "head_teacher_phone"):
            data.pop(secret, None)  # empty means unchanged
        for name, value in list(data.items()):
            if value is False:
                data.pop(name)  # an unchecked box is absent from form data
    for name, value in payload.items():
        if value is None:
            continue
        if value is False:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def _detail(request, person_id: int) -> Person:
    """A file in scope; relatives outside the scope are shown by name only."""
    person = get_object_or_404(_detail_queryset(request), pk=person_id)
    relative_ids = [r.relative_id for r in person.relations.all() if r.relative_id]
    visible = set(_scoped(request).filter(pk__in=relative_ids).values_list("pk", flat=True))
    for relation in person.relations.all():
        relation.relative_visible = relation.relative_id in visible
    return person


def _service_errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for m in msgs] for field, msgs in exc.message_dict.items()}
    return {"__all__": [str(m) for m in exc.messages]}


def _errors(form) -> dict[str, list[str]]:
    return {field: [str(e) for e in errors] for field, errors in form.errors.items()}


class BoundedPages(PageNumberPagination):
    """Page numbers beyond any real list are refused (422), not a database error."""

    class Input(PageNumberPagination.Input):
        page: int = Field(1, ge=1, le=1_000_000)


@router.get("", response=list[PersonListOut], summary="人员列表与搜索")
@paginate(BoundedPages, page_size=50)
def person_list(request, filters: Query[PersonFilters]):
    return people_for_list(person_filter(_scoped(request), **filters.dict()))


@router.get("/{int:person_id}", response=PersonOut, summary="人员档案")
def person_get(request, person_id: int):
    return _detail(request, person_id)


@router.post("", response={201: PersonOut, 422: ErrorsOut}, summary="新建档案")
def person_create(request, payload: PersonIn):
    if not request.user.has_perm("people.add_person"):
        raise HttpError(403, "无权新建档案")
    form = PersonForm(_form_data(payload.dict()), user=request.user)
    if not form.is_valid():
        return Status(422, {"errors": _errors(form)})
    try:
        person = persons.person_create(user=request.user, data=form.data_for_save())
    except ValidationError as exc:
        return Status(422, {"errors": _service_errors(exc)})
    return Status(201, _detail(request, person.pk))


@router.patch(
    "/{int:person_id}",
    response={200: PersonOut, 409: ConflictOut, 422: ErrorsOut},
    summary="修改档案（乐观锁：须带上读取时的 version）",
)
def person_update(request, person_id: int, payload: PersonPatch):
    person = get_object_or_404(_scoped(request), pk=person_id)
    if not request.user.has_perm("people.change_person"):
        raise HttpError(403, "无权修改档案")
    body = payload.dict()
    version = body.pop("version")
    data = _form_data(body, person) | {"version": version, "loaded_at": timezone.now()}
    form = PersonEditForm(data, instance=person, user=request.user)
    if not form.is_valid():
        return Status(422, {"errors": _errors(form)})
    try:
        persons.person_update(user=request.user, person=person,
                              data=form.data_for_save(), version=version)  # fmt: skip
    except ValidationError as exc:
        return Status(422, {"errors": _service_errors(exc)})
    except persons.StaleEdit as stale:
        return Status(
            409,
            {
                "detail": "该档案已被他人修改，请重新读取后再提交",
                "current_version": stale.person.version,
                "changed_fields": sorted(
                    {label for e in stale.changes for label, _b, _a in e.change_rows}
                ),  # fmt: skip
            },
        )
    return Status(200, _detail(request, person.pk))

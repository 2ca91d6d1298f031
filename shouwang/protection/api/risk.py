"""Risk grading over HTTP: the rubric for a person, their assessments, recording
one, and the reassessments due — the same scoping and services as the pages.

No `from __future__ import annotations` here: django-ninja resolves annotations
at import time.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from shouwang.audit.services import audit_access
from shouwang.people.api import ErrorsOut
from shouwang.people.models import Person
from shouwang.protection import rubric
from shouwang.protection.models import Assessment, RiskGrade
from shouwang.protection.selectors.risk import reassessments_due
from shouwang.protection.selectors.timeline import person_timeline
from shouwang.protection.services import risk as services

router = Router()


class GradeOut(Schema):
    code: str
    rank: int
    label: str
    colour: str
    min_score: int
    tier: str
    reassess_days: int


class OptionOut(Schema):
    value: str
    label: str
    score: int


class ItemOut(Schema):
    code: str
    domain: str
    label: str
    options: list[OptionOut]


class RubricOut(Schema):
    subject: str
    scale: str
    items: list[ItemOut]
    grades: list[GradeOut]
    red_flags: list[str]


class AssessmentOut(Schema):
    id: int
    person_id: int
    assessed_on: dt.date
    next_due: dt.date
    score: int
    red_flags: list[str]
    grade: GradeOut
    computed_grade: GradeOut
    override_reason: str
    answers: dict[str, str]
    notes: str
    assessed_by: str | None = Field(None, alias="assessed_by.display_name")


class AssessmentIn(Schema):
    answers: dict[str, str]
    override_grade: str = Field("", description="等级代码，如 level-1；不调整则留空")
    override_reason: str = ""
    notes: str = Field("", max_length=500)
    assessed_on: dt.date | None = None


class TimelineEventOut(Schema):
    day: dt.date
    kind: str
    label: str
    text: str


class DueOut(Schema):
    person_id: int
    person_name: str = Field(alias="person.name")
    village_code: str = Field(alias="person.village_id")
    grade: GradeOut
    assessed_on: dt.date
    next_due: dt.date


def _person(request, person_id: int, perm: str) -> Person:
    if not request.user.has_perm(perm):
        raise HttpError(403, "无权进行风险评估")
    return get_object_or_404(Person.objects.visible_to(request.user), pk=person_id)


def _text(items):
    return [
        {"code": i.code, "domain": str(i.domain), "label": str(i.label),
         "options": [{"value": o.value, "label": str(o.label), "score": o.score}
                     for o in i.options]}
        for i in items
    ]  # fmt: skip


@router.get("/people/{int:person_id}/rubric", response=RubricOut, summary="某人适用的评估量表")
def rubric_get(request, person_id: int):
    person = _person(request, person_id, "protection.view_assessment")
    subject = services.subject_for(person, timezone.localdate())
    scale = services.scale_for(person.village_id)
    return {
        "subject": subject,
        "scale": scale.key,
        "items": _text(rubric.items_for(subject)),
        "grades": list(scale.grades.all()),
        "red_flags": [str(f.label) for f in rubric.RED_FLAGS],
    }


@router.get(
    "/people/{int:person_id}/assessments", response=list[AssessmentOut], summary="历次风险评估"
)
def assessment_list(request, person_id: int):
    person = _person(request, person_id, "protection.view_assessment")
    assessments = list(
        Assessment.objects.visible_to(request.user)
        .filter(person=person)
        .select_related("grade", "computed_grade", "assessed_by")
    )
    for assessment in assessments:  # the answers are sensitive: every read is audited
        audit_access(instance=assessment, fields=["answers", "red_flags"], reason="api")
    return assessments


@router.post(
    "/people/{int:person_id}/assessments",
    response={201: AssessmentOut, 422: ErrorsOut},
    summary="记录风险评估（等级按评分与高危情形计算；人工调整须说明理由）",
)
def assessment_create(request, person_id: int, payload: AssessmentIn):
    person = _person(request, person_id, "protection.add_assessment")
    override = None
    if payload.override_grade:
        override = RiskGrade.objects.filter(
            scale=services.scale_for(person.village_id), code=payload.override_grade
        ).first()
        if override is None:
            return Status(422, {"errors": {"override_grade": ["请选择本地区使用的风险等级"]}})
    try:
        assessment = services.assessment_record(
            user=request.user, person=person, answers=payload.answers, override_grade=override,
            override_reason=payload.override_reason, notes=payload.notes,
            assessed_on=payload.assessed_on,
        )  # fmt: skip
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from exc
    except ValidationError as exc:
        return Status(422, {"errors": {f: [str(m) for m in ms] for f, ms in
                                       exc.message_dict.items()}})  # fmt: skip
    return Status(201, assessment)


@router.get("/reassessments", response=list[DueOut], summary="待复评（已到或两周内到期）")
def reassessment_list(request):
    if not request.user.has_perm("protection.add_assessment"):
        raise HttpError(403, "无权进行风险评估")
    return list(reassessments_due(request.user, today=timezone.localdate())[:500])


@router.get(
    "/people/{int:person_id}/timeline", response=list[TimelineEventOut],
    summary="关爱与保护动态（评估、案件、服务、慰问、活动、联系；案件仅限有权查看者）",
)  # fmt: skip
def timeline_get(request, person_id: int):
    person = get_object_or_404(Person.objects.visible_to(request.user), pk=person_id)
    return person_timeline(request.user, person)

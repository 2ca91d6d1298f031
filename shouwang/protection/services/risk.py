"""Risk grading (风险评估): which scale applies, recording an assessment, switching
a region's scale.

What must hold: a person's level in force (`CurrentRisk`) is their latest
assessment; `Person.risk_level` is that level's visiting tier, so the care
network owes what the level asks from the moment it is recorded (the due-date
index is told through `people_changed`).
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.audit.services import Action, Change, audit_bulk
from shouwang.care.models import in_force
from shouwang.core.locking import lock_version
from shouwang.people.choices import PersonStatus, RiskLevel
from shouwang.people.models import Enrollment, Person
from shouwang.people.signals import people_changed
from shouwang.protection import rubric
from shouwang.protection.models import (
    Assessment,
    CurrentRisk,
    RiskGrade,
    RiskScale,
    RiskScaleAssignment,
)
from shouwang.regions.models import Area


def ancestor_codes(village_code: str) -> list[str]:
    """The 12-digit codes of the county, city and province above a village, most
    specific first."""
    return [village_code[:n].ljust(12, "0") for n in (6, 4, 2)]


def scale_for(village_code: str) -> RiskScale:
    """The scale in force for a village: its county's, city's or province's
    assignment (the most specific), else the default scale."""
    codes = ancestor_codes(village_code)
    assigned = {
        a.area_id: a.scale
        for a in RiskScaleAssignment.objects.filter(area_id__in=codes).select_related("scale")
    }
    for code in codes:
        if code in assigned:
            return assigned[code]
    return RiskScale.objects.get(is_default=True)


def thresholds(grades) -> list[rubric.Threshold]:
    """The rubric's view of a scale's levels (`grades`: a scale's RiskGrade rows)."""
    return [rubric.Threshold(g.rank, g.min_score) for g in grades]


def subject_for(person: Person, on: dt.date) -> str:
    programs = Enrollment.objects.filter(in_force(on), person=person).values_list(
        "program", flat=True
    )
    return rubric.subject_of(age=person.age_on(on), programs=programs)


@transaction.atomic
def assessment_record(
    *,
    user,
    person: Person,
    answers: dict[str, str],
    override_grade: RiskGrade | None = None,
    override_reason: str = "",
    notes: str = "",
    assessed_on: dt.date | None = None,
) -> Assessment:
    """Record an assessment and make it the person's level in force if it is their
    latest. Refused, with a message per field and nothing saved: a person outside
    the user's scope or off the register, a mandatory item missing or off the list,
    a date in the future, an override to a level of another scale or without a
    reason."""
    today = timezone.localdate()
    assessed_on = assessed_on or today
    if user is not None and (
        not user.has_perm("protection.add_assessment")
        or not Person.objects.visible_to(user).filter(pk=person.pk).exists()
    ):
        raise PermissionDenied(_("该人员不在您的管辖范围内"))
    # One assessment of a person at a time: their level in force is rewritten below.
    person = Person.objects.select_for_update().get(pk=person.pk)
    errors: dict[str, str] = {}
    if person.status != PersonStatus.ACTIVE:
        errors["__all__"] = _("该档案已不在册，不能评估")
    if assessed_on > today:
        errors["assessed_on"] = _("评估日期不能晚于今天")
    elif assessed_on < person.birth_date:
        errors["assessed_on"] = _("评估日期不能早于出生日期（%(day)s）") % {
            "day": person.birth_date.isoformat()
        }
        raise ValidationError(errors)
    subject = subject_for(person, assessed_on)
    answers = {k: v for k, v in answers.items() if v}
    errors.update({k: str(v) for k, v in rubric.answer_errors(subject, answers).items()})
    scale = scale_for(person.village_id)
    grades = {g.pk: g for g in scale.grades.all()}
    if override_grade is not None and override_grade.pk not in grades:
        errors["override_grade"] = _("请选择本地区使用的风险等级")
    if override_grade is not None and not override_reason.strip():
        errors["override_reason"] = _("人工调整等级须说明理由")
    if errors:
        raise ValidationError(errors)
    known = {item.code for item in rubric.items_for(subject)}
    answers = {k: v for k, v in answers.items() if k in known}
    graded = rubric.grade(
        subject=subject, answers=answers, age=person.age_on(assessed_on),
        thresholds=thresholds(grades.values()),
    )  # fmt: skip
    computed = next(g for g in grades.values() if g.rank == graded.rank)
    final = override_grade if override_grade is not None else computed
    if final.pk == computed.pk:
        override_reason = ""
    assessment = Assessment.objects.create(
        person=person,
        scale=scale,
        subject=subject,
        answers=answers,
        score=graded.score,
        red_flags=list(graded.red_flags),
        computed_grade=computed,
        grade=final,
        override_reason=override_reason.strip(),
        assessed_on=assessed_on,
        next_due=assessed_on + dt.timedelta(days=final.reassess_days),
        notes=notes.strip(),
        assessed_by=user,
    )
    current_risk_refresh(person_ids=[person.pk])
    return assessment


def current_risk_refresh(*, person_ids: list[int]) -> None:
    """Make each person's `CurrentRisk` their latest assessment and their visiting
    tier (`Person.risk_level`) its level's; audit and forget due dates where the
    tier changed. Used by `assessment_record` and by bulk loaders."""
    latest: dict[int, Assessment] = {}
    for a in (
        Assessment.objects.filter(person_id__in=person_ids)
        .select_related("grade")
        .order_by("person_id", "-assessed_on", "-id")
    ):
        latest.setdefault(a.person_id, a)
    CurrentRisk.objects.filter(person_id__in=person_ids).delete()
    CurrentRisk.objects.bulk_create(
        CurrentRisk(person_id=pk, assessment=a, grade=a.grade, assessed_on=a.assessed_on,
                    next_due=a.next_due)
        for pk, a in latest.items()
    )  # fmt: skip
    before = {
        pk: (name, tier)
        for pk, name, tier in Person.objects.filter(pk__in=person_ids).values_list(
            "pk", "name", "risk_level"
        )
    }
    changed = [
        Change(pk, before[pk][0], Action.UPDATE, {"risk_level": [before[pk][1], a.grade.tier]})
        for pk, a in latest.items()
        if before[pk][1] != a.grade.tier
    ]
    for change in changed:
        Person.objects.filter(pk=change.pk).update(risk_level=change.changes["risk_level"][1])
    if changed:
        audit_bulk(model=Person, changes=changed, source="risk assessment")
        people_changed(*[change.pk for change in changed])


@transaction.atomic
def scale_assign(*, user, area: Area, scale: RiskScale) -> RiskScaleAssignment | None:
    """Grade a county (province, city) with `scale` from now on; assigning the
    default scale removes the region's own choice. Existing assessments keep the
    level they were given; new ones use the new scale."""
    if not user.has_perm("protection.change_riskscaleassignment") or not (
        Area.objects.visible_to(user).filter(pk=area.pk).exists()
    ):
        raise PermissionDenied(_("您不能修改该地区的风险等级标准"))
    if area.level not in (1, 2, 3):
        raise ValidationError({"area": _("风险等级标准按省、市或县设置")})
    if scale.is_default:
        RiskScaleAssignment.objects.filter(area=area).delete()
        return None
    assignment, _created = RiskScaleAssignment.objects.update_or_create(
        area=area, defaults={"scale": scale, "updated_by": user}
    )
    return assignment


def _county_admin_of(user, county: Area) -> None:
    if (
        county.level != 3
        or not user.has_perm("protection.change_riskscaleassignment")
        or not Area.objects.visible_to(user).filter(pk=county.pk).exists()
    ):
        raise PermissionDenied(_("您不能修改该地区的风险等级标准"))


@transaction.atomic
def scale_customise(*, user, county: Area) -> RiskScale:
    """The county's own scale, made (and put in force) as a copy of the scale it
    uses now if it has none yet; its levels can then be edited."""
    _county_admin_of(user, county)
    own = RiskScale.objects.filter(county=county).first()
    if own is None:
        base = scale_for(county.code)
        own = RiskScale.objects.create(
            key=f"county-{county.code[:6]}",
            name=_("%(county)s%(scale)s（本县调整）") % {"county": county.name, "scale": base.name},
            county=county,
        )
        RiskGrade.objects.bulk_create(
            RiskGrade(scale=own, rank=g.rank, code=g.code, label=g.label, colour=g.colour,
                      min_score=g.min_score, tier=g.tier, reassess_days=g.reassess_days)
            for g in base.grades.all()
        )  # fmt: skip
        audit_bulk(model=RiskGrade, source="scale copy", changes=[
            Change(g.pk, g.label, Action.CREATE, {"scale": [None, own.pk]})
            for g in own.grades.all()])  # fmt: skip
    scale_assign(user=user, area=county, scale=own)
    return own


COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@transaction.atomic
def scale_grades_update(
    *, user, scale: RiskScale, rows: dict[int, dict], version: int | None = None
) -> RiskScale:
    """Edit the levels of a county's own scale: `rows` maps each level's rank to its
    label, colour, minimum score, visiting tier and reassessment interval. Refused
    with a message per level and field (`"<rank>-<field>"`), nothing saved: an
    empty or overlong label, a colour that is not #RRGGBB, an interval outside 1–730
    days, an unknown tier, minimum scores that do not fall from the highest level
    to 0 at the lowest; levels edited on `version` of the scale when someone saved
    them since (code "stale"). A changed tier moves everyone at that level to it at
    once."""
    if scale.county_id is None:
        raise PermissionDenied(_("共用的风险等级标准不能修改，请先建立本县标准"))
    _county_admin_of(user, scale.county)
    scale = lock_version(RiskScale, pk=scale.pk, version=version)
    grades = {g.rank: g for g in scale.grades.select_for_update()}
    errors: dict[str, str] = {}
    for rank in grades:
        row = rows.get(rank, {})
        label = str(row.get("label") or "").strip()
        if not label or len(label) > 30:
            errors[f"{rank}-label"] = _("请填写等级名称（不超过 30 字）")
        if not COLOUR.fullmatch(str(row.get("colour") or "")):
            errors[f"{rank}-colour"] = _("颜色应为 #RRGGBB 形式")
        if row.get("tier") not in RiskLevel.values:
            errors[f"{rank}-tier"] = _("请选择走访等级")
        for field, low, high, message in (
            ("min_score", 0, 100, _("最低分值应为 0 到 100 的整数")),
            ("reassess_days", 1, 730, _("复评间隔应为 1 到 730 天")),
        ):
            value = row.get(field)
            if not isinstance(value, int) or not low <= value <= high:
                errors[f"{rank}-{field}"] = message
    ranks = sorted(grades)
    scores = [rows.get(r, {}).get("min_score") for r in ranks]
    if all(isinstance(v, int) for v in scores):
        for rank, higher, lower in zip(ranks[1:], scores, scores[1:], strict=False):
            if lower >= higher:
                errors.setdefault(f"{rank}-min_score", _("应低于上一等级的最低分值"))
        if scores[-1] != 0:
            errors.setdefault(f"{ranks[-1]}-min_score", _("最低一级的最低分值应为 0"))
    if errors:
        raise ValidationError(errors)
    retiered = []
    for rank, grade in grades.items():
        row = rows[rank]
        if row["tier"] != grade.tier:
            retiered.append(grade.pk)
        for field in ("label", "colour", "min_score", "tier", "reassess_days"):
            setattr(grade, field, row[field].strip() if field == "label" else row[field])
        grade.save()  # audited
    if retiered:
        people = list(
            CurrentRisk.objects.filter(grade_id__in=retiered).values_list("person_id", flat=True)
        )
        for start in range(0, len(people), 900):
            current_risk_refresh(person_ids=people[start : start + 900])
    scale.save(update_fields=["version"])
    return scale

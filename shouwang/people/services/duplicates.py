"""Finding files that may describe the same person, and merging them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rapidfuzz import fuzz

from shouwang.audit.models import AuditEntry
from shouwang.core.scoping import code_range
from shouwang.people import choices as c
from shouwang.people.forms import PERSON_FIELDS
from shouwang.people.models import DuplicateCandidate, Person, Relation

# A pair is a candidate when born the same day in the same county and the names
# match this well (0–100), by characters or by pinyin (张伟 / 章伟 read alike).
NAME_THRESHOLD = 80


def name_score(a: Person, b: Person) -> float:
    return max(fuzz.ratio(a.name, b.name), fuzz.ratio(a.name_pinyin, b.name_pinyin))


def duplicates_find(*, person: Person) -> list[DuplicateCandidate]:
    """Record new candidate pairs for `person`; pairs already known (also those
    dismissed as different people) are left as they are."""
    if person.status != c.PersonStatus.ACTIVE:
        return []
    low, high = code_range(person.village_id[:6])
    same_day = (
        Person.objects.active()
        .filter(birth_date=person.birth_date, village_id__gte=low, village_id__lte=high)
        .exclude(pk=person.pk)
    )
    found = []
    for other in same_day:
        score = name_score(person, other)
        if score < NAME_THRESHOLD:
            continue
        a, b = sorted((person, other), key=lambda p: p.pk)
        candidate, created = DuplicateCandidate.objects.get_or_create(
            person_a=a,
            person_b=b,
            defaults={
                "score": round(score, 1),
                "reason": _("出生日期相同，姓名相似度 %(score)s") % {"score": round(score)},
            },
        )
        if created:
            found.append(candidate)
    return found


@transaction.atomic
def duplicate_dismiss(*, user, candidate: DuplicateCandidate) -> DuplicateCandidate:
    if candidate.status != DuplicateCandidate.Status.PENDING:
        raise ValidationError(_("该疑似重复已处理"))
    candidate.status = DuplicateCandidate.Status.DISMISSED
    candidate.decided_by = user
    candidate.decided_at = timezone.now()
    candidate.save()
    return candidate


def _is_empty(value) -> bool:
    return value is None or value == "" or value == []


@transaction.atomic
def person_merge(*, user, candidate: DuplicateCandidate, keep: Person) -> Person:
    """Merge the pair into `keep`: every linked record moves over, empty fields of
    `keep` are filled from the retired file (nothing is overwritten), the retired
    file is marked merged, and one audit entry lists what was done."""
    if candidate.status != DuplicateCandidate.Status.PENDING:
        raise ValidationError(_("该疑似重复已处理"))
    if keep.pk not in (candidate.person_a_id, candidate.person_b_id):
        raise ValidationError(_("保留的档案必须是这一对中的一份"))
    keep = Person.objects.select_for_update().get(pk=keep.pk)
    other_pk = candidate.person_b_id if keep.pk == candidate.person_a_id else candidate.person_a_id
    retired = Person.objects.select_for_update().get(pk=other_pk)

    filled = {}
    for field in [*PERSON_FIELDS, "household", "phone", "head_teacher_phone", "id_number",
                  "income_sources", "difficulty_codes"]:  # fmt: skip
        if _is_empty(getattr(keep, field)) and not _is_empty(getattr(retired, field)):
            filled[field] = getattr(retired, field)
    moved = {
        "relations": retired.relations.update(person=keep),
        "relative_links": Relation.objects.filter(relative=retired).update(relative=keep),
    }
    moved_enrollments = 0
    open_programs = set(
        keep.enrollments.filter(ended_on__isnull=True).values_list("program", flat=True)
    )
    for enrollment in retired.enrollments.all():
        if enrollment.ended_on is None and enrollment.program in open_programs:
            enrollment.ended_on = timezone.localdate()
            enrollment.exit_reason = "other"
            enrollment.exit_note = _("档案合并")
        enrollment.person = keep
        enrollment.save()
        moved_enrollments += 1
    moved["enrollments"] = moved_enrollments
    retired.proposals.filter(status="pending").update(status="superseded")
    kept_rounds = set(keep.verifications.values_list("round_id", flat=True))
    retired.verifications.exclude(round_id__in=kept_rounds).update(person=keep)

    # The ID number moves with its blind index; free it on the retired file first.
    retired.status = c.PersonStatus.MERGED
    retired.merged_into = keep
    retired.status_changed_on = timezone.localdate()
    if "id_number" in filled:
        retired.id_number, retired.id_number_index = "", None
    retired.save()
    from shouwang.people.services.persons import _apply

    _apply(keep, filled)
    keep.version += 1
    keep.save()

    candidate.status = DuplicateCandidate.Status.MERGED
    candidate.decided_by = user
    candidate.decided_at = timezone.now()
    candidate.save()
    DuplicateCandidate.objects.filter(status="pending").filter(person_a=retired).delete()
    DuplicateCandidate.objects.filter(status="pending", person_b=retired).delete()
    AuditEntry.objects.log_create(
        keep,
        action=AuditEntry.Action.UPDATE,
        force_log=True,
        changes={"merged_from": [None, retired.pk]},
        additional_data={
            "merge": {
                "retired": retired.pk,
                "filled": sorted(filled),
                "moved": moved,
            }
        },
    )
    return keep

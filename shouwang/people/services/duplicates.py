"""Finding files that may describe the same person, and merging them."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rapidfuzz import fuzz

from shouwang.audit.models import AuditEntry
from shouwang.audit.services import Action, Change, audit_bulk
from shouwang.core.scoping import code_range
from shouwang.people import choices as c
from shouwang.people.forms import PERSON_FIELDS
from shouwang.people.models import (
    DuplicateCandidate,
    Person,
    Proposal,
    Relation,
    Verification,
)
from shouwang.people.signals import file_closed, people_changed

# A pair is a candidate when born the same day in the same county and the names
# match this well (0–100), by characters or by pinyin (张伟 / 章伟 read alike).
NAME_THRESHOLD = 80


def name_score(a: Person, b: Person) -> float:
    score = fuzz.ratio(a.name, b.name)
    # Two empty readings would compare as identical (100).
    if a.name_pinyin and b.name_pinyin:
        score = max(score, fuzz.ratio(a.name_pinyin, b.name_pinyin))
    return score


def _different_id_numbers(a: Person, b: Person) -> bool:
    """Both files carry an ID number and they differ: two people (twins, namesakes),
    whatever their names say."""
    return bool(a.id_number_index and b.id_number_index and a.id_number_index != b.id_number_index)


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
        if score < NAME_THRESHOLD or _different_id_numbers(person, other):
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


def _lock_pending(*, user, candidate: DuplicateCandidate) -> DuplicateCandidate:
    """The candidate re-read under a row lock: two reviewers deciding the same pair
    at once (keep A / keep B) must not both go through."""
    if not user.has_perm("people.change_duplicatecandidate"):
        raise PermissionDenied
    candidate = DuplicateCandidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.status != DuplicateCandidate.Status.PENDING:
        raise ValidationError(_("该疑似重复已处理"))
    return candidate


@transaction.atomic
def duplicate_dismiss(*, user, candidate: DuplicateCandidate) -> DuplicateCandidate:
    """Record that the pair are different people; duplicates_find never proposes
    the pair again."""
    candidate = _lock_pending(user=user, candidate=candidate)
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
    file is marked merged, and one audit entry lists what was done.

    Refused when both files carry different ID numbers, or when one is recorded as
    a family member of the other: then they are two people."""
    from shouwang.people.services.persons import _apply
    from shouwang.people.services.programs import proposals_refresh

    candidate = _lock_pending(user=user, candidate=candidate)
    if keep.pk not in (candidate.person_a_id, candidate.person_b_id):
        raise ValidationError(_("保留的档案必须是这一对中的一份"))
    keep = Person.objects.select_for_update().get(pk=keep.pk)
    other_pk = candidate.person_b_id if keep.pk == candidate.person_a_id else candidate.person_a_id
    retired = Person.objects.select_for_update().get(pk=other_pk)
    if _different_id_numbers(keep, retired):
        raise ValidationError(
            _("两份档案的身份证号码不同，不是同一人；如有录入错误，请先更正再合并")
        )
    if (
        Relation.objects.filter(person=keep, relative=retired).exists()
        or Relation.objects.filter(person=retired, relative=keep).exists()
    ):
        raise ValidationError(_("两份档案互为家庭成员，不能合并"))

    filled = {}
    for field in [*PERSON_FIELDS, "household", "phone", "head_teacher_phone", "id_number",
                  "income_sources", "difficulty_codes"]:  # fmt: skip
        if _is_empty(getattr(keep, field)) and not _is_empty(getattr(retired, field)):
            filled[field] = getattr(retired, field)
    # Bulk moves skip auditlog's signals: each moved record gets its own entry.
    relation_ids = list(retired.relations.values_list("pk", flat=True))
    link_ids = list(Relation.objects.filter(relative=retired).values_list("pk", flat=True))
    moved = {
        "relations": Relation.objects.filter(pk__in=relation_ids).update(person=keep),
        "relative_links": Relation.objects.filter(pk__in=link_ids).update(relative=keep),
    }
    audit_bulk(
        model=Relation,
        changes=[Change(pk, f"#{pk}", Action.UPDATE, {"person": [retired.pk, keep.pk]})
                 for pk in relation_ids]
        + [Change(pk, f"#{pk}", Action.UPDATE, {"relative": [retired.pk, keep.pk]})
           for pk in link_ids],
        source="merge",
    )  # fmt: skip
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
    superseded = list(retired.proposals.filter(status="pending").values_list("pk", flat=True))
    Proposal.objects.filter(pk__in=superseded).update(status="superseded")
    audit_bulk(model=Proposal, source="merge", changes=[
        Change(pk, f"#{pk}", Action.UPDATE, {"status": ["pending", "superseded"]})
        for pk in superseded])  # fmt: skip
    kept_rounds = set(keep.verifications.values_list("round_id", flat=True))
    verification_ids = list(
        retired.verifications.exclude(round_id__in=kept_rounds).values_list("pk", flat=True)
    )
    moved["verifications"] = Verification.objects.filter(pk__in=verification_ids).update(
        person=keep
    )
    audit_bulk(model=Verification, source="merge", changes=[
        Change(pk, f"#{pk}", Action.UPDATE, {"person": [retired.pk, keep.pk]})
        for pk in verification_ids])  # fmt: skip

    # The ID number moves with its blind index; free it on the retired file first.
    retired.status = c.PersonStatus.MERGED
    retired.merged_into = keep
    retired.version += 1  # an edit form opened before the merge is now stale
    retired.status_changed_on = timezone.localdate()
    if "id_number" in filled:
        retired.id_number, retired.id_number_index = "", None
    retired.save()
    _apply(keep, filled)
    keep.version += 1
    keep.save()
    people_changed(keep.pk, retired.pk)
    file_closed.send(sender=None, person_id=retired.pk, on=retired.status_changed_on,
                     merged_into=keep.pk)  # fmt: skip

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
        # Named explicitly: outside a request (a command) no actor is in context.
        actor=user if getattr(user, "is_authenticated", False) else None,
        changes={"merged_from": [None, retired.pk]},
        additional_data={
            "merge": {
                "retired": retired.pk,
                "filled": sorted(filled),
                "moved": moved,
            }
        },
    )
    # The moved relations may change what the kept file is eligible for, and the
    # retired file's other pairs were dropped: look for the kept file's again.
    proposals_refresh(person=keep, on=timezone.localdate())
    duplicates_find(person=keep)
    return keep

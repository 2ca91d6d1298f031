"""Pairings (结对): a volunteer takes on a person; the pairing ends with a reason."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from shouwang.care.choices import PairingEndReason, VolunteerStatus
from shouwang.care.models import Pairing, Volunteer
from shouwang.care.services.due_dates import due_dates_forget
from shouwang.people.choices import PersonStatus
from shouwang.people.models import Person


def on_file_since(person: Person) -> dt.date:
    """The day a person's file was created, in local time."""
    return timezone.localdate(person.created_at)


def pairing_create_errors(
    *,
    person: Person,
    volunteer: Volunteer,
    open_with: Collection[int],
    started_on: dt.date,
    today: dt.date,
) -> dict[str, str]:
    """The rules of a new pairing, {field: message} (empty when it may be made):
    the volunteer approved, below capacity and not yet paired with the person, the
    person on file, the start neither in the future nor before the file existed.

    `open_with` are the people the volunteer has open pairings with (one entry per
    pairing), which `pairing_create` reads under the volunteer's row lock and the
    ledger import reads for a chunk at once. The one definition for both."""
    errors: dict[str, str] = {}
    if volunteer.status != VolunteerStatus.APPROVED:
        errors["volunteer"] = _("该志愿者未通过审查，不能结对")
    elif len(open_with) >= volunteer.capacity:
        errors["volunteer"] = _("该志愿者已结对 %(n)s 人，达到可结对人数上限（%(cap)s 人）") % {
            "n": len(open_with),
            "cap": volunteer.capacity,
        }
    elif person.pk in open_with:
        errors["volunteer"] = _("该志愿者已与此人结对")
    if person.status != PersonStatus.ACTIVE:
        errors["__all__"] = _("该档案已不在册，不能结对")
    if started_on > today:
        errors["started_on"] = _("开始日期不能晚于今天")
    elif started_on < on_file_since(person):
        errors["started_on"] = _("开始日期不能早于建档日期（%(day)s）") % {
            "day": on_file_since(person).isoformat()
        }
    return errors


@transaction.atomic
def pairing_create(
    *,
    user,
    person: Person,
    volunteer: Volunteer,
    started_on: dt.date,
    kind: str = "",
    today: dt.date | None = None,
) -> Pairing:
    """Pair an approved volunteer with a person from `started_on`.

    Refused: a volunteer not approved, one already at capacity (counted under a
    row lock, so two workers cannot both take the last place), an existing open
    pairing of the two, a person no longer on file, a start in the future or
    before the file existed.
    """
    today = today or timezone.localdate()
    volunteer = Volunteer.objects.select_for_update().get(pk=volunteer.pk)
    open_with: list[int] = []
    if volunteer.status == VolunteerStatus.APPROVED:
        open_with = list(
            volunteer.pairings.filter(ended_on__isnull=True).values_list("person_id", flat=True)
        )
    errors = pairing_create_errors(
        person=person, volunteer=volunteer, open_with=open_with, started_on=started_on, today=today
    )
    if errors:
        raise ValidationError(errors)
    pairing = Pairing(
        person=person,
        volunteer=volunteer,
        kind=kind or volunteer.kind,
        started_on=started_on,
        created_by=user,
    )
    pairing.full_clean()
    try:
        with transaction.atomic():
            pairing.save()
    except IntegrityError:
        raise ValidationError({"volunteer": _("该志愿者已与此人结对")}) from None
    due_dates_forget(person_ids=[person.pk])
    return pairing


PAIRING_ENDED = _lazy("该结对已结束")


def pairing_end_errors(
    *, pairing: Pairing, ended_on: dt.date, reason: str, today: dt.date
) -> dict[str, str]:
    """The rules of ending an open pairing, {field: message} (empty when it may end):
    a reason from the list, the end neither before the start nor in the future.
    (An ended pairing cannot end again: `PAIRING_ENDED`.) The one definition for
    `pairing_end` and the ledger import."""
    errors: dict[str, str] = {}
    if reason not in PairingEndReason.values:
        errors["reason"] = _("请选择结束原因")
    if ended_on < pairing.started_on:
        errors["ended_on"] = _("结束日期不能早于开始日期")
    elif ended_on > today:
        errors["ended_on"] = _("结束日期不能晚于今天")
    return errors


@transaction.atomic
def pairing_end(
    *,
    user,
    pairing: Pairing,
    ended_on: dt.date,
    reason: str,
    note: str = "",
    today: dt.date | None = None,
) -> Pairing:
    """End a pairing: from `ended_on` the volunteer no longer looks after the person."""
    today = today or timezone.localdate()
    # Re-read under a row lock: two people ending the pairing at once, one is told.
    pairing = Pairing.objects.select_for_update().select_related("person").get(pk=pairing.pk)
    if pairing.ended_on is not None:
        raise ValidationError(PAIRING_ENDED)
    errors = pairing_end_errors(pairing=pairing, ended_on=ended_on, reason=reason, today=today)
    if errors:
        raise ValidationError(errors)
    pairing.ended_on = ended_on
    pairing.end_reason = reason
    pairing.end_note = note.strip()
    pairing.ended_by = user
    pairing.save()
    due_dates_forget(person_ids=[pairing.person_id])
    return pairing


def pairings_close(*, person_id: int, on: dt.date, merged_into: int | None = None) -> int:
    """A file left the register: its open pairings end that day (volunteers lose
    access and get the place back). On a merge they move instead to the file that
    stays (unless that file has the same volunteer already), so do its contacts,
    and both files' contact indexes are recounted. Returns pairings ended."""
    from shouwang.audit.services import Action, Change, audit_bulk
    from shouwang.care.models import Contact
    from shouwang.care.services.contacts import contact_indexes_rebuild

    ended = 0
    for pairing in Pairing.objects.filter(person_id=person_id, ended_on__isnull=True):
        if (
            merged_into is not None
            and not Pairing.objects.filter(
                person_id=merged_into, volunteer_id=pairing.volunteer_id, ended_on__isnull=True
            ).exists()
        ):
            pairing.person_id = merged_into
            pairing.save()  # audited: the pairing now belongs to the file that stays
            continue
        pairing.ended_on = max(on, pairing.started_on)
        pairing.end_reason = PairingEndReason.PERSON_MOVED
        pairing.save()  # one by one: each end is in the audit log
        ended += 1
    if merged_into is not None:
        moved = list(Contact.objects.filter(person_id=person_id).values_list("pk", flat=True))
        Contact.objects.filter(pk__in=moved).update(person_id=merged_into)
        audit_bulk(model=Contact, source="merge", changes=[
            Change(pk, f"#{pk}", Action.UPDATE, {"person": [person_id, merged_into]})
            for pk in moved])  # fmt: skip
        contact_indexes_rebuild(people=Person.objects.filter(pk__in=[person_id, merged_into]))
    due_dates_forget(person_ids=[pk for pk in (person_id, merged_into) if pk])
    return ended

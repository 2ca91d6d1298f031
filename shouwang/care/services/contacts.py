"""Contacts (走访与联系记录): logging, idempotently, and handling concerns."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from itertools import islice

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.care.choices import KIND_BITS, ContactKind
from shouwang.care.models import Contact, ContactMonth, LastContact, Pairing, Volunteer
from shouwang.care.services.pairings import on_file_since
from shouwang.people.choices import PARENT_KINDS, PersonStatus
from shouwang.people.models import Person, Relation

# The longest 情况记录 (notes) of a contact, in characters: the form and the API
# accept no more, and the service refuses more whoever calls it (the import too).
CONTACT_NOTES_MAX = 2000


def contact_errors(
    *,
    person: Person,
    kind: str,
    date: dt.date,
    volunteer: Volunteer | None,
    pairings: Iterable[Pairing],
    parent: Relation | None,
    duration_minutes: int | None,
    notes: str,
    today: dt.date,
) -> tuple[dict[str, str], str]:
    """The rules of a new contact: {field: message} (empty when it may be logged)
    and the kind of the volunteer's pairing with the person on the day ("" without
    a volunteer). The person on file, a kind from the list, the date neither in the
    future nor before the file existed, the volunteer paired with the person that
    day, the parent of a 亲情通话, a plausible duration, notes of at most
    `CONTACT_NOTES_MAX` characters (once stripped, as they are kept).

    `pairings` are the volunteer's pairings with the person, in the model's order
    (newest first), read only when the volunteer and the date need them: one query
    for `contact_log`, a chunk's worth at once for the ledger import. The one
    definition for both."""
    errors: dict[str, str] = {}
    if person.status != PersonStatus.ACTIVE:
        errors["__all__"] = _("该档案已不在册，不能记录联系")
    if kind not in ContactKind.values:
        errors["kind"] = _("请选择联系方式")
    if date > today:
        errors["date"] = _("联系日期不能晚于今天")
    elif date < on_file_since(person):
        errors["date"] = _("联系日期不能早于建档日期（%(day)s）") % {
            "day": on_file_since(person).isoformat()
        }
    pairing_kind = ""
    if volunteer is not None and "date" not in errors:
        pairing = next((p for p in pairings if p.is_active_on(date)), None)
        if pairing is None:
            errors["volunteer"] = _("该志愿者在该日期未与此人结对")
        else:
            pairing_kind = pairing.kind
    if kind == ContactKind.FAMILY_CALL and (
        parent is None or parent.person_id != person.pk or parent.kind not in PARENT_KINDS
    ):
        errors["parent"] = _("亲情通话请选择与孩子通话的父亲或母亲")
    if duration_minutes is not None and not 0 < duration_minutes <= 24 * 60:
        errors["duration_minutes"] = _("时长应在 1 到 1440 分钟之间")
    if len(notes.strip()) > CONTACT_NOTES_MAX:
        errors["notes"] = _("情况记录不能超过 %(max)s 字（现有 %(n)s 字）") % {
            "max": CONTACT_NOTES_MAX,
            "n": len(notes.strip()),
        }
    return errors, pairing_kind


@transaction.atomic
def contact_log(
    *,
    user,
    person: Person,
    kind: str,
    date: dt.date,
    volunteer: Volunteer | None = None,
    duration_minutes: int | None = None,
    notes: str = "",
    parent: Relation | None = None,
    concern: bool = False,
    client_key: uuid.UUID | None = None,
    today: dt.date | None = None,
) -> tuple[Contact, bool]:
    """Record a contact; return it and whether it was created now.

    The same `client_key` from the same user returns the first contact and logs
    nothing (a retried request or a double tap). A volunteer logs as themselves,
    for people paired with them; staff may log for a volunteer paired with the
    person on that day. Refused with a message per field: a person outside the
    user's scope or no longer on file, a date in the future or before the file
    existed, a 亲情通话 without the parent, a volunteer not paired on that day.
    """
    today = today or timezone.localdate()
    if client_key is not None:
        earlier = Contact.objects.filter(recorded_by=user, client_key=client_key).first()
        if earlier is not None:
            return earlier, False
    if not Person.objects.visible_to(user).filter(pk=person.pk).exists():
        raise PermissionDenied(_("该人员不在您的管辖范围内"))
    if user.is_volunteer:
        volunteer = Volunteer.objects.filter(user=user).first()
    pairings = Pairing.objects.filter(person=person, volunteer=volunteer) if volunteer else ()
    errors, pairing_kind = contact_errors(
        person=person,
        kind=kind,
        date=date,
        volunteer=volunteer,
        pairings=pairings,
        parent=parent,
        duration_minutes=duration_minutes,
        notes=notes,
        today=today,
    )
    if errors:
        raise ValidationError(errors)
    if kind != ContactKind.FAMILY_CALL:
        parent = None
    contact = Contact(
        person=person,
        kind=kind,
        date=date,
        volunteer=volunteer,
        pairing_kind=pairing_kind,
        duration_minutes=duration_minutes,
        notes=notes.strip(),
        parent=parent,
        concern=concern,
        recorded_by=user,
        client_key=client_key,
    )
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError:
        # The same key saved a moment ago by a concurrent retry: answer with that one.
        return Contact.objects.get(recorded_by=user, client_key=client_key), False
    contact_indexes_note(contact)
    return contact, True


def contact_indexes_note(contact: Contact) -> None:
    """Keep `LastContact` and `ContactMonth` current after one new contact (inside
    its transaction; the row locks order concurrent contacts with the same person)."""
    row, created = LastContact.objects.select_for_update().get_or_create(
        person_id=contact.person_id,
        kind=contact.kind,
        pairing_kind=contact.pairing_kind,
        defaults={"date": contact.date},
    )
    if not created and row.date < contact.date:
        row.date = contact.date
        row.save(update_fields=["date"])
    bit = KIND_BITS[contact.kind]
    month, created = ContactMonth.objects.select_for_update().get_or_create(
        person_id=contact.person_id, month=contact.date.replace(day=1), defaults={"kinds": bit}
    )
    if not created and not month.kinds & bit:
        month.kinds |= bit
        month.save(update_fields=["kinds"])


def _batched(model, rows, batch_size: int) -> int:
    written = 0
    while batch := list(islice(rows, batch_size)):
        written += len(model.objects.bulk_create(batch))
    return written


@transaction.atomic
def contact_indexes_rebuild(
    *, people: QuerySet[Person] | None = None, batch_size=5000
) -> dict[str, int]:
    """Recount `LastContact` and `ContactMonth` from the contacts (of `people`, or
    everyone): for bulk loads that bypass `contact_log`. Returns the rows written."""
    contacts = Contact.objects.all()
    last, months = LastContact.objects.all(), ContactMonth.objects.all()
    if people is not None:
        scope = people.values("pk")
        contacts = contacts.filter(person__in=scope)
        last, months = last.filter(person__in=scope), months.filter(person__in=scope)
    last.delete()
    months.delete()
    latest = (
        LastContact(person_id=person_id, kind=kind, pairing_kind=pairing_kind, date=on)
        for person_id, kind, pairing_kind, on in contacts.values_list(
            "person_id", "kind", "pairing_kind"
        )
        .annotate(on=Max("date"))
        .order_by()
        .iterator(chunk_size=batch_size)
    )
    written = {"last": _batched(LastContact, latest, batch_size)}
    bits: dict[tuple[int, dt.date], int] = defaultdict(int)
    for person_id, month, kind in (
        contacts.annotate(month=TruncMonth("date"))
        .values_list("person_id", "month", "kind")
        .distinct()
        .order_by()
        .iterator(chunk_size=batch_size)
    ):
        bits[(person_id, month)] |= KIND_BITS[kind]
    rows = (ContactMonth(person_id=p, month=m, kinds=k) for (p, m), k in bits.items())
    written["months"] = _batched(ContactMonth, rows, batch_size)
    return written


@transaction.atomic
def concern_resolve(*, user, contact: Contact) -> Contact:
    """Take a contact off the supervisor's attention list (关注名单). Re-read under a
    row lock: of two supervisors resolving it at once, the second is told."""
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if not contact.concern or contact.concern_resolved_at is not None:
        raise ValidationError(_("该事项不在关注名单上"))
    contact.concern_resolved_at = timezone.now()
    contact.concern_resolved_by = user
    contact.save(update_fields=["concern_resolved_at", "concern_resolved_by"])
    return contact

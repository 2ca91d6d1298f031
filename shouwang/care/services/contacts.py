"""Contacts (走访与联系记录): logging, idempotently, and handling concerns."""

from __future__ import annotations

import datetime as dt
import uuid
from itertools import islice

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.care.choices import ContactKind
from shouwang.care.models import Contact, LastContact, Pairing, Volunteer
from shouwang.care.services.pairings import on_file_since
from shouwang.people.choices import PARENT_KINDS, PersonStatus
from shouwang.people.models import Person, Relation


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
        pairing = Pairing.objects.active(date).filter(person=person, volunteer=volunteer).first()
        if pairing is None:
            errors["volunteer"] = _("该志愿者在该日期未与此人结对")
        else:
            pairing_kind = pairing.kind
    if kind == ContactKind.FAMILY_CALL:
        if parent is None or parent.person_id != person.pk or parent.kind not in PARENT_KINDS:
            errors["parent"] = _("亲情通话请选择与孩子通话的父亲或母亲")
    else:
        parent = None
    if duration_minutes is not None and not 0 < duration_minutes <= 24 * 60:
        errors["duration_minutes"] = _("时长应在 1 到 1440 分钟之间")
    if errors:
        raise ValidationError(errors)
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
    last_contact_note(contact)
    return contact, True


def last_contact_note(contact: Contact) -> None:
    """Keep `LastContact` current after one new contact (inside its transaction;
    the row lock orders concurrent contacts with the same person and kind)."""
    row, created = LastContact.objects.select_for_update().get_or_create(
        person_id=contact.person_id,
        kind=contact.kind,
        pairing_kind=contact.pairing_kind,
        defaults={"date": contact.date},
    )
    if not created and row.date < contact.date:
        row.date = contact.date
        row.save(update_fields=["date"])


@transaction.atomic
def last_contacts_rebuild(*, people: QuerySet[Person] | None = None, batch_size=5000) -> int:
    """Recount `LastContact` from the contacts (of `people`, or everyone): for bulk
    loads that bypass `contact_log`. Returns the number of rows written."""
    existing = LastContact.objects.all()
    contacts = Contact.objects.all()
    if people is not None:
        existing = existing.filter(person__in=people.values("pk"))
        contacts = contacts.filter(person__in=people.values("pk"))
    existing.delete()
    rows = (
        LastContact(person_id=person_id, kind=kind, pairing_kind=pairing_kind, date=last)
        for person_id, kind, pairing_kind, last in contacts.values_list(
            "person_id", "kind", "pairing_kind"
        )
        .annotate(last=Max("date"))
        .order_by()
        .iterator(chunk_size=batch_size)
    )
    written = 0
    while batch := list(islice(rows, batch_size)):
        written += len(LastContact.objects.bulk_create(batch))
    return written


@transaction.atomic
def concern_resolve(*, user, contact: Contact) -> Contact:
    """Take a contact off the supervisor's attention list (关注名单)."""
    if not contact.concern or contact.concern_resolved_at is not None:
        raise ValidationError(_("该事项不在关注名单上"))
    contact.concern_resolved_at = timezone.now()
    contact.concern_resolved_by = user
    contact.save(update_fields=["concern_resolved_at", "concern_resolved_by"])
    return contact

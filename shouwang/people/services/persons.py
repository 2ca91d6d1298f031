from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.audit.models import AuditEntry
from shouwang.audit.services import audit_access
from shouwang.core.locking import lock_version
from shouwang.people import choices as c
from shouwang.people.forms import id_index, phone_index
from shouwang.people.identity import mask_id_number, mask_phone
from shouwang.people.models import Household, Person, Relation
from shouwang.people.names import name_pinyin
from shouwang.people.services import duplicates
from shouwang.people.signals import file_closed, people_changed

SENSITIVE = {"id_number": mask_id_number, "phone": mask_phone, "head_teacher_phone": mask_phone}


class StaleEdit(Exception):
    """Someone saved the file after this form was loaded. `changes` lists their
    audit entries since then, so the user sees who changed what."""

    def __init__(self, person: Person, changes: list[AuditEntry]):
        self.person = person
        self.changes = changes
        super().__init__(_("该档案已被他人修改"))


def _apply(person: Person, data: dict[str, Any]) -> None:
    for field, value in data.items():
        if field == "difficulty_categories":
            person.difficulty_categories = value
        else:
            setattr(person, field, value)
    person.name_pinyin, person.name_initials = name_pinyin(person.name)
    person.id_number_index = id_index(person.id_number) if person.id_number else None
    person.phone_index = phone_index(person.phone) if person.phone else ""


# For bulk writers (the ledger import): the same derived columns as the services.
apply_data = _apply


def _refuse_merged(person: Person) -> None:
    if person.status == c.PersonStatus.MERGED:
        raise ValidationError(_("该档案已合并到另一份档案，不能再修改"))


def _save_unique(person: Person) -> None:
    """Save; an ID number registered by someone else a moment ago (the check above
    ran before their commit) is the same Chinese message, not a server error."""
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        raise ValidationError({"id_number": _("该身份证号码已登记")}) from None


def _check_id_unique(person: Person) -> None:
    """Checked again inside the transaction: the form's check may be stale."""
    if not person.id_number_index:
        return
    clash = Person.objects.filter(id_number_index=person.id_number_index)
    if person.pk:
        clash = clash.exclude(pk=person.pk)
    if clash.exists():
        raise ValidationError({"id_number": _("该身份证号码已登记")})


@transaction.atomic
def person_create(*, user, data: dict[str, Any], on: dt.date | None = None) -> Person:
    """Create a file from validated form data (in its own household unless one is
    given), look for duplicates and propose program enrollments."""
    from shouwang.people.services.programs import proposals_refresh

    person = Person(created_by=user if user and user.is_authenticated else None)
    _apply(person, data)
    _check_id_unique(person)
    person.full_clean(exclude=["id_number", "phone", "head_teacher_phone", "household"])
    if person.household_id is None:
        person.household = Household.objects.create(village=person.village, address=person.address)
    _save_unique(person)
    duplicates.duplicates_find(person=person)
    proposals_refresh(person=person, on=on or timezone.localdate())
    return person


@transaction.atomic
def person_update(
    *,
    user,
    person: Person,
    data: dict[str, Any],
    version: int,
    loaded_at: dt.datetime | None = None,
    on: dt.date | None = None,
) -> Person:
    """Save an edit made on `version` of the file; raise StaleEdit if it moved on."""
    from shouwang.people.services.programs import proposals_refresh

    current = Person.objects.select_for_update().get(pk=person.pk)
    _refuse_merged(current)
    if current.version != version:
        entries = AuditEntry.objects.filter(
            content_type__model="person",
            content_type__app_label="people",
            object_pk=str(person.pk),
        ).select_related("actor", "content_type")
        if loaded_at is not None:
            changes = list(entries.filter(timestamp__gte=loaded_at).order_by("timestamp", "id"))
        else:
            # Without the time the file was read, take the saves since `version`: each
            # save moves the version on by one and writes one update entry (auditlog
            # writes it in pre_save, before auto_now sets updated_at, so "since
            # updated_at" would miss the very change that made this edit stale).
            saves = max(current.version - version, 0)
            newest = entries.filter(action=AuditEntry.Action.UPDATE).order_by("-timestamp", "-id")
            changes = list(reversed(newest[:saves]))
        raise StaleEdit(current, changes)
    _apply(current, data)
    _check_id_unique(current)
    current.full_clean(exclude=["id_number", "phone", "head_teacher_phone"])
    current.version = version + 1
    _save_unique(current)
    duplicates.duplicates_find(person=current)  # the name or birth date may have changed
    proposals_refresh(person=current, on=on or timezone.localdate())
    people_changed(current.pk)
    return current


def person_reveal(*, user, person: Person, field: str) -> str:
    """The full value of a sensitive field, for a user holding the permission;
    every reveal is an audit entry (who saw whose number, when)."""
    if field not in SENSITIVE:
        raise ValueError(field)
    if not user.has_perm("people.reveal_sensitive"):
        raise PermissionDenied
    audit_access(instance=person, fields=[field])
    return getattr(person, field)


@transaction.atomic
def relation_save(
    *,
    person: Person,
    data: dict[str, Any],
    relation: Relation | None = None,
    version: int | None = None,
) -> Relation:
    """Add or change a family member, then re-evaluate the person's programs
    (a parent's return ends left-behind status). A change made on `version` of the
    record is refused if someone saved it since (optimistic locking)."""
    from shouwang.people.services.programs import proposals_refresh

    _refuse_merged(person)
    if relation is not None:
        stale = _("保存失败：您打开之后，已有其他人修改了该家庭成员的信息。请重新打开后再修改。")
        relation = lock_version(Relation, pk=relation.pk, version=version, message=stale)
    else:
        relation = Relation(person=person)
    for field, value in data.items():
        setattr(relation, field, value)
    relation.full_clean(exclude=["id_number", "phone"])
    relation.save()
    proposals_refresh(person=person, on=timezone.localdate())
    return relation


@transaction.atomic
def relation_delete(*, relation: Relation) -> None:
    from shouwang.people.services.programs import proposals_refresh

    person = relation.person
    relation.delete()
    proposals_refresh(person=person, on=timezone.localdate())


@transaction.atomic
def person_set_status(*, user, person: Person, status: str, on: dt.date, note: str = "") -> Person:
    """Record that a person moved out (迁出), died (死亡) or is back on file (在册);
    the programs are re-evaluated at once, so exits are proposed with that reason."""
    from shouwang.people.services.programs import proposals_refresh

    allowed = {c.PersonStatus.ACTIVE, c.PersonStatus.MOVED_OUT, c.PersonStatus.DECEASED}
    if status not in allowed:
        raise ValidationError({"status": _("请选择在册、迁出或死亡")})
    if on > timezone.localdate():
        raise ValidationError({"on": _("日期不能晚于今天")})
    person = Person.objects.select_for_update().get(pk=person.pk)
    if person.status == c.PersonStatus.MERGED:
        raise ValidationError({"status": _("已合并的档案不能变更状态")})
    if status == person.status:
        raise ValidationError({"status": _("档案已是该状态")})
    person.status = status
    person.status_changed_on = on
    if note:
        person.notes = f"{person.notes}\n{on} {note}".strip()
    person.version += 1
    person.save()
    proposals_refresh(person=person, on=on)
    if status != c.PersonStatus.ACTIVE:
        file_closed.send(sender=None, person_id=person.pk, on=on, merged_into=None)
    people_changed(person.pk)
    return person

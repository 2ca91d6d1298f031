"""Checking and writing the ledgers of the care network — the volunteers' register
(关爱志愿者名册), the pairings (结对帮扶台账) and the contacts (走访与联系记录台账) —
with the interface of `importing`: a checker per file whose `check_chunk(rows)`
classifies each row as new, update, unchanged or error, and a `write_…` function
that writes a chunk's new and changed rows in bulk inside the caller's transaction.

What must hold, as for the ledgers of people:
- a fixed number of queries per chunk (two to five), whatever its size;
- a row is matched only to records the user can see; a phone or ID number known
  outside their scope is an error, never a change to that record;
- two rows of a file describing the same record: an error on the later one;
- an empty or masked cell (an export without the right to reveal) never changes a
  value, so an export imports back unchanged and a file imported twice changes
  nothing the second time;
- every rule is the one the pages and the API apply (`pairing_create_errors`,
  `pairing_end_errors`, `contact_errors`, `volunteer_capacity_error`,
  `volunteer_areas`, the models' field validation), run on facts read for the whole
  chunk; every record written has one audit entry, written in bulk.

Rules of the import alone: a file never sets a volunteer's review status (审查状态:
review happens in the system); contacts are only ever added — one already on file
(same person, date, kind and volunteer) is unchanged, whatever the row says of it.

A 亲情通话 (family call) names the parent on the line in 通话亲属 (父亲 or 母亲):
that parent of the child's file, which must be on file, as the contact form asks.

The batches (`services`) run these checkers and writers as they run the ledgers of
people: `CARE_IMPORTS` gives each ledger's pair, and a `Checked` has the `row` and
`outcome` the preview counts and the commit's re-check need.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.audit.services import Action, Change, audit_bulk, mask_secret
from shouwang.care.choices import ContactKind, VolunteerStatus
from shouwang.care.forms.volunteers import volunteer_areas
from shouwang.care.models import Contact, Pairing, Volunteer
from shouwang.care.selectors import with_load
from shouwang.care.services.contacts import contact_errors, contact_indexes_rebuild
from shouwang.care.services.due_dates import due_dates_forget, due_dates_refresh
from shouwang.care.services.pairings import (
    PAIRING_ENDED,
    pairing_create_errors,
    pairing_end_errors,
)
from shouwang.care.services.volunteers import volunteer_capacity_error
from shouwang.ledgers import cells, importing
from shouwang.ledgers.columns import ID_NUMBER, PHONE, Ledger
from shouwang.ledgers.importing import ERROR, NEW, UNCHANGED, UPDATE, Issue
from shouwang.people.choices import PARENT_KINDS, RelationKind
from shouwang.people.forms import id_index, phone_index
from shouwang.people.models import Person, Relation
from shouwang.regions.models import Area, Level

_BATCH = 500
# The fields of a volunteer that a new volunteer's audit entry lists.
_VOLUNTEER_FIELDS = (
    "name",
    "kind",
    "organisation",
    "organisation_name",
    "area_id",
    "phone",
    "capacity",
    "status",
    "notes",
)


@dataclass
class Checked:
    """One row after checking: its outcome, the values the file gives (by column
    key), the record it matched or would create, the person and the volunteer it
    names (pairings, contacts), and what it would change ({field: [old, new]})."""

    row: int
    outcome: str
    data: dict[str, Any]
    record: Any = None
    person: Person | None = None
    volunteer: Volunteer | None = None
    changes: dict[str, list[Any]] = field(default_factory=dict)


def _masked(raw) -> bool:
    return isinstance(raw, str) and "*" in raw


def _field_errors(record, *, exclude: Iterable[str] = ()) -> dict[str, str]:
    """The model's own field rules (lengths, choices, ranges), as the services'
    `full_clean` applies them, without a query: related records are the ones the
    checker found, and uniqueness is the database's."""
    related = [f.name for f in record._meta.concrete_fields if f.is_relation]
    try:
        record.full_clean(
            exclude=[*related, *exclude], validate_unique=False, validate_constraints=False
        )
    except ValidationError as exc:
        return {name: " ".join(messages) for name, messages in exc.message_dict.items()}
    return {}


class _Checker:
    """What the three checkers share: reading the cells, the required columns, and
    the order of a chunk — read every row, look up what the chunk names (`_lookup`,
    a few queries), then match each row (`_match`, none)."""

    # Service error keys → the column they are about (others: the key itself).
    COLUMNS: dict[str, str] = {"__all__": ""}

    def __init__(self, *, user, ledger: Ledger, today: dt.date | None = None):
        self.user, self.ledger = user, ledger
        self.today = today or timezone.localdate()
        self.header = {col.key: str(col.header) for col in ledger.columns}
        self.cells: dict[tuple, Any] = {}
        self.seen: dict[tuple, int] = {}

    # The per-file memory of repeating cell values of the ledgers of people.
    _cell = importing.Checker._cell

    def check(self, rows: Iterable[Any]) -> Iterator[tuple[Checked, list[Issue]]]:
        rows = iter(rows)
        while chunk := list(islice(rows, settings.LEDGER_IMPORT_CHUNK_ROWS)):
            yield from self.check_chunk(chunk)

    def check_chunk(self, chunk) -> list[tuple[Checked, list[Issue]]]:
        read = []
        for raw in chunk:
            issues = [Issue(raw.number, "", message) for message in getattr(raw, "errors", ())]
            read.append((raw.number, self._read(raw.number, raw.values, issues), issues))
        found = self._lookup([data for _number, data, _issues in read])
        result = []
        for number, data, issues in read:
            checked = self._match(number, data, issues, found)
            if issues:
                checked.outcome = ERROR
            result.append((checked, issues))
        return result

    def _read(self, number: int, values: dict[str, Any], issues: list[Issue]) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for column in self.ledger.columns:
            raw = values.get(column.key)
            if column.kind in (ID_NUMBER, PHONE) and _masked(raw):
                continue  # exported without the right to reveal: not given
            try:
                value = self._cell(column, raw)
            except cells.CellError as exc:
                issues.append(Issue(number, str(column.header), str(exc)))
                continue
            if value is None or value == "" or value == []:
                if column.required:
                    message = _("请填写%(column)s") % {"column": column.header}
                    issues.append(Issue(number, str(column.header), message))
                continue
            data[column.key] = value
        return data

    def _add(self, issues: list[Issue], number: int, key: str, message) -> None:
        issues.append(Issue(number, self.header.get(key, ""), str(message)))

    def _add_all(self, issues: list[Issue], number: int, errors: dict[str, str]) -> None:
        for name, message in errors.items():
            self._add(issues, number, self.COLUMNS.get(name, name), message)

    def _add_fields(self, issues: list[Issue], number: int, errors: dict[str, str]) -> None:
        """A model's field errors, except on columns that already have one (an
        empty required cell is reported once, not again by the model)."""
        bad = {issue.column for issue in issues}
        for name, message in errors.items():
            key = self.COLUMNS.get(name, name)
            if not self.header.get(key) or self.header[key] not in bad:
                self._add(issues, number, key, message)

    def _earlier(self, key: tuple, number: int) -> int | None:
        """The row that named `key` before this one, if any (remembering this one)."""
        earlier = self.seen.setdefault(key, number)
        return earlier if earlier != number else None

    def _volunteer(self, number, data, issues, candidates: list[Volunteer]) -> Volunteer | None:
        """The one volunteer of `candidates` (found by the row's name) that the row
        means: by phone when the file gives it, else the only one of the name."""
        name = data.get("volunteer.name")
        if not name:
            return None
        phone = data.get("volunteer.phone")
        if phone:
            index = phone_index(phone)
            candidates = [v for v in candidates if v.phone_index == index]
            if not candidates:
                message = _("找不到姓名为「%(name)s」、联系电话为该号码的志愿者")
                self._add(issues, number, "volunteer.phone", message % {"name": name})
        elif not candidates:
            message = _("您的管辖范围内没有名为「%(name)s」的志愿者")
            self._add(issues, number, "volunteer.name", message % {"name": name})
        if len(candidates) > 1:
            message = _("有多名志愿者名为「%(name)s」，请填写志愿者联系电话")
            self._add(issues, number, "volunteer.name", message % {"name": name})
        return candidates[0] if len(candidates) == 1 else None

    def _lookup(self, rows: list[dict[str, Any]]):
        raise NotImplementedError

    def _match(self, number, data, issues, found) -> Checked:
        raise NotImplementedError


class _People:
    """The person a row of the pairings or contacts ledger names: by ID number (its
    blind index) when the file gives it, else by name and village, only among the
    files the user can see. Two queries per chunk."""

    FIELDS = ("pk", "name", "village_id", "status", "created_at", "id_number_index")

    def __init__(self, user):
        villages = Area.objects.visible_to(user).filter(level=Level.VILLAGE)
        self.villages = set(villages.values_list("pk", flat=True))
        self.visible = Person.objects.visible_to(user)

    def lookup(self, rows: list[dict[str, Any]]):
        indexes = {id_index(d["person.id_number"]) for d in rows if d.get("person.id_number")}
        by_id: dict[str, Person] = {}
        if indexes:
            visible = Exists(self.visible.filter(pk=OuterRef("pk")))
            for person in (
                Person.objects.filter(id_number_index__in=indexes)
                .only(*self.FIELDS)
                .annotate(visible=visible)
            ):
                by_id[person.id_number_index] = person
        keys = {
            (d["person.name"], d["person.village"])
            for d in rows
            if d.get("person.name") and d.get("person.village") and not d.get("person.id_number")
        }
        by_key: dict[tuple, list[Person]] = defaultdict(list)
        if keys:
            for person in self.visible.filter(
                village_id__in={k[1] for k in keys}, name__in={k[0] for k in keys}
            ).only(*self.FIELDS):
                if (person.name, person.village_id) in keys:
                    by_key[(person.name, person.village_id)].append(person)
        return by_id, by_key

    def find(self, checker: _Checker, number, data, issues, by_id, by_key) -> Person | None:
        add = checker._add
        village, name = data.get("person.village"), data.get("person.name")
        if village is not None and village not in self.villages:
            message = _("村（社区）代码 %(code)s 不在您的管辖范围内") % {"code": village}
            add(issues, number, "person.village", message)
            return None
        if data.get("person.id_number"):
            person = by_id.get(id_index(data["person.id_number"]))
            if person is None:
                message = _("找不到该身份证号码的档案，请先登记或导入该人员")
                add(issues, number, "person.id_number", message)
                return None
            if not person.visible:
                message = _("该身份证号码已在其他地区登记，请联系县级管理员核实")
                add(issues, number, "person.id_number", message)
                return None
            if name and person.name != name:
                message = _("该身份证号码登记的姓名是「%(name)s」，与本行不符")
                add(issues, number, "person.name", message % {"name": person.name})
            return person
        if not (village and name):
            return None
        matches = by_key.get((name, village), [])
        if not matches:
            message = _("村（社区）%(code)s 没有名为「%(name)s」的档案")
            add(issues, number, "person.name", message % {"code": village, "name": name})
        elif len(matches) > 1:
            message = _("该村有多人名为「%(name)s」，请填写身份证号码")
            add(issues, number, "person.id_number", message % {"name": name})
        else:
            return matches[0]
        return None


# --- volunteers -------------------------------------------------------------------


class VolunteerChecker(_Checker):
    """Rows of the volunteers' register: matched by phone (its blind index) among
    the volunteers the user can see, else by name and area when exactly one there
    has the name; a new volunteer is registered as 已报名. Two queries per chunk."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.areas = set(volunteer_areas(self.user).values_list("pk", flat=True))
        self.visible = Volunteer.objects.visible_to(self.user)

    def _lookup(self, rows):
        indexes = {phone_index(d["phone"]) for d in rows if d.get("phone")}
        by_phone: dict[str, list[Volunteer]] = defaultdict(list)
        if indexes:
            visible = Exists(self.visible.filter(pk=OuterRef("pk")))
            found = Volunteer.objects.filter(phone_index__in=indexes).annotate(visible=visible)
            for volunteer in with_load(found, on=self.today):
                by_phone[volunteer.phone_index].append(volunteer)
        keys = {(d["name"], d["area"]) for d in rows if d.get("name") and d.get("area")}
        by_key: dict[tuple, list[Volunteer]] = defaultdict(list)
        if keys:
            found = self.visible.filter(
                name__in={k[0] for k in keys}, area_id__in={k[1] for k in keys}
            )
            for volunteer in with_load(found, on=self.today):
                if (volunteer.name, volunteer.area_id) in keys:
                    by_key[(volunteer.name, volunteer.area_id)].append(volunteer)
        return by_phone, by_key

    def _match(self, number, data, issues, found) -> Checked:
        by_phone, by_key = found
        area = data.get("area")
        if area is not None and area not in self.areas:
            message = _("地区代码 %(code)s 不是您管辖范围内的村（社区）或乡镇") % {"code": area}
            self._add(issues, number, "area", message)
            data.pop("area")
        match, phone = None, data.get("phone")
        if phone:
            index = phone_index(phone)
            if earlier := self._earlier(("phone", index), number):
                message = _("与第 %(n)s 行的联系电话相同") % {"n": earlier}
                self._add(issues, number, "phone", message)
            everyone = by_phone.get(index, [])
            mine = [v for v in everyone if v.visible]
            if len(mine) > 1:
                message = _("有多名志愿者登记了该联系电话，请在系统中核实")
                self._add(issues, number, "phone", message)
            elif mine:
                match = mine[0]
            elif everyone:
                message = _("该联系电话的志愿者已在其他地区登记，请联系县级管理员核实")
                self._add(issues, number, "phone", message)
        if data.get("name") and data.get("area"):
            key = (data["name"], data["area"])
            earlier = self._earlier(("name", *key), number)
            if earlier and not phone:
                message = _("与第 %(n)s 行是同一名志愿者（姓名、所在地区相同）") % {"n": earlier}
                self._add(issues, number, "", message)
            matches = by_key.get(key, [])
            if match is None and len(matches) > 1:
                message = _("该地区有多名同名志愿者，请填写其登记的联系电话")
                self._add(issues, number, "phone", message)
            elif match is None and matches:
                match = matches[0]
        if match is not None and (earlier := self._earlier(("volunteer", match.pk), number)):
            message = _("与第 %(n)s 行是同一名志愿者") % {"n": earlier}
            self._add(issues, number, "", message)
        self._status(number, data.pop("status", None), match, issues)
        values = {("area_id" if k == "area" else k): v for k, v in data.items()}
        if match is None:
            record = Volunteer(status=VolunteerStatus.APPLIED, **values)
            self._add_fields(issues, number, _field_errors(record, exclude=["phone"]))
            return Checked(number, NEW, data, record=record)
        checked = Checked(number, UNCHANGED, data, record=match)
        for name, value in values.items():
            if name == "phone":
                if phone_index(value) != match.phone_index:
                    checked.changes[name] = [match.phone, value]
            elif getattr(match, name) != value:
                checked.changes[name] = [getattr(match, name), value]
        if checked.changes:
            checked.outcome = UPDATE
            edited = copy.copy(match)
            for name, (_old, new) in checked.changes.items():
                setattr(edited, name, new)
            self._add_fields(issues, number, _field_errors(edited, exclude=["phone"]))
            active = match.active_pairings
            if message := volunteer_capacity_error(capacity=edited.capacity, active=active):
                self._add(issues, number, "capacity", message)
        return checked

    def _status(self, number, status, match: Volunteer | None, issues) -> None:
        """The review status is the system's: a file may repeat it, never change it."""
        if not status or status == (match.status if match else VolunteerStatus.APPLIED):
            return
        if match is None:
            message = _("新登记的志愿者审查状态为“已报名”，不能通过导入设定；审查请在系统中进行")
        else:
            message = _("审查状态不能通过导入更改（当前为“%(status)s”）；审查请在系统中进行") % {
                "status": match.get_status_display()
            }
        self._add(issues, number, "status", message)


def _audited(changes: dict[str, list[Any]], *, secret=("phone",)) -> dict[str, list[str]]:
    """Changes as the audit log keeps them: related records by key, secrets masked."""

    def text(value) -> str:
        if value is None:
            return ""
        return value.isoformat() if isinstance(value, dt.date) else str(value)

    return {
        name.removesuffix("_id"): [mask_secret(text(a)), mask_secret(text(b))]
        if name in secret
        else [text(a), text(b)]
        for name, (a, b) in changes.items()
    }


def write_volunteers(*, user, ledger: Ledger, checked: list[Checked]) -> dict[str, int]:
    """Register the new volunteers (已报名) and change the matched ones, in bulk,
    with one audit entry each. The caller holds the transaction."""
    source = f"ledger {ledger.key}"
    new = [c for c in checked if c.outcome == NEW]
    changed = [c for c in checked if c.outcome == UPDATE]
    for c in new:
        c.record.created_by = user
        c.record.phone_index = phone_index(c.record.phone) if c.record.phone else ""
    Volunteer.objects.bulk_create([c.record for c in new], batch_size=_BATCH)
    now, columns = timezone.now(), {"version", "updated_at"}
    for c in changed:
        for name, (_old, value) in c.changes.items():
            setattr(c.record, name, value)
        if "phone" in c.changes:
            c.record.phone_index = phone_index(c.record.phone)
            columns.add("phone_index")
        c.record.version += 1
        c.record.updated_at = now
        columns |= set(c.changes)
    if changed:
        Volunteer.objects.bulk_update([c.record for c in changed], sorted(columns), _BATCH)
    audit_bulk(
        model=Volunteer,
        source=source,
        changes=[
            *(
                Change(c.record.pk, c.record.name, Action.CREATE, _audited(_created(c.record)))
                for c in new
            ),
            *(
                Change(c.record.pk, c.record.name, Action.UPDATE, _audited(c.changes))
                for c in changed
            ),
        ],
    )
    return {"created": len(new), "updated": len(changed)}


def _created(volunteer: Volunteer) -> dict[str, list[Any]]:
    return {
        name: [None, getattr(volunteer, name)]
        for name in _VOLUNTEER_FIELDS
        if getattr(volunteer, name)
    }


# --- pairings ---------------------------------------------------------------------


class PairingChecker(_Checker):
    """Rows of the pairings ledger. The row's person (`_People`) and volunteer (by
    name, and phone when given, among the volunteers the user can see or already
    paired with that person); a pairing of the two of the same kind from the same
    day is the row's — unchanged, or ended by the file under the rules of
    `pairing_end`; any other row is a new pairing under the rules of
    `pairing_create` (and of `pairing_end` when the file ends it too). Places taken
    and freed by earlier rows of the file count. Four queries per chunk."""

    COLUMNS = {"__all__": "", "volunteer": "volunteer.name", "reason": "end_reason"}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.people = _People(self.user)
        self.volunteers = Volunteer.objects.visible_to(self.user)
        self.pairings = Pairing.objects.visible_to(self.user)
        # Open pairings that earlier rows of the file start and end, by volunteer:
        # (person, kind, start), which identify them before and after they are written.
        self.opened: dict[int, set[tuple]] = defaultdict(set)
        self.closed: dict[int, set[tuple]] = defaultdict(set)

    def _lookup(self, rows):
        by_id, by_key = self.people.lookup(rows)
        people = {p.pk for p in by_id.values()} | {p.pk for ps in by_key.values() for p in ps}
        names = {d["volunteer.name"] for d in rows if d.get("volunteer.name")}
        volunteers: dict[str, list[Volunteer]] = defaultdict(list)
        if names:
            in_scope = self.volunteers.filter(pk=OuterRef("pk"))
            paired = self.pairings.filter(person_id__in=people).values("volunteer_id")
            for volunteer in (
                Volunteer.objects.filter(name__in=names)
                .annotate(in_scope=Exists(in_scope))
                .filter(Q(in_scope=True) | Q(pk__in=paired))
                .defer("phone")
            ):
                volunteers[volunteer.name].append(volunteer)
        pairings: dict[int, list[Pairing]] = defaultdict(list)
        ids = [v.pk for found in volunteers.values() for v in found]
        if ids:
            for pairing in Pairing.objects.filter(volunteer_id__in=ids).filter(
                Q(ended_on__isnull=True) | Q(person_id__in=people)
            ):
                pairings[pairing.volunteer_id].append(pairing)
        return by_id, by_key, volunteers, pairings

    def _match(self, number, data, issues, found) -> Checked:
        by_id, by_key, volunteers, pairings = found
        person = self.people.find(self, number, data, issues, by_id, by_key)
        candidates = [
            v
            for v in volunteers.get(data.get("volunteer.name"), [])
            if v.in_scope or (person and any(p.person_id == person.pk for p in pairings[v.pk]))
        ]
        volunteer = self._volunteer(number, data, issues, candidates)
        checked = Checked(number, ERROR, data, person=person, volunteer=volunteer)
        kind, started_on = data.get("kind"), data.get("started_on")
        ended_on, reason = data.get("ended_on"), data.get("end_reason", "")
        if reason and ended_on is None:
            self._add(issues, number, "ended_on", _("填写了结束原因，请同时填写结束日期"))
        if person is None or volunteer is None or kind is None or started_on is None:
            return checked
        key = (person.pk, kind, started_on)
        if earlier := self._earlier(("pairing", volunteer.pk, *key), number):
            message = _("与第 %(n)s 行是同一结对（志愿者、对象、类别、开始日期相同）")
            self._add(issues, number, "", message % {"n": earlier})
        mine = pairings[volunteer.pk]
        existing = next((p for p in mine if (p.person_id, p.kind, p.started_on) == key), None)
        if existing is not None:
            checked.record, checked.outcome = existing, UNCHANGED
            if ended_on is None or (ended_on, reason or existing.end_reason) == (
                existing.ended_on,
                existing.end_reason,
            ):
                return checked
            if existing.ended_on is not None:
                self._add(issues, number, "ended_on", PAIRING_ENDED)
                return checked
            errors = pairing_end_errors(
                pairing=existing, ended_on=ended_on, reason=reason, today=self.today
            )
            self._add_all(issues, number, errors)
            checked.outcome = UPDATE
            checked.changes = {"ended_on": [None, ended_on], "end_reason": ["", reason]}
            if not issues:
                self.closed[volunteer.pk].add(key)
            return checked
        if not volunteer.in_scope:
            message = _("志愿者「%(name)s」不在您的管辖范围内，不能结对") % {"name": volunteer.name}
            self._add(issues, number, "volunteer.name", message)
            return checked
        record = Pairing(
            person=person,
            volunteer=volunteer,
            kind=kind,
            started_on=started_on,
            ended_on=ended_on,
            end_reason=reason,
        )
        errors = pairing_create_errors(
            person=person,
            volunteer=volunteer,
            open_with=self._open_with(volunteer, mine),
            started_on=started_on,
            today=self.today,
        )
        if ended_on is not None:
            ending = pairing_end_errors(
                pairing=record, ended_on=ended_on, reason=reason, today=self.today
            )
            errors = {**ending, **errors}
        self._add_fields(issues, number, _field_errors(record))
        self._add_all(issues, number, errors)
        checked.record, checked.outcome = record, NEW
        if not issues and ended_on is None:
            self.opened[volunteer.pk].add(key)
        return checked

    def _open_with(self, volunteer: Volunteer, pairings: list[Pairing]) -> list[int]:
        """The people `volunteer` has open pairings with, once earlier rows of the
        file are written: on the register (written already or not), opened by the
        file, less those the file ends."""
        keys = {(p.person_id, p.kind, p.started_on) for p in pairings if p.ended_on is None}
        keys = (keys | self.opened[volunteer.pk]) - self.closed[volunteer.pk]
        return [person_id for person_id, _kind, _start in keys]


def _places_held(new: list[Checked], today: dt.date) -> None:
    """Count the volunteers' open pairings again under their row locks, as
    `pairing_create` does, so that two imports (or an import and the pairing page)
    cannot both take a volunteer's last place; a refusal rolls the import back."""
    ids = {c.volunteer.pk for c in new}
    locked = {v.pk: v for v in Volunteer.objects.select_for_update().filter(pk__in=ids)}
    open_with: dict[int, list[int]] = defaultdict(list)
    for volunteer_id, person_id in Pairing.objects.filter(
        volunteer_id__in=ids, ended_on__isnull=True
    ).values_list("volunteer_id", "person_id"):
        open_with[volunteer_id].append(person_id)
    for c in new:
        volunteer = locked[c.volunteer.pk]
        errors = pairing_create_errors(
            person=c.person,
            volunteer=volunteer,
            open_with=open_with[volunteer.pk],
            started_on=c.record.started_on,
            today=today,
        )
        if "volunteer" in errors:
            message = _("第 %(row)s 行：%(message)s") % {
                "row": c.row,
                "message": errors["volunteer"],
            }
            raise ValidationError(message)
        if c.record.ended_on is None:
            open_with[volunteer.pk].append(c.person.pk)


def write_pairings(*, user, ledger: Ledger, checked: list[Checked]) -> dict[str, int]:
    """End the pairings the file ends, then make the new ones (places counted again
    under the volunteers' row locks), in bulk, with one audit entry each; the people
    concerned are owed anew (`due_dates_forget`). The caller holds the transaction."""
    source = f"ledger {ledger.key}"
    new = [c for c in checked if c.outcome == NEW]
    ended = [c for c in checked if c.outcome == UPDATE]
    for c in ended:
        c.record.ended_on, c.record.end_reason = c.data["ended_on"], c.data["end_reason"]
        c.record.ended_by = user
    if ended:
        fields = ["ended_on", "end_reason", "ended_by"]
        Pairing.objects.bulk_update([c.record for c in ended], fields, batch_size=_BATCH)
    if new:
        _places_held(new, timezone.localdate())
    for c in new:
        c.record.created_by = user
        c.record.ended_by = user if c.record.ended_on else None
    Pairing.objects.bulk_create([c.record for c in new], batch_size=_BATCH)
    audit_bulk(
        model=Pairing,
        source=source,
        changes=[
            *(Change(c.record.pk, str(c.record), Action.CREATE, _audited(_paired(c))) for c in new),
            *(
                Change(c.record.pk, str(c.record), Action.UPDATE, _audited(c.changes))
                for c in ended
            ),
        ],
    )
    due_dates_forget(person_ids={c.record.person_id for c in (*new, *ended)})
    return {"created": len(new), "updated": len(ended)}


def _paired(c: Checked) -> dict[str, list[Any]]:
    p = c.record
    values = {
        "person_id": p.person_id,
        "volunteer_id": p.volunteer_id,
        "kind": p.kind,
        "started_on": p.started_on,
        "ended_on": p.ended_on,
        "end_reason": p.end_reason,
    }
    return {name: [None, value] for name, value in values.items() if value}


# --- contacts ---------------------------------------------------------------------


class ContactChecker(_Checker):
    """Rows of the contacts ledger, which only ever adds: the row's person
    (`_People`) and volunteer (by name, among those the user can see or paired with
    the person; of several, the one paired on the day); a contact already on file
    with the same person, date, kind and volunteer is unchanged, any other row is a
    new contact under the rules of `contact_log`. Five queries per chunk."""

    COLUMNS = {"__all__": "", "volunteer": "volunteer.name", "parent": "parent.kind"}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.people = _People(self.user)
        self.volunteers = Volunteer.objects.visible_to(self.user)
        self.pairings = Pairing.objects.visible_to(self.user)
        # A volunteer logs as themselves (as in `contact_log`).
        self.own = None
        if self.user.is_volunteer:
            self.own = Volunteer.objects.filter(user=self.user).defer("phone").first()

    def _lookup(self, rows):
        by_id, by_key = self.people.lookup(rows)
        people = {p.pk for p in by_id.values()} | {p.pk for ps in by_key.values() for p in ps}
        names = {d["volunteer.name"] for d in rows if d.get("volunteer.name")}
        volunteers: dict[str, list[Volunteer]] = defaultdict(list)
        if names and self.own is None:
            in_scope = self.volunteers.filter(pk=OuterRef("pk"))
            paired = self.pairings.filter(person_id__in=people).values("volunteer_id")
            for volunteer in (
                Volunteer.objects.filter(name__in=names)
                .annotate(in_scope=Exists(in_scope))
                .filter(Q(in_scope=True) | Q(pk__in=paired))
                .defer("phone")
            ):
                volunteers[volunteer.name].append(volunteer)
        ids = [v.pk for found in volunteers.values() for v in found]
        if self.own is not None:
            ids.append(self.own.pk)
        pairings: dict[tuple, list[Pairing]] = defaultdict(list)
        if ids and people:
            for pairing in Pairing.objects.filter(person_id__in=people, volunteer_id__in=ids):
                pairings[(pairing.person_id, pairing.volunteer_id)].append(pairing)
        parents: dict[tuple, list[Relation]] = defaultdict(list)
        if people and any(d.get("parent.kind") for d in rows):
            for relation in Relation.objects.filter(person_id__in=people, kind__in=PARENT_KINDS):
                parents[(relation.person_id, relation.kind)].append(relation)
        dates = [d["date"] for d in rows if d.get("date")]
        existing: set[tuple] = set()
        if people and dates:
            existing = set(
                Contact.objects.filter(
                    person_id__in=people, date__gte=min(dates), date__lte=max(dates)
                ).values_list("person_id", "date", "kind", "volunteer_id")
            )
        return by_id, by_key, volunteers, pairings, parents, existing

    def _match(self, number, data, issues, found) -> Checked:
        by_id, by_key, volunteers, pairings, parents, existing = found
        person = self.people.find(self, number, data, issues, by_id, by_key)
        kind, date = data.get("kind"), data.get("date")
        volunteer = self.own
        if volunteer is None and data.get("volunteer.name"):
            candidates = volunteers.get(data["volunteer.name"], [])
            if len(candidates) > 1 and person is not None and date is not None:
                on_the_day = [
                    v
                    for v in candidates
                    if any(p.is_active_on(date) for p in pairings[(person.pk, v.pk)])
                ]
                candidates = on_the_day if len(on_the_day) == 1 else candidates
            volunteer = self._volunteer(number, data, issues, candidates)
        checked = Checked(number, ERROR, data, person=person, volunteer=volunteer)
        if person is None or kind is None or date is None:
            return checked
        key = (person.pk, date, kind, volunteer.pk if volunteer else None)
        if earlier := self._earlier(("contact", *key), number):
            message = _("与第 %(n)s 行是同一条联系记录（对象、日期、方式、走访人相同）")
            self._add(issues, number, "", message % {"n": earlier})
        if key in existing:
            checked.outcome = UNCHANGED  # contacts are never edited by a file
            return checked
        parent, parent_kind = None, data.get("parent.kind")
        if kind == ContactKind.FAMILY_CALL and parent_kind:
            # The child's father or mother on file (of two of a kind, the first).
            parent = next(iter(parents[(person.pk, parent_kind)]), None)
        errors, pairing_kind = contact_errors(
            person=person,
            kind=kind,
            date=date,
            volunteer=volunteer,
            pairings=pairings[(person.pk, volunteer.pk)] if volunteer else (),
            parent=parent,
            duration_minutes=data.get("duration_minutes"),
            notes=data.get("notes", ""),
            today=self.today,
        )
        if "parent" in errors and parent_kind:
            errors["parent"] = _("档案中没有该对象的%(kind)s，请先在档案中登记") % {
                "kind": RelationKind(parent_kind).label
            }
        self._add_all(issues, number, errors)
        checked.outcome = NEW
        checked.record = Contact(
            person=person,
            kind=kind,
            date=date,
            volunteer=volunteer,
            pairing_kind=pairing_kind,
            parent=parent,
            duration_minutes=data.get("duration_minutes"),
            notes=data.get("notes", "").strip(),
            concern=bool(data.get("concern")),
        )
        return checked


def write_contacts(*, user, ledger: Ledger, checked: list[Checked]) -> dict[str, int]:
    """Add the new contacts in bulk, with one audit entry each, then bring the
    indexes derived from them up to date for the people concerned: the latest
    contacts and the months (`contact_indexes_rebuild`) and the earliest due dates
    (`due_dates_refresh`). The caller holds the transaction."""
    new = [c.record for c in checked if c.outcome == NEW]
    for contact in new:
        contact.recorded_by = user
    Contact.objects.bulk_create(new, batch_size=_BATCH)
    audit_bulk(
        model=Contact,
        source=f"ledger {ledger.key}",
        changes=[Change(c.pk, str(c), Action.CREATE, _audited(_logged(c))) for c in new],
    )
    if new:
        people = Person.objects.filter(pk__in={c.person_id for c in new})
        contact_indexes_rebuild(people=people)
        due_dates_refresh(people=people)
    return {"created": len(new), "updated": 0}


def _logged(c: Contact) -> dict[str, list[Any]]:
    values = {
        "person_id": c.person_id,
        "kind": c.kind,
        "date": c.date,
        "volunteer_id": c.volunteer_id,
        "pairing_kind": c.pairing_kind,
        "parent_id": c.parent_id,
        "duration_minutes": c.duration_minutes,
        "concern": c.concern,
    }
    return {name: [None, value] for name, value in values.items() if value}


CARE_IMPORTS = {
    "volunteers": (VolunteerChecker, write_volunteers),
    "pairings": (PairingChecker, write_pairings),
    "contacts": (ContactChecker, write_contacts),
}

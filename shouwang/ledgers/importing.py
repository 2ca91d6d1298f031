"""Checking and writing a ledger of people (children, children in difficulty,
women, elderly): each row is read cell by cell (`cells`), validated by the rules
of a file (`people.forms.person_rules`, as the form and the API are), matched to a
file already on the register — by ID number, else by name + birth date + village —
and classified as new, update, unchanged or error.

What must hold:
- rows are handled in chunks with a fixed number of queries per chunk, so a
  100,000-row ledger costs a few hundred queries, not hundreds of thousands;
- a row is matched only to a file the user can see; an ID number registered
  outside their scope is an error, never an update of someone else's file;
- two rows of the file describing the same person are an error on the later one;
- an empty cell never erases a value on an update, and a masked value (an export
  without the right to reveal: 350724********123X) means "unchanged";
- importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.audit.services import mask_secret
from shouwang.ledgers import cells
from shouwang.ledgers.columns import AREA, BOOL, CHOICE, ID_NUMBER, MULTI, PHONE, Ledger
from shouwang.people import choices as pc
from shouwang.people.forms import id_index, person_rules
from shouwang.people.identity import IdNumberError, parse_id_number
from shouwang.people.models import Enrollment, Person, Relation
from shouwang.people.services.persons import SENSITIVE
from shouwang.regions.models import Area, Level

# Kinds of cell whose few distinct values repeat down a ledger (是/否, 男/女, 小学,
# a village's code): each distinct raw value is read once per file, not per row.
REPEATING_KINDS = frozenset({CHOICE, MULTI, BOOL, AREA})
CELL_CACHE_LIMIT = 20_000
NEW, UPDATE, UNCHANGED, ERROR = "new", "update", "unchanged", "error"
# The relation a ledger's "father.…" columns describe; "guardian" is the entrusted
# guardian, whose kind is a column of its own.
RELATION_KINDS = {
    "father": pc.RelationKind.FATHER,
    "mother": pc.RelationKind.MOTHER,
    "spouse": pc.RelationKind.SPOUSE,
}


@dataclass
class Issue:
    row: int
    column: str
    message: str


@dataclass
class Checked:
    """One row after checking: its outcome, the file it matched (if any), the
    person's fields and each relation's fields as the file gives them, and what
    would change."""

    row: int
    outcome: str
    person: Person | None
    data: dict[str, Any]
    relations: dict[str, dict[str, Any]]
    changes: dict[str, list[Any]] = field(default_factory=dict)
    relation_changes: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    existing_relations: dict[str, Relation] = field(default_factory=dict)
    enroll: bool = False


def _masked(raw) -> bool:
    return isinstance(raw, str) and "*" in raw


def _current(obj, name: str):
    if name == "difficulty_categories":
        return obj.difficulty_categories
    if name == "village":
        return obj.village_id
    return getattr(obj, name)


def _compare(obj, data: dict[str, Any]) -> dict[str, list[Any]]:
    changes = {}
    for name, value in data.items():
        new = value.code if isinstance(value, Area) else value
        if name in ("difficulty_categories", "income_sources"):
            new = sorted(new)
        old = _current(obj, name)
        if isinstance(old, list):
            old = sorted(old)
        if old != new:
            changes[name] = [old, new]
    return changes


class Checker:
    """Checks the rows of one file for one user, a chunk at a time."""

    def __init__(self, *, user, ledger: Ledger, today: dt.date | None = None):
        self.user, self.ledger = user, ledger
        self.today = today or timezone.localdate()
        self.header = {col.key: str(col.header) for col in ledger.columns}
        self.villages = set(
            Area.objects.visible_to(user).filter(level=Level.VILLAGE).values_list("pk", flat=True)
        )
        self.visible = Person.objects.visible_to(user)
        # Work places by name ("浙江省", "浙江", "宁波市", "宁波"): the national lists.
        self.places: dict[int, dict[str, str]] = {Level.PROVINCE: {}, Level.CITY: {}}
        for code, name, level in Area.objects.filter(
            level__in=(Level.PROVINCE, Level.CITY)
        ).values_list("code", "name", "level"):
            for alias in {name, name.removesuffix("省").removesuffix("市")}:
                self.places[level].setdefault(alias, code)
        self.seen_ids: dict[str, int] = {}
        self.seen_keys: dict[tuple, int] = {}
        self.cells: dict[tuple, Any] = {}

    def check(self, rows: Iterable[Any]) -> Iterator[tuple[Checked, list[Issue]]]:
        rows = iter(rows)
        while chunk := list(islice(rows, settings.LEDGER_IMPORT_CHUNK_ROWS)):
            yield from self.check_chunk(chunk)

    # --- one chunk --------------------------------------------------------------

    def check_chunk(self, chunk) -> list[tuple[Checked, list[Issue]]]:
        read = []
        for raw in chunk:
            issues = [Issue(raw.number, "", message) for message in getattr(raw, "errors", ())]
            person, relations = self._read(raw.number, raw.values, issues)
            self._validate(raw.number, person, issues)
            read.append((raw.number, person, relations, issues))
        by_id, by_key = self._existing(read)
        matched = [self._match(*row, by_id, by_key) for row in read]
        self._compare_all([c for c, _i in matched if c.person is not None])
        return matched

    def _read(self, number: int, values: dict[str, Any], issues: list[Issue]):
        person: dict[str, Any] = {}
        relations: dict[str, dict[str, Any]] = {}
        for column in self.ledger.columns:
            raw = values.get(column.key)
            if column.kind in (ID_NUMBER, PHONE) and _masked(raw):
                continue  # exported without the right to reveal: leave it as it is
            try:
                value = self._cell(column, raw)
            except cells.CellError as exc:
                issues.append(Issue(number, str(column.header), str(exc)))
                continue
            if value is None or value == "" or value == []:
                continue
            owner, _dot, name = column.key.rpartition(".")
            if name in ("work_province", "work_city"):
                level = Level.PROVINCE if name == "work_province" else Level.CITY
                code = self.places[level].get(value)
                if code is None:
                    message = _("没有名为「%(name)s」的省或城市") % {"name": value}
                    issues.append(Issue(number, str(column.header), message))
                    continue
                name, value = f"{name}_id", code
            (relations.setdefault(owner, {}) if owner else person)[name] = value
        return person, relations

    def _cell(self, column, raw):
        """`cells.cell_value`, remembered per distinct raw value for the kinds whose
        values repeat (the language does not change while a file is checked)."""
        if column.kind not in REPEATING_KINDS:
            return cells.cell_value(column, raw)
        key = (column.key, type(raw), raw)
        try:
            found = self.cells.get(key, self)
        except TypeError:  # an unhashable value: read it as it is
            return cells.cell_value(column, raw)
        if found is self:
            try:
                found = cells.cell_value(column, raw)
            except cells.CellError as exc:
                found = exc
            if len(self.cells) < CELL_CACHE_LIMIT:
                self.cells[key] = found
        if isinstance(found, cells.CellError):
            raise cells.CellError(str(found))
        return list(found) if isinstance(found, list) else found

    def _validate(self, number: int, data: dict[str, Any], issues: list[Issue]) -> None:
        header, bad = self.header, {i.column for i in issues}
        code = data.get("village")
        if code is not None and code not in self.villages:
            message = _("村（社区）代码 %(code)s 不在您的管辖范围内") % {"code": code}
            issues.append(Issue(number, header["village"], message))
            data.pop("village")
        elif code is None and header["village"] not in bad:
            issues.append(Issue(number, header["village"], _("请填写村（社区）代码")))
        if not data.get("name") and header["name"] not in bad:
            issues.append(Issue(number, header["name"], _("请填写姓名")))
        parsed = None
        if data.get("id_number"):
            try:
                parsed = parse_id_number(data["id_number"], today=self.today)
                data["id_number"] = parsed.number
            except IdNumberError as exc:
                issues.append(Issue(number, header["id_number"], str(exc)))
                data.pop("id_number")
        skip = {key for key, head in header.items() if head in bad}
        for key, message in person_rules(data, parsed_id=parsed, skip=skip,
                                         today=self.today).items():  # fmt: skip
            issues.append(Issue(number, header.get(key, ""), message))

    def _existing(self, read):
        """Files already on the register that rows may match, in two queries."""
        indexes = {id_index(p["id_number"]) for _n, p, _r, _i in read if p.get("id_number")}
        by_id = {p.id_number_index: p for p in Person.objects.filter(id_number_index__in=indexes)}
        if by_id:
            visible = set(self.visible.filter(pk__in=[p.pk for p in by_id.values()])
                          .values_list("pk", flat=True))  # fmt: skip
            for person in by_id.values():
                person.visible = person.pk in visible
        keys = {(p["name"], p.get("birth_date"), p["village"])
                for _n, p, _r, _i in read if p.get("village") and p.get("name")}  # fmt: skip
        by_key: dict[tuple, list[Person]] = {}
        if keys:
            for person in self.visible.filter(
                status=pc.PersonStatus.ACTIVE,
                village_id__in={k[2] for k in keys},
                name__in={k[0] for k in keys},
                birth_date__in={k[1] for k in keys if k[1]},
            ):
                key = (person.name, person.birth_date, person.village_id)
                if key in keys:
                    by_key.setdefault(key, []).append(person)
        return by_id, by_key

    def _match(self, number, data, relations, issues, by_id, by_key):
        found = None
        if data.get("id_number"):
            index = id_index(data["id_number"])
            earlier = self.seen_ids.setdefault(index, number)
            if earlier != number:
                message = _("与第 %(n)s 行的身份证号码相同") % {"n": earlier}
                issues.append(Issue(number, self.header["id_number"], message))
            found = by_id.get(index)
            if found is not None and not found.visible:
                message = _("该身份证号码已在其他地区登记，请联系县级管理员核实")
                issues.append(Issue(number, self.header["id_number"], message))
                found = None
        if data.get("village") and data.get("name"):
            key = (data["name"], data.get("birth_date"), data["village"])
            earlier = self.seen_keys.setdefault(key, number)
            if earlier != number and not data.get("id_number"):
                message = _("与第 %(n)s 行是同一人（姓名、出生日期、村相同）") % {"n": earlier}
                issues.append(Issue(number, "", message))
            if found is None and not data.get("id_number"):
                matches = by_key.get(key, [])
                if len(matches) > 1:
                    issues.append(
                        Issue(number, "", _("有多份同名同出生日期的档案，请填写身份证号码"))
                    )
                elif matches:
                    found = matches[0]
        outcome = ERROR if issues else (UPDATE if found is not None else NEW)
        return Checked(number, outcome, found, data, relations), issues

    def _compare_all(self, checked: list[Checked]) -> None:
        """What each matched row would change: its fields, its relations, its
        enrollment — two queries for the whole chunk."""
        ids = [c.person.pk for c in checked]
        enrolled = set()
        if self.ledger.program:
            enrolled = set(
                Enrollment.objects.filter(
                    person_id__in=ids, program=self.ledger.program, ended_on__isnull=True
                ).values_list("person_id", flat=True)
            )
        relations: dict[int, list[Relation]] = {}
        for relation in Relation.objects.filter(person_id__in=ids).order_by("pk"):
            relations.setdefault(relation.person_id, []).append(relation)
        for c in checked:
            c.enroll = bool(self.ledger.program) and c.person.pk not in enrolled
            if c.outcome == ERROR:
                continue
            c.changes = _compare(c.person, c.data)
            for owner, values in c.relations.items():
                existing = _relation_of(relations.get(c.person.pk, []), owner, values)
                if existing is not None:
                    c.existing_relations[owner] = existing
                    diff = _compare(existing, relation_fields(owner, values))
                else:
                    diff = {k: [None, v] for k, v in relation_fields(owner, values).items()}
                if diff:
                    c.relation_changes[owner] = diff
            if not (c.changes or c.relation_changes or c.enroll):
                c.outcome = UNCHANGED


def relation_fields(owner: str, values: dict[str, Any]) -> dict[str, Any]:
    """A relation's fields from a ledger's columns for it (`owner`: father, …)."""
    data = dict(values)
    if owner in RELATION_KINDS:
        data["kind"] = RELATION_KINDS[owner]
    else:  # the entrusted guardian
        data.setdefault("kind", pc.RelationKind.OTHER_RELATIVE)
        data["is_guardian"] = True
        data["entrusted"] = True
    return data


def _relation_of(relations: list[Relation], owner: str, values: dict[str, Any]):
    if owner in RELATION_KINDS:
        return next((r for r in relations if r.kind == RELATION_KINDS[owner]), None)
    return next((r for r in relations if r.is_guardian and r.entrusted), None)


# --- writing ----------------------------------------------------------------------

DERIVED = ["name_pinyin", "name_initials", "id_number_index", "phone_index", "version",
           "updated_at"]  # fmt: skip


def _fields(data: dict[str, Any]) -> dict[str, Any]:
    """A row's person fields as the model takes them (the village by its code)."""
    fields = dict(data)
    if "village" in fields:
        fields["village_id"] = fields.pop("village")
    return fields


def _column(name: str) -> str:
    return {"village": "village_id", "difficulty_categories": "difficulty_codes"}.get(name, name)


def _audited(changes: dict[str, list[Any]]) -> dict[str, list[str]]:
    """Changes as the audit log keeps them: secrets masked completely."""
    return {
        name: [mask_secret(str(a or "")), mask_secret(str(b))]
        if name in SENSITIVE
        else ["" if a is None else str(a), str(b)]
        for name, (a, b) in changes.items()
    }


def write(*, user, ledger: Ledger, checked: list[Checked]) -> dict[str, int]:
    """Write the NEW and UPDATE rows of one chunk in bulk (the caller holds the
    transaction), with one audit entry per created or changed record; then tell
    the care network whose files changed. Returns what was written."""
    from shouwang.audit.services import Action, Change, audit_bulk
    from shouwang.people.models import Household
    from shouwang.people.services.persons import apply_data
    from shouwang.people.signals import people_changed

    source = f"ledger {ledger.key}"
    new = [c for c in checked if c.outcome == NEW]
    updated = [c for c in checked if c.outcome == UPDATE]
    households = Household.objects.bulk_create(
        Household(village_id=c.data["village"], address=c.data.get("address", "")) for c in new
    )
    for c, household in zip(new, households, strict=True):
        c.person = Person(created_by=user, household=household)
        apply_data(c.person, _fields(c.data))
    Person.objects.bulk_create([c.person for c in new], batch_size=500)
    changed = [c for c in updated if c.changes]
    now = timezone.now()
    for c in changed:
        apply_data(c.person, _fields({k: c.data[k] for k in c.changes}))
        c.person.version += 1
        c.person.updated_at = now
    if changed:
        columns = {_column(name) for c in changed for name in c.changes}
        Person.objects.bulk_update([c.person for c in changed], sorted(columns | set(DERIVED)),
                                   batch_size=500)  # fmt: skip
    audit_bulk(model=Person, source=source, changes=[
        *(Change(c.person.pk, c.person.name, Action.CREATE,
                 _audited({k: [None, v] for k, v in c.data.items()})) for c in new),
        *(Change(c.person.pk, c.person.name, Action.UPDATE, _audited(c.changes))
          for c in changed),
    ])  # fmt: skip
    enrollments = Enrollment.objects.bulk_create(
        Enrollment(person=c.person, program=ledger.program, started_on=timezone.localdate(),
                   reason=_("台账导入"), confirmed_by=user)
        for c in (*new, *updated) if ledger.program and (c.outcome == NEW or c.enroll)
    )  # fmt: skip
    audit_bulk(model=Enrollment, source=source, changes=[
        Change(e.pk, e.person.name, Action.CREATE, {"program": [None, e.program]})
        for e in enrollments])  # fmt: skip
    created, edited = [], []
    for c in (*new, *updated):
        for owner, diff in (
            c.relation_changes.items() if c.outcome == UPDATE else ((o, None) for o in c.relations)
        ):
            data = relation_fields(owner, c.relations[owner])
            relation = c.existing_relations.get(owner)
            if relation is None:
                relation = Relation(person=c.person, **data)
                relation.name = relation.name or str(pc.RelationKind(relation.kind).label)
                created.append(relation)
            else:
                for name in diff:
                    setattr(relation, name, data[name])
                relation.version += 1
                edited.append((relation, diff))
    Relation.objects.bulk_create(created, batch_size=500)
    for relation, diff in edited:
        relation.save(update_fields=[*diff, "version"])  # one by one: audited by auditlog
    audit_bulk(model=Relation, source=source, changes=[
        Change(r.pk, f"#{r.pk}", Action.CREATE, {"person": [None, str(r.person_id)],
                                                 "kind": [None, r.kind]})
        for r in created])  # fmt: skip
    people_changed(*[c.person.pk for c in (*new, *changed)])
    return {
        "created": len(new),
        "updated": len(updated),
        "enrolled": len(enrollments),
        "relations": len(created) + len(edited),
    }

"""The rows of a ledger export: one dict per record, keyed by column key
(`columns.py`), holding stored values (codes, dates, booleans, lists of codes);
`writing.py` turns them into cells.

Every builder reads in chunks with a fixed number of queries per chunk, whatever
the number of records, and never holds more than one chunk in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from operator import itemgetter
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from shouwang.care.models import Contact, Pairing, Volunteer
from shouwang.ledgers.columns import CASES, CONTACTS, PAIRINGS, VOLUNTEERS, Ledger
from shouwang.people import choices as c
from shouwang.people.models import Person, Relation, difficulty_categories_of

CHUNK_SIZE = 2000
# Keys whose stored value lives under another attribute name.
_ATTRIBUTES = {"village": "village_id", "area": "area_id"}
# The person's relations a ledger can name: the first relation of the kind.
_BY_KIND = {"father": c.RelationKind.FATHER, "mother": c.RelationKind.MOTHER,
            "spouse": c.RelationKind.SPOUSE}  # fmt: skip
# Fields of a relation that, left empty on the relation, are read from the
# relative's own file — when the exporting user may see that file.
_FROM_RELATIVE = ("name", "birth_date", "id_number", "phone")
# Relation fields exported as a name rather than a key: the lookup that reads it.
_RELATION_LOOKUPS = {"work_province": "work_province__name", "work_city": "work_city__name"}
# What a relation row always needs to be matched to a prefix (`_relations_of`).
_RELATION_MATCHING = ("person_id", "kind", "is_guardian", "entrusted")


def _attribute(obj: Any, key: str) -> Any:
    """The stored value at a dotted key: "person.village" → obj.person.village_id."""
    *path, last = key.split(".")
    for part in path:
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return getattr(obj, _ATTRIBUTES.get(last, last))


# Person keys that are no column: the column they are read from, and how.
_DERIVED = {"difficulty_categories": ("difficulty_codes", difficulty_categories_of)}


def _person_reader(key: str) -> tuple[str, Callable[[dict], Any]]:
    """The person column a key reads (for `values()`) and how the key's stored
    value follows from a row of those values."""
    if key in _DERIVED:
        field, derive = _DERIVED[key]
        return field, lambda values: derive(values[field])
    field = _ATTRIBUTES.get(key, key)
    return field, itemgetter(field)


def _relation_value(relation: dict | None, field: str) -> Any:
    """A relation's field from its row of values (`_relations_query`): the
    relative's own when empty on the relation and the relative is visible."""
    if relation is None:
        return None
    value = relation[_RELATION_LOOKUPS.get(field, field)]
    if not value and relation.get("relative_visible"):
        value = relation.get(f"relative__{field}", value)
    return value


def _relations_query(fields: set[str], relatives: QuerySet[Person] | None) -> QuerySet:
    """Relations by id, as values: the ledger's relation `fields`, what matches a
    relation to a prefix and — only when some relative may be visible — whether
    the relative is, and the relative's own copy of the fields it can fill."""
    lookups = [*_RELATION_MATCHING, *(_RELATION_LOOKUPS.get(f, f) for f in sorted(fields))]
    relations = Relation.objects.order_by("pk")
    if relatives is not None and not relatives.query.is_empty():
        visible = relatives.filter(pk=OuterRef("relative_id"))
        relations = relations.annotate(relative_visible=Exists(visible))
        lookups += ["relative_visible", *(f"relative__{f}" for f in _FROM_RELATIVE if f in fields)]
    return relations.values(*dict.fromkeys(lookups))


def _relations_of(relations: list[dict], needed: set[str]) -> dict[str, dict | None]:
    """The relation behind each prefix the ledger uses ("father", "guardian" …):
    the first (by id) of the kind; the guardian is the first entrusted guardian."""
    found: dict[str, dict | None] = dict.fromkeys(needed)
    for relation in relations:
        for prefix in needed:
            if found[prefix] is not None:
                continue
            if prefix == "guardian":
                if relation["is_guardian"] and relation["entrusted"]:
                    found[prefix] = relation
            elif relation["kind"] == _BY_KIND.get(prefix):
                found[prefix] = relation
    return found


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def person_rows(
    people: QuerySet[Person], ledger: Ledger, *, relatives: QuerySet[Person] | None = None
) -> Iterator[dict[str, Any]]:
    """Rows of a ledger of people (children, difficulty, women, elderly), in the
    lists' order (village, pinyin), with the father's, mother's, spouse's and
    entrusted guardian's columns from their relations.

    `relatives` is the set of files the exporting user may see: an empty field of
    a relation linked to a file is filled from that file only when it is in this
    set (a relative outside the user's scope is shown only by what the relation
    records). Two queries per chunk of `CHUNK_SIZE` people, one without relations.
    Only the ledger's columns are read (as values, not model instances), so no
    other encrypted field is decrypted.
    """
    readers = {col.key: _person_reader(col.key) for col in ledger.columns if "." not in col.key}
    linked = [(col.key, *col.key.split(".", 1)) for col in ledger.columns if "." in col.key]
    needed = {prefix for _key, prefix, _field in linked}
    fields = dict.fromkeys(["pk", *(field for field, _read in readers.values())])
    people = people.order_by("village_id", "name_pinyin", "pk").values(*fields)
    relations = _relations_query({field for _key, _prefix, field in linked}, relatives)
    for chunk in _chunks(people.iterator(chunk_size=CHUNK_SIZE), CHUNK_SIZE):
        by_person: dict[int, list[dict]] = {values["pk"]: [] for values in chunk}
        if needed:
            for relation in relations.filter(person_id__in=list(by_person)):
                by_person[relation["person_id"]].append(relation)
        for values in chunk:
            row = {key: read(values) for key, (_field, read) in readers.items()}
            found = _relations_of(by_person[values["pk"]], needed)
            for key, prefix, field in linked:
                row[key] = _relation_value(found[prefix], field)
            yield row


def _plain_rows(records: QuerySet, ledger: Ledger) -> Iterator[dict[str, Any]]:
    for record in records.iterator(chunk_size=CHUNK_SIZE):
        yield {col.key: _attribute(record, col.key) for col in ledger.columns}


def volunteer_rows(volunteers: QuerySet[Volunteer]) -> Iterator[dict[str, Any]]:
    """Rows of the volunteers' register (志愿者名册), by area and name. One query per chunk."""
    return _plain_rows(volunteers.order_by("area_id", "name", "pk"), VOLUNTEERS)


def pairing_rows(pairings: QuerySet[Pairing]) -> Iterator[dict[str, Any]]:
    """Rows of the pairings ledger, open and ended, by village, person and start.
    One query per chunk."""
    pairings = pairings.select_related("volunteer", "person").order_by(
        "person__village_id", "person__name_pinyin", "person_id", "started_on", "pk"
    )
    return _plain_rows(pairings, PAIRINGS)


def contact_rows(contacts: QuerySet[Contact]) -> Iterator[dict[str, Any]]:
    """Rows of the contacts ledger, newest first. One query per chunk."""
    contacts = contacts.select_related("volunteer", "person", "parent").order_by("-date", "-pk")
    return _plain_rows(contacts, CONTACTS)


def case_rows(cases: QuerySet) -> Iterator[dict[str, Any]]:
    """Rows of the case summary (no content), open cases first. Two queries per chunk."""
    from django.db.models import F, Prefetch
    from django.utils import timezone

    from shouwang.accounts.models import User

    now = timezone.now()
    cases = (
        cases.select_related("village")
        .prefetch_related(Prefetch("assignees", queryset=User.objects.only("username",
                                                                            "full_name")))
        .order_by(F("closed_at").desc(nulls_first=True), "-created_at", "-pk")
    )  # fmt: skip
    for case in cases.iterator(chunk_size=CHUNK_SIZE):
        yield {
            "number": case.number,
            "category": case.category,
            "village": case.village_id,
            "village_name": case.village.name,
            "channel": case.channel,
            "reported_on": timezone.localtime(case.created_at).date(),
            "police_notified": case.police_notified,
            "state": case.state,
            "deadline_on": timezone.localtime(case.deadline_at).date()
            if case.deadline_at
            else None,
            "overdue": case.is_overdue(now),
            "assignees": "、".join(u.display_name for u in case.assignees.all()),
            "closed_on": timezone.localtime(case.closed_at).date() if case.closed_at else None,
        }


def ledger_rows(
    ledger: Ledger, records: QuerySet, *, relatives: QuerySet[Person] | None = None
) -> Iterator[dict[str, Any]]:
    """The rows of `ledger` for `records` (people, volunteers, pairings or contacts)."""
    if ledger.program:
        return person_rows(records, ledger, relatives=relatives)
    builders = {VOLUNTEERS.key: volunteer_rows, PAIRINGS.key: pairing_rows,
                CONTACTS.key: contact_rows, CASES.key: case_rows}  # fmt: skip
    return builders[ledger.key](records)

"""The demo county's families: households across its villages shaped like the seed
county 松溪县 (domain.md §0 — 781 left-behind children, 428 left-behind women and
2,079 left-behind elderly), with real work destinations, valid ID numbers and
realistic names. Deterministic: the same seed, scale and day give the same people.

Family shapes (`families`; values in `values`, files in `files`):
- grandparents (mostly 60+, every child of theirs away) caring for one to three
  grandchildren whose parents both work away — or the father away and the mother
  gone, ill or dead; a few whose father has come back (the enrollment ended);
- an aunt or uncle on file caring for the children instead;
- women at home (20–59) whose husband works away, some with his parents, some with
  children in a 低保 family;
- children in difficulty: orphans, 事实无人抚养, disabled or poor children;
- elderly couples and elderly living alone (独居), some 80+, some 半失能 or 失能,
  with their children away; a few 特困 elderly without children.

People on file are `Person` rows; parents, husbands and grown children working away
are `Relation` contact records with a destination city, an employer and months away.
Grandparents and other relatives who look after a child are on file themselves,
linked with `Relation(relative=..., is_guardian=True, entrusted=True)`.

Enrollments follow the eligibility rules in force (`verdicts_for`), so refreshing
proposals afterwards proposes nothing — except for three families made to show the
proposals page: a child who turned 16 six days ago, a father who came home, and
parents who left half a year ago (their family is not enrolled yet).

Everything is written with `bulk_create` and audited with `audit_bulk`: one entry
per household, person, relation and enrollment, without ID numbers or phones.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from shouwang.audit.services import Action, Change, audit_bulk
from shouwang.people import choices as c
from shouwang.people.demo import values as demo_values
from shouwang.people.demo.families import CHILD, DIFFICULTY, ELDERLY, WOMAN, Families
from shouwang.people.eligibility import Program
from shouwang.people.models import Enrollment, Household, Person, Proposal, Relation
from shouwang.people.services.programs import RuleBook, proposals_refresh
from shouwang.regions.models import Area, Level
from shouwang.regions.services import AreaRow, areas_upsert, full_code

# The seed county's figures (domain.md §0), reached at scale 1.0.
SEED_FIGURES = {CHILD: 781, WOMAN: 428, ELDERLY: 2079}
# The county reports no figure for children in difficulty: an assumption.
DIFFICULTY_FIGURE = 150
AUDIT_SOURCE = "demo"


def people_demo_load(
    *,
    county_code: str = "350724",
    scale: float = 1.0,
    seed: int = 350724,
    on: dt.date | None = None,
) -> dict[str, int]:
    """Fill the county's villages (made by `core.demo.demo_load`) with families.

    `scale` multiplies the seed figures (0.1 gives 78 children, 43 women and 208
    elderly enrolled, plus the three families left with proposals); `on` is the day
    the files describe (default today). Idempotent: when the county already has
    people on file, nothing is written. Returns `people_demo_counts`. Raises
    ValueError when the county has no villages.
    """
    on = on or timezone.localdate()
    with transaction.atomic():
        cities = _destinations_ensure()
        if not Person.objects.in_area_prefix(county_code).exists():
            _load(county_code=county_code, scale=scale, seed=seed, on=on, cities=cities)
    return people_demo_counts(county_code=county_code)


def people_demo_counts(*, county_code: str = "350724") -> dict[str, int]:
    """What the county holds: households, people, relations, open enrollments per
    program (keyed by program code) and pending proposals."""
    enrolled = dict(
        Enrollment.objects.in_area_prefix(county_code)
        .filter(ended_on__isnull=True)
        .values("program")
        .annotate(n=Count("id"))
        .values_list("program", "n")
    )
    pending = Proposal.objects.in_area_prefix(county_code).filter(status=Proposal.Status.PENDING)
    return {
        "households": Household.objects.in_area_prefix(county_code).count(),
        "people": Person.objects.in_area_prefix(county_code).count(),
        "relations": Relation.objects.in_area_prefix(county_code).count(),
        **{program: enrolled.get(program, 0) for program in Program.values},
        "proposals": pending.count(),
    }


def _destinations_ensure() -> dict[str, tuple[Area, Area]]:
    """City code → (province, city) of every work destination, created if missing."""
    provinces = sorted({(code, name) for code, name, *_rest in demo_values.DESTINATIONS})
    cities = sorted(demo_values.DESTINATIONS, key=lambda d: d[2])
    rows = [
        AreaRow(full_code(code), name, Level.PROVINCE, None, "demo", 0) for code, name in provinces
    ]
    rows += [
        AreaRow(full_code(city), name, Level.CITY, full_code(province), "demo", 0)
        for province, _p, city, name, *_rest in cities
    ]
    areas_upsert(rows=rows, source=AUDIT_SOURCE)
    areas = Area.objects.in_bulk([row.code for row in rows])
    return {
        city: (areas[full_code(province)], areas[full_code(city)])
        for province, _p, city, *_rest in cities
    }


def _load(*, county_code: str, scale: float, seed: int, on: dt.date, cities) -> None:
    county = Area.objects.filter(code=full_code(county_code), level=Level.COUNTY).first()
    in_county = Area.objects.in_area_prefix(county_code)
    villages = list(in_county.filter(level=Level.VILLAGE).order_by("code"))
    if county is None or not villages:
        raise ValueError(f"county {county_code} has no villages: run core.demo.demo_load first")
    townships = dict(in_county.filter(level=Level.TOWNSHIP).values_list("code", "name"))
    values = demo_values.Values(
        rng=random.Random(seed), on=on, county=county, townships=townships, cities=cities
    )
    book = RuleBook()
    families = Families(values=values, villages=villages, book=book)
    targets = {program: round(figure * scale) for program, figure in SEED_FIGURES.items()}
    targets[DIFFICULTY] = round(DIFFICULTY_FIGURE * scale)
    families.build(targets)
    _save(families)
    for plan in families.plans:
        if plan.refresh:
            proposals_refresh(person=plan.person, on=on, book=book)
    _plant_duplicate(villages[0], on=on)


# A character read the same way, for a name typed wrongly the second time.
HOMOPHONES = dict(zip("萱轩明华伟杰涛琳静婷浩宇欣怡", "宣宣鸣桦玮洁韬林靖亭昊雨新宜", strict=True))


def _plant_duplicate(village: Area, *, on: dt.date) -> None:
    """The same child registered twice — the second time without an ID number and
    with a homophone in the name, as happens when two workers survey one family —
    so the review queue (疑似重复) has a real pair to show."""
    from shouwang.people.services.persons import person_create

    child = (
        Person.objects.filter(village=village, birth_date__gt=on.replace(year=on.year - 14))
        .order_by("pk")
        .first()
    )
    if child is None:
        return
    name = child.name[:-1] + HOMOPHONES.get(child.name[-1], child.name[-1])
    person_create(
        user=None,
        data={"name": name, "sex": child.sex, "ethnicity": child.ethnicity,
              "birth_date": child.birth_date, "village": village, "address": child.address,
              "hukou_registered": True, "id_number": "", "phone": ""},
        on=on,
    )  # fmt: skip


def _save(families: Families) -> None:
    """Write the families in bulk (the encrypted fields encrypt themselves on the way
    to the database) and audit every record created."""
    Household.objects.bulk_create(families.households, batch_size=500)
    people = [plan.person for plan in families.plans]
    Person.objects.bulk_create(people, batch_size=500)
    relations = [relation for plan in families.plans for relation in plan.relations]
    Relation.objects.bulk_create(relations, batch_size=500)
    enrollments = [e for plan in families.plans for e in plan.enrollments]
    Enrollment.objects.bulk_create(enrollments, batch_size=500)

    audit_bulk(
        model=Household,
        source=AUDIT_SOURCE,
        changes=(
            Change(h.pk, str(h), Action.CREATE, {"village": [None, h.village_id]})
            for h in families.households
        ),
    )
    audit_bulk(
        model=Person,
        source=AUDIT_SOURCE,
        changes=(
            Change(
                p.pk,
                p.name,
                Action.CREATE,
                {"name": [None, p.name], "village": [None, p.village_id]},
            )
            for p in people
        ),
    )
    kinds = dict(c.RelationKind.choices)
    audit_bulk(
        model=Relation,
        source=AUDIT_SOURCE,
        changes=(
            Change(
                r.pk,
                f"{kinds[r.kind]} {r.relative.name if r.relative_id else r.name}",
                Action.CREATE,
                {"person": [None, r.person_id], "kind": [None, r.kind]}
                | (
                    {"relative": [None, r.relative_id]}
                    if r.relative_id
                    else {"name": [None, r.name]}
                ),
            )
            for r in relations
        ),
    )
    programs = dict(Program.choices)
    audit_bulk(
        model=Enrollment,
        source=AUDIT_SOURCE,
        changes=(
            Change(
                e.pk,
                f"{e.person.name} · {programs[e.program]}",
                Action.CREATE,
                {"person": [None, e.person_id], "program": [None, e.program]}
                | ({"exit_reason": [None, e.exit_reason]} if e.ended_on else {}),
            )
            for e in enrollments
        ),
    )

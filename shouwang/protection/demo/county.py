"""The demo county as the protection loaders read it: villages, the demo logins,
the people enrolled today with the facts of their files, approved volunteers and
relatives working away — read once, in a handful of queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from shouwang.accounts.models import User
from shouwang.accounts.roles import Role
from shouwang.care.choices import VolunteerStatus
from shouwang.care.models import Volunteer, in_force
from shouwang.people.choices import PersonStatus, RelationKind
from shouwang.people.eligibility import Program, age_on
from shouwang.people.models import Enrollment, Person, Relation
from shouwang.protection import rubric
from shouwang.regions.models import Area, Level

CHILD_PROGRAMS = {Program.LEFT_BEHIND_CHILD.value, Program.CHILD_IN_DIFFICULTY.value}
FACTS = (
    "pk", "name", "sex", "birth_date", "village_id", "household_id", "guardianship_type",
    "lives_alone", "boarding", "health", "schooling", "dependence", "dibao", "tekun",
    "orphan", "de_facto_unsupported", "poverty_monitoring", "temporary_aid",
)  # fmt: skip


@dataclass
class Member:
    """Someone enrolled today, with the facts of their file the demo grades them by."""

    pk: int
    name: str
    sex: str
    birth: dt.date
    village: str
    household: int | None
    facts: dict
    spans: list[tuple[str, dt.date, dt.date | None]]  # (program, started, ended)
    since: dt.date  # on file from: their first enrollment in force today
    with_spouse: bool = False
    with_child: bool = False
    away: list[int] = field(default_factory=list)  # relations working away

    @property
    def township(self) -> str:
        return self.village[:9] + "000"

    def age_on(self, day: dt.date) -> int:
        return age_on(self.birth, day)

    def programs_on(self, day: dt.date) -> set[str]:
        return {p for p, start, end in self.spans if start <= day and (end is None or end > day)}

    def subject_on(self, day: dt.date) -> str:
        """The part of the rubric that applies on `day` (as `services.risk.subject_for`)."""
        return rubric.subject_of(age=self.age_on(day), programs=self.programs_on(day))

    def group(self, day: dt.date) -> str:
        """ "child", "woman" or "elderly": whom the person counts as on `day`."""
        programs = self.programs_on(day)
        if programs & CHILD_PROGRAMS:
            return "child"
        if Program.LEFT_BEHIND_ELDERLY in programs:
            return "elderly"
        return "woman" if Program.LEFT_BEHIND_WOMAN in programs else ""


class County:
    """What the loaders need to know about a county on `today`."""

    def __init__(self, *, code: str, today: dt.date):
        self.code, self.today = code, today
        areas = Area.objects.in_area_prefix(code)
        self.villages: dict[str, Area] = {
            a.code: a for a in areas.filter(level=Level.VILLAGE).order_by("code")
        }
        self.townships = dict(areas.filter(level=Level.TOWNSHIP).values_list("code", "name"))
        self._read_users()
        self._read_people()
        self._read_volunteers()

    def _read_users(self) -> None:
        self.county_admin: User | None = None
        self.supervisors: dict[str, User] = {}
        self.workers: dict[str, User] = {}
        users = User.objects.filter(is_active=True).in_area_prefix(self.code).order_by("pk")
        for user in users:
            if user.role == Role.COUNTY_ADMIN and self.county_admin is None:
                self.county_admin = user
            elif user.role == Role.TOWNSHIP_SUPERVISOR:
                self.supervisors.setdefault(user.scope_area_id, user)
            elif user.role == Role.VILLAGE_WORKER:
                self.workers.setdefault(user.scope_area_id, user)

    def recorder(self, village: str) -> User | None:
        """Who keeps a village's records: its worker, else the township's
        supervisor, else the county administrator."""
        return (
            self.workers.get(village)
            or self.supervisors.get(village[:9] + "000")
            or self.county_admin
        )

    def _read_people(self) -> None:
        today = self.today
        spans: dict[int, list[tuple[str, dt.date, dt.date | None]]] = defaultdict(list)
        current: dict[int, dt.date] = {}
        for person_id, program, started, ended in (
            Enrollment.objects.in_area_prefix(self.code)
            .values_list("person_id", "program", "started_on", "ended_on")
            .order_by("person_id", "started_on", "pk")
        ):
            spans[person_id].append((program, started, ended))
        for person_id, started in (
            Enrollment.objects.in_area_prefix(self.code)
            .filter(in_force(today))
            .values_list("person_id", "started_on")
        ):
            current[person_id] = min(current.get(person_id, started), started)
        rows = (
            Person.objects.in_area_prefix(self.code)
            .filter(status=PersonStatus.ACTIVE, pk__in=list(current))
            .order_by("pk")
            .values(*FACTS)
        )
        self.people: list[Member] = []
        for row in rows:
            pk = row["pk"]
            self.people.append(
                Member(pk, row["name"], row["sex"], row["birth_date"], row["village_id"],
                       row["household_id"], row, spans[pk], current[pk])
            )  # fmt: skip
        self.by_pk = {m.pk: m for m in self.people}
        # Who lives with whom: households with a child, spouses at home, relatives away.
        children_in = {
            household
            for household, birth in Person.objects.in_area_prefix(self.code)
            .filter(status=PersonStatus.ACTIVE, household__isnull=False)
            .values_list("household_id", "birth_date")
            if age_on(birth, today) < 18
        }
        kinds = [RelationKind.SPOUSE, RelationKind.FATHER, RelationKind.MOTHER, RelationKind.CHILD]
        for pk, person_id, kind, relative, living, away, returned in (
            Relation.objects.in_area_prefix(self.code)
            .filter(person_id__in=list(self.by_pk), kind__in=kinds)
            .values_list(
                "pk", "person_id", "kind", "relative_id", "living", "working_away", "returned"
            )
            .order_by("pk")
        ):
            member = self.by_pk[person_id]
            if kind == RelationKind.SPOUSE and living and (relative or not away or returned):
                member.with_spouse = True
            if away and not returned and living:
                member.away.append(pk)
        for member in self.people:
            member.with_child = member.household in children_in and member.age_on(today) >= 18
        self.by_village: dict[str, list[Member]] = defaultdict(list)
        for member in self.people:
            self.by_village[member.village].append(member)

    def _read_volunteers(self) -> None:
        self.volunteers: dict[str, list[tuple[int, dt.date]]] = defaultdict(list)
        for pk, area, reviewed in (
            Volunteer.objects.in_area_prefix(self.code)
            .filter(status=VolunteerStatus.APPROVED, reviewed_at__isnull=False)
            .order_by("pk")
            .values_list("pk", "area_id", "reviewed_at")
        ):
            self.volunteers[area].append((pk, reviewed.date()))

"""Builds a county's care network in memory and writes it in bulk (see
`shouwang.care.demo`)."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections import defaultdict

from django.db.models import Q

from shouwang.accounts.models import User
from shouwang.accounts.roles import Role
from shouwang.audit.services import Action, Change, audit_bulk
from shouwang.care.choices import CarerKind, ContactKind, Organisation
from shouwang.care.demo.contacts import ContactSchedule, Someone, aware
from shouwang.care.demo.values import (
    AT_TOWNSHIP,
    CHILD,
    CHILD_CARERS,
    CHILD_KINDS,
    DIFFICULTY,
    DILIGENCE,
    ELDERLY,
    ELDERLY_CARERS,
    ELDERLY_KINDS,
    ELDERLY_MIX,
    PROFILE,
    REJECTIONS,
    SEED_CHILDREN,
    SEED_ELDERLY,
    UNPAIRED,
    WITHDRAWALS,
    WOMAN,
    WOMEN_PAIRED,
    S,
)
from shouwang.care.models import Contact, Pairing, Volunteer
from shouwang.care.services.contacts import contact_indexes_rebuild
from shouwang.care.services.due_dates import due_dates_refresh
from shouwang.people.choices import PersonStatus, RiskLevel
from shouwang.people.demo.values import GIVEN_NAMES, MOBILE_PREFIXES, SURNAMES
from shouwang.people.forms import phone_index
from shouwang.people.models import Enrollment, Person
from shouwang.regions.models import Area, Level

AUDIT_SOURCE = "demo"


class Network(ContactSchedule):
    """Builds and saves the county's care network in memory, then in bulk."""

    def __init__(self, *, county_code: str, today: dt.date, rng: random.Random):
        self.county_code, self.today, self.rng = county_code, today, rng
        self.start = today - dt.timedelta(days=364)  # a year of contacts
        self.volunteers: list[Volunteer] = []
        self.ready: dict[int, dt.date] = {}  # id(volunteer) → first day they may be paired
        self.withdrawn: dict[int, dt.date] = {}
        self.diligence: dict[int, float] = {}
        self.pairings: list[Pairing] = []
        self.contacts: list[Contact] = []
        self.quiet: dict[int, tuple[dt.date, frozenset[str]]] = {}
        self.created: dict[int, dt.datetime] = {}  # id(record) → when it was made
        self._phones: set[str] = set()
        self._surname_weights = list(itertools.accumulate(w for _s, w in SURNAMES))

    # --- The county and its people ----------------------------------------------------

    def build(self) -> None:
        self._read_county()
        if not self.people:
            return
        self._make_volunteers()
        self._save_backdated(Volunteer, self.volunteers)
        self._pair()
        self._save_backdated(Pairing, self.pairings)
        self._backdate()
        self._plant_overdue()
        self._make_contacts()
        Contact.objects.bulk_create(self.contacts, batch_size=1000)
        contact_indexes_rebuild(people=Person.objects.in_area_prefix(self.county_code))
        due_dates_refresh(people=Person.objects.in_area_prefix(self.county_code), today=self.today)
        self._audit()

    def _save_backdated(self, model, records) -> None:
        """`bulk_create` stamps `created_at` with now; set it to when the record was made."""
        model.objects.bulk_create(records, batch_size=500)
        for record in records:
            record.created_at = self.created[id(record)]
        model.objects.bulk_update(records, ["created_at"], batch_size=500)

    def _read_county(self) -> None:
        today, prefix = self.today, self.county_code
        areas = Area.objects.in_area_prefix(prefix)
        self.villages = dict(
            areas.filter(level=Level.VILLAGE).order_by("code").values_list("code", "parent_id")
        )
        self.area_names = dict(areas.values_list("code", "name"))
        county = Area.objects.in_area_prefix(prefix).filter(level=Level.COUNTY).first()
        self.county_name = county.name if county else ""
        users = User.objects.filter(is_active=True).in_area_prefix(prefix).order_by("pk")
        users = users.values_list("pk", "role", "scope_area_id", "full_name")
        self.reviewers: dict[str, int] = {}
        self.workers: dict[str, int] = {}
        self.logins: list[tuple[int, str, str]] = []
        county_admin = None
        linked = set(Volunteer.objects.exclude(user=None).values_list("user_id", flat=True))
        for pk, role, scope, full_name in users:
            if role == Role.COUNTY_ADMIN and county_admin is None:
                county_admin = pk
            elif role == Role.TOWNSHIP_SUPERVISOR:
                self.reviewers.setdefault(scope, pk)
            elif role == Role.VILLAGE_WORKER:
                self.workers.setdefault(scope, pk)
            elif role == Role.VOLUNTEER and scope in self.villages and pk not in linked:
                self.logins.append((pk, scope, full_name))
        self.county_admin = county_admin

        # Files: the day each was created (first enrollment, else the household's).
        rows = Person.objects.in_area_prefix(prefix).values_list("pk", "household_id", "birth_date")
        first: dict[int, dt.date] = {}
        for person_id, started_on in Enrollment.objects.in_area_prefix(prefix).values_list(
            "person_id", "started_on"
        ):
            first[person_id] = min(first.get(person_id, started_on), started_on)
        by_household: dict[int, dt.date] = {}
        for pk, household, _birth in rows:
            if pk in first and household:
                by_household[household] = min(by_household.get(household, first[pk]), first[pk])
        self.on_file: dict[int, dt.date] = {}
        for pk, household, birth in rows:
            day = first.get(pk) or by_household.get(household)
            if day is not None:
                self.on_file[pk] = min(max(day, birth), today)

        in_force = Q(started_on__lte=today) & (Q(ended_on__isnull=True) | Q(ended_on__gt=today))
        programs: dict[int, dict[str, dt.date]] = defaultdict(dict)
        for person_id, program, started_on in (
            Enrollment.objects.in_area_prefix(prefix)
            .filter(in_force, person__status=PersonStatus.ACTIVE)
            .values_list("person_id", "program", "started_on")
        ):
            programs[person_id][program] = started_on
        self.people: list[Someone] = []
        for pk, name, village, risk, school in (
            Person.objects.filter(pk__in=list(programs))
            .with_risk(today)
            .order_by("pk")
            .values_list("pk", "name", "village_id", "risk", "school")
        ):
            self.people.append(
                Someone(pk, name, village, self.villages.get(village, village[:9] + "000"),
                         self.on_file.get(pk, today), risk, programs[pk], school)
            )  # fmt: skip
        self.children = [p for p in self.people if CHILD in p.programs or DIFFICULTY in p.programs]
        self.elderly = [p for p in self.people if ELDERLY in p.programs]
        self.women = [p for p in self.people if WOMAN in p.programs]

    def _backdate(self) -> None:
        """Files were created on `on_file`, not today (see `shouwang.care.demo`)."""
        rng = self.rng
        people = [
            Person(pk=pk, created_at=aware(day, rng.randint(8, 17), rng.randint(0, 59)))
            for pk, day in sorted(self.on_file.items())
        ]
        Person.objects.bulk_update(people, ["created_at"], batch_size=500)

    # --- Volunteers -------------------------------------------------------------------

    def _make_volunteers(self) -> None:
        rng = self.rng
        children = sum(1 for p in self.people if CHILD in p.programs)
        factor_child, factor_elderly = children / SEED_CHILDREN, len(self.elderly) / SEED_ELDERLY
        counts = {kind: round(n * factor_child) for kind, n in CHILD_CARERS.items()}
        mix = list(ELDERLY_MIX)
        cum_mix = list(itertools.accumulate(ELDERLY_MIX.values()))
        elderly_kinds = [
            rng.choices(mix, cum_weights=cum_mix)[0]
            for _n in range(round(ELDERLY_CARERS * factor_elderly))
        ]
        # Carers live where the people they look after live (a little everywhere).
        child_places = self._weights(self.children, township=False)
        school_places = self._weights([p for p in self.children if p.school], township=True)
        elderly_places = self._weights(self.elderly, township=False)
        elderly_townships = self._weights(self.elderly, township=True)
        for user_id, village, full_name in self.logins:
            self._volunteer(CarerKind.PROXY_PARENT, village, name=full_name, user_id=user_id)
        plan = [(CarerKind.PROXY_PARENT, child_places)] * (
            counts[CarerKind.PROXY_PARENT] - len(self.logins)
        )
        plan += [(CarerKind.CARING_MOTHER, child_places)] * counts[CarerKind.CARING_MOTHER]
        plan += [(CarerKind.TEACHER, school_places)] * counts[CarerKind.TEACHER]
        plan += [
            (kind, elderly_townships if kind in AT_TOWNSHIP else elderly_places)
            for kind in elderly_kinds
        ]
        for kind, (places, cum) in plan:
            self._volunteer(kind, rng.choices(places, cum_weights=cum)[0])

    def _weights(self, people: list[Someone], *, township: bool) -> tuple[list[str], list[float]]:
        counts: dict[str, float] = defaultdict(float)
        for code, parent in self.villages.items():
            counts[parent if township else code] += 0.3
        for person in people:
            counts[person.township if township else person.village] += 1
        places = sorted(counts)
        return places, list(itertools.accumulate(counts[p] for p in places))

    def _volunteer(self, kind: str, area: str, *, name: str = "", user_id: int | None = None):
        rng, today = self.rng, self.today
        (low, high), (young, old), women = PROFILE[kind]
        sex = "F" if rng.random() < women else "M"
        birth_year = today.year - rng.randint(young, old)
        name = name or self._name(sex, birth_year)
        township = area[:9] + "000"
        organisation, organisation_name = self._organisation(kind, area, township)
        roll = 0.5 if user_id else rng.random()
        status = (
            S.APPLIED if roll < 0.02 else S.REVIEWING if roll < 0.04
            else S.REJECTED if roll < 0.055 else S.WITHDRAWN if roll < 0.065 else S.APPROVED
        )  # fmt: skip
        registered = today - dt.timedelta(days=rng.randint(60, 1800))
        reviewer = self.reviewers.get(township, self.county_admin)
        volunteer = Volunteer(
            name=name, kind=kind, organisation=organisation,
            organisation_name=organisation_name, area_id=area, capacity=rng.randint(low, high),
            status=status, user_id=user_id,
        )  # fmt: skip
        if user_id:
            volunteer.capacity = 3
        volunteer.phone = self._phone()
        volunteer.phone_index = phone_index(volunteer.phone)
        if status == S.APPLIED:
            registered = today - dt.timedelta(days=rng.randint(0, 20))
        elif status == S.REVIEWING:
            registered = today - dt.timedelta(days=rng.randint(7, 40))
            volunteer.reviewed_by_id = reviewer
        else:
            reviewed = registered + dt.timedelta(days=rng.randint(5, 30))
            volunteer.record_checked = True
            volunteer.reviewed_by_id = reviewer
            volunteer.reviewed_at = aware(reviewed, 15, rng.randint(0, 59))
            if status == S.REJECTED:
                volunteer.review_reason, volunteer.disqualifications = rng.choice(REJECTIONS)
            else:
                self.ready[id(volunteer)] = reviewed + dt.timedelta(days=1)
                self.diligence[id(volunteer)] = rng.choices(
                    [f for _w, f in DILIGENCE], [w for w, _f in DILIGENCE]
                )[0]  # fmt: skip
            if status == S.WITHDRAWN:
                left = today - dt.timedelta(days=rng.randint(30, 300))
                if left <= reviewed + dt.timedelta(days=30):
                    volunteer.status = S.APPROVED
                else:
                    self.withdrawn[id(volunteer)] = left
                    volunteer.review_reason = rng.choice(WITHDRAWALS)
        if user_id:
            self.diligence[id(volunteer)] = 1.0
        self.created[id(volunteer)] = aware(registered, 10, rng.randint(0, 59))
        self.volunteers.append(volunteer)
        return volunteer

    def _name(self, sex: str, birth_year: int) -> str:
        rng = self.rng
        generation = "old" if birth_year < 1960 else "mid" if birth_year < 1980 else "parent"
        if birth_year >= 2000:
            generation = "young"
        surname = rng.choices([s for s, _w in SURNAMES], cum_weights=self._surname_weights)[0]
        return surname + rng.choice(GIVEN_NAMES[generation][sex])

    def _phone(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self._phones:
                self._phones.add(number)
                return number

    def _organisation(self, kind: str, area: str, township: str) -> tuple[str, str]:
        rng, names = self.rng, self.area_names
        town, place = names.get(township, ""), names.get(area, "")
        stem = town.removesuffix("街道").removesuffix("镇").removesuffix("乡")
        urban = town.endswith("街道")
        if kind == CarerKind.TEACHER:
            schools = ["实验小学", "第二中学"] if urban else [f"{stem}中心小学", f"{stem}中学"]
            return Organisation.SCHOOL, self.county_name + rng.choice(schools)
        if kind == CarerKind.CARING_MOTHER:
            return Organisation.WOMEN_FEDERATION, f"{town}妇联"
        if kind == CarerKind.FIVE_ELDERS:
            return Organisation.GUANGONG, f"{town}关工委"
        if kind == CarerKind.CADRE:
            return Organisation.PARTY, f"{town}党委"
        if kind == CarerKind.VOLUNTEER:
            if rng.random() < 0.5:
                return Organisation.YOUTH_LEAGUE, f"{town}团委"
            return Organisation.SOCIAL_ORGANISATION, f"{self.county_name}爱心志愿者协会"
        if kind == CarerKind.PROXY_PARENT and rng.random() < 0.3:
            return Organisation.PARTY, f"{place}党支部"
        return Organisation.VILLAGE_COMMITTEE, place

    # --- Pairings ---------------------------------------------------------------------

    def _pair(self) -> None:
        rng = self.rng
        self.free = {id(v): v.capacity for v in self.volunteers if id(v) in self.ready}
        self.near: dict[tuple[str, str], list[Volunteer]] = defaultdict(list)
        for volunteer in self.volunteers:
            if id(volunteer) in self.ready:
                self.near[(volunteer.kind, volunteer.area_id)].append(volunteer)
                if volunteer.area_id in self.villages:
                    self.near[(volunteer.kind, self.villages[volunteer.area_id])].append(volunteer)
        for volunteer in self.volunteers:
            if volunteer.user_id:
                self._pair_login(volunteer)

        def key(p: Someone) -> bool:
            return not (DIFFICULTY in p.programs or p.risk == RiskLevel.HIGH)

        children = sorted(self.children, key=key)  # key children first: they must not miss out
        for child in children:
            gap = UNPAIRED["child"] if key(child) else UNPAIRED["key_child"]
            if child.pairings or rng.random() < gap:
                continue
            if not child.school:
                # A toddler or a teenager out of school: an 爱心妈妈. A 代理家长 would
                # owe a monthly talk with a head teacher they do not have.
                kinds = [CarerKind.CARING_MOTHER]
            elif not key(child):
                kinds = [CarerKind.PROXY_PARENT, CarerKind.CARING_MOTHER]
            else:
                kinds = list(CHILD_KINDS)
                rng.shuffle(kinds)
            self._match(child, kinds)
        for child in children:
            if child.pairings and child.school and rng.random() < 0.45:
                self._match(child, [CarerKind.TEACHER], village_first=False)
        for elder in sorted(self.elderly, key=lambda p: p.risk != RiskLevel.HIGH):
            gap = UNPAIRED["elderly_high" if elder.risk == RiskLevel.HIGH else "elderly"]
            if rng.random() >= gap:
                kinds = list(ELDERLY_KINDS)
                rng.shuffle(kinds)
                self._match(elder, kinds)
        for woman in self.women:
            if not woman.pairings and rng.random() < WOMEN_PAIRED:
                self._match(woman, [CarerKind.CARING_MOTHER, CarerKind.VILLAGE_CADRE], near=True)
        # People of volunteers who withdrew: most are paired again within weeks.
        for person in self.people:
            ended = [p for p in person.pairings if p.ended_on]
            if ended and not any(p.ended_on is None for p in person.pairings):
                again = ended[-1].ended_on + dt.timedelta(days=rng.randint(3, 40))
                if again < self.today and rng.random() < 0.8:
                    self._match(person, [ended[-1].kind], after=again)

    def _pair_login(self, volunteer: Volunteer) -> None:
        """A volunteer login looks after two or three children of their village (or,
        in a small county, of their township)."""
        village = volunteer.area_id
        children = [p for p in self.children if p.village == village and not p.pairings]
        children += [
            p for p in self.children
            if p.township == self.villages[village] and p.village != village and not p.pairings
        ]  # fmt: skip
        # Schoolchildren first: a 代理家长 talks with their head teacher every month.
        children.sort(key=lambda p: not (p.school and CHILD in p.programs))
        for child in children[: self.rng.choice([2, 3])]:
            self._add_pairing(child, volunteer)

    def _match(
        self,
        person: Someone,
        kinds: list[str],
        *,
        village_first: bool = True,
        near: bool = False,
        after: dt.date | None = None,
    ) -> None:
        """Pair with a volunteer of one of `kinds` with room left, nearest first (就近):
        the village, then the township (unless `near`)."""
        places = [person.village, person.township] if village_first else [person.township]
        for place in places[:1] if near else places:
            for kind in kinds:
                candidates = [
                    v for v in self.near[(kind, place)]
                    if self.free[id(v)] > 0
                    and all(p.volunteer is not v for p in person.pairings)
                    and (after is None or id(v) not in self.withdrawn)
                ]  # fmt: skip
                if candidates:
                    self._add_pairing(person, self.rng.choice(candidates), after=after)
                    return

    def _add_pairing(self, person: Someone, volunteer: Volunteer, *, after=None) -> None:
        rng, today = self.rng, self.today
        ready = max(self.ready[id(volunteer)], person.on_file, after or person.on_file)
        started = min(ready + dt.timedelta(days=rng.randint(0, 20)), today)
        if started < ready:  # only a file created today could get here
            return
        pairing = Pairing(
            person_id=person.pk, volunteer=volunteer, kind=volunteer.kind, started_on=started
        )
        left = self.withdrawn.get(id(volunteer))
        if left is not None:
            if left <= started:
                return
            pairing.ended_on, pairing.end_reason = left, "volunteer_left"
            pairing.end_note = volunteer.review_reason
        else:
            self.free[id(volunteer)] -= 1
        self.created[id(pairing)] = aware(started, 11, rng.randint(0, 59))
        person.pairings.append(pairing)
        self.pairings.append(pairing)

    # --- Audit ------------------------------------------------------------------------

    def _audit(self) -> None:
        """One entry per record created (no phones), in bulk like the people demo."""
        names = {p.pk: p.name for p in self.people}
        kinds, contact_kinds = dict(CarerKind.choices), dict(ContactKind.choices)
        audit_bulk(
            model=Volunteer,
            source=AUDIT_SOURCE,
            changes=(
                Change(v.pk, f"{v.name}（{kinds[v.kind]}）", Action.CREATE,
                       {"name": [None, v.name], "kind": [None, v.kind],
                        "area": [None, v.area_id], "status": [None, v.status]})
                for v in self.volunteers
            ),
        )  # fmt: skip
        audit_bulk(
            model=Pairing,
            source=AUDIT_SOURCE,
            changes=(
                Change(p.pk, f"{p.volunteer.name} → {names[p.person_id]}", Action.CREATE,
                       {"person": [None, p.person_id], "volunteer": [None, p.volunteer.pk],
                        "kind": [None, p.kind], "started_on": [None, p.started_on.isoformat()]}
                       | ({"ended_on": [None, p.ended_on.isoformat()]} if p.ended_on else {}))
                for p in self.pairings
            ),
        )  # fmt: skip
        audit_bulk(
            model=Contact,
            source=AUDIT_SOURCE,
            changes=(
                Change(c.pk, f"{names[c.person_id]} · {contact_kinds[c.kind]} · {c.date}",
                       Action.CREATE,
                       {"person": [None, c.person_id], "kind": [None, c.kind],
                        "date": [None, c.date.isoformat()]}
                       | ({"volunteer": [None, c.volunteer.pk]} if c.volunteer else {}))
                for c in self.contacts
            ),
        )  # fmt: skip

"""The contacts of the demo care network: a year of them, by carer and by duty, with
the gaps real ledgers have (see `shouwang.care.demo`)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone

from shouwang.care.choices import DUTY_KINDS, CarerKind, Duty, Period
from shouwang.care.demo.values import (
    CHILD,
    CHILD_KINDS,
    CONCERNS,
    DURATIONS,
    ELDERLY,
    ELDERLY_KINDS,
    EXTRA_KINDS,
    MOTHER_KINDS,
    NOTES,
    WEEKLY_KINDS,
    WOMAN_KINDS,
    K,
)
from shouwang.care.models import Contact, Pairing
from shouwang.care.obligations import next_period_start, period_end, period_start
from shouwang.people.choices import PARENT_KINDS, RiskLevel
from shouwang.people.models import Relation


@dataclass
class Someone:
    """A person on file in a program, as the network needs them."""

    pk: int
    name: str
    village: str
    township: str
    on_file: dt.date
    risk: str
    programs: dict[str, dt.date]
    school: str = ""
    pairings: list[Pairing] = field(default_factory=list)


def aware(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


class ContactSchedule:
    """The contact half of `Network`: who contacts whom how often, and the overdue
    work planted where the demo logins will look."""

    def _plant_overdue(self) -> None:
        """In villages with a worker or a volunteer login, one child's proxy parent and
        one elderly person's visitors have let the last period pass without contact,
        so their worklists open on something overdue."""
        today = self.today
        villages = set(self.workers) | {village for _u, village, _n in self.logins}
        for village in sorted(villages):
            here = [p for p in self.people if p.village == village]
            proxied = [
                p for p in self.children
                if CHILD in p.programs
                and any(x.kind == CarerKind.PROXY_PARENT and x.ended_on is None
                        for x in p.pairings)
            ]  # fmt: skip
            of_login = [
                p for p in proxied
                if any(x.volunteer.user_id and x.volunteer.area_id == village
                       for x in p.pairings)
            ]  # fmt: skip
            # The login's second child of the village (the first stays on time), else
            # a child of the village, else one of the login's children elsewhere.
            in_village = [p for p in of_login if p.village == village][1:]
            in_village = in_village or [p for p in proxied if p.village == village]
            for child in (in_village or of_login)[:1]:
                last_week = today - dt.timedelta(days=today.weekday() + 7)
                self.quiet[child.pk] = (last_week, DUTY_KINDS[Duty.CONTACT])
            elders = sorted(
                (p for p in here if ELDERLY in p.programs),
                key=lambda p: (p.risk != RiskLevel.HIGH, p.risk != RiskLevel.PRIORITY, p.pk),
            )
            if elders:
                period = {RiskLevel.HIGH: Period.WEEK, RiskLevel.PRIORITY: Period.MONTH}
                period = period.get(elders[0].risk, Period.QUARTER)
                current = period_start(today, period)
                previous = period_start(current - dt.timedelta(days=1), period)
                self.quiet[elders[0].pk] = (previous, DUTY_KINDS[Duty.ELDERLY_VISIT])

    def _make_contacts(self) -> None:
        for person in self.people:
            for pairing in person.pairings:
                lo = max(self.start, pairing.started_on)
                hi = min(
                    self.today, (pairing.ended_on or self.today + dt.timedelta(1)) - dt.timedelta(1)
                )
                if lo > hi:
                    continue
                factor = self.diligence[id(pairing.volunteer)]
                if pairing.kind == CarerKind.PROXY_PARENT:
                    self._proxy_parent(person, pairing, lo, hi, factor)
                elif pairing.kind == CarerKind.CARING_MOTHER:
                    self._monthly(person, pairing, lo, hi, 0.85 * factor, (2, 3), MOTHER_KINDS)
                elif pairing.kind == CarerKind.TEACHER:
                    for a, b in self._periods(lo, hi, Period.HALF_MONTH):
                        if self.rng.random() < 0.85 * factor:
                            self._add(person, K.TALK, self._day(a, b), pairing)
                elif ELDERLY in person.programs:
                    self._elderly_visits(person, pairing, lo, hi, factor)
                else:
                    self._monthly(person, pairing, lo, hi, 0.6 * factor, (1, 1), WOMAN_KINDS)
            if ELDERLY in person.programs:
                self._staff_visits(person)
        self._family_calls()
        self._concerns()

    def _staff_visits(self, person: Someone) -> None:
        """In months when nobody was paired with an elderly person, the village worker
        calls or drops in, most months."""
        visitors = [p for p in person.pairings if p.kind in ELDERLY_KINDS]
        for a, b in self._periods(max(self.start, person.on_file), self.today, Period.MONTH):
            if any(p.is_active_on(a) or p.is_active_on(b) for p in visitors):
                continue
            if self.rng.random() < 0.7:
                kind = K.HOME_VISIT if self.rng.random() < 0.5 else K.PHONE
                self._add(person, kind, self._day(a, b))

    def _periods(self, lo: dt.date, hi: dt.date, period: str):
        """(first, last) day of each period overlapping [lo, hi], clipped to it."""
        day = lo
        while day <= hi:
            yield day, min(period_end(day, period), hi)
            day = next_period_start(day, period)

    def _day(self, a: dt.date, b: dt.date) -> dt.date:
        return a + dt.timedelta(days=self.rng.randint(0, (b - a).days))

    def _proxy_parent(self, person, pairing, lo, hi, factor) -> None:
        """Weekly meetings — over a month a talk, a homework check, tutoring and a meal
        (with the home visit: "六个一") — plus a monthly home visit and a monthly
        talk with the head teacher."""
        rng = self.rng
        for a, b in self._periods(lo, hi, Period.MONTH):
            days = []
            for wa, wb in self._periods(a, b, Period.WEEK):
                if rng.random() < 0.93 * factor:
                    days.append(self._day(wa, wb))
                    if rng.random() < 0.12:
                        days.append(self._day(wa, wb))
            kinds = list(WEEKLY_KINDS)
            rng.shuffle(kinds)
            for i, day in enumerate(sorted(days)):
                self._add(
                    person, kinds[i] if i < len(kinds) else rng.choice(EXTRA_KINDS), day, pairing
                )
            if rng.random() < 0.92 * factor:
                self._add(person, K.HOME_VISIT, self._day(a, b), pairing)
            if person.school and rng.random() < 0.88 * factor:
                self._add(person, K.TEACHER_TALK, self._day(a, b), pairing)

    def _monthly(self, person, pairing, lo, hi, chance, per_month, kinds) -> None:
        for a, b in self._periods(lo, hi, Period.MONTH):
            if self.rng.random() < chance:
                for _n in range(self.rng.randint(*per_month)):
                    self._add(person, self.rng.choice(kinds), self._day(a, b), pairing)

    def _elderly_visits(self, person, pairing, lo, hi, factor) -> None:
        """Weekly for the high-risk, monthly for the rest (their rule asks quarterly),
        at home or by phone; a few health checks."""
        rng = self.rng
        period = Period.WEEK if person.risk == RiskLevel.HIGH else Period.MONTH
        chance = (0.9 if period == Period.WEEK else 0.95) * factor
        for a, b in self._periods(lo, hi, period):
            if rng.random() < chance:
                roll = rng.random()
                kind = K.HOME_VISIT if roll < 0.55 else K.PHONE if roll < 0.93 else K.VIDEO
                if rng.random() < 0.04:
                    kind = K.HEALTH_CHECK
                self._add(person, kind, self._day(a, b), pairing)

    def _family_calls(self) -> None:
        """亲情通话: most children talk with a parent away every month; about one in
        five only now and then. Logged by their carer when they have one."""
        rng = self.rng
        children = {p.pk: p for p in self.people if CHILD in p.programs}
        parents: dict[int, list[int]] = defaultdict(list)
        for person_id, pk in (
            Relation.objects.filter(
                person_id__in=list(children), kind__in=PARENT_KINDS,
                working_away=True, returned=False, living=True,
            )
            .order_by("pk")
            .values_list("person_id", "pk")
        ):  # fmt: skip
            parents[person_id].append(pk)
        for person_id, relations in sorted(parents.items()):
            child = children[person_id]
            chance = 0.95 if rng.random() < 0.8 else 0.3
            for a, b in self._periods(max(self.start, child.on_file), self.today, Period.MONTH):
                if rng.random() < chance:
                    day = self._day(a, b)
                    pairing = next(
                        (
                            p
                            for p in child.pairings
                            if p.kind in CHILD_KINDS and p.is_active_on(day)
                        ),
                        None,
                    )
                    self._add(child, K.FAMILY_CALL, day, pairing, parent_id=rng.choice(relations))

    def _add(self, person: Someone, kind: str, day: dt.date, pairing=None, parent_id=None):
        quiet = self.quiet.get(person.pk)
        if quiet and day >= quiet[0] and kind in quiet[1]:
            return
        rng = self.rng
        volunteer = pairing.volunteer if pairing is not None else None
        notes = rng.choice(NOTES[kind]) if kind in NOTES and rng.random() < 0.3 else ""
        contact = Contact(
            person_id=person.pk, kind=kind, date=day, volunteer=volunteer,
            pairing_kind=pairing.kind if pairing is not None else "",
            duration_minutes=rng.randint(*DURATIONS[kind]), notes=notes, parent_id=parent_id,
            recorded_by_id=(volunteer.user_id if volunteer else None)
            or self.workers.get(person.village),
        )  # fmt: skip
        self.contacts.append(contact)

    def _concerns(self) -> None:
        """About one visit or talk in three hundred raised a concern; those of the last
        three weeks are mostly still open, the rest were handled within days. One in
        each village with a worker is open, for the supervisor's attention list."""
        rng, today = self.rng, self.today
        elderly = {p.pk for p in self.elderly}
        recent = today - dt.timedelta(days=21)
        open_in = set(self.workers)
        village = {p.pk: p.village for p in self.people}
        for contact in sorted(self.contacts, key=lambda c: (c.date, c.person_id)):
            if contact.kind not in (K.HOME_VISIT, K.TALK, K.PHONE):
                continue
            forced = contact.date >= recent and village[contact.person_id] in open_in
            if not forced and rng.random() >= 0.003:
                continue
            open_in.discard(village[contact.person_id])
            contact.concern = True
            contact.notes = rng.choice(
                CONCERNS["elderly" if contact.person_id in elderly else "child"]
            )
            if forced or (contact.date >= recent and rng.random() < 0.6):
                continue
            handled = min(contact.date + dt.timedelta(days=rng.randint(1, 7)), today)
            contact.concern_resolved_at = aware(handled, 16, rng.randint(0, 59))
            township = self.villages.get(village[contact.person_id], "")
            contact.concern_resolved_by_id = self.reviewers.get(township, self.county_admin)

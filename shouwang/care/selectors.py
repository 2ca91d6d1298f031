"""Reads of the care network that take more than one query: what every person is
owed (from rules, enrollments, pairings and contacts), worklists, overdue lists,
coverage and pairing suggestions.

Obligations are derived, not stored: four queries for any set of people (the
people with their risk, their enrollments, their pairings and the date of their
last contact of each kind), then `obligations.obligation_status` per rule.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone

from shouwang.care import choices as c
from shouwang.care.models import Contact, LastContact, ObligationRule, Pairing, Volunteer, in_force
from shouwang.care.obligations import State, Status, obligation_status, period_end
from shouwang.people.choices import AT_SCHOOL, PersonStatus, RiskLevel
from shouwang.people.forms import phone_index
from shouwang.people.identity import PhoneError, normalize_phone
from shouwang.people.models import Enrollment, Person

PERIOD_ORDER = {c.Period.WEEK: 0, c.Period.HALF_MONTH: 1, c.Period.MONTH: 2, c.Period.QUARTER: 3}
DUTIES_OF_KIND = {
    kind: [duty for duty, kinds in c.DUTY_KINDS.items() if kind in kinds]
    for kind in c.ContactKind.values
}
RISK_ORDER = {RiskLevel.HIGH: 0, RiskLevel.PRIORITY: 1, RiskLevel.GENERAL: 2, "": 3}


@dataclass(frozen=True)
class Carer:
    volunteer_id: int
    name: str
    kind: str
    user_id: int | None


@dataclass
class Obligation:
    """One duty one person is owed under one rule, and its state on the day."""

    person_id: int
    person_name: str
    village_id: str
    village_name: str
    risk: str
    program: str
    rule: ObligationRule
    carers: tuple[Carer, ...]
    since: dt.date
    last_on: dt.date | None
    status: Status

    @property
    def duty(self) -> str:
        return self.rule.duty

    @property
    def state(self) -> State:
        return self.status.state

    @property
    def due_on(self) -> dt.date:
        return self.status.due_on

    @property
    def days_overdue(self) -> int:
        return self.status.days_overdue

    @property
    def duty_label(self) -> str:
        return c.Duty(self.rule.duty).label

    @property
    def period_label(self) -> str:
        return c.Period(self.rule.period).label

    @property
    def risk_label(self) -> str:
        return RiskLevel(self.risk).label if self.risk else ""

    @property
    def suggested_kind(self) -> str:
        """The contact kind the quick-log form offers first for this duty."""
        kinds = c.DUTY_KINDS[self.rule.duty]
        return c.ContactKind.HOME_VISIT if c.ContactKind.HOME_VISIT in kinds else min(kinds)


# --- rules -----------------------------------------------------------------------


def rules_by_county(county_codes: Iterable[str]) -> dict[str, list[ObligationRule]]:
    """The rules in force in each county: its own if it has any, else the defaults."""
    codes = set(county_codes)
    rules = list(ObligationRule.objects.filter(Q(county__isnull=True) | Q(county__in=codes)))
    defaults = [r for r in rules if r.county_id is None]
    own: dict[str, list[ObligationRule]] = defaultdict(list)
    for rule in rules:
        if rule.county_id is not None:
            own[rule.county_id].append(rule)
    return {code: own.get(code) or defaults for code in codes}


def counties_with_people() -> list[str]:
    """The 6-digit prefixes of the counties with people on file (system jobs)."""
    return list(
        Person.objects.filter(status=PersonStatus.ACTIVE)
        .annotate(county=Substr("village_id", 1, 6))
        .order_by("county")
        .values_list("county", flat=True)
        .distinct()
    )


def county_of(village_code: str) -> str:
    return village_code[:6] + "000000"


def _rules_for(rules: list[ObligationRule], program: str, risk: str) -> list[ObligationRule]:
    """The rules for one program and risk level: a rule for the level replaces the
    rule for any level that asks the same duty of the same carers."""
    chosen: dict[tuple[str, str], ObligationRule] = {}
    for rule in rules:
        if rule.program != program or rule.risk_level not in ("", risk):
            continue
        key = (rule.pairing_kind, rule.duty)
        if key not in chosen or rule.risk_level:
            chosen[key] = rule
    return list(chosen.values())


# --- obligations -----------------------------------------------------------------


def obligations_for(
    people: QuerySet[Person], *, today: dt.date | None = None, states: set[State] | None = None
) -> list[Obligation]:
    """Every obligation of the given people (a scoped queryset) on `today`.

    Only people on file (status active) with an enrollment in force are owed
    anything: someone who exits a program stops being owed contacts that day.
    With `states`, only obligations in those states are returned.
    """
    today = today or timezone.localdate()
    # The follow-up queries are scoped by the people as given: with the filters
    # below in the subquery, PostgreSQL reads the whole contact index instead of
    # looking contacts up by person.
    scope = people.values("pk")
    enrolled = Enrollment.objects.filter(in_force(today), person=OuterRef("pk"))
    people = people.filter(status=PersonStatus.ACTIVE).filter(Exists(enrolled))
    rows = list(
        people.with_risk(today).values_list(
            "pk", "name", "village_id", "village__name", "risk", "schooling"
        )
    )
    if not rows:
        return []
    programs: dict[int, dict[str, dt.date]] = defaultdict(dict)
    for person_id, program, started_on in Enrollment.objects.filter(
        in_force(today), person__in=scope
    ).values_list("person_id", "program", "started_on"):
        programs[person_id][program] = started_on
    pairings: dict[int, list[tuple[Carer, dt.date]]] = defaultdict(list)
    for person_id, kind, started_on, vol_id, vol_name, user_id in (
        Pairing.objects.active(today)
        .filter(person__in=scope)
        .values_list(
            "person_id",
            "kind",
            "started_on",
            "volunteer_id",
            "volunteer__name",
            "volunteer__user_id",
        )  # fmt: skip
    ):
        pairings[person_id].append((Carer(vol_id, vol_name, kind, user_id), started_on))
    rules = rules_by_county({county_of(row[2]) for row in rows})
    needed = {(r.duty, r.pairing_kind) for county_rules in rules.values() for r in county_rules}
    last = _last_by_duty(scope, today, needed)

    rules_for = functools.cache(
        lambda county, program, risk: _rules_for(rules[county], program, risk)
    )
    result: list[Obligation] = []
    for person_id, name, village_id, village_name, risk, schooling in rows:
        # The rules that bind this person, one per duty and carers: in two programs
        # (a left-behind child in difficulty) the stricter rule holds.
        chosen: dict[tuple[str, str], tuple[ObligationRule, str]] = {}
        for program in programs[person_id]:
            for rule in rules_for(county_of(village_id), program, risk):
                key = (rule.pairing_kind, rule.duty)
                if (
                    key not in chosen
                    or PERIOD_ORDER[rule.period] < PERIOD_ORDER[chosen[key][0].period]
                ):
                    chosen[key] = (rule, program)
        for rule, program in chosen.values():
            if rule.duty == c.Duty.TEACHER_TALK and schooling not in AT_SCHOOL:
                continue  # no head teacher to talk with
            enrolled_on = programs[person_id][program]
            if rule.pairing_kind:
                mine = [(cr, on) for cr, on in pairings[person_id] if cr.kind == rule.pairing_kind]
                if not mine:
                    continue  # a rule for 代理家长 binds only a child who has one
                since = max(enrolled_on, min(on for _cr, on in mine))
            else:
                mine = pairings[person_id]
                since = enrolled_on
            latest = last.get((person_id, rule.duty, rule.pairing_kind))
            status = obligation_status(since=since, last=latest, period=rule.period, today=today)
            if states is not None and status.state not in states:
                continue
            result.append(
                Obligation(
                    person_id=person_id,
                    person_name=name,
                    village_id=village_id,
                    village_name=village_name,
                    risk=risk,
                    program=program,
                    rule=rule,
                    carers=tuple(cr for cr, _on in mine),
                    since=since,
                    last_on=latest,
                    status=status,
                )
            )
    return result


def _last_by_duty(
    scope, today: dt.date, needed: set[tuple[str, str]]
) -> dict[tuple[int, str, str], dt.date]:
    """{(person, duty, pairing kind or ""): date of the last contact fulfilling the
    duty under that pairing kind ("": whoever made it)}, for the (duty, pairing
    kind) pairs the rules ask about.

    Today (the pages, the reminders) it reads the maintained `LastContact`; for
    another day it aggregates the contacts up to that day."""
    if not needed:
        return {}
    if today >= timezone.localdate():
        rows = LastContact.objects.filter(person__in=scope).values_list(
            "person_id", "kind", "pairing_kind", "date"
        )
    else:
        rows = (
            Contact.objects.filter(person__in=scope, date__lte=today)
            .values_list("person_id", "kind", "pairing_kind")
            .annotate(last=Max("date"))
            .order_by()
        )
    keys_of = {
        (kind, pairing_kind): [
            (duty, pk) for duty in DUTIES_OF_KIND[kind] for pk in {"", pairing_kind}
            if (duty, pk) in needed
        ]
        for kind in c.ContactKind.values
        for pairing_kind in ("", *c.CarerKind.values)
    }  # fmt: skip
    best: dict[tuple[int, str, str], dt.date] = {}
    for person_id, kind, pairing_kind, on in rows:
        for duty, pk in keys_of[(kind, pairing_kind)]:
            key = (person_id, duty, pk)
            if best.get(key, on) <= on:
                best[key] = on
    return best


def obligations_of(user, *, today: dt.date | None = None) -> list[Obligation]:
    """The obligations a user answers for: a volunteer those they are a carer in,
    staff everything owed in their scope."""
    found = obligations_for(Person.objects.visible_to(user), today=today)
    if user.is_volunteer:
        volunteer_id = Volunteer.objects.filter(user=user).values_list("pk", flat=True).first()
        found = [o for o in found if any(cr.volunteer_id == volunteer_id for cr in o.carers)]
    return found


# --- worklists -------------------------------------------------------------------


@dataclass
class Worklist:
    """我的待办: overdue first (longest overdue first), then due today, due this
    week, and the rest of what is due this period."""

    overdue: list[Obligation] = field(default_factory=list)
    today: list[Obligation] = field(default_factory=list)
    this_week: list[Obligation] = field(default_factory=list)
    later: list[Obligation] = field(default_factory=list)

    @property
    def open_count(self) -> int:
        return len(self.overdue) + len(self.today) + len(self.this_week) + len(self.later)


def worklist(user, *, today: dt.date | None = None) -> Worklist:
    today = today or timezone.localdate()
    week_end = period_end(today, c.Period.WEEK)
    result = Worklist()
    for o in sort_obligations(obligations_of(user, today=today), "overdue"):
        if o.state == State.OVERDUE:
            result.overdue.append(o)
        elif o.state == State.DUE:
            if o.due_on == today:
                result.today.append(o)
            elif o.due_on <= week_end:
                result.this_week.append(o)
            else:
                result.later.append(o)
    return result


SORTS = {
    "overdue": lambda o: (-o.days_overdue, RISK_ORDER[o.risk], o.village_id, o.person_name),
    "risk": lambda o: (RISK_ORDER[o.risk], -o.days_overdue, o.village_id, o.person_name),
    "village": lambda o: (o.village_id, -o.days_overdue, o.person_name),
}


def sort_obligations(obligations: list[Obligation], sort: str) -> list[Obligation]:
    return sorted(obligations, key=SORTS.get(sort, SORTS["overdue"]))


def overdue_for(
    people: QuerySet[Person], *, sort: str = "overdue", today: dt.date | None = None
) -> list[Obligation]:
    """The overdue obligations of a (scoped) set of people, sorted by days overdue
    (default), risk or village. Today only the people `PersonDue` cannot vouch for
    are derived: those whose earliest due date has passed, or who have no row."""
    today = today or timezone.localdate()
    if today == timezone.localdate():
        people = people.filter(Q(care_due__due_on__lt=today) | Q(care_due__isnull=True))
    return sort_obligations(obligations_for(people, today=today, states={State.OVERDUE}), sort)


def overdue_by_village(obligations: list[Obligation]) -> list[tuple[str, str, int, int]]:
    """(village code, village name, overdue obligations, people) for a township view."""
    counts: dict[tuple[str, str], list] = defaultdict(lambda: [0, set()])
    for o in obligations:
        entry = counts[(o.village_id, o.village_name)]
        entry[0] += 1
        entry[1].add(o.person_id)
    return sorted(
        ((code, name, n, len(people)) for (code, name), (n, people) in counts.items()),
        key=lambda row: (-row[2], row[0]),
    )


# --- coverage and suggestions ----------------------------------------------------


def unpaired(
    people: QuerySet[Person],
    *,
    program: str = "",
    high_risk: bool = False,
    on: dt.date | None = None,
) -> QuerySet[Person]:
    """People on file in a program (or a given program), or at high risk, with no
    pairing in force — the coverage gap (the target: every key child paired)."""
    on = on or timezone.localdate()
    enrolled = Enrollment.objects.filter(in_force(on), person=OuterRef("pk"))
    if program:
        enrolled = enrolled.filter(program=program)
    people = people.filter(status=PersonStatus.ACTIVE).with_risk(on)
    wanted = Q(Exists(enrolled))
    if high_risk:
        wanted = Q(risk=RiskLevel.HIGH) if not program else wanted & Q(risk=RiskLevel.HIGH)
    paired = Pairing.objects.active(on).filter(person=OuterRef("pk"))
    return people.filter(wanted).exclude(Exists(paired))


def volunteer_filter(
    volunteers: QuerySet[Volunteer],
    *,
    q: str = "",
    status: str = "",
    kind: str = "",
    area: str = "",
) -> QuerySet[Volunteer]:
    """The volunteers list's filters (also the volunteers ledger export's): status,
    kind, an area prefix, and a phone number (any spelling, through its blind
    index) or else a name substring."""
    if status:
        volunteers = volunteers.filter(status=status)
    if kind:
        volunteers = volunteers.filter(kind=kind)
    if area:
        volunteers = volunteers.in_area_prefix(area)
    query = q.strip()
    if not query:
        return volunteers
    try:
        number = normalize_phone(query)
    except PhoneError:
        return volunteers.filter(name__contains=query.replace(" ", ""))
    return volunteers.filter(phone_index=phone_index(number))


def with_load(volunteers: QuerySet[Volunteer], *, on: dt.date | None = None) -> QuerySet[Volunteer]:
    """Annotate `active_pairings` and `remaining` (capacity left) on volunteers."""
    on = on or timezone.localdate()
    in_force = Q(pairings__started_on__lte=on) & (
        Q(pairings__ended_on__isnull=True) | Q(pairings__ended_on__gt=on)
    )
    return volunteers.annotate(active_pairings=Count("pairings", filter=in_force)).annotate(
        remaining=F("capacity") - F("active_pairings")
    )


# Kinds of carer that suit each program first (就亲: the closest kind of carer).
_K = c.CarerKind
SUITED_KINDS = {
    "left_behind_child": (_K.PROXY_PARENT, _K.CARING_MOTHER, _K.TEACHER),
    "child_in_difficulty": (_K.PROXY_PARENT, _K.CARING_MOTHER, _K.SOCIAL_WORKER),
    "left_behind_woman": (_K.CARING_MOTHER, _K.SOCIAL_WORKER, _K.VILLAGE_CADRE),
    "left_behind_elderly": (_K.FIVE_ELDERS, _K.VOLUNTEER, _K.VILLAGE_CADRE, _K.CADRE),
}


def pairing_suggestions(
    volunteers: QuerySet[Volunteer], person: Person, *, limit: int = 10, on: dt.date | None = None
) -> list[Volunteer]:
    """Approved volunteers with capacity left, nearest first (就近就亲): same village,
    then same township, then the county; within that the kinds that suit the
    person's programs, then the most capacity left. Each carries `proximity` (0
    village, 1 township, 2 county) and `suited`."""
    on = on or timezone.localdate()
    village = person.village_id
    programs = list(
        Enrollment.objects.filter(in_force(on), person=person).values_list("program", flat=True)
    )
    suited = [kind for program in programs for kind in SUITED_KINDS.get(program, ())]
    already = Pairing.objects.active(on).filter(person=person).values("volunteer_id")
    candidates = (
        with_load(volunteers.filter(status=c.VolunteerStatus.APPROVED), on=on)
        .filter(remaining__gt=0)
        .in_area_prefix(village[:6])
        .exclude(pk__in=already)
        .annotate(township=Substr("area_id", 1, 9))
    )
    ranked = []
    for volunteer in candidates:
        if volunteer.area_id == village:
            volunteer.proximity = 0
        elif volunteer.township == village[:9]:
            volunteer.proximity = 1
        else:
            volunteer.proximity = 2
        volunteer.suited = volunteer.kind in suited
        rank_kind = suited.index(volunteer.kind) if volunteer.suited else len(suited)
        ranked.append(
            ((volunteer.proximity, rank_kind, -volunteer.remaining, volunteer.pk), volunteer)
        )
    ranked.sort(key=lambda pair: pair[0])
    return [volunteer for _key, volunteer in ranked[:limit]]

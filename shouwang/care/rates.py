"""The care network's rates, each defined once: who is counted (the denominator)
and who of them meets it (the numerator), as querysets of people, so a figure and
the list of people behind it always agree. The area pages show them; the
dashboard, the evaluation and the quarterly report call the same functions.

A month is measured up to its reference day: its last day, or today for the
current month. People count when their program enrollment is in force on the
reference day.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.functions import Coalesce, Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shouwang.care.choices import DUTY_KINDS, SIX_ONES, CarerKind, ContactKind, Duty, kind_bits
from shouwang.care.models import Contact, Pairing, in_force
from shouwang.people.choices import PersonStatus
from shouwang.people.eligibility import Program
from shouwang.people.models import Enrollment, Person


@dataclass(frozen=True)
class Rate:
    key: str
    label: str
    numerator: int
    denominator: int

    @property
    def percent(self) -> float | None:
        """Share in percent, one decimal; None when nobody is counted."""
        if not self.denominator:
            return None
        return round(100 * self.numerator / self.denominator, 1)


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @property
    def first(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last(self) -> dt.date:
        return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def reference_day(self, today: dt.date | None = None) -> dt.date:
        return min(self.last, today or timezone.localdate())

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}"

    @classmethod
    def of(cls, day: dt.date) -> Month:
        return cls(day.year, day.month)

    @classmethod
    def parse(cls, text: str) -> Month | None:
        try:
            year, month = (int(part) for part in text.split("-"))
            return cls(year, month) if 2000 <= year <= 2100 and 1 <= month <= 12 else None
        except (ValueError, AttributeError):
            return None


def enrolled(on: dt.date, program: str = "") -> Q:
    """Has an enrollment (in `program`) in force on `on`."""
    enrollments = Enrollment.objects.filter(in_force(on), person=OuterRef("pk"))
    if program:
        enrollments = enrollments.filter(program=program)
    return Q(Exists(enrollments))


def _contacted(kinds, month: Month, ref: dt.date) -> Q:
    """Had a contact of one of `kinds` in the month (up to `ref`)."""
    in_month = Contact.objects.filter(
        kind__in=kinds, date__gte=month.first, date__lte=ref, person=OuterRef("pk")
    )
    return Q(Exists(in_month))


def paired_on(on: dt.date, kind: str = "") -> Q:
    """Had a pairing (of `kind`) in force on `on`."""
    pairings = Pairing.objects.active(on).filter(person=OuterRef("pk"))
    return Q(Exists(pairings.filter(kind=kind) if kind else pairings))


# The contacts the rates ask about: a fact name and the kinds that make it true.
CONTACT_FACTS: dict[str, frozenset[str]] = {
    "visited": DUTY_KINDS[Duty.ELDERLY_VISIT],
    "family_call": frozenset({ContactKind.FAMILY_CALL}),
    **{kind: frozenset({kind}) for kind in SIX_ONES},
}


def _conditions(month: Month, ref: dt.date) -> dict[str, Q]:
    """The facts the rates are made of, each an IN (subquery) condition on people."""
    conditions = {
        "elderly": enrolled(ref, Program.LEFT_BEHIND_ELDERLY),
        "child": enrolled(ref, Program.LEFT_BEHIND_CHILD),
        "enrolled": enrolled(ref),
        "proxy_parent": paired_on(ref, CarerKind.PROXY_PARENT),
        "paired": paired_on(ref),
    }
    for fact, kinds in CONTACT_FACTS.items():
        conditions[fact] = _contacted(kinds, month, ref)
    return conditions


# Each rate: its label, who is counted and what they must have (all the conditions
# named, from `_conditions`):
# - 月探访率: left-behind elderly with a visit (at home, by phone or video, or a
#   health check) in the month;
# - "六个一": left-behind children with a 代理家长 who had a talk, a homework check,
#   tutoring, a home visit and a shared meal in the month;
# - 亲情通话: left-behind children who talked with a parent working away in the month;
# - 结对覆盖率: people in any program with a pairing in force.
RATES: dict[str, tuple] = {
    "monthly_visit": (_("月探访率"), ("elderly",), ("visited",)),
    "six_ones": (_("“六个一”完成率"), ("child", "proxy_parent"), SIX_ONES),
    "family_call": (_("亲情通话覆盖率"), ("child",), ("family_call",)),
    "pairing_coverage": (_("结对覆盖率"), ("enrolled",), ("paired",)),
}


def _flag_counts(people: QuerySet[Person], month: Month, today, *group_by: str):
    """People counted by which conditions they meet, in one query that reads each
    subquery once: rows of {condition: bool, …, "n": count} (plus `group_by`)."""
    ref = month.reference_day(today)
    conditions = _conditions(month, ref)
    if ref == month.last or ref >= timezone.localdate():
        # The whole month up to now: read the month's kinds from `ContactMonth`
        # (one join) instead of searching the contacts once per fact.
        people = people.annotate(
            _month=FilteredRelation(
                "contact_months", condition=Q(contact_months__month=month.first)
            ),
            _kinds=Coalesce(F("_month__kinds"), 0),
        )
        for fact, kinds in CONTACT_FACTS.items():
            people = people.annotate(**{f"_{fact}": F("_kinds").bitand(kind_bits(kinds))})
            conditions[fact] = Q(**{f"_{fact}__gt": 0})
    flags = {
        name: ExpressionWrapper(q, output_field=BooleanField()) for name, q in conditions.items()
    }
    return (
        people.filter(conditions["enrolled"], status=PersonStatus.ACTIVE)
        .annotate(**flags)
        .values(*group_by, *flags)
        .annotate(n=Count("pk"))
        .order_by()
    )


def rates_of(rows) -> list[Rate]:
    result = []
    for key, (label, counted, must) in RATES.items():
        base = [row for row in rows if all(row[name] for name in counted)]
        met = sum(row["n"] for row in base if all(row[name] for name in must))
        result.append(Rate(key, str(label), met, sum(row["n"] for row in base)))
    return result


def rates(people: QuerySet[Person], month: Month, today=None) -> list[Rate]:
    """Every rate of `people` for `month`, in one query."""
    return rates_of(list(_flag_counts(people, month, today)))


def rate(key: str, people: QuerySet[Person], month: Month, today=None) -> Rate:
    return next(r for r in rates(people, month, today) if r.key == key)


def rates_by_area(
    people: QuerySet[Person], month: Month, *, digits: int, today=None
) -> dict[str, dict[str, Rate]]:
    """Every rate for each area one level down, grouped by the first `digits` of
    the village code (9: townships, 12: villages): {area prefix: {key: Rate}},
    in one query."""
    return rates_from_rows(rate_rows(people, month, digits=digits, today=today))


def rate_rows(people: QuerySet[Person], month: Month, *, digits: int, today=None) -> list[dict]:
    """The counts the rates are made of, by area (the first `digits` of the village
    code): rows of {"area", condition: bool, …, "n"}, which add up."""
    people = people.annotate(area=Substr("village_id", 1, digits))
    return list(_flag_counts(people, month, today, "area"))


def rates_from_rows(rows: list[dict]) -> dict[str, dict[str, Rate]]:
    """{area: {key: Rate}} of `rate_rows` rows (areas nobody is counted in left out)."""
    areas: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        areas[row["area"]].append(row)
    return {
        area: {r.key: r for r in rates_of(rows) if r.denominator} for area, rows in areas.items()
    }


def rate_people(key: str, people: QuerySet[Person], month: Month, *, met: bool, today=None):
    """The people behind a rate: those who meet it (`met`), or those who do not."""
    conditions = _conditions(month, month.reference_day(today))
    _label, counted, must = RATES[key]
    base = people.filter(*(conditions[name] for name in counted), status=PersonStatus.ACTIVE)
    meeting = Q()
    for name in must:
        meeting &= conditions[name]
    return base.filter(meeting) if met else base.exclude(meeting)

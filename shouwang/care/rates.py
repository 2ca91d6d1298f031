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
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shouwang.care.choices import DUTY_KINDS, SIX_ONES, CarerKind, ContactKind, Duty
from shouwang.care.models import Contact, Pairing
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


def enrolled(people: QuerySet[Person], program: str, on: dt.date) -> QuerySet[Person]:
    """People whose enrollment in `program` is in force on `on`."""
    in_force = Enrollment.objects.filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=on),
        person=OuterRef("pk"),
        program=program,
        started_on__lte=on,
    )
    return people.filter(Exists(in_force))


def _contacted(kinds, month: Month, ref: dt.date) -> Q:
    """Had a contact of one of `kinds` in the month (up to `ref`). Written as IN
    (subquery) so the database reads the month's contacts once (a hashed set)
    rather than probing them person by person."""
    in_month = Contact.objects.filter(kind__in=kinds, date__gte=month.first, date__lte=ref)
    return Q(pk__in=in_month.values("person_id"))


def paired_on(on: dt.date, kind: str = "") -> Q:
    """Had a pairing (of `kind`) in force on `on` — IN (subquery), read once."""
    pairings = Pairing.objects.active(on)
    return Q(pk__in=(pairings.filter(kind=kind) if kind else pairings).values("person_id"))


# Each rate: (people counted, condition they meet) over a queryset of people.
def monthly_visit(people: QuerySet[Person], month: Month, today=None):
    """月探访率: left-behind elderly with at least one visit (at home, by phone or
    video, or a health check) in the month."""
    ref = month.reference_day(today)
    base = enrolled(people, Program.LEFT_BEHIND_ELDERLY, ref)
    return base, _contacted(DUTY_KINDS[Duty.ELDERLY_VISIT], month, ref)


def six_ones(people: QuerySet[Person], month: Month, today=None):
    """ "六个一": left-behind children with a 代理家长 who had a talk, a homework
    check, tutoring, a home visit and a shared meal in the month."""
    ref = month.reference_day(today)
    base = enrolled(people, Program.LEFT_BEHIND_CHILD, ref).filter(
        paired_on(ref, CarerKind.PROXY_PARENT)
    )
    met = Q()
    for kind in SIX_ONES:
        met &= _contacted([kind], month, ref)
    return base, met


def family_call(people: QuerySet[Person], month: Month, today=None):
    """亲情通话: left-behind children who talked with a parent working away in the month."""
    ref = month.reference_day(today)
    base = enrolled(people, Program.LEFT_BEHIND_CHILD, ref)
    return base, _contacted([ContactKind.FAMILY_CALL], month, ref)


def pairing_coverage(people: QuerySet[Person], month: Month, today=None):
    """结对覆盖率: people in any program with a pairing in force on the reference day."""
    ref = month.reference_day(today)
    in_force = Enrollment.objects.filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=ref), person=OuterRef("pk"), started_on__lte=ref
    )
    base = people.filter(Exists(in_force))
    return base, paired_on(ref)


RATES = {
    "monthly_visit": (_("月探访率"), monthly_visit),
    "six_ones": (_("“六个一”完成率"), six_ones),
    "family_call": (_("亲情通话覆盖率"), family_call),
    "pairing_coverage": (_("结对覆盖率"), pairing_coverage),
}


def _counts(key: str, people: QuerySet[Person], month: Month, today):
    """The rate's people with `total` and `met` to aggregate: one query counts both."""
    base, met = RATES[key][1](people, month, today)
    return base, {"total": Count("pk"), "met": Count("pk", filter=met)}


def rate(key: str, people: QuerySet[Person], month: Month, today=None) -> Rate:
    base, counts = _counts(key, people, month, today)
    row = base.aggregate(**counts)
    return Rate(key, str(RATES[key][0]), row["met"], row["total"])


def rates(people: QuerySet[Person], month: Month, today=None) -> list[Rate]:
    return [rate(key, people, month, today) for key in RATES]


def rates_by_area(
    people: QuerySet[Person], month: Month, *, digits: int, today=None
) -> dict[str, dict[str, Rate]]:
    """Every rate for each area one level down, grouped by the first `digits` of
    the village code (9: townships, 12: villages): {area prefix: {key: Rate}}.
    One grouped query per rate, whatever the number of areas."""
    result: dict[str, dict[str, Rate]] = {}
    for key, (label, _definition) in RATES.items():
        base, counts = _counts(key, people, month, today)
        grouped = (
            base.annotate(area=Substr("village_id", 1, digits))
            .values("area")
            .annotate(**counts)
            .order_by()
        )
        for row in grouped:
            result.setdefault(row["area"], {})[key] = Rate(
                key, str(label), row["met"], row["total"]
            )
    return result


def rate_people(key: str, people: QuerySet[Person], month: Month, *, met: bool, today=None):
    """The people behind a rate: those who meet it (`met`), or those who do not."""
    base, condition = RATES[key][1](people, month, today)
    return base.filter(condition) if met else base.exclude(condition)

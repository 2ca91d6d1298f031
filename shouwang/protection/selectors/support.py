"""Reading the aid ledger and the services: the filters of the lists and the aid
totals by person, by area (township or village) and by month. One definition
used by the 服务与慰问 page and by the API.

What counts: cash counts its `amount`, goods their `value` (Aid.total); aid to a
relative working away counts for the person on file it was recorded under.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Substr, TruncMonth

from shouwang.protection import choices as c
from shouwang.protection.models import Aid, Service
from shouwang.regions.models import Area

ZERO = Decimal("0.00")
# Digits of a village code that name the area one groups by.
AREA_DIGITS = {"township": 9, "village": 12}


@dataclass(frozen=True)
class Totals:
    """Aid added up: how many rows, to how many people on file, cash and goods (by
    value), and how many of the rows went to relatives."""

    count: int = 0
    people: int = 0
    cash: Decimal = ZERO
    goods: Decimal = ZERO
    to_relatives: int = 0

    @property
    def total(self) -> Decimal:
        return self.cash + self.goods


@dataclass(frozen=True)
class GroupTotals:
    """The totals of one group: `key` is a person id, a 12-digit area code or the
    first day of a month (ISO); `label` says what it is."""

    key: str
    label: str
    totals: Totals


# The sums of a group of aid rows (`.values(...).annotate(**AID_SUMS)`), read back
# with `totals_of(row)`: the one definition of the aid figures (the dashboard too).
AID_SUMS = {
    "count": Count("pk"),
    "people": Count("person", distinct=True),
    "cash": Sum("amount", filter=Q(kind=c.AidKind.CASH)),
    "goods": Sum("value", filter=Q(kind=c.AidKind.GOODS)),
    "to_relatives": Count("pk", filter=Q(relation__isnull=False)),
}


def _yuan(value) -> Decimal:
    # SQLite sums decimals without their scale ("1000", "120.5"): always two places.
    return Decimal(value or 0).quantize(ZERO)


def totals_of(row: dict) -> Totals:
    return Totals(
        count=row["count"],
        people=row["people"],
        cash=_yuan(row["cash"]),
        goods=_yuan(row["goods"]),
        to_relatives=row["to_relatives"],
    )


def _filtered(rows, *, start, end, kind, fund, area):
    if start:
        rows = rows.filter(date__gte=start)
    if end:
        rows = rows.filter(date__lte=end)
    if kind:
        rows = rows.filter(kind=kind)
    if fund:
        rows = rows.filter(fund=fund)
    if area:
        rows = rows.in_area_prefix(area)
    return rows


def aid_filter(
    aid: QuerySet[Aid],
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    kind: str = "",
    fund: str = "",
    area: str = "",
) -> QuerySet[Aid]:
    """Aid (already scoped) in a date range, of a kind and fund, in an area (the
    code prefix of a township or village: 9 or 12 digits)."""
    return _filtered(aid, start=start, end=end, kind=kind, fund=fund, area=area)


def service_filter(
    services: QuerySet[Service],
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    kind: str = "",
    fund: str = "",
    area: str = "",
) -> QuerySet[Service]:
    return _filtered(services, start=start, end=end, kind=kind, fund=fund, area=area)


def aid_for_list(aid: QuerySet[Aid]) -> QuerySet[Aid]:
    """Aid as the ledger shows it: with the person, village, relative and activity,
    without the person's encrypted or long columns, newest first."""
    return (
        aid.select_related("person__village", "relation__relative", "activity")
        .defer(
            "person__id_number", "person__phone", "person__head_teacher_phone",
            "person__notes", "relation__id_number", "relation__phone",
            "relation__relative__id_number", "relation__relative__phone",
            "relation__relative__head_teacher_phone", "relation__relative__notes",
        )
        .order_by("-date", "-id")
    )  # fmt: skip


def services_for_list(services: QuerySet[Service]) -> QuerySet[Service]:
    return (
        services.select_related("person__village", "volunteer")
        .defer("person__id_number", "person__phone", "person__head_teacher_phone",
               "person__notes", "volunteer__phone")
        .order_by("-date", "-id")
    )  # fmt: skip


def aid_totals(aid: QuerySet[Aid]) -> Totals:
    """All of `aid` added up, in one query."""
    return totals_of(aid.order_by().aggregate(**AID_SUMS))


def aid_totals_by_person(aid: QuerySet[Aid]) -> list[GroupTotals]:
    """Per person on file (aid to their relatives included), largest total first."""
    rows = aid.order_by().values("person_id", "person__name").annotate(**AID_SUMS)
    groups = [GroupTotals(str(r["person_id"]), r["person__name"], totals_of(r)) for r in rows]
    return sorted(groups, key=lambda g: (-g.totals.total, g.label, g.key))


def aid_totals_by_area(aid: QuerySet[Aid], *, level: str = "township") -> list[GroupTotals]:
    """Per township or village (`level`), in code order; `key` is the area's
    12-digit code. Two queries: the sums, and the names of the areas."""
    digits = AREA_DIGITS[level]
    rows = list(
        aid.order_by()
        .annotate(area=Substr("person__village_id", 1, digits))
        .values("area")
        .annotate(**AID_SUMS)
    )
    codes = {r["area"]: r["area"].ljust(12, "0") for r in rows}
    names = dict(Area.objects.filter(code__in=codes.values()).values_list("code", "name"))
    return sorted(
        (GroupTotals(codes[r["area"]], names.get(codes[r["area"]], codes[r["area"]]), totals_of(r))
         for r in rows),
        key=lambda g: g.key,
    )  # fmt: skip


def aid_totals_by_month(aid: QuerySet[Aid]) -> list[GroupTotals]:
    """Per calendar month, oldest first; `key` is the month's first day."""
    rows = aid.order_by().annotate(month=TruncMonth("date")).values("month").annotate(**AID_SUMS)
    months = []
    for r in rows:
        month = r["month"]
        if isinstance(month, dt.datetime):
            month = month.date()
        months.append(GroupTotals(month.isoformat(), f"{month:%Y-%m}", totals_of(r)))
    return sorted(months, key=lambda g: g.key)


def service_counts(services: QuerySet[Service]) -> list[tuple[str, str, int]]:
    """How many services of each kind: (kind, label, count), most first."""
    labels = dict(c.ServiceKind.choices)
    rows = services.order_by().values("kind").annotate(n=Count("pk"))
    counted = [(r["kind"], str(labels.get(r["kind"], r["kind"])), r["n"]) for r in rows]
    return sorted(counted, key=lambda row: (-row[2], row[0]))


def aid_totals_by_activity(aid: QuerySet[Aid]) -> dict[int, Totals]:
    """{activity id: totals} of the aid handed out at activities, in one query."""
    rows = aid.filter(activity__isnull=False).order_by().values("activity_id").annotate(**AID_SUMS)
    return {r["activity_id"]: totals_of(r) for r in rows}

"""Stored summaries: the indicators' sources counted once per township and added
up the chain, kept until the records under them change.

A source (`indicators.SOURCES`: demography, files, risk, rates, profile,
overdue, aid) is a list of rows of counts, each with an `area`; rows add up, since
everyone lives in one village. For each area and day this module keeps the
source's rows grouped by the areas one level down and for the area as a whole
(`AreaSummary.digits`):

- a township's are counted from the records (`Source.compute(prefix, day)`, the
  plain queries grouped by village), and its villages' are cut from them;
- a county's, a city's, a province's are the sums of their townships'.

A summary is valid while nothing it counts has changed: the audit log records
the area of every write (`audit.AreaChange`, ids that only grow), each summary
keeps the largest id at, under or above its area when it was counted (`token`),
and it is stale once that largest id is another. Reading a stale or missing summary counts again
only the townships that changed, then the sums above them — a read costs what
changed since the last one, not the size of the area. The nightly job (`tasks.py`)
counts the new day before the first reader. Summaries are a cache: deleting them
(`summaries_forget`) changes no figure; a test recounts every source after
inserts, updates, exits and deletions and compares.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max, Q
from django.db.models.functions import Substr

from shouwang.audit.models import AreaChange
from shouwang.core.scoping import PREFIX_LENGTHS, code_range
from shouwang.dashboard.models import AreaSummary
from shouwang.regions.models import Area

Rows = list[dict]
LENGTHS = sorted(PREFIX_LENGTHS.values())  # 2, 4, 6, 9, 12
TOWNSHIP, VILLAGE = PREFIX_LENGTHS[4], PREFIX_LENGTHS[5]
# A county with this many stale townships is counted in one query, not one each.
WHOLE_COUNTY = 4


def child_digits(prefix: str) -> int:
    """The length of the codes one level below `prefix` (a village: its own)."""
    return next((n for n in LENGTHS if n > len(prefix)), VILLAGE)


# Which changes of one month (a contact's) a source counts: none, those of the
# month of its day, or all. Changes of no month (NULL) concern every source.
NO_MONTH, OWN_MONTH, EVERY_MONTH = "none", "own", "every"


@dataclass(frozen=True)
class Source:
    """A source of rows: its name, the fields that are counts (the other fields say
    what is counted; rows alike in them add up), `compute(prefix, day)`: the rows
    of everyone under `prefix` on `day` by village, which changes of one month it
    counts (`months`), and the models whose records it reads (`models`, labels
    "app.model"; None: any model)."""

    name: str
    counts: frozenset[str]
    compute: Callable[[str, dt.date], Rows]
    months: str = EVERY_MONTH
    models: frozenset[str] | None = None

    def counts_change(self, month: dt.date | None, model: str, day: dt.date) -> bool:
        """Whether a change to a record of `model` of `month` (None: of every month)
        can change its rows of `day`."""
        if self.models is not None and model not in self.models:
            return False
        if month is None or self.months == EVERY_MONTH:
            return True
        return self.months == OWN_MONTH and month == day.replace(day=1)

    def merged(self, rows: Iterable[dict], *, area: str) -> Rows:
        """`rows` as rows of `area`: those counting the same things added up."""
        totals: dict[tuple, dict] = {}
        for row in rows:
            key = tuple(sorted((k, v) for k, v in row.items() if k not in self.counts | {"area"}))
            if (total := totals.get(key)) is None:
                totals[key] = {**row, "area": area}
            else:
                for name in self.counts:
                    total[name] = _plus(total[name], row[name])
        return list(totals.values())


def _plus(a, b):
    """Counts add; money is kept as decimal strings (JSON has no decimals)."""
    if isinstance(a, str) or isinstance(b, str):
        return str(Decimal(a or 0) + Decimal(b or 0))
    return (a or 0) + (b or 0)


# --- changes ---------------------------------------------------------------------------


class Changes:
    """The last change under an area and above it, by township, month and model
    (`AreaChange`, one query): a change in a village is one in its township, which
    is counted whole."""

    def __init__(self, prefix: str):
        scope = prefix[:TOWNSHIP]
        low, high = code_range(scope)
        above = [""] + [scope[:n].ljust(12, "0") for n in LENGTHS if n < len(scope)]
        found = (
            AreaChange.objects.filter(Q(area__in=above) | Q(area__gte=low, area__lte=high))
            .annotate(key=Substr("area", 1, TOWNSHIP))
            .values("key", "month", "model")
            .annotate(last=Max("id"))
            .order_by()
        )
        self.last: dict[tuple[str, dt.date | None, str], int] = {}
        for row in found:
            key = (_covered(row["key"]), row["month"], row["model"])
            self.last[key] = max(row["last"], self.last.get(key, 0))

    def token(self, prefix: str, source: Source, day: dt.date) -> int:
        """The last change that `source` counts on `day` under `prefix` (or its
        township)."""
        prefix = prefix[:TOWNSHIP]
        related = (
            n
            for (area, month, model), n in self.last.items()
            if (area.startswith(prefix) or prefix.startswith(area))
            and source.counts_change(month, model, day)
        )
        return max(related, default=0)


def _covered(key: str) -> str:
    """The area a change concerns, from its code's first nine digits: a township,
    or the prefix of a county, city or province (zeros after it), or "" (every
    area)."""
    for n in (0, *LENGTHS[:3]):
        if not key[n:].strip("0"):
            return key[:n]
    return key


def _stale(
    source: Source, area: str, days: list[dt.date], stored: dict, changes: Changes, recount: bool
) -> list[dt.date]:
    """The days of `area` whose stored summary is missing, or older than the last
    change `source` counts (every day when `recount`)."""
    return [
        day
        for day in days
        if recount
        or (summary := stored.get((area, day))) is None
        or summary.token != changes.token(area, source, day)
    ]


# --- reading ---------------------------------------------------------------------------


def rows(
    source: Source,
    prefix: str,
    digits: int,
    days: Iterable[dt.date],
    changes: Changes | None = None,
    *,
    recount=False,
) -> dict | None:
    """{day: rows} of `source` for the area `prefix`, grouped by the first `digits`
    of the village code: by the areas one level down or as a whole. None for any
    other grouping (the caller counts it plainly). `changes`: the area's, when the
    caller has read them for another source. `recount`: count every township under
    `prefix` again, fresh or not (the nightly job's)."""
    if digits not in (len(prefix), child_digits(prefix)):
        return None
    days = sorted(set(days))
    changes = changes or Changes(prefix)
    stored = _stored(source.name, [prefix], digits, days)
    stale = _stale(source, prefix, days, stored, changes, recount)
    if stale:
        _refresh(source, prefix, stale, changes, recount=recount)
        stored.update(_stored(source.name, [prefix], digits, stale))
    return {day: stored[(prefix, day)].rows if (prefix, day) in stored else [] for day in days}


def _stored(source: str, areas: list[str], digits: int, days: list[dt.date]) -> dict:
    found = AreaSummary.objects.filter(
        area__in=areas, source=source, digits=digits, day__in=days
    ).only("area", "day", "rows", "token")
    return {(s.area, s.day): s for s in found}


def _refresh(
    source: Source, prefix: str, days: list[dt.date], changes: Changes, *, recount=False
) -> None:
    """Count `prefix`'s township again, or add `prefix` up from its children."""
    if len(prefix) >= TOWNSHIP:
        _count(source, {prefix[:TOWNSHIP]: days}, changes)
    else:
        _add_up(source, prefix, days, changes, recount=recount)


def _children(prefix: str) -> list[str]:
    below = child_digits(prefix)
    areas = Area.objects.filter(parent_id=prefix.ljust(12, "0")) if prefix else Area.objects
    codes = areas.filter(level=LENGTHS.index(below) + 1).values_list("code", flat=True)
    return [code[:below] for code in codes]


def _count(source: Source, stale: dict[str, list[dt.date]], changes: Changes) -> None:
    """Count stale townships ({township: days}) from the records: each alone, or a
    county at once where many of its townships are stale. Each keeps the token read
    before counting, so that a write committed meanwhile leaves it stale. Saved a
    county at a time: a count cut short (a request's timeout) keeps what it did."""
    by_county: dict[tuple[str, dt.date], list[str]] = defaultdict(list)
    for township, days in stale.items():
        for day in days:
            by_county[(township[:6], day)].append(township)
    villages: dict[str, list[str]] = defaultdict(list)
    for code in Area.objects.filter(
        level=5, parent_id__in=[t.ljust(12, "0") for t in stale]
    ).values_list("code", flat=True):
        villages[code[:TOWNSHIP]].append(code)
    for (county, day), townships in by_county.items():
        summaries = []
        if len(townships) >= WHOLE_COUNTY:
            found = source.compute(county, day)
        else:
            found = [row for township in townships for row in source.compute(township, day)]
        by_village: dict[str, Rows] = defaultdict(list)
        for row in found:
            by_village[row["area"]].append(row)
        for township in townships:
            here = {v for v in by_village if v.startswith(township)} | set(villages[township])
            township_rows = [row for v in here for row in by_village.get(v, [])]

            def summary(area: str, digits: int, rows: Rows, day=day) -> AreaSummary:
                token = changes.token(area, source, day)
                return AreaSummary(area=area, digits=digits, day=day, rows=rows, token=token)

            summaries += [
                summary(township, VILLAGE, township_rows),
                summary(township, TOWNSHIP, source.merged(township_rows, area=township)),
                *(summary(v, VILLAGE, by_village.get(v, [])) for v in here),
            ]
        _save(source.name, summaries)


def _add_up(
    source: Source, prefix: str, days: list[dt.date], changes: Changes, *, recount=False
) -> None:
    """An area's rows as the sums of its children's, by child and whole, with the
    tokens of `changes`. Only the stale children are counted (townships) or added
    up (the levels above) again first, so a change in one township costs its count
    and one sum per level above it."""
    below = child_digits(prefix)
    children = _children(prefix)
    stored = _stored(source.name, children, below, days)
    stale = {c: _stale(source, c, days, stored, changes, recount) for c in children}
    stale = {child: missing for child, missing in stale.items() if missing}
    if stale:
        if below == TOWNSHIP:
            _count(source, stale, changes)
        else:
            for child, missing in stale.items():
                _add_up(source, child, missing, changes, recount=recount)
        stored.update(_stored(source.name, list(stale), below, days))
    summaries = []
    for day in days:
        by_child = [row for c in children if (c, day) in stored for row in stored[(c, day)].rows]
        token = changes.token(prefix, source, day)
        summaries += [
            AreaSummary(area=prefix, digits=below, day=day, rows=by_child, token=token),
            AreaSummary(
                area=prefix,
                digits=len(prefix),
                day=day,
                rows=source.merged(by_child, area=prefix),
                token=token,
            ),
        ]
    _save(source.name, summaries)


def _save(source: str, summaries: list[AreaSummary]) -> None:
    for summary in summaries:
        summary.source = source
    AreaSummary.objects.bulk_create(
        summaries,
        update_conflicts=True,
        unique_fields=["area", "source", "digits", "day"],
        update_fields=["rows", "token"],
        batch_size=500,
    )


# --- upkeep ----------------------------------------------------------------------------


def summaries_forget(*, before: dt.date | None = None) -> int:
    """Delete stored summaries: all, or those of days before `before` that are not
    a month's last day (the figures of a month so far, on a day gone). Never
    changes a figure; returns how many were deleted."""
    found = AreaSummary.objects.all()
    if before is not None:
        days = found.filter(day__lt=before).values_list("day", flat=True).distinct()
        found = found.filter(day__in=[d for d in days if (d + dt.timedelta(days=1)).day != 1])
    return found.delete()[0]

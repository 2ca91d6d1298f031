"""绩效考核: the areas one level down from a county (its townships) or a township
(its villages) ranked on a weighted score of the dashboard's indicators.

The figures are those of `indicators.Measures` — one `Measures` for the whole
ranking, grouped by the areas ranked — so an area's figure here is the figure the
dashboard shows for it; nothing is counted here.

**The score** of an area is Σ weight × points / Σ weight over the weighted
indicators that count someone there, where points are the indicator's share in
per cent (met / counted), and for 逾期未联系, where lower is better, 100 minus the
share of the people counted who are overdue. An indicator with nobody to count in
an area (no left-behind elderly for 月探访率, no survey round for 本轮核实率) is
left out of that area's score, weight included, and shown as "—"; an area with no
indicator to score has no score and no rank and comes last. Shares are exact in
the sum; the score is rounded to one decimal (half up), and areas with the same
rounded score share a rank (1, 1, 3), in the order of their codes.

**The weights** are `settings.EVALUATION_WEIGHTS` ({indicator key: weight}), read
and checked each time a ranking is made (`weights()`): only the shares and
`overdue` can be weighted (not counts such as risk levels, cases or aid), weights
are numbers ≥ 0 and at least one is positive; anything else raises
ImproperlyConfigured naming the setting.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import IO

import xlsxwriter
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from shouwang.care.rates import Month
from shouwang.dashboard import indicators as ind
from shouwang.dashboard.indicators import INDICATORS, Figure, Measures, Period
from shouwang.ledgers.writing import neutralise
from shouwang.regions.models import Area, Level

# What can be weighted, in the order of the columns: shares of the people counted.
# `overdue` is a count, weighted as the share of people overdue, lower is better.
WEIGHABLE = ("complete", "verified", "pairing_coverage", "monthly_visit", "six_ones",
             "family_call", "overdue")  # fmt: skip
LOWER_IS_BETTER = {"overdue"}
PART = {"overdue": "people"}  # the figure scored: the people overdue; others `met`
HUNDRED = Fraction(100)
ONE_DECIMAL = Decimal("0.1")


class NotRankable(ValueError):
    """A village has no areas below it to rank."""


@dataclass(frozen=True)
class Weight:
    key: str
    label: str
    weight: Decimal

    @property
    def lower_is_better(self) -> bool:
        return self.key in LOWER_IS_BETTER

    @property
    def definition(self) -> str:
        return str(INDICATORS[self.key].definition)

    @property
    def text(self) -> str:
        """The weight as written: 15, 7.5."""
        return f"{self.weight.normalize():f}"


def weights(config: object = None) -> list[Weight]:
    """The weights of `settings.EVALUATION_WEIGHTS` (or `config`), checked, in the
    order of `WEIGHABLE`. Raises ImproperlyConfigured with what is wrong."""
    config = settings.EVALUATION_WEIGHTS if config is None else config
    name = "EVALUATION_WEIGHTS"
    if not isinstance(config, Mapping) or not config:
        raise ImproperlyConfigured(
            f"Setting {name} must be a non-empty dict of indicator key to weight, not {config!r}."
        )
    allowed = ", ".join(WEIGHABLE)
    for key in config:
        if key in INDICATORS and key not in WEIGHABLE:
            raise ImproperlyConfigured(
                f"Setting {name}: indicator {key!r} cannot be weighted (it is not a share of "
                f"the people counted); use {allowed}."
            )
        if key not in WEIGHABLE:
            raise ImproperlyConfigured(f"Setting {name}: unknown indicator {key!r}; use {allowed}.")
    found = []
    for key in WEIGHABLE:
        if key not in config:
            continue
        value = config[key]
        try:
            if isinstance(value, bool):
                raise InvalidOperation
            weight = Decimal(str(value).strip())
        except InvalidOperation:
            weight = None
        if weight is None or not weight.is_finite():
            raise ImproperlyConfigured(
                f"Setting {name}: the weight of {key!r} must be a number, not {value!r}."
            )
        if weight < 0:
            raise ImproperlyConfigured(
                f"Setting {name}: the weight of {key!r} must not be negative ({value!r})."
            )
        found.append(Weight(key, str(INDICATORS[key].label), weight))
    if not any(w.weight for w in found):
        raise ImproperlyConfigured(f"Setting {name}: at least one weight must be above 0.")
    return found


@dataclass(frozen=True)
class Entry:
    """One indicator of an area: its figure (the people who meet it, or who are
    overdue, out of those counted; None when the area has nobody on file) and the
    points it brings to the score (None: nobody to count, left out)."""

    weight: Weight
    figure: Figure | None

    @property
    def points(self) -> Fraction | None:
        f = self.figure
        if f is None or not f.total:
            return None
        share = Fraction(f.value) * HUNDRED / f.total
        return HUNDRED - share if self.weight.lower_is_better else share

    @property
    def percent(self) -> float | None:
        return None if self.figure is None else self.figure.percent


@dataclass(frozen=True)
class Row:
    area: Area
    entries: list[Entry]
    score: Decimal | None
    rank: int | None = None


@dataclass(frozen=True)
class Ranking:
    """The areas one level down from `area`, best first (unscored last)."""

    area: Area
    level: Level
    period: Period
    weights: list[Weight]
    rows: list[Row]

    @property
    def month(self) -> Month:
        return self.period.month


def score_of(entries: list[Entry]) -> Decimal | None:
    """Σ weight × points / Σ weight over the entries with points, one decimal (half
    up); None when no weighted entry has points."""
    total = sum((Fraction(e.weight.weight) for e in entries if e.points is not None), Fraction())
    if not total:
        return None
    points = sum(Fraction(e.weight.weight) * e.points for e in entries if e.points is not None)
    exact = points / total
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
        ONE_DECIMAL, rounding=ROUND_HALF_UP
    )


def ranked(rows: list[Row]) -> list[Row]:
    """`rows` best score first, ties in code order sharing a rank (1, 1, 3); rows
    without a score last, in code order, without a rank."""
    scored = sorted((r for r in rows if r.score is not None), key=lambda r: (-r.score, r.area.code))
    result = []
    for position, row in enumerate(scored, start=1):
        same = result and result[-1].score == row.score
        result.append(Row(row.area, row.entries, row.score, result[-1].rank if same else position))
    unscored = sorted((r for r in rows if r.score is None), key=lambda r: r.area.code)
    return result + unscored


def evaluation(area: Area, *, month: Month, today: dt.date | None = None) -> Ranking:
    """The ranking of the areas one level down from `area` (a county's townships,
    a township's villages) for `month`: one `Measures`, one query for the areas —
    a fixed number of queries whatever their number. Raises NotRankable for a
    village and ImproperlyConfigured for bad weights."""
    if area.level >= Level.VILLAGE:
        raise NotRankable(area.code)
    chosen = weights()
    m = Measures.of(area, month=month, today=today)
    groups = {w.key: m.by_area(w.key) for w in chosen}
    rows = []
    for child in Area.objects.filter(parent=area).order_by("code"):
        prefix = child.code[: m.digits]
        entries = [
            Entry(w, groups[w.key].get(prefix, {}).get(PART.get(w.key, ind.MET))) for w in chosen
        ]
        rows.append(Row(child, entries, score_of(entries)))
    return Ranking(area, Level(area.level + 1), m.period, chosen, ranked(rows))


# --- export ---------------------------------------------------------------------------


def weights_text(ranking: Ranking) -> str:
    return "、".join(f"{w.label} {w.text}" for w in ranking.weights)


def rule_text() -> str:
    return _(
        "综合得分 = Σ（权重 × 指标比例）÷ Σ 权重；逾期未联系按（100 − 逾期人数占比）计分。"
        "某地区无统计对象的指标（显示为“—”）不计入该地区得分，其权重也不计入分母。"
        "得分保留一位小数，得分相同的名次相同（如 1、1、3），按区划代码排列。"
    )


def ranking_xlsx(ranking: Ranking, out: IO[bytes]) -> None:
    """The ranking as a workbook: title, area, month, weights and rule, then one
    row per area with the page's columns (each indicator as %, people met or
    overdue, people counted). Aggregates only: no person appears in it."""
    workbook = xlsxwriter.Workbook(
        out,
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
         "strings_to_numbers": False},
    )  # fmt: skip
    sheet = workbook.add_worksheet(_("绩效考核"))
    bold = workbook.add_format({"bold": True, "font_size": 14})
    header = workbook.add_format(
        {"bold": True, "border": 1, "text_wrap": True, "valign": "vcenter", "bg_color": "#DDEBF7"}
    )
    text = workbook.add_format({"num_format": 49})
    one_decimal = workbook.add_format({"num_format": "0.0"})

    columns = [_("排名"), _("地区"), _("区划代码"), _("综合得分")]
    for w in ranking.weights:
        columns += [
            f"{w.label}（%）",
            f"{w.label}（{_('逾期人数') if w.lower_is_better else _('达标人数')}）",
            f"{w.label}（{_('统计人数')}）",
        ]
    sheet.set_column(0, 0, 6)
    sheet.set_column(1, 1, 16)
    sheet.set_column(2, 2, 14, text)
    sheet.set_column(3, len(columns) - 1, 11)

    area = ranking.area
    title = _("%(level)s绩效考核 · %(area)s · %(month)s") % {
        "level": ranking.level.label, "area": area.name, "month": ranking.month
    }  # fmt: skip
    lines = [
        _("地区：%(name)s（%(code)s）") % {"name": area.name, "code": area.code},
        _("月份：%(month)s，统计至 %(day)s；逾期未联系、档案完整为导出当天的情况。")
        % {"month": ranking.month, "day": ranking.period.ref.isoformat()},
        _("权重：%(weights)s") % {"weights": weights_text(ranking)},
        _("计分：%(rule)s") % {"rule": rule_text()},
    ]
    sheet.write_string(0, 0, neutralise(title), bold)
    for row, line in enumerate(lines, start=1):
        sheet.write_string(row, 0, neutralise(line))
    head = len(lines) + 2
    sheet.set_row(head, 45)
    for col, label in enumerate(columns):
        sheet.write_string(head, col, neutralise(str(label)), header)
    sheet.freeze_panes(head + 1, 2)

    dash = "—"
    for row_index, row in enumerate(ranking.rows, start=head + 1):
        _cell(sheet, row_index, 0, row.rank, dash)
        sheet.write_string(row_index, 1, neutralise(row.area.name))
        sheet.write_string(row_index, 2, row.area.code, text)
        _cell(sheet, row_index, 3, row.score, dash, one_decimal)
        for index, entry in enumerate(row.entries):
            col = 4 + 3 * index
            f = entry.figure
            counted = f is not None and f.total
            _cell(sheet, row_index, col, entry.percent, dash, one_decimal)
            _cell(sheet, row_index, col + 1, f.value if counted else None, dash)
            _cell(sheet, row_index, col + 2, f.total if counted else 0, dash)
    workbook.close()


def _cell(sheet, row: int, col: int, value, empty: str, fmt=None) -> None:
    if value is None:
        sheet.write_string(row, col, empty)
    else:
        sheet.write_number(row, col, float(value) if isinstance(value, Decimal) else value, fmt)

"""统计概览: the indicators of an area in the user's scope for a month, with a
table beside every chart, the areas one level down (each a link to the same page
for that area) and, for staff who may see files, every figure a link to the
people behind it. Without `people.view_person` (leaders) the page holds counts
only: no names, no links to lists."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import quote, urlencode

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.care.rates import Month
from shouwang.core.scoping import scope_prefix
from shouwang.dashboard import evaluation as ev
from shouwang.dashboard import indicators as ind
from shouwang.dashboard.indicators import BANDS, INDICATORS, Figure, Measures
from shouwang.people.choices import Sex
from shouwang.people.eligibility import Program
from shouwang.protection.choices import CaseState
from shouwang.regions.models import Area, Level

SHARES = ("complete", "verified", "pairing_coverage", "monthly_visit", "six_ones", "family_call")
TREND_COLOURS = {
    "monthly_visit": "#b4232c",
    "six_ones": "#0b69a3",
    "family_call": "#2f9e44",
    "pairing_coverage": "#9a5b00",
}
PROGRAM_COLOURS = ["#0b69a3", "#7048e8", "#d9480f", "#2f9e44"]


@dataclass(frozen=True)
class Cell:
    """A figure as the page shows it: `kind` count, share or money; `url` the
    list behind it ("" for none, and always for leaders)."""

    figure: Figure | None
    kind: str = "count"
    url: str = ""
    unmet: Figure | None = None
    unmet_url: str = ""

    @property
    def is_zero(self) -> bool:
        return self.figure is not None and not self.figure.value

    @property
    def text(self) -> str:
        f = self.figure
        if f is None:
            return "—"
        if self.kind == "share":
            return "—" if f.percent is None else f"{f.percent}%"
        if isinstance(f.value, Decimal):
            return f"{f.value:,.2f}"
        return f"{f.value:,}"


class Links:
    """Where a figure leads. Only a user who may see files (`people.view_person`)
    gets links to lists; the people list is filtered to the area when it is not
    the user's whole scope."""

    def __init__(self, *, user, area: Area, month: Month, period: ind.Period):
        self.user = user
        self.area = area
        self.month = month
        self.period = period
        self.personal = user.has_perm("people.view_person")
        self.scope = scope_prefix(user)

    def _area_param(self, area: Area) -> dict:
        return {} if area.prefix == self.scope else {"area": area.prefix}

    def people(self, figure: Figure | None, *, area: Area | None = None, month=None) -> str:
        if not self.personal or figure is None or not figure.drill or not figure.value:
            return ""
        params = {"indicator": figure.drill, "month": str(month or self.month)}
        params |= self._area_param(area or self.area)
        return f"{reverse('people:list')}?{urlencode(params)}"

    def board(self, area: Area) -> str:
        params = {"area": area.code, "month": str(self.month)}
        return f"{reverse('dashboard:home')}?{urlencode(params)}"

    def cases(self, state: str) -> str:
        """The case list answers for the user's whole scope only, and lists every
        case there only for those who oversee cases."""
        if not (self.personal and self.user.has_perm("protection.oversee_cases")):
            return ""
        if self.area.prefix != self.scope:
            return ""
        return f"{reverse('protection:cases')}?{urlencode({'state': state})}"

    def aid(self, *, area: Area | None = None, month: Month | None = None) -> str:
        if not (self.personal and self.user.has_perm("protection.view_aid")):
            return ""
        month = month or self.month
        params = {
            "start": month.first.isoformat(),
            "end": month.reference_day(self.period.today).isoformat(),
        }
        params |= self._area_param(area or self.area)
        return f"{reverse('protection:aid')}?{urlencode(params)}"

    def cell(self, figures: dict[str, Figure], part: str, kind: str = "count", **where) -> Cell:
        figure = figures.get(part)
        if kind == "share":
            unmet = figures.get(ind.UNMET)
            return Cell(
                figure, kind, self.people(figure, **where), unmet, self.people(unmet, **where)
            )
        return Cell(figure, kind, self.people(figure, **where))


def requested_area(request: HttpRequest) -> Area:
    """`?area=<code>`, else the user's scope; 404 outside the scope (or none)."""
    scope = request.user.scope_area
    if scope is None:
        raise Http404
    return get_object_or_404(
        Area.objects.visible_to(request.user), code=request.GET.get("area") or scope.code
    )


def requested_month(request: HttpRequest, today: dt.date) -> Month:
    """`?month=YYYY-MM`; this month when absent, unreadable or in the future."""
    month = Month.parse(request.GET.get("month", "")) or Month.of(today)
    return Month.of(today) if month.first > today else month


@login_required
@permission_required("dashboard.view_dashboard", raise_exception=True)
def home(request: HttpRequest) -> HttpResponse:
    """The area is looked up in the user's scope (an area outside it: 404); the
    people counted are everyone on file there (`Measures`), so leaders, who see no
    files, see the same figures as staff."""
    area = requested_area(request)
    today = timezone.localdate()
    month = requested_month(request, today)
    context = board_context(request.user, area=area, month=month, today=today)
    template = "dashboard/partials/_board.html" if request.htmx else "dashboard/home.html"
    return render(request, template, context)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
@permission_required("dashboard.view_dashboard", raise_exception=True)
def evaluation(request: HttpRequest) -> HttpResponse:
    """绩效考核: the areas one level down from a county or a township in the user's
    scope (404 outside it) ranked on the weighted score (`evaluation.py`), as a page
    or, with `?format=xlsx`, a workbook. Aggregates only, like the dashboard: no
    names and no links to lists, so neither the page nor the export is audited."""
    area = requested_area(request)
    today = timezone.localdate()
    month = requested_month(request, today)
    ranking = None
    if area.level < Level.VILLAGE:
        ranking = ev.evaluation(area, month=month, today=today)
    if ranking and request.GET.get("format") == "xlsx":
        out = io.BytesIO()
        ev.ranking_xlsx(ranking, out)
        name = f"{_('绩效考核')}-{area.name}-{month}.xlsx"
        response = HttpResponse(out.getvalue(), content_type=XLSX)
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
        return response
    context = {
        "area": area,
        "month": month,
        "months": ind.last_months(Month.of(today), 12)[::-1],
        "crumbs": _crumbs(request.user, area),
        "ranking": ranking,
        "rows": _ranking_rows(ranking) if ranking else [],
        "weights": ranking.weights if ranking else [],
        "rule": ev.rule_text(),
        "links_down": bool(ranking) and ranking.level < Level.VILLAGE,
        "reference_day": ranking.period.ref if ranking else None,
    }
    return render(request, "dashboard/evaluation.html", context)


def _ranking_rows(ranking: ev.Ranking) -> list[dict]:
    """Rows as the page shows them; a township's name leads to its own ranking."""
    link = ranking.level < Level.VILLAGE
    base = reverse("dashboard:evaluation")
    return [
        {
            "row": row,
            "url": f"{base}?{urlencode({'area': row.area.code, 'month': str(ranking.month)})}"
            if link
            else "",
            "cells": [(e.weight.label, Cell(e.figure, "share")) for e in row.entries],
        }
        for row in ranking.rows
    ]


def board_context(user, *, area: Area, month: Month, today: dt.date) -> dict:
    m = Measures.of(area, month=month, today=today)
    links = Links(user=user, area=area, month=month, period=m.period)
    show_cases = user.has_perm("dashboard.view_case_counts")
    children = list(Area.objects.filter(parent=area).order_by("code")) if area.level < 5 else []
    crumbs = _crumbs(user, area)
    people = m.total("people")
    context = {
        "area": area,
        "month": month,
        "months": ind.last_months(Month.of(today), 12)[::-1],
        "is_current": month == Month.of(today),
        "reference_day": m.period.ref,
        "crumbs": crumbs,
        "personal": links.personal,
        "show_cases": show_cases,
        "tiles": _tiles(m, links, show_cases),
        "programs": _program_rows(people, links),
        "bands": _band_table(people, links),
        "trend": _trend(area, month, today, links),
        "risk": _risk(m, links),
        "children": _children(m, children, links, show_cases),
        "cases": _cases(m, links) if show_cases else None,
        "aid": _aid(area, m, links),
        "definitions": [
            (i.label, i.definition) for i in INDICATORS.values() if show_cases or i.key != "cases"
        ],
        "requirements": _requirements(),
        "level_below": Level(area.level + 1).label if children else "",
    }
    context["charts"] = [section["chart"] for section in _sections(context) if section]
    return context


def _sections(context: dict):
    for name in ("programs", "bands", "trend", "risk", "children", "cases", "aid"):
        section = context.get(name)
        yield section if section and section.get("chart") else None


def _crumbs(user, area: Area) -> list[Area]:
    """The areas from the user's scope down to (not including) `area`."""
    prefix = scope_prefix(user) or ""
    codes = [code for code in area.ancestor_codes() if code.startswith(prefix)]
    return list(Area.objects.filter(code__in=codes).order_by("level")) if codes else []


def _tiles(m: Measures, links: Links, show_cases: bool) -> list[dict]:
    people = m.total("people")
    tiles = [
        {"label": INDICATORS["people"].label, "cell": links.cell(people, ind.ALL), "unit": _("人")},
    ]
    for key in SHARES:
        figures = m.total(key)
        tiles.append(
            {"label": INDICATORS[key].label, "cell": links.cell(figures, ind.MET, "share")}
        )
    overdue = m.total("overdue")
    tiles.append(
        {
            "label": INDICATORS["overdue"].label,
            "cell": links.cell(overdue, "people"),
            "unit": _("人"),
            "alert": True,
        }
    )
    if show_cases:
        cases = m.total("cases")
        tiles.append(
            {
                "label": _("在办保护案件"),
                "unit": _("件"),
                "cell": Cell(cases.get(ind.OPEN), url=links.cases("open")),
            }
        )
        tiles.append(
            {
                "label": _("超过办理时限"),
                "unit": _("件"),
                "alert": True,
                "cell": Cell(cases.get(ind.LATE), url=links.cases("overdue")),
            }
        )
    aid = m.total("aid").get("total", Figure("", Decimal("0.00")))
    tiles.append({"label": _("本月慰问救助"), "unit": _("元"), "cell": Cell(aid, url=links.aid())})
    return tiles


def _program_rows(people: dict[str, Figure], links: Links) -> dict:
    """在册关爱对象 by program and sex."""
    rows = []
    for program in [*Program.values, ind.ALL]:
        label = _("合计（人数）") if program == ind.ALL else Program(program).label
        rows.append(
            {
                "label": label,
                "total": links.cell(people, program),
                "sexes": [(Sex(s).label, links.cell(people, f"{program}.{s}")) for s in Sex.values],
                "is_total": program == ind.ALL,
            }
        )
    chart = {
        "id": "chart-programs",
        "type": "bar",
        "stack": True,
        "unit": _("人"),
        "whole": True,
        "categories": [str(Program(p).label) for p in Program.values],
        "series": [
            {
                "name": str(Sex(s).label),
                "color": colour,
                "data": [
                    people[f"{p}.{s}"].value if f"{p}.{s}" in people else 0 for p in Program.values
                ],
            }
            for s, colour in zip(Sex.values, ("#0b69a3", "#d6336c"), strict=True)
        ],
        "label": _("各项目在册关爱对象人数（按性别）"),
    }
    return {"rows": rows, "sexes": [Sex(s).label for s in Sex.values], "chart": chart}


def _band_table(people: dict[str, Figure], links: Links) -> dict:
    """在册关爱对象 by program and age band (bands nobody is in are left out)."""
    bands = [b for b in BANDS if _value(people, f"{ind.ALL}.{b.key}")]
    rows = [
        {
            "label": Program(p).label,
            "total": links.cell(people, p),
            "cells": [(b.label, links.cell(people, f"{p}.{b.key}")) for b in bands],
        }
        for p in Program.values
    ]
    chart = {
        "id": "chart-bands",
        "type": "bar",
        "stack": True,
        "unit": _("人"),
        "whole": True,
        "categories": [str(b.label) for b in bands],
        "series": [
            {
                "name": str(Program(p).label),
                "color": colour,
                "data": [_value(people, f"{p}.{b.key}") for b in bands],
            }
            for p, colour in zip(Program.values, PROGRAM_COLOURS, strict=True)
        ],
        "label": _("各年龄段在册关爱对象人数（按项目）"),
    }
    return {"bands": bands, "rows": rows, "chart": chart if bands else None}


def _value(figures: dict[str, Figure], part: str):
    figure = figures.get(part)
    return figure.value if figure else 0


def _trend(area: Area, month: Month, today: dt.date, links: Links) -> dict:
    """The care rates of the 12 months ending with the month shown."""
    trend = ind.rate_trend(area.prefix, until=month, today=today)
    keys = ind.TREND_RATES
    rows = [
        {
            "month": m,
            "cells": [(INDICATORS[k].label, _trend_cell(figures.get(k), links, m)) for k in keys],
        }
        for m, figures in trend
    ]
    chart = {
        "id": "chart-trend",
        "type": "line",
        "unit": "%",
        "max": 100,
        "categories": [str(m) for m, _f in trend],
        "series": [
            {
                "name": str(INDICATORS[k].label),
                "color": TREND_COLOURS[k],
                "data": [_percent(figures.get(k)) for _m, figures in trend],
            }
            for k in keys
        ],
        "label": _("近 12 个月关爱指标走势"),
    }
    return {"labels": [INDICATORS[k].label for k in keys], "rows": rows[::-1], "chart": chart}


def _trend_cell(figure: Figure | None, links: Links, month: Month) -> Cell:
    return Cell(figure, "share", links.people(figure, month=month))


def _percent(figure: Figure | None):
    return None if figure is None else figure.percent


def _risk(m: Measures, links: Links) -> dict:
    figures = m.total("risk")
    rows = [
        {
            "label": f.label,
            "cell": links.cell(figures, part),
            "share": f.percent,
            "colour": _grade_colour(m, part),
        }
        for part, f in figures.items()
        if f.value or part != ind.NOT_ASSESSED
    ]
    chart = {
        "id": "chart-risk",
        "type": "pie",
        "unit": _("人"),
        "whole": True,
        "categories": [row["label"] for row in rows],
        "series": [
            {
                "name": str(INDICATORS["risk"].label),
                "data": [row["cell"].figure.value for row in rows],
                "colors": [row["colour"] for row in rows],
            }
        ],
        "label": _("在册关爱对象风险等级分布"),
    }
    return {"rows": rows, "chart": chart if rows else None}


def _grade_colour(m: Measures, part: str) -> str:
    grade = m.grades.get(int(part)) if part.isdigit() else None
    return grade.colour if grade else "#adb5bd"


CHILD_COLUMNS = [
    ("people", ind.ALL, "count"),
    ("complete", ind.MET, "share"),
    ("verified", ind.MET, "share"),
    ("pairing_coverage", ind.MET, "share"),
    ("monthly_visit", ind.MET, "share"),
    ("six_ones", ind.MET, "share"),
    ("overdue", "people", "count"),
]


def _children(m: Measures, children: list[Area], links: Links, show_cases: bool) -> dict | None:
    """The areas one level down: each indicator's figure, the row a link down."""
    if not children:
        return None
    columns = [
        (str(INDICATORS[key].label), key, part, kind)
        for key, part, kind in CHILD_COLUMNS
        if key != "verified" or m.total("verified")  # no survey round here: no column
    ]
    if show_cases:
        columns += [
            (str(_("在办案件")), "cases", ind.OPEN, "plain"),
            (str(_("超时案件")), "cases", ind.LATE, "plain"),
        ]
    columns.append((str(_("慰问救助（元）")), "aid", "total", "money"))
    groups = {key: m.by_area(key) for _label, key, _part, _kind in columns}
    rows = []
    for child in children:
        prefix = child.code[: m.digits]
        cells = []
        for label, key, part, kind in columns:
            figures = groups[key].get(prefix, {})
            if kind in ("plain", "money"):
                zero = Figure(label, Decimal("0.00") if kind == "money" else 0)
                url = links.aid(area=child) if kind == "money" and figures else ""
                cells.append((label, Cell(figures.get(part, zero), url=url)))
            else:
                cells.append((label, links.cell(figures, part, kind, area=child)))
        rows.append({"area": child, "url": links.board(child), "cells": cells})
    chart_keys = ("pairing_coverage", "monthly_visit", "complete")
    chart = {
        "id": "chart-children",
        "type": "hbar",
        "unit": "%",
        "max": 100,
        "categories": [child.name for child in children],
        "series": [
            {
                "name": str(INDICATORS[key].label),
                "color": TREND_COLOURS.get(key, "#868e96"),
                "data": [
                    _percent(m.by_area(key).get(child.code[: m.digits], {}).get(ind.MET))
                    for child in children
                ],
            }
            for key in chart_keys
        ],
        "label": _("下级地区关爱指标对比"),
    }
    return {"columns": [label for label, *_rest in columns], "rows": rows, "chart": chart}


def _cases(m: Measures, links: Links) -> dict:
    figures = m.total("cases")
    states = list(ind.OPEN_STATES)
    rows = [
        {"label": CaseState(s).label, "cell": Cell(figures.get(s), url=links.cases(s))}
        for s in states
    ]
    chart = {
        "id": "chart-cases",
        "type": "bar",
        "unit": _("件"),
        "whole": True,
        "categories": [str(CaseState(s).label) for s in states],
        "series": [
            {
                "name": str(_("在办案件")),
                "color": "#1c3d7a",
                "data": [_value(figures, s) for s in states],
            }
        ],
        "label": _("在办保护案件（按状态）"),
    }
    return {
        "rows": rows,
        "open": Cell(figures.get(ind.OPEN), url=links.cases("open")),
        "late": Cell(figures.get(ind.LATE), url=links.cases("overdue")),
        "reported": Cell(figures.get(ind.REPORTED)),
        "chart": chart,
    }


def _aid(area: Area, m: Measures, links: Links) -> dict:
    trend = ind.aid_trend(area.prefix, until=m.period.month, today=m.period.today)
    columns = [_("次数"), _("人数"), _("慰问金（元）"), _("慰问品折合（元）"), _("合计（元）")]
    rows = []
    for month, t in trend:
        values = (
            [
                f"{t.count:,}",
                f"{t.people:,}",
                f"{t.cash:,.2f}",
                f"{t.goods:,.2f}",
                f"{t.total:,.2f}",
            ]
            if t
            else ["0", "0", "0.00", "0.00", "0.00"]
        )
        url = links.aid(month=month) if t else ""
        rows.append({"month": month, "url": url, "values": list(zip(columns, values, strict=True))})
    chart = {
        "id": "chart-aid",
        "type": "bar",
        "unit": _("元"),
        "categories": [str(month) for month, _t in trend],
        "series": [
            {
                "name": str(_("慰问金")),
                "color": "#b4232c",
                "data": [float(t.cash) if t else 0 for _m, t in trend],
            },
            {
                "name": str(_("慰问品折合")),
                "color": "#f08c00",
                "data": [float(t.goods) if t else 0 for _m, t in trend],
            },
        ],
        "stack": True,
        "label": _("近 12 个月慰问救助金额"),
    }
    return {"columns": columns, "rows": rows[::-1], "chart": chart}


def _requirements() -> list[tuple[str, list[str]]]:
    grouped: dict[str, list[str]] = {}
    for program, label, _condition in ind.requirements():
        title = str(Program(program).label) if program else str(_("所有档案"))
        grouped.setdefault(title, []).append(str(label))
    return list(grouped.items())

"""季度统计报表: the quarterly report of a county (rows: its townships) or of a
township (rows: its villages) in the user's scope, on the page and as xlsx.

Aggregates only — no names, no links to lists — so leaders may read and download
it. The report holds case counts, so it asks for `dashboard.view_case_counts`
besides `dashboard.view_dashboard` (county admins, township supervisors, leaders;
not village workers, whose village has no report of its own). An area outside the
user's scope is a 404. A download is refused, with the broken checks listed, when
the figures do not add up; every download is written to the audit log."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from shouwang.audit.services import audit_export
from shouwang.dashboard.views import requested_area
from shouwang.regions.models import Area, Level
from shouwang.reports.figures import (
    LAYOUT,
    Quarter,
    column_labels,
    consistency_errors,
    table_rows,
)
from shouwang.reports.models import FigureSnapshot
from shouwang.reports.services import REPORT_LEVELS, report_figures
from shouwang.reports.xlsx import header_lines, report_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EARLIEST = dt.date(2000, 1, 1)
QUARTERS_OFFERED = 8


class PeriodError(ValueError):
    pass


def _period(params, today: dt.date) -> dt.date:
    """The day the report stands on: `as_of` (YYYY-MM-DD), else the last day of
    `quarter` (2026Q3) or today in the current quarter, else today."""
    text = params.get("as_of", "").strip()
    if text:
        try:
            as_of = dt.date.fromisoformat(text)
        except ValueError:
            raise PeriodError(
                _("统计日期“%(text)s”无法识别，请按 2026-09-30 的格式填写。") % {"text": text}
            ) from None
        if as_of > today:
            raise PeriodError(_("统计日期不能晚于今天（%(today)s）。") % {"today": today})
        if as_of < EARLIEST:
            raise PeriodError(_("统计日期不能早于 2000 年。"))
        return as_of
    text = params.get("quarter", "").strip()
    if not text:
        return today
    quarter = Quarter.parse(text)
    if quarter is None:
        raise PeriodError(
            _("季度“%(text)s”无法识别，请按 2026Q3（2026年第3季度）的格式填写。") % {"text": text}
        )
    if quarter.first > today:
        raise PeriodError(_("%(quarter)s尚未开始。") % {"quarter": quarter.label})
    return min(quarter.last, today)


def _quarters(today: dt.date) -> list[Quarter]:
    quarters = [Quarter.of(today)]
    while len(quarters) < QUARTERS_OFFERED:
        quarters.append(Quarter.of(quarters[-1].first - dt.timedelta(days=1)))
    return quarters


@login_required
@permission_required(
    ["dashboard.view_dashboard", "dashboard.view_case_counts"], raise_exception=True
)
def quarterly(request: HttpRequest) -> HttpResponse:
    area = requested_area(request)
    today = timezone.localdate()
    context = {"area": area, "quarters": _quarters(today), "today": today}
    if area.level not in REPORT_LEVELS:
        return render(request, "reports/quarterly.html", context | _wrong_level(area))
    try:
        as_of = _period(request.GET, today)
    except PeriodError as error:
        context["period_error"] = str(error)
        return render(request, "reports/quarterly.html", context, status=400)
    figures = report_figures(area, as_of=as_of, today=today)
    errors = consistency_errors(figures)
    wants_file = request.GET.get("format") == "xlsx"
    if wants_file and not errors:
        return _download(area, figures)
    context |= _report_context(area, figures, errors)
    context["refused"] = wants_file
    return render(request, "reports/quarterly.html", context, status=409 if wants_file else 200)


def _wrong_level(area: Area) -> dict:
    if area.level > Level.TOWNSHIP:
        return {
            "level_message": _(
                "季度统计报表按县（市、区）或乡镇（街道）汇总，村（社区）没有单独的报表。"
            )
        }
    counties = Area.objects.in_area_prefix(area.prefix).filter(level=Level.COUNTY)
    return {
        "level_message": _("季度统计报表按县（市、区）汇总，请选择一个县（市、区）："),
        "choices": [
            (c, f"{reverse('reports:quarterly')}?{urlencode({'area': c.code})}")
            for c in counties.order_by("code")
        ],
    }


def _report_context(area: Area, figures: dict, errors: list[str]) -> dict:
    quarter = Quarter.parse(figures["quarter"])
    params = {"area": area.code, "as_of": figures["as_of"]}
    tables = [
        {
            "table": table,
            "groups": [
                (str(g.label), len(g.columns), [str(c.label) for c in g.columns])
                for g in table.groups
            ],
            "labels": list(column_labels(table).values()),
            "rows": table_rows(figures, table),
        }
        for table in LAYOUT
    ]
    for entry in tables:
        entry["rows"] = [
            (row, list(zip(entry["labels"], row.values, strict=True))) for row in entry["rows"]
        ]
    return {
        "figures": figures,
        "quarter": quarter,
        "as_of": dt.date.fromisoformat(figures["as_of"]),
        "header": header_lines(figures),
        "tables": tables,
        "errors": errors,
        "live": figures.get("snapshot") is None,
        "snapshot_at": figures.get("snapshot"),
        "download_url": f"{reverse('reports:quarterly')}?{urlencode(params | {'format': 'xlsx'})}",
        "level_below": Level(area.level + 1).label,
    }


def _download(area: Area, figures: dict) -> HttpResponse:
    content = report_xlsx(figures)
    audit_export(
        model=FigureSnapshot,
        name="quarterly_report",
        label=_("导出季度统计报表（%(area)s，%(as_of)s）")
        % {"area": area.name, "as_of": figures["as_of"]},
        rows=len(figures["rows"]) + 1,
        fields=[table.key for table in LAYOUT],
        extra={
            "format": "xlsx",
            "area": area.code,
            "as_of": figures["as_of"],
            "quarter": figures["quarter"],
            "snapshot": figures.get("snapshot"),
        },
    )
    name = f"季度统计报表_{area.name}_{figures['quarter']}_{figures['as_of']}.xlsx"
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response

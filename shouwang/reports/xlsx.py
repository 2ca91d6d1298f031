"""The quarterly report as an xlsx workbook in a fixed layout: one sheet per table
(`figures.LAYOUT`), each with the same header — the area's name and code, the
quarter, the day the figures stand on and when the file was made — then two
header rows (the groups, merged over their columns, and the columns), one row per
area one level down and the 合计 row, and the table's note. Figures are numbers;
names are strings, never formulas (`ledgers.writing.neutralise`), as in the
ledger exports.

Fixed positions, so a county's reports from quarter to quarter line up and a
reader (or `tests/test_xlsx.py`) can find every cell: the header rows are rows
1–4, the column headings rows 5–6, data from row 7; column A the area, B its
code, figures from C in the layout's order.
"""

from __future__ import annotations

import datetime as dt
import io

import xlsxwriter
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.ledgers.writing import HEADER_FILL, neutralise
from shouwang.reports.figures import LAYOUT, Quarter, Table, table_rows

HEADER_ROWS = 4  # title, area, period, made
FIRST_DATA_ROW = HEADER_ROWS + 2  # 0-based: after the two heading rows
FIRST_FIGURE_COLUMN = 2


def sheet_title(table: Table) -> str:
    name = str(table.title)
    for char in "[]:*?/\\":
        name = name.replace(char, " ")
    return name[:31]


def header_lines(figures: dict, *, made: dt.datetime | None = None) -> list[str]:
    """The header of every sheet (and of the page)."""
    quarter = Quarter.parse(figures["quarter"])
    made = timezone.localtime(made or timezone.now())
    area = figures["area"]
    return [
        _("%(area)s 季度统计报表") % {"area": area["name"]},
        _("区划代码：%(code)s") % {"code": area["code"]},
        _("报告期：%(quarter)s（%(first)s 至 %(as_of)s）　统计日期：%(as_of)s")
        % {"quarter": quarter.label, "first": figures["quarter_first"], "as_of": figures["as_of"]},
        _("生成时间：%(made)s") % {"made": made.strftime("%Y-%m-%d %H:%M")},
    ]


def report_xlsx(figures: dict, *, made: dt.datetime | None = None) -> bytes:
    """The workbook of `figures` (which must pass `consistency_errors`)."""
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        out, {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    )
    base = {"border": 1, "valign": "vcenter", "align": "center", "text_wrap": True}
    formats = {
        "title": workbook.add_format({"bold": True, "font_size": 14}),
        "head": workbook.add_format({**base, "bold": True, "bg_color": HEADER_FILL}),
        "name": workbook.add_format({"border": 1}),
        "code": workbook.add_format({"border": 1, "num_format": 49}),
        "num": workbook.add_format({"border": 1, "num_format": "0"}),
        "total_name": workbook.add_format({"border": 1, "bold": True}),
        "total_num": workbook.add_format({"border": 1, "bold": True, "num_format": "0"}),
        "note": workbook.add_format({"italic": True, "font_color": "#555555"}),
    }
    lines = header_lines(figures, made=made)
    for table in LAYOUT:
        _write_table(workbook.add_worksheet(sheet_title(table)), table, figures, lines, formats)
    workbook.close()
    return out.getvalue()


def _write_table(sheet, table: Table, figures: dict, lines: list[str], formats) -> None:
    for row, line in enumerate(lines):
        sheet.write_string(row, 0, neutralise(line), formats["title"] if row == 0 else None)
    top, below = HEADER_ROWS, HEADER_ROWS + 1
    sheet.merge_range(top, 0, below, 0, _("地区"), formats["head"])
    sheet.merge_range(top, 1, below, 1, _("区划代码"), formats["head"])
    column = FIRST_FIGURE_COLUMN
    for group in table.groups:
        labels = [str(c.label) for c in group.columns]
        if len(labels) == 1 and labels[0] == str(group.label):
            sheet.merge_range(top, column, below, column, labels[0], formats["head"])
        else:
            if len(labels) > 1:
                sheet.merge_range(
                    top, column, top, column + len(labels) - 1, str(group.label), formats["head"]
                )
            else:
                sheet.write_string(top, column, str(group.label), formats["head"])
            for offset, label in enumerate(labels):
                sheet.write_string(below, column + offset, label, formats["head"])
        column += len(labels)
    sheet.set_row(below, 45)
    sheet.set_column(0, 0, 16)
    sheet.set_column(1, 1, 14)
    sheet.set_column(FIRST_FIGURE_COLUMN, column - 1, 9)
    row = FIRST_DATA_ROW
    for line in table_rows(figures, table):
        name_format = formats["total_name"] if line.is_total else formats["name"]
        sheet.write_string(row, 0, neutralise(line.name), name_format)
        sheet.write_string(row, 1, "" if line.is_total else line.code, formats["code"])
        for offset, value in enumerate(line.values):
            number = formats["total_num"] if line.is_total else formats["num"]
            sheet.write_number(row, FIRST_FIGURE_COLUMN + offset, value, number)
        row += 1
    if table.note:
        sheet.write_string(row + 1, 0, str(table.note), formats["note"])
    sheet.freeze_panes(FIRST_DATA_ROW, FIRST_FIGURE_COLUMN)

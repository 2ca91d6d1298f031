"""Writing ledgers: the blank template to fill in, and exports in xlsx or CSV.

Both use the ledger's columns (`columns.py`) in order with their headers exactly
as defined — no "*" or other mark added (required columns have a different fill
on the header, and the notes sheet says so) — so an export imports back with no
change.

How a value is written, per kind of column (the reader undoes nothing but the
quote below):

- TEXT, ID_NUMBER, PHONE, AREA: a string (xlsx: a string cell, formatted "@" so
  Excel keeps every digit); sensitive columns masked unless revealed.
- DATE: xlsx a real date formatted yyyy-mm-dd; CSV the text yyyy-mm-dd.
- CHOICE: the Chinese label; MULTI: the labels joined with "、"; BOOL: 是 / 否.
- INT: a number (CSV: its digits).
- Empty values: an empty cell.

Formula injection (`neutralise`): a string that begins with = + - @, a tab, a
carriage return, a full-width ＝＋－＠ — or with a single quote ' itself — is
written with ONE single quote in front, in CSV and in xlsx alike (xlsx cells are
also always written as strings, never as formulas). The reader strips exactly
one leading "'" from every text cell that has one; because a value that itself
begins with "'" is quoted too, that gives back every value unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable
from typing import IO, Any

import xlsxwriter
from django.utils.translation import gettext as _
from xlsxwriter.utility import xl_col_to_name

from shouwang.ledgers.columns import (
    AREA,
    BOOL,
    CHOICE,
    DATE,
    ID_NUMBER,
    INT,
    MULTI,
    PHONE,
    YES_NO,
    Column,
    Ledger,
)
from shouwang.people.identity import mask_id_number, mask_phone

TEMPLATE_ROWS = 2000  # data rows of the template that get drop-down lists
INLINE_LIST_LIMIT = 255  # Excel's limit on an inline list (joined with commas)
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠", "'")
MULTI_SEPARATOR = "、"
TEXT_KINDS = (ID_NUMBER, PHONE, AREA)
DATE_FORMAT = "yyyy-mm-dd"
LISTS_SHEET = "选项"  # the hidden sheet holding long drop-down lists
HEADER_FILL, REQUIRED_FILL = "#DDEBF7", "#FCE4D6"


def neutralise(text: str) -> str:
    """`text` with one "'" in front when a spreadsheet could read it as a formula
    (or when it begins with "'" itself, so the reader's one strip is exact)."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def sheet_name(ledger: Ledger) -> str:
    """The data sheet's name: the ledger's title, within Excel's 31 characters."""
    name = str(ledger.title)
    for char in "[]:*?/\\":
        name = name.replace(char, " ")
    return name[:31]


class Labels:
    """The words cells show for stored values — each choice column's labels and
    yes/no — in the current language, looked up once per export, not per cell
    (translating a label costs more than writing its cell)."""

    def __init__(self, columns: Iterable[Column]):
        self.yes, self.no = (str(label) for _value, label in YES_NO)
        self.choices = {
            col.key: {str(v): str(label) for v, label in col.choices}
            for col in columns
            if col.kind in (CHOICE, MULTI)
        }

    def of(self, column: Column) -> Callable[[Any], str]:
        """The label of a stored value of `column` (the value itself when unknown)."""
        labels = self.choices[column.key]
        return lambda value: labels.get(str(value), str(value))


Cell = str | int | dt.date | None


def cell_function(column: Column, *, reveal: bool, labels: Labels) -> Callable[[Any], Cell]:
    """What goes in the cell for a stored value of `column`: a string (already
    neutralised), a date, an int, or None for an empty cell (None, "" or an empty
    list). Always of one type per kind — a date for DATE, an int for INT, a
    string otherwise — so a writer may pick its cell type per column. Built once
    per column and export: deciding by kind for every cell costs more."""
    convert = _converter(column, reveal=reveal, labels=labels)

    def cell(value: Any) -> Cell:
        if not value and (value is None or value == "" or isinstance(value, list | tuple)):
            return None
        return convert(value)

    return cell


def cell_value(column: Column, value: Any, *, reveal: bool, labels: Labels) -> Cell:
    """The cell for one stored value (`cell_function`, for a single value)."""
    return cell_function(column, reveal=reveal, labels=labels)(value)


def _converter(column: Column, *, reveal: bool, labels: Labels) -> Callable[[Any], Cell]:
    """`cell_function` of a value that is not empty."""
    if column.kind == BOOL:
        return lambda value: labels.yes if value else labels.no
    if column.kind == DATE:
        return lambda value: value if isinstance(value, dt.date) else None
    if column.kind == INT:
        return int
    if column.kind == CHOICE:
        label = labels.of(column)
        return lambda value: neutralise(label(value))
    if column.kind == MULTI:
        label = labels.of(column)
        return lambda value: neutralise(MULTI_SEPARATOR.join(label(v) for v in value))
    if column.sensitive and not reveal:
        mask = _mask(column)
        return lambda value: neutralise(mask(str(value)))
    return lambda value: neutralise(str(value))


def _mask(column: Column) -> Callable[[str], str]:
    if column.kind == ID_NUMBER:
        return mask_id_number
    if column.kind == PHONE:
        return mask_phone
    return lambda text: "*" * len(text)


# --- xlsx --------------------------------------------------------------------------


class _Formats:
    def __init__(self, workbook: xlsxwriter.Workbook):
        base = {"bold": True, "border": 1, "valign": "vcenter", "text_wrap": True}
        self.header = workbook.add_format({**base, "bg_color": HEADER_FILL})
        self.required = workbook.add_format({**base, "bg_color": REQUIRED_FILL})
        self.text = workbook.add_format({"num_format": 49})  # built-in "@": text
        self.date = workbook.add_format({"num_format": DATE_FORMAT})
        self.title = workbook.add_format({"bold": True, "font_size": 14})
        self.wrap = workbook.add_format({"text_wrap": True, "valign": "top"})

    def column(self, column: Column):
        if column.kind in TEXT_KINDS:
            return self.text
        if column.kind == DATE:
            return self.date
        return None


def _inline(labels: list[str]) -> bool:
    """Whether a drop-down's entries fit an inline list. Excel allows 255 characters;
    counting UTF-8 bytes keeps long Chinese lists (the 56 ethnicities) on the hidden
    sheet, which every spreadsheet program reads."""
    joined = ",".join(labels)
    return len(joined.encode()) <= INLINE_LIST_LIMIT and not any("," in x for x in labels)


def _prepare_workbook(ledger: Ledger, out: IO[bytes], *, constant_memory: bool):
    """A workbook on `out` with the data sheet (headers, widths, formats, frozen
    header), the notes sheet and, when needed, the hidden sheet of long lists.
    Returns (workbook, data sheet, formats, add_drop_downs(rows))."""
    options = {"constant_memory": constant_memory, "strings_to_formulas": False,
               "strings_to_urls": False, "strings_to_numbers": False}  # fmt: skip
    workbook = xlsxwriter.Workbook(out, options)
    formats = _Formats(workbook)
    sheet = workbook.add_worksheet(sheet_name(ledger))
    notes = workbook.add_worksheet(_("填写说明"))
    long_lists = [
        (index, col)
        for index, col in enumerate(ledger.columns)
        if col.kind in (CHOICE, BOOL) and not _inline(col.labels)
    ]
    lists = workbook.add_worksheet(LISTS_SHEET) if long_lists else None

    for index, col in enumerate(ledger.columns):
        sheet.set_column(index, index, col.width, formats.column(col))
    sheet.set_row(0, 30)
    for index, col in enumerate(ledger.columns):
        fmt = formats.required if col.required else formats.header
        sheet.write_string(0, index, str(col.header), fmt)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, 0, len(ledger.columns) - 1)

    sources = {}
    if lists is not None:
        # Written row by row (constant_memory keeps only the current row).
        lists.set_column(0, len(long_lists) - 1, 16)
        for row in range(max(len(col.labels) for _i, col in long_lists)):
            for list_col, (_index, col) in enumerate(long_lists):
                if row < len(col.labels):
                    lists.write_string(row, list_col, col.labels[row])
        for list_col, (index, col) in enumerate(long_lists):
            letter = xl_col_to_name(list_col)
            sources[index] = f"='{LISTS_SHEET}'!${letter}$1:${letter}${len(col.labels)}"
        lists.hide()

    def add_drop_downs(rows: int) -> None:
        # Validations are kept aside and written when the workbook closes, so an
        # export can add them after its rows, once it knows how many there were.
        for index, col in enumerate(ledger.columns):
            _validation(sheet, index, col, rows, sources.get(index))

    _write_notes(notes, ledger, formats)
    sheet.activate()
    return workbook, sheet, formats, add_drop_downs


def _validation(sheet, index: int, col: Column, rows: int, source: str | None) -> None:
    options: dict[str, Any] = {}
    if col.kind in (CHOICE, BOOL):
        options = {
            "validate": "list",
            "source": source or col.labels,
            "error_type": "stop",
            "error_title": _("请选择")[:32],
            "error_message": _("请从下拉列表中选择。")[:255],
        }
    elif col.note:
        options = {"validate": "any"}
    else:
        return
    if col.note:
        options["input_title"] = str(col.header)[:32]
        options["input_message"] = str(col.note)[:255]
    sheet.data_validation(1, index, rows, index, options)


def _write_notes(notes, ledger: Ledger, formats: _Formats) -> None:
    notes.set_column(0, 0, 24)
    notes.set_column(1, 1, 8)
    notes.set_column(2, 2, 40)
    notes.set_column(3, 3, 60)
    notes.write_string(0, 0, str(ledger.title), formats.title)
    row = 1
    general = [
        _("第一行为表头，请勿修改；从第二行起每行填写一人（一条记录）。"),
        _("橙色表头的列必须填写；身份证号码、电话和区划代码请按文本填写。"),
        _("日期请按 2014-05-06 的格式填写。"),
        *(str(note) for note in ledger.notes),
    ]
    for line in general:
        notes.write_string(row, 0, line)
        row += 1
    row += 1
    headers = (_("列名"), _("必填"), _("填写要求"), _("可选值"))
    for col_index, header in enumerate(headers):
        notes.write_string(row, col_index, header, formats.header)
    for col in ledger.columns:
        row += 1
        notes.write_string(row, 0, str(col.header))
        notes.write_string(row, 1, _("是") if col.required else "")
        notes.write_string(row, 2, _describe(col), formats.wrap)
        allowed = "、".join(col.labels) if col.kind in (CHOICE, BOOL, MULTI) else ""
        notes.write_string(row, 3, allowed, formats.wrap)


def _describe(col: Column) -> str:
    kind = {
        DATE: _("日期，格式 yyyy-mm-dd"),
        ID_NUMBER: _("18 位身份证号码（文本）"),
        PHONE: _("手机或固定电话（文本）"),
        AREA: _("12 位区划代码（文本）"),
        CHOICE: _("从下拉列表中选择"),
        BOOL: _("是 或 否"),
        MULTI: _("可填多项，用顿号分隔"),
        INT: _("整数"),
    }.get(col.kind, "")
    parts = [part for part in (kind, str(col.note) if col.note else "") if part]
    return "；".join(dict.fromkeys(parts))


def template_xlsx(ledger: Ledger, out: IO[bytes] | None = None) -> bytes | None:
    """The blank template of `ledger`: written to `out`, or returned as bytes."""
    target = out if out is not None else io.BytesIO()
    workbook, _sheet, _formats, add_drop_downs = _prepare_workbook(
        ledger, target, constant_memory=False
    )
    add_drop_downs(TEMPLATE_ROWS)
    workbook.close()
    return None if out is not None else target.getvalue()


def _cell_writers(ledger: Ledger, sheet, formats: _Formats, *, reveal: bool) -> list[tuple]:
    """Per column of the data sheet, once per export: (index, key, cell function,
    the sheet's write method for the kind's cells, their format)."""
    labels = Labels(ledger.columns)
    writers = []
    for index, col in enumerate(ledger.columns):
        if col.kind == DATE:
            write, fmt = sheet.write_datetime, formats.date
        elif col.kind == INT:
            write, fmt = sheet.write_number, None
        else:
            write, fmt = sheet.write_string, formats.column(col)
        cell = cell_function(col, reveal=reveal, labels=labels)
        writers.append((index, col.key, cell, write, fmt))
    return writers


def export_xlsx(
    rows: Iterable[dict[str, Any]], ledger: Ledger, out: IO[bytes], *, reveal: bool
) -> int:
    """Write `rows` (dicts keyed by column key, stored values) as the ledger's
    workbook, streaming one row at a time; return how many rows were written."""
    workbook, sheet, formats, add_drop_downs = _prepare_workbook(ledger, out, constant_memory=True)
    writers = _cell_writers(ledger, sheet, formats, reveal=reveal)
    count = 0
    for count, row in enumerate(rows, start=1):  # noqa: B007 — the count is returned
        for index, key, cell, write, fmt in writers:
            value = cell(row.get(key))
            if value is not None:
                write(count, index, value, fmt)
    add_drop_downs(max(count, TEMPLATE_ROWS))
    workbook.close()
    return count


# --- CSV ---------------------------------------------------------------------------


def _csv_text(value: str | int | dt.date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    return str(value)


def export_csv(
    rows: Iterable[dict[str, Any]], ledger: Ledger, out: IO[bytes], *, reveal: bool
) -> int:
    """Write `rows` as UTF-8 CSV with a BOM (so Chinese Excel reads it as UTF-8),
    the template's headers first; return how many rows were written."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    try:
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow([str(col.header) for col in ledger.columns])
        labels = Labels(ledger.columns)
        cells = [(col.key, cell_function(col, reveal=reveal, labels=labels))
                 for col in ledger.columns]  # fmt: skip
        count = 0
        for count, row in enumerate(rows, start=1):  # noqa: B007 — the count is returned
            writer.writerow([_csv_text(cell(row.get(key))) for key, cell in cells])
        text.flush()
    finally:
        text.detach()
    return count

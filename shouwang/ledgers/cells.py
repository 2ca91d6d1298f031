"""Turning one raw cell of an uploaded ledger into the value of its Column.

A raw cell is what `reading.read_ledger` hands over: from a workbook a str,
int, float, bool, date, datetime, time or timedelta (calamine gives numbers as
float, empty cells as ""), from a CSV always a str. `cell_value(column, raw)`
returns the value for the column's kind or raises `CellError` with a Chinese
message; the import adds the row and column.

What must hold:
- An empty cell (None, "" or whitespace) is never an error here: it reads as
  "" for text-like kinds, None for DATE, BOOL and INT, [] for MULTI. Whether the
  column may be empty is the import's business.
- Nothing is guessed that Excel may have destroyed: an ID number stored as a
  number beyond 15 digits, or a phone number that lost its leading 0, is
  refused, never repaired.
- Full-width letters and digits read as ASCII (NFKC) in every kind.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from shouwang.ledgers.columns import (
    AREA,
    BOOL,
    CHOICE,
    DATE,
    ID_NUMBER,
    INT,
    MULTI,
    PHONE,
    TEXT,
    YES_NO,
    Column,
)
from shouwang.people.identity import IdNumberError, PhoneError, normalize_phone, parse_id_number

# Excel keeps 15 significant digits: a whole number below this is exact.
EXACT_BELOW = 10**15
# Day 0 of Excel's 1900 date system, for serials after its phantom 1900-02-29 (serial 60).
_EXCEL_EPOCH = date(1899, 12, 30)
_LAST_SERIAL = 2958465  # 9999-12-31
_EARLIEST_YEAR, _LATEST_YEAR = 1900, 2100


class CellError(ValueError):
    """A cell that cannot be read as its column's kind; str(exc) is the Chinese message."""


def cell_value(column: Column, raw: Any) -> Any:
    """The value of `raw` for `column`, by its kind; raises CellError.

    A text cell's one leading apostrophe is dropped first: the export puts one
    before any text that a spreadsheet could take for a formula (= + - @ …) and
    before text that starts with an apostrophe itself (writing.neutralise), so
    an export reads back unchanged."""
    if isinstance(raw, str) and raw.startswith("'"):
        raw = raw[1:]
    if column.kind in (CHOICE, MULTI):
        return (read_choice if column.kind == CHOICE else read_multi)(column, raw)
    return _READERS[column.kind](raw)


def is_empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


# --- text ----------------------------------------------------------------------------


def read_text(raw: Any) -> str:
    """The cell as text: NFKC, stripped; a whole float without ".0", other
    floats with Excel's 15 significant digits; dates in ISO form; 是/否 for a
    logical cell."""
    if is_empty(raw):
        return ""
    if isinstance(raw, bool):
        return _("是") if raw else _("否")
    if isinstance(raw, float):
        if raw.is_integer() and abs(raw) < EXACT_BELOW:
            return str(int(raw))
        return format(raw, ".15g")
    if isinstance(raw, datetime):
        return raw.date().isoformat() if raw.time() == time() else raw.isoformat(sep=" ")
    if isinstance(raw, date | time):
        return raw.isoformat()
    return unicodedata.normalize("NFKC", str(raw)).strip()


# --- dates ---------------------------------------------------------------------------

_DATE_SEPARATED = re.compile(r"(\d{4})([./-])(\d{1,2})\2(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")
_DATE_CHINESE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})[日号]?")
_DATE_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")


def read_date(raw: Any) -> date | None:
    """A date cell, an Excel serial number (1900 date system), a number typed as
    20100305, or text: 2010-3-5, 2010/03/05, 2010.3.5, 2010年3月5日, 20100305
    (full-width digits too; a time of 00:00 after the date is allowed). Years
    must be 1900–2100; a bare year or an impossible date is an error."""
    if is_empty(raw):
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, bool | time | timedelta):
        raise CellError(_not_a_date(read_text(raw)))
    if isinstance(raw, int | float):
        return _date_from_number(raw)
    text = re.sub(r"\s+", " ", read_text(raw))
    for pattern in (_DATE_SEPARATED, _DATE_CHINESE, _DATE_COMPACT):
        match = pattern.fullmatch(text)
        if match:
            year, month, day = (int(g) for g in match.groups() if g.isdigit())
            return _date(year, month, day, text)
    if re.fullmatch(r"\d{4}(年|[./-]\d{1,2}|年\d{1,2}月?)?", text):
        raise CellError(_incomplete_date(text))
    raise CellError(_not_a_date(text))


def _date_from_number(number: int | float) -> date:
    shown = read_text(float(number))
    if _EARLIEST_YEAR <= number <= _LATEST_YEAR:
        # "2010" or "2010.3" typed in a cell: a year (and month), not a serial.
        raise CellError(_incomplete_date(shown))
    if float(number).is_integer() and 19000101 <= number <= 21001231:
        whole = int(number)
        return _date(whole // 10000, whole // 100 % 100, whole % 100, shown)
    if not 1 <= number <= _LAST_SERIAL or int(number) == 60:
        raise CellError(_not_a_date(shown))
    days = int(number)
    # Excel counts a 1900-02-29 that never was: serials before it are one day off.
    day = _EXCEL_EPOCH + timedelta(days=days + 1 if days < 60 else days)
    if not _EARLIEST_YEAR <= day.year <= _LATEST_YEAR:
        raise CellError(_not_a_date(shown))
    return day


def _date(year: int, month: int, day: int, shown: str) -> date:
    if not _EARLIEST_YEAR <= year <= _LATEST_YEAR:
        raise CellError(_("日期「%(text)s」的年份不对") % {"text": shown})
    try:
        return date(year, month, day)
    except ValueError:
        raise CellError(_("日期「%(text)s」不存在") % {"text": shown}) from None


def _not_a_date(text: str) -> str:
    return _("「%(text)s」不是日期；请写成 2010-03-05 这样的年月日") % {"text": text}


def _incomplete_date(text: str) -> str:
    return _("日期「%(text)s」不完整；请写出年、月、日，如 2010-03-05") % {"text": text}


# --- ID numbers and phones -------------------------------------------------------------


def read_id_number(raw: Any) -> str:
    """The ID number as 18 characters (legacy 15-digit numbers converted, x → X,
    full-width and separators removed), checked by `parse_id_number`; "" when
    empty. A number cell is refused unless it is exact: a whole number below
    10^15 (a 15-digit legacy number survives Excel, an 18-digit one never does).
    The import calls `parse_id_number` again for the birth date, sex and warnings."""
    if is_empty(raw):
        return ""
    if isinstance(raw, bool):
        raise CellError(_("身份证号码格式不正确"))
    if isinstance(raw, int | float):
        if not float(raw).is_integer() or abs(raw) >= EXACT_BELOW:
            raise CellError(_id_as_number_message())
        raw = str(int(raw))
    try:
        return parse_id_number(str(raw)).number
    except IdNumberError as exc:
        raise CellError(str(exc)) from None


def _id_as_number_message() -> str:
    return _("身份证号码被存成了数字，末尾几位已经丢失；请把该列设为文本格式后重新填写")


def read_phone(raw: Any) -> str:
    """A mobile as 11 digits or a landline as "0599-6234567" (`normalize_phone`);
    "" when empty. Digits that are no mobile number but become a valid landline
    with a 0 in front (5996234567, 1012345678) lost that 0 in Excel: refused,
    whether the cell is a number or digits-only text (a CSV Excel saved)."""
    if is_empty(raw):
        return ""
    if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
        raise CellError(_phone_message())
    if isinstance(raw, int | float):
        digits = str(int(raw))
        if _lost_its_zero(digits):
            raise CellError(_("电话号码开头的 0 已丢失，请把该列设为文本格式后重新填写"))
        raw = digits
    text = read_text(raw)
    if _lost_its_zero(text):
        raise CellError(_("电话号码开头的 0 已丢失；座机请带区号，如 0599-6234567"))
    try:
        return normalize_phone(text)
    except PhoneError as exc:
        raise CellError(str(exc)) from None


def _lost_its_zero(digits: str) -> bool:
    if not re.fullmatch(r"[1-9]\d{8,10}", digits) or re.fullmatch(r"1[3-9]\d{9}", digits):
        return False
    try:
        normalize_phone("0" + digits)
    except PhoneError:
        return False
    return True


def _phone_message() -> str:
    return _("电话号码格式不正确（手机号11位，座机请带区号）")


# --- choices -------------------------------------------------------------------------


def read_choice(column: Column, raw: Any) -> str:
    """The stored value of a drop-down entry, matched by its value ("M") or its
    label ("男", in Chinese or the active language), ignoring case, spaces and
    full-width forms; "" when empty."""
    if is_empty(raw):
        return ""
    text = read_text(raw)
    value = _choice_index(column, translation.get_language()).get(_comparable(text))
    if value is None:
        raise CellError(
            _("「%(text)s」不是可选的值（可选：%(labels)s）")
            % {"text": text, "labels": "、".join(column.labels)}
        )
    return value


def read_multi(column: Column, raw: Any) -> list[str]:
    """Several entries separated by 、 , ， ; ； or a line break, each as
    `read_choice`; repeated entries are kept once, in order; [] when empty."""
    values: list[str] = []
    for part in re.split(r"[、,;\n]", read_text(raw)):
        if part.strip():
            value = read_choice(column, part)
            if value not in values:
                values.append(value)
    return values


@functools.lru_cache(maxsize=256)
def _choice_index(column: Column, language: str | None) -> dict[str, str]:
    """Comparable value or label → value; cached per column and active language."""
    index: dict[str, str] = {}
    for value, label in column.choices:
        with translation.override("zh-hans"):
            chinese = str(label)
        for text in (value, str(label), chinese):
            index.setdefault(_comparable(text), value)
    return index


def _comparable(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


_TRUE = frozenset({"是", "√", "✓", "✔", "y", "yes", "1", "true", "有", "对"})
_FALSE = frozenset({"否", "×", "✗", "✘", "n", "no", "0", "false", "无", "没有", "不是"})


def read_bool(raw: Any) -> bool | None:
    """是/否, 有/无, √/×, Y/N, yes/no, true/false, 1/0 and logical cells;
    None when empty (not given)."""
    if is_empty(raw):
        return None
    if isinstance(raw, bool):
        return raw
    text = _comparable(read_text(raw))
    if text in _TRUE or text == _comparable(str(YES_NO[0][1])):
        return True
    if text in _FALSE or text == _comparable(str(YES_NO[1][1])):
        return False
    raise CellError(_("「%(text)s」不是“是”或“否”") % {"text": read_text(raw)})


# --- numbers and areas -----------------------------------------------------------------


def read_int(raw: Any) -> int | None:
    """A whole number: 3, 3.0 or the text "3" / "3.0" / "３"; None when empty."""
    if is_empty(raw):
        return None
    if isinstance(raw, bool):
        raise CellError(_not_whole(read_text(raw)))
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if raw.is_integer():
            return int(raw)
        raise CellError(_not_whole(read_text(raw)))
    text = read_text(raw)
    if re.fullmatch(r"[+-]?\d+(\.0*)?", text):
        return int(text.split(".")[0])
    raise CellError(_not_whole(text))


def _not_whole(text: str) -> str:
    return _("「%(text)s」不是整数") % {"text": text}


def read_area(raw: Any) -> str:
    """A 12-digit statistical area code; a number cell is fine (350724101200.0);
    "" when empty."""
    if is_empty(raw):
        return ""
    code = re.sub(r"\s+", "", read_text(raw))
    if not re.fullmatch(r"\d{12}", code):
        raise CellError(
            _("区划代码「%(text)s」应为 12 位数字，如 350724101200") % {"text": read_text(raw)}
        )
    return code


_READERS: dict[str, Callable[[Any], Any]] = {
    TEXT: read_text,
    DATE: read_date,
    ID_NUMBER: read_id_number,
    PHONE: read_phone,
    BOOL: read_bool,
    INT: read_int,
    AREA: read_area,
}

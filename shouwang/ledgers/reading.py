"""Reading an uploaded ledger file into rows: the first half of an import.

`read_ledger` takes the bytes of an upload and the `Ledger` it should be, and
returns a `Sheet`: where the header row is, which file column is which `Column`,
the headers it did not know, and the data rows as `RawRow`s — raw cell values
keyed by column key, with the row number Excel shows. Turning a raw value into
a field value is `cells.cell_value`; saving is the import's business.

What must hold:
- Anything that makes the whole file unusable raises `LedgerFileError` with a
  Chinese message a village worker can act on; nothing else escapes (no
  calamine, zip or codec exception).
- Limits are checked before the expensive work: the byte size before anything,
  the members of a zip-based workbook (sizes, compression ratios and CRCs)
  before calamine opens it, the row count before the first row is handed out.
- Row numbers are those of the file (1-based, as Excel shows them): blank rows
  are skipped, never renumbered.

Formats, told by content, not by name (an .xlsx renamed .xls still reads):
.xlsx/.xlsm a row at a time (`ledgers.xlsx`: calamine would hold the whole sheet,
480 MB for a county's ledger, and gives the same values); .xls, .xlsb and .ods
through python-calamine; .csv and .txt as text, comma- or tab-separated, in UTF-8
(with or without BOM), UTF-16 with BOM (Excel's "Unicode text") or GBK/GB18030
(what Chinese Excel writes).

Merged cells: a merged value is kept only in the top-left cell, and the ranges
are known for .xlsx and .xls only. There, a data row touched by a merge in a
ledger column gets a row error. For .xlsb and .ods calamine cannot tell: the
cells a merge covers simply read as empty.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import python_calamine
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from shouwang.ledgers import xlsx
from shouwang.ledgers.columns import Column, Ledger

MB = 1024 * 1024
# How far down a title, notes and blank rows may push the header row: it is
# among the first 10 non-blank rows, and the first 100 rows.
HEADER_SEARCH_ROWS = 10
HEADER_SEARCH_LIMIT = 100
# A header row must match at least this many of the ledger's headers.
MIN_HEADER_MATCHES = 2
# Compression ratios are only checked on members this large: a tiny styles.xml
# may compress 200:1 and is harmless.
RATIO_CHECKED_FROM = 1 * MB

EXCEL_EXTENSIONS = frozenset({".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"})
TEXT_EXTENSIONS = frozenset({".csv", ".txt", ".tsv"})
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An encrypted .xlsx is an OLE compound file holding these streams (UTF-16 names).
_ENCRYPTED_STREAMS = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))

Cell = Any  # str | int | float | bool | date | datetime | time | timedelta, as calamine gives


class LedgerFileError(ValueError):
    """The file as a whole cannot be imported; str(exc) is the Chinese message.

    `missing_required` lists the required columns the file lacks, when that is
    the reason (the import may show them as a list)."""

    def __init__(self, message: str, *, missing_required: tuple[Column, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.missing_required = missing_required


def _setting(name: str, default: int) -> int:
    if settings.configured:
        return int(getattr(settings, name, default))
    return default


@dataclass(frozen=True)
class Limits:
    """What an upload may be. Defaults come from the settings LEDGER_IMPORT_MAX_BYTES,
    LEDGER_IMPORT_MAX_ROWS, LEDGER_IMPORT_MAX_UNCOMPRESSED and LEDGER_IMPORT_MAX_RATIO
    when they exist, else 20 MB, 200,000 data rows, 500 MB unpacked and 100:1."""

    max_bytes: int = field(default_factory=lambda: _setting("LEDGER_IMPORT_MAX_BYTES", 20 * MB))
    max_rows: int = field(default_factory=lambda: _setting("LEDGER_IMPORT_MAX_ROWS", 200_000))
    max_uncompressed: int = field(
        default_factory=lambda: _setting("LEDGER_IMPORT_MAX_UNCOMPRESSED", 500 * MB)
    )
    max_ratio: int = field(default_factory=lambda: _setting("LEDGER_IMPORT_MAX_RATIO", 100))


@dataclass(frozen=True)
class RawRow:
    """One data row: `number` is the row number Excel shows (1-based); `values`
    has every matched column's key, with the cell as read ("" when empty);
    `errors` are Chinese messages about the row as a whole (a merged cell), each
    naming the row."""

    number: int
    values: dict[str, Cell]
    errors: tuple[str, ...] = ()


@dataclass
class Sheet:
    """The part of an uploaded file that holds the ledger.

    `header_row` is 1-based; `columns` pairs the 0-based file column index with
    its Column, in file order, each Column at most once; `unknown_headers` are
    the non-empty header cells that match no column (to tell the user, not an
    error). `rows` yields the non-blank data rows once, in file order; a row is
    blank when every matched column is empty or whitespace (a pre-numbered
    序号 column alone does not make a row). `row_count` is the number of rows
    below the header, blank ones included: known before `rows` is read (for a
    progress bar), never fewer than it yields."""

    name: str
    header_row: int
    columns: list[tuple[int, Column]]
    unknown_headers: list[str]
    rows: Iterator[RawRow]
    row_count: int = 0


def read_ledger(data: bytes, filename: str, ledger: Ledger, *, limits: Limits) -> Sheet:
    """Read `data`, uploaded as `filename`, as a file of `ledger`.

    Raises LedgerFileError when the file is empty, too large, of an unknown
    type, password-protected, corrupt, a zip bomb, has no visible sheet, is
    not this ledger's template, lacks a required column, repeats a header, has
    too many rows or has no data rows.
    """
    extension = PurePath(filename or "").suffix.lower()
    if extension not in EXCEL_EXTENSIONS | TEXT_EXTENSIONS:
        raise LedgerFileError(
            _("不支持「%(ext)s」文件：请上传 Excel（.xlsx、.xls）、.ods 或 .csv 文件")
            % {"ext": extension or filename}
        )
    if not data:
        raise LedgerFileError(_("文件是空的"))
    if len(data) > limits.max_bytes:
        raise LedgerFileError(
            _("文件太大（%(size)s MB），最大 %(max)s MB；请分成几个文件导入")
            % {"size": _megabytes(len(data)), "max": _megabytes(limits.max_bytes)}
        )
    if extension in TEXT_EXTENSIONS:
        name, rows, count = PurePath(filename).stem, *_text_rows(data)
        merges: list[tuple[tuple[int, int], tuple[int, int]]] = []
    else:
        name, rows, count, merges = _workbook_rows(data, limits)
    return _sheet(name, rows, count, merges, ledger, limits)


def column_letter(index: int) -> str:
    """Excel's name of the 0-based column `index`: 0 → "A", 26 → "AA"."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def normalize_header(text: object) -> str:
    """A header as compared: NFKC (full-width letters, digits and brackets become
    ASCII), no whitespace anywhere, no required-marks "*" or colons at either
    end, 【】/［］/〔〕 as (), case-folded."""
    header = unicodedata.normalize("NFKC", str(text))
    header = re.sub(r"\s+", "", header).translate(_BRACKETS)
    return header.strip("*:").casefold()


_BRACKETS = str.maketrans({"【": "(", "】": ")", "[": "(", "]": ")", "〔": "(", "〕": ")"})


def header_index(ledger: Ledger) -> dict[str, Column]:
    """Normalised header → Column, for the header, its text in Chinese and in
    the active language, and the synonyms. The first column wins a clash."""
    index: dict[str, Column] = {}
    for column in ledger.columns:
        with translation.override("zh-hans"):
            chinese = str(column.header)
        for text in (column.header, chinese, *column.synonyms):
            index.setdefault(normalize_header(text), column)
    return index


# --- the sheet ---------------------------------------------------------------------


def _sheet(
    name: str,
    rows: Iterator[list[Cell]],
    count: int,
    merges: list[tuple[tuple[int, int], tuple[int, int]]],
    ledger: Ledger,
    limits: Limits,
) -> Sheet:
    index = header_index(ledger)
    # Read up to the header row; keep what was read to search it.
    head: list[list[Cell]] = []
    seen = 0
    for row in rows:
        head.append(row)
        seen += any(not _is_blank(cell) for cell in row)
        if seen >= HEADER_SEARCH_ROWS or len(head) >= HEADER_SEARCH_LIMIT:
            break
    header_at, matched = _find_header(head, index)
    if len(matched) < MIN_HEADER_MATCHES:
        raise LedgerFileError(_wrong_template(ledger))
    columns, unknown = _columns(head[header_at], index)
    present = {column.key for _i, column in columns}
    missing = tuple(col for col in ledger.columns if col.required and col.key not in present)
    if missing:
        raise LedgerFileError(
            _("缺少必填的列：%(headers)s") % {"headers": _quoted(c.header for c in missing)},
            missing_required=missing,
        )
    data_rows = count - header_at - 1
    if data_rows > limits.max_rows:
        raise LedgerFileError(
            _("行数太多（%(rows)s 行），一次最多导入 %(max)s 行；请分成几个文件导入")
            % {"rows": data_rows, "max": limits.max_rows}
        )
    raw_rows = _raw_rows(
        itertools.chain(head[header_at + 1 :], rows), header_at + 1, columns, merges
    )
    first = next(raw_rows, None)
    if first is None:
        raise LedgerFileError(_("表头下面没有数据行"))
    return Sheet(
        name=name,
        header_row=header_at + 1,
        columns=columns,
        unknown_headers=unknown,
        rows=itertools.chain((first,), raw_rows),
        row_count=data_rows,
    )


def _find_header(head: list[list[Cell]], index: dict[str, Column]) -> tuple[int, set[str]]:
    """The row matching the most distinct columns (the first on a tie)."""
    best_at, best = 0, set()
    for at, row in enumerate(head):
        matched = {index[h].key for h in map(normalize_header, row) if h in index}
        if len(matched) > len(best):
            best_at, best = at, matched
    return best_at, best


def _columns(
    header: list[Cell], index: dict[str, Column]
) -> tuple[list[tuple[int, Column]], list[str]]:
    columns: list[tuple[int, Column]] = []
    unknown: list[str] = []
    seen: dict[str, tuple[int, str]] = {}
    for at, cell in enumerate(header):
        text = _text(cell)
        if not text:
            continue
        column = index.get(normalize_header(text))
        if column is None:
            unknown.append(text)
            continue
        if column.key in seen:
            first_at, first_text = seen[column.key]
            raise LedgerFileError(
                _("表头重复：第 %(first)s 列「%(a)s」和第 %(second)s 列「%(b)s」都是「%(header)s」")
                % {
                    "header": column.header,
                    "first": column_letter(first_at),
                    "a": first_text,
                    "second": column_letter(at),
                    "b": text,
                }
            )
        seen[column.key] = (at, text)
        columns.append((at, column))
    return columns, unknown


def _raw_rows(
    rows: Iterable[list[Cell]],
    first_index: int,
    columns: list[tuple[int, Column]],
    merges: list[tuple[tuple[int, int], tuple[int, int]]],
) -> Iterator[RawRow]:
    """RawRows from the row at 0-based `first_index` on, blank rows skipped."""
    wanted = [(at, column.key) for at, column in columns]
    positions = [at for at, _key in wanted]
    merged = _merged_rows(merges, first_index, set(positions))
    # Merges whose top-left cell holds a value: their lower rows are not blank.
    with_value: set[int] = set()
    for at, row in enumerate(rows, start=first_index):
        width = len(row)
        values = {key: (row[i] if i < width else "") for i, key in wanted}
        blank = all(_is_blank(value) for value in values.values())
        errors: tuple[str, ...] = ()
        if at in merged:
            for number in merged[at]:
                (top, left), _end = merges[number]
                if top == at and left < width and not _is_blank(row[left]):
                    with_value.add(number)
                if top < first_index:
                    with_value.add(number)
            if not blank or with_value.intersection(merged[at]):
                errors = (_("该行有合并单元格，请取消合并后再导入"),)  # the row is shown beside
                blank = False
        if not blank:
            yield RawRow(number=at + 1, values=values, errors=errors)


def _merged_rows(
    merges: list[tuple[tuple[int, int], tuple[int, int]]], first_index: int, positions: set[int]
) -> dict[int, list[int]]:
    """0-based row → the merges (by position in `merges`) that touch a matched
    column in that data row."""
    touched: dict[int, list[int]] = {}
    for number, ((top, left), (bottom, right)) in enumerate(merges):
        if bottom < first_index or not any(left <= p <= right for p in positions):
            continue
        for at in range(max(top, first_index), bottom + 1):
            touched.setdefault(at, []).append(number)
    return touched


def _is_blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _text(cell: Cell) -> str:
    return "" if cell is None else str(cell).strip()


def _wrong_template(ledger: Ledger) -> str:
    wanted = [col.header for col in ledger.columns if col.required] or [
        col.header for col in ledger.columns[:3]
    ]
    return _("这不是「%(title)s」的模板：没有找到%(headers)s等表头") % {
        "title": ledger.title,
        "headers": _quoted(wanted),
    }


def _quoted(texts: Iterable[object]) -> str:
    return "".join(f"「{text}」" for text in texts)


def _megabytes(size: int) -> str:
    return f"{size / MB:.1f}".removesuffix(".0")


# --- workbooks (calamine) ------------------------------------------------------------


def _workbook_rows(
    data: bytes, limits: Limits
) -> tuple[str, Iterator[list[Cell]], int, list[tuple[tuple[int, int], tuple[int, int]]]]:
    """The first visible worksheet: its name, its rows from row 1 (calamine pads
    the empty rows above the data and starts the columns at the first used
    one, so the column start is added back as blank cells), the row count and
    the merged ranges (0-based (row, column) corners)."""
    if data.startswith(_ZIP_MAGIC):
        _check_zip(data, limits)
        if xlsx.is_xlsx(data):
            return _xlsx_rows(data)
    elif data.startswith(_OLE_MAGIC):
        if any(name in data for name in _ENCRYPTED_STREAMS):
            # Excel saves a password-protected .xlsx/.xlsb as an encrypted OLE file.
            raise LedgerFileError(_password_message())
    elif data[:1024].lstrip(b" \t\r\n\xef\xbb\xbf")[:1] == b"<":
        # Many web systems "export to Excel" as an HTML or XML page named .xls.
        raise LedgerFileError(_("这是网页格式的表格，不是 Excel 文件；请用 Excel 另存为 .xlsx"))
    else:
        raise LedgerFileError(_corrupt_message())
    try:
        workbook = python_calamine.load_workbook(io.BytesIO(data))
        visible = [
            meta.name
            for meta in workbook.sheets_metadata
            if meta.visible == python_calamine.SheetVisibleEnum.Visible
            and meta.typ == python_calamine.SheetTypeEnum.WorkSheet
        ]
        if not visible:
            raise LedgerFileError(_no_visible_sheet_message())
        sheet = workbook.get_sheet_by_name(visible[0])
        merges = list(sheet.merged_cell_ranges or [])
    except python_calamine.PasswordError:
        raise LedgerFileError(_password_message()) from None
    except python_calamine.CalamineError as exc:
        if "password" in str(exc).lower() or "encrypt" in str(exc).lower():
            raise LedgerFileError(_password_message()) from None
        raise LedgerFileError(_corrupt_message()) from None
    except BaseException as exc:
        # A panic inside calamine's Rust code arrives as pyo3's PanicException.
        if type(exc).__name__ == "PanicException":
            raise LedgerFileError(_corrupt_message()) from None
        raise
    if sheet.start is None:  # iter_rows() cannot start on an empty sheet
        raise LedgerFileError(_("工作表「%(name)s」是空的") % {"name": sheet.name})
    pad: list[Cell] = [""] * sheet.start[1]
    rows = (pad + row for row in sheet.iter_rows()) if pad else iter(sheet.iter_rows())
    return sheet.name, rows, sheet.end[0] + 1, merges


def _xlsx_rows(
    data: bytes,
) -> tuple[str, Iterator[list[Cell]], int, list[tuple[tuple[int, int], tuple[int, int]]]]:
    """As `_workbook_rows`, for an .xlsx: read a row at a time (`xlsx`), so that
    a county's ledger is never held whole."""
    try:
        sheet = xlsx.read_xlsx(data)
    except _XLSX_ERRORS:
        raise LedgerFileError(_corrupt_message()) from None
    if sheet is None:
        raise LedgerFileError(_no_visible_sheet_message())
    if not sheet.row_count:
        raise LedgerFileError(_("工作表「%(name)s」是空的") % {"name": sheet.name})
    return sheet.name, _guarded(sheet.rows), sheet.row_count, sheet.merges


# What a damaged .xlsx can raise while it is read (the archive's CRCs were checked).
_XLSX_ERRORS = (xlsx.XlsxError, ValueError, KeyError, IndexError, zipfile.BadZipFile,
                zlib.error, EOFError, OSError)  # fmt: skip


def _guarded(rows: Iterator[list[Cell]]) -> Iterator[list[Cell]]:
    """`rows`, with a damaged row further down the file ending the import with the
    message for a damaged file (the check and the commit both stop on it)."""
    try:
        yield from rows
    except _XLSX_ERRORS:
        raise LedgerFileError(_corrupt_message()) from None


def _check_zip(data: bytes, limits: Limits) -> None:
    """Refuse a zip-based workbook that would unpack to more than the limits,
    before calamine unpacks it. Declared sizes are checked first (cheap), then
    every member is read through zipfile, which stops at the declared size and
    checks the CRC, so a member lying about its size fails here."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise LedgerFileError(_corrupt_message()) from None
    with archive:
        members = archive.infolist()
        total = sum(member.file_size for member in members)
        if total > limits.max_uncompressed:
            raise LedgerFileError(_bomb_message())
        for member in members:
            if member.file_size >= RATIO_CHECKED_FROM and member.file_size > (
                limits.max_ratio * max(member.compress_size, 1)
            ):
                raise LedgerFileError(_bomb_message())
        try:
            if archive.testzip() is not None:
                raise LedgerFileError(_corrupt_message())
        except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError, EOFError):
            raise LedgerFileError(_corrupt_message()) from None
        except RuntimeError:  # an encrypted zip member
            raise LedgerFileError(_password_message()) from None


def _no_visible_sheet_message() -> str:
    return _("工作簿里没有可见的工作表（隐藏的工作表不会导入）")


def _password_message() -> str:
    return _("工作簿设置了密码，请取消密码后再导入")


def _corrupt_message() -> str:
    return _("文件已损坏或不是 Excel 文件；请用 Excel 打开后另存为 .xlsx 再导入")


def _bomb_message() -> str:
    return _("文件解压后过大，可能已损坏或含有大量空白格式；请另存为新文件再导入")


# --- text files ----------------------------------------------------------------------


def _text_rows(data: bytes) -> tuple[Iterator[list[Cell]], int]:
    """The records of a CSV or tab-separated file, and how many there are."""
    text = _decode(data)
    if "\x00" in text:
        raise LedgerFileError(_not_text_message())
    delimiter = _delimiter(text)
    try:
        # Counting parses the whole file, so the second pass cannot fail midway.
        count = sum(1 for _row in csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error:
        raise LedgerFileError(_("CSV 文件格式有误（引号不配对或单元格过长）")) from None
    return csv.reader(io.StringIO(text), delimiter=delimiter), count


def _not_text_message() -> str:
    return _("这不是文本（CSV）文件；Excel 文件请保存为 .xlsx 后上传")


def _decode(data: bytes) -> str:
    """UTF-16 with a BOM, else UTF-8 (a BOM is dropped), else GB18030 (a superset
    of GBK, which Chinese Excel writes)."""
    if b"\x00" in data[:4096] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise LedgerFileError(_not_text_message())
    encodings = ("utf-16",) if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else ()
    for encoding in (*encodings, "utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise LedgerFileError(_("无法识别文件的编码；请在 Excel 中另存为「CSV UTF-8」后再导入"))


def _delimiter(text: str) -> str:
    head = text[:65536].splitlines()[: HEADER_SEARCH_ROWS + 5]
    tabs = sum(line.count("\t") for line in head)
    commas = sum(line.count(",") for line in head)
    return "\t" if tabs > commas else ","

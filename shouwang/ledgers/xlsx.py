"""The first visible worksheet of an .xlsx, read a row at a time.

python-calamine, which reads the other workbook formats, loads a whole sheet
before it gives the first row: for a 100,000-row ledger of 50 columns 260 MB
resident and a 480 MB peak, more than an import may use in all. This reader
decompresses the sheet's XML a megabyte at a time and cuts it into rows and
cells with regular expressions, which is safe because XML escapes every "<" in
text: a tag is always a tag. Memory stays that of one chunk, the shared strings
and the row being read.

What must hold:
- Every cell reads as calamine reads it (tested cell for cell against calamine,
  `tests/test_xlsx.py`): strings as text (shared, inline, rich text joined,
  phonetic runs left out, `_x000D_` escapes undone), numbers as float, booleans,
  formulas as their cached value, error values and empty cells as "", and numbers
  in a date or time format as `date` (a whole day), `datetime`, `time` (under one
  day) or `timedelta` (an elapsed-time format such as [h]:mm), in the 1900 or
  1904 date system. One difference: the built-in formats 27–36 and 50–58, which
  Chinese Excel shows as dates (yyyy"年"m"月"d"日" and the like), read as dates;
  calamine reads them as numbers.
- `read_xlsx` gives the rows from row 1 on, a row's cells from column A
  (missing rows and cells are blank), the number of rows down to the last one
  holding a value, and the merged ranges — known before the first row is read,
  from a first pass over the sheet that only searches the bytes.
- A file this reader cannot make sense of raises `XlsxError`; the caller turns it
  into its message. The caller has checked the archive itself (sizes, CRCs).
"""

from __future__ import annotations

import datetime as dt
import html
import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from xml.etree import ElementTree

CHUNK = 1 << 20
_DATE, _DURATION = "date", "duration"
# Built-in number formats that show a date or a time (ECMA-376 18.8.30; 27–36 and
# 50–58 are the East Asian ones, dates and times in Chinese Excel).
_BUILTIN_DATES = frozenset({*range(14, 23), 45, 47, *range(27, 37), *range(50, 59)})
_BUILTIN_DURATIONS = frozenset({46})
_EPOCH_1900 = dt.datetime(1899, 12, 30)  # noqa: DTZ001 - Excel's dates have no zone
_EPOCH_1904 = dt.datetime(1904, 1, 1)  # noqa: DTZ001
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_ROOT_PREFIX = re.compile(rb"<(?:([\w.-]+):)?worksheet[\s>]")


class XlsxError(ValueError):
    """The workbook's structure is not what an .xlsx holds."""


@dataclass
class XlsxSheet:
    name: str
    rows: Iterator[list]
    row_count: int
    merges: list[tuple[tuple[int, int], tuple[int, int]]]


@dataclass(frozen=True)
class _Part:
    name: str
    visible: bool
    path: str  # inside the archive; "" when not a worksheet


def is_xlsx(data: bytes) -> bool:
    """Whether the zip archive `data` is an Office Open XML workbook with XML parts
    (.xlsx, .xlsm; not .xlsb, whose parts are binary, nor .ods)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if "[Content_Types].xml" not in archive.NameToInfo:
            return False
        try:
            return _workbook_path(archive).endswith(".xml")
        except XlsxError:
            return True  # damaged: read_xlsx says so


def read_xlsx(data: bytes) -> XlsxSheet | None:
    """The first visible worksheet of the workbook in `data`, None when it has none."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    book = _workbook_path(archive)
    sheets, date1904, strings_path, styles_path = _workbook(archive, book)
    first = next((part for part in sheets if part.visible and part.path), None)
    if first is None:
        return None
    if first.path not in archive.NameToInfo:
        raise XlsxError(f"missing {first.path}")
    strings = _shared_strings(archive, strings_path)
    kinds = _style_kinds(archive, styles_path)
    prefix = _prefix(archive, first.path)
    count, merges = _survey(archive, first.path, prefix)
    rows = _rows(archive, first.path, prefix, strings, kinds, date1904)
    return XlsxSheet(first.name, rows, count, merges)


# --- the workbook's parts -------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _xml(archive: zipfile.ZipFile, path: str) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(archive.read(path))
    except (KeyError, ElementTree.ParseError) as exc:
        raise XlsxError(f"{path}: {exc}") from None


def _relations(archive: zipfile.ZipFile, path: str) -> dict[str, tuple[str, str]]:
    """Id → (type, path in the archive) of the part at `path`."""
    folder, name = posixpath.split(path)
    rels = posixpath.join(folder, "_rels", name + ".rels")
    if rels not in archive.NameToInfo:
        return {}
    found = {}
    for rel in _xml(archive, rels):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            continue
        full = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        found[rel.get("Id", "")] = (rel.get("Type", ""), posixpath.normpath(full))
    return found


def _workbook_path(archive: zipfile.ZipFile) -> str:
    for kind, path in _relations(archive, "").values():  # the package's own: _rels/.rels
        if kind.endswith("/officeDocument"):
            return path
    return "xl/workbook.xml"


def _workbook(archive: zipfile.ZipFile, book: str) -> tuple[list[_Part], bool, str, str]:
    """The sheets in workbook order, whether dates count from 1904, and the paths
    of the shared strings and the styles ("" when absent)."""
    relations = _relations(archive, book)
    root = _xml(archive, book)
    sheets, date1904 = [], False
    for element in root.iter():
        tag = _local(element.tag)
        if tag == "workbookPr":
            date1904 = element.get("date1904", "").lower() in ("1", "true")
        elif tag == "sheet":
            rid = next((v for k, v in element.attrib.items() if _local(k) == "id"), "")
            kind, path = relations.get(rid, ("", ""))
            worksheet = kind.endswith("/worksheet")
            sheets.append(
                _Part(
                    name=element.get("name", ""),
                    visible=element.get("state", "visible") == "visible",
                    path=path if worksheet else "",
                )
            )
    by_kind = {kind.rpartition("/")[2]: path for kind, path in relations.values()}
    return sheets, date1904, by_kind.get("sharedStrings", ""), by_kind.get("styles", "")


def _style_kinds(archive: zipfile.ZipFile, path: str) -> list[str | None]:
    """For each cell style (cellXfs, by position): _DATE, _DURATION or None."""
    if not path:
        return []
    root = _xml(archive, path)
    formats: dict[int, str | None] = {}
    kinds: list[str | None] = []
    for element in root.iter():
        tag = _local(element.tag)
        if tag == "numFmt":
            formats[_int(element.get("numFmtId"))] = format_kind(element.get("formatCode", ""))
        elif tag == "cellXfs":
            for xf in element:
                number = _int(xf.get("numFmtId"))
                if number in formats:
                    kinds.append(formats[number])
                elif number in _BUILTIN_DATES:
                    kinds.append(_DATE)
                else:
                    kinds.append(_DURATION if number in _BUILTIN_DURATIONS else None)
    return kinds


def _int(text: str | None) -> int:
    try:
        return int(text or 0)
    except ValueError:
        return 0


def format_kind(code: str) -> str | None:
    """Whether the number format `code` shows a date or time (_DATE), an elapsed
    time ([h], [mm], [ss]: _DURATION) or neither — as calamine decides it: only
    the first section counts; quoted text, escaped characters (\\, _ and *) and
    bracketed parts other than elapsed time are not format letters."""
    escaped = quoted = am_pm = elapsed = False
    brackets, previous = 0, " "
    for char in code:
        if escaped:
            escaped = False
        elif char in "_\\*":
            escaped = True
        elif quoted:
            quoted = char != '"'
        elif char == '"':
            quoted = True
        elif char == ";":
            return None
        elif char == "[":
            brackets += 1
        elif char == "]":
            if brackets == 1 and elapsed:
                return _DURATION
            brackets = max(brackets - 1, 0)
        elif brackets == 0 and not am_pm and char in "aA":
            am_pm = True
        elif (
            brackets == 0
            and am_pm
            and char in "pmPM/"
            or brackets == 0
            and not am_pm
            and char in "dmhysDMHYS"
        ):
            return _DATE
        elif not (elapsed and char.lower() == previous.lower()):
            elapsed = previous == "[" and char in "mhsMHS"
        previous = char
    return None


# --- text ------------------------------------------------------------------------------

_PHONETIC = re.compile(rb"<(?:[\w.-]+:)?rPh\b.*?</(?:[\w.-]+:)?rPh>", re.S)
_EMPTY_ITEM = re.compile(rb"<si\s*/>")
_TEXT = re.compile(rb"<(?:[\w.-]+:)?t(?:\s[^>]*)?>(.*?)</(?:[\w.-]+:)?t>", re.S)


def _text(fragment: bytes) -> str:
    """The text of an <si> or <is> element: its <t> runs joined, phonetic runs
    (<rPh>) left out, entities and Excel's _xHHHH_ escapes undone."""
    if b"<rPh" in fragment or b":rPh" in fragment:
        fragment = _PHONETIC.sub(b"", fragment)
    return _unescape(b"".join(_TEXT.findall(fragment)))


def _unescape(raw: bytes) -> str:
    text = raw.decode()
    if "&" in text:
        text = html.unescape(text)
    if "_x" in text:
        text = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    return text


def _chunks(archive: zipfile.ZipFile, path: str, end: bytes) -> Iterator[bytes]:
    """The member's bytes cut after each `end` tag, a megabyte or so at a time:
    each piece holds whole elements; the last piece is what follows the last tag."""
    rest = b""
    with archive.open(path) as stream:
        while chunk := stream.read(CHUNK):
            rest += chunk
            cut = rest.rfind(end)
            if cut >= 0:
                cut += len(end)
                yield rest[:cut]
                rest = rest[cut:]
    yield rest


def _shared_strings(archive: zipfile.ZipFile, path: str) -> list[str]:
    if not path or path not in archive.NameToInfo:
        return []
    strings: list[str] = []
    for piece in _chunks(archive, path, b"</si>"):
        for item in piece.split(b"</si>")[:-1]:
            strings += [""] * len(_EMPTY_ITEM.findall(item))  # <si/>, before the last <si>
            strings.append(_text(item[item.rfind(b"<si") :]))
    if not strings:  # a namespace prefix on every element: the slow, general way
        root = _xml(archive, path)
        strings = [_text(ElementTree.tostring(si)) for si in root.iter() if _local(si.tag) == "si"]
    return strings


# --- the sheet -------------------------------------------------------------------------


def _prefix(archive: zipfile.ZipFile, path: str) -> bytes:
    """The namespace prefix of the sheet's elements: b"" or e.g. b"x:"."""
    with archive.open(path) as stream:
        head = stream.read(4096)
    found = _ROOT_PREFIX.search(head)
    if found is None:
        raise XlsxError(f"{path} is not a worksheet")
    return (found.group(1) + b":") if found.group(1) else b""


class _Tags:
    """The regular expressions for a sheet whose elements carry `prefix`."""

    def __init__(self, prefix: bytes) -> None:
        p = re.escape(prefix)
        self.row_end = b"</" + prefix + b"row>"
        self.row = re.compile(rb"<" + p + rb"row\b([^>]*)>")
        self.row_open = b"<" + prefix + b"row"
        self.row_number = re.compile(rb"<" + p + rb"row\s[^>]*?\br=[\"'](\d+)")
        # A cell: its column letters (when r comes first), its other attributes, and
        # its content (none when the tag ends in "/>") as the value of <v>, the text
        # of a plain inline string, or anything else (a formula, rich text) for the
        # general way. Attributes are matched greedily: a lazy match is slower.
        self.cell = re.compile(
            rb"<" + p + rb"c(?=[\s/>])(?:\s+r=\"([A-Z]{1,3})\d+\")?([^>]*)>(?:(?<=/>)|(?:"
            rb"<" + p + rb"v>([^<]*)</" + p + rb"v>"
            rb"|<" + p + rb"is><" + p + rb"t(?:\s[^>]*)?>([^<]*)</" + p + rb"t></" + p + rb"is>"
            rb"|(.*?))</" + p + rb"c>)",
            re.S,
        )
        self.value = re.compile(rb"<" + p + rb"v(?:\s[^>]*)?>(.*?)</" + p + rb"v>", re.S)
        self.merge = re.compile(rb"<" + p + rb"mergeCell\b[^>]*?\bref=[\"']([A-Z0-9:$]+)")
        self.values = (b"</" + prefix + b"v>", b"</" + prefix + b"is>")

    def last_row(self, piece: bytes, before: int) -> int:
        """The number of the last row that starts in `piece` before `before`, 0 if none."""
        at = piece.rfind(self.row_open, 0, before)
        while at >= 0:
            found = self.row_number.match(piece, at)
            if found:
                return int(found.group(1))
            at = piece.rfind(self.row_open, 0, at)  # <rowBreaks>, or a row without r
        return 0


_ATTRIBUTE = re.compile(rb"([\w:]+)\s*=\s*([\"'])(.*?)\2", re.S)
_REFERENCE = re.compile(r"\$?([A-Z]{1,3})\$?(\d+)")


@cache
def column_index(letters: bytes | str) -> int:
    """0-based column of Excel's letters: "A" → 0, "AA" → 26."""
    index = 0
    for char in letters.decode() if isinstance(letters, bytes) else letters:
        index = index * 26 + ord(char) - 64
    return index - 1


def _survey(
    archive: zipfile.ZipFile, path: str, prefix: bytes
) -> tuple[int, list[tuple[tuple[int, int], tuple[int, int]]]]:
    """The number of the last row holding a value, and the merged ranges (0-based
    corners), from one pass that only searches the bytes."""
    tags = _Tags(prefix)
    last = current = 0  # the last row holding a value; the row open at the chunk's end
    tail = b""
    merges = set()
    with archive.open(path) as stream:
        while chunk := stream.read(CHUNK):
            piece = tail + chunk  # a tag cut in two by the chunk is whole in the next piece
            value_at = max(piece.rfind(end) for end in tags.values)
            if value_at >= 0:
                last = tags.last_row(piece, value_at) or current
            current = tags.last_row(piece, len(piece)) or current
            merges.update(tags.merge.findall(piece))
            tail = piece[-256:]
    return last, sorted(_range(ref.decode()) for ref in merges if b":" in ref)


def _range(ref: str) -> tuple[tuple[int, int], tuple[int, int]]:
    corners = [_REFERENCE.fullmatch(part) for part in ref.split(":")]
    if len(corners) != 2 or None in corners:
        raise XlsxError(f"bad merged range {ref}")
    (c1, r1), (c2, r2) = (corner.groups() for corner in corners)
    return (int(r1) - 1, column_index(c1)), (int(r2) - 1, column_index(c2))


def _rows(
    archive: zipfile.ZipFile,
    path: str,
    prefix: bytes,
    strings: list[str],
    kinds: list[str | None],
    date1904: bool,
) -> Iterator[list]:
    """Every row from row 1, blank lists for the rows the file leaves out."""
    tags = _Tags(prefix)
    read = _CellReader(tags, strings, kinds, date1904)
    number = 0  # of the last row given
    for piece in _chunks(archive, path, tags.row_end):
        for row_xml in piece.split(tags.row_end)[:-1]:
            starts = list(tags.row.finditer(row_xml))
            if not starts:
                continue
            start = starts[-1]  # earlier ones are empty rows written as <row/>
            found = re.search(rb"\br=[\"'](\d+)", start.group(1))
            at = int(found.group(1)) if found else number + 1
            cells = read.row(row_xml, start.end())
            while number < at - 1:
                number += 1
                yield []
            number = at
            yield cells


class _CellReader:
    """Cells of rows into values. The loop in `row` is the hot path of an import
    (five million cells for a county's ledger): the common cells — a plain value
    or a plain inline string — are read inline, everything else by `_value`."""

    def __init__(self, tags: _Tags, strings, kinds, date1904: bool) -> None:
        self.tags = tags
        self.strings = strings
        self.kinds = kinds
        self.epoch = _EPOCH_1904 if date1904 else _EPOCH_1900
        self.date1904 = date1904
        self.attributes: dict[bytes, tuple[str | None, bytes]] = {}
        self.columns: dict[bytes, int] = {}

    def row(self, row_xml: bytes, start: int) -> list:
        cells: list = []
        attributes, columns = self.attributes, self.columns
        for letters, attrs, value, inline, other in self.tags.cell.findall(row_xml, start):
            kind, typ = attributes.get(attrs) or self._attributes(attrs)
            if inline:
                cell = inline.decode()
                if "&" in cell or "_x" in cell:
                    cell = _unescape(inline)
            elif value:
                if typ == b"s":
                    cell = self._shared(value)
                elif typ == b"n":
                    cell = float(value) if kind is None else self._number(float(value), kind)
                else:
                    cell = self._value(value, typ)
            elif other:
                cell = self._other(other, kind, typ)
            else:
                cell = ""
            at = columns.get(letters) if letters else None
            if at is None:
                at = self._column(letters, attrs, len(cells))
            if at == len(cells):
                cells.append(cell)
            elif at > len(cells):
                cells.extend([""] * (at - len(cells)))
                cells.append(cell)
            else:
                cells[at] = cell
        return cells

    def _column(self, letters: bytes, attrs: bytes, next_at: int) -> int:
        if not letters:
            found = re.search(rb"\br=[\"']\$?([A-Z]{1,3})", attrs)
            return column_index(found.group(1)) if found else next_at
        self.columns[letters] = at = column_index(letters)
        return at

    def _attributes(self, attrs: bytes) -> tuple[str | None, bytes]:
        """(the style's kind, the cell type) of a cell's attributes, remembered."""
        found = {_local_b(name): value for name, _q, value in _ATTRIBUTE.findall(attrs)}
        style = _int(found.get(b"s", b"0").decode())
        kind = self.kinds[style] if 0 <= style < len(self.kinds) else None
        known = (kind, found.get(b"t", b"n"))
        if b"r" not in found and len(self.attributes) < 10_000:
            self.attributes[attrs] = known
        return known

    def _other(self, content: bytes, kind: str | None, typ: bytes):
        """A cell whose content is not a plain <v> or inline string."""
        if typ == b"inlineStr":
            return _text(content)
        found = self.tags.value.search(content)
        if found is None or not found.group(1):
            return ""
        if typ == b"s":
            return self._shared(found.group(1))
        if typ == b"n":
            return self._number(float(found.group(1)), kind)
        return self._value(found.group(1), typ)

    def _value(self, raw: bytes, typ: bytes):
        """The value of a <v> of type str (a formula's text), b, d or e."""
        if typ == b"str" or typ == b"inlineStr":
            return _unescape(raw)
        if typ == b"b":
            return raw.strip() in (b"1", b"true")
        if typ == b"d":
            return _iso(_unescape(raw))
        return ""  # e: an error value, as calamine gives it

    def _shared(self, raw: bytes) -> str:
        index = int(raw)
        if not 0 <= index < len(self.strings):
            raise XlsxError(f"shared string {index} out of range")
        return self.strings[index]

    def _number(self, value: float, kind: str | None):
        if kind is None:
            return value
        span = dt.timedelta(milliseconds=round(value * 86_400_000))
        if kind == _DURATION:
            return span
        if value < 1:
            return (self.epoch + span).time()
        if not self.date1904 and value < 60:
            span += dt.timedelta(days=1)  # Excel counts a 29 February 1900 that never was
        moment = self.epoch + span
        return moment.date() if value == int(value) else moment


def _local_b(name: bytes) -> bytes:
    return name.rpartition(b":")[2]


def _iso(text: str):
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        try:
            return dt.time.fromisoformat(text)
        except ValueError:
            return text
    return moment.date() if len(text) <= 10 else moment

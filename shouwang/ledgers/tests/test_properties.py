"""Properties of reading ledger cells, checked with generated data.

- A date written in any of the accepted styles (2010-3-5, 2010/03/05, 2010.3.5,
  2010年3月5日, 20100305, full-width digits, spaces around, a time after it), as a
  date cell, an Excel serial or the number 20100305, reads back as that date.
- Whatever a cell holds, reading it for any column either gives a value or
  raises CellError — never another exception.
- Reading is idempotent: what a cell reads as, written again as text, reads
  the same.
- What the export writes — to a workbook or a CSV — the import reads back as
  the stored values, for every column of every ledger.
"""

import datetime as dt
import io
import unicodedata

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from shouwang.ledgers import writing
from shouwang.ledgers.cells import (
    CellError,
    cell_value,
    read_date,
    read_id_number,
    read_phone,
    read_text,
)
from shouwang.ledgers.columns import (
    AREA,
    BOOL,
    CHOICE,
    DATE,
    ID_NUMBER,
    INT,
    LEDGERS,
    MULTI,
    PHONE,
    TEXT,
    Column,
)
from shouwang.ledgers.reading import Limits, read_ledger
from shouwang.people.identity import PhoneError, normalize_phone

PROPERTIES = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
FILE_PROPERTIES = settings(PROPERTIES, max_examples=40)

EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2100, 12, 31)
EXCEL_DAY_0 = dt.date(1899, 12, 30)
FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")
ALL_COLUMNS = sorted(
    {col for ledger in LEDGERS.values() for col in ledger.columns},
    key=lambda col: (col.kind, col.key),
)
dates = st.dates(min_value=EARLIEST, max_value=LATEST)


# --- dates ------------------------------------------------------------------------


@st.composite
def date_texts(draw, day: dt.date) -> str:
    """`day` in one of the styles people type, perhaps with full-width digits,
    spaces around and a time after it."""
    y, m, d = day.year, day.month, day.day
    month = draw(st.sampled_from([str(m), f"{m:02d}"]))
    dom = draw(st.sampled_from([str(d), f"{d:02d}"]))
    style = draw(st.sampled_from(["-", "/", ".", "年", "compact"]))
    if style == "compact":
        text = f"{y}{m:02d}{d:02d}"
    elif style == "年":
        text = f"{y}年{month}月{dom}" + draw(st.sampled_from(["日", "号", ""]))
    else:
        text = f"{y}{style}{month}{style}{dom}"
        text += draw(st.sampled_from(["", " 00:00", " 00:00:00", "T00:00", " 8:30"]))
    if draw(st.booleans()):
        text = text.translate(FULL_WIDTH_DIGITS)
    padding = st.sampled_from(["", " ", "\u3000", "\t", " \n"])
    return draw(padding) + text + draw(padding)


def excel_serial(day: dt.date) -> int:
    """The serial Excel shows for `day` (1900 system, with its phantom 1900-02-29)."""
    days = (day - EXCEL_DAY_0).days
    return days - 1 if day < dt.date(1900, 3, 1) else days


@PROPERTIES
@given(st.data(), dates)
def test_a_date_typed_in_any_accepted_style_reads_back(data, day):
    assert read_date(data.draw(date_texts(day), label="typed")) == day


@PROPERTIES
@given(dates, st.floats(min_value=0, max_value=0.999))
def test_an_excel_serial_reads_back_as_its_date(day, time_of_day):
    serial = excel_serial(day)
    # Serials 1900–2100 (dates in 1905) are taken as a year typed alone: refused.
    assume(not 1900 <= serial <= 2100)
    assert read_date(serial) == day
    assert read_date(float(serial)) == day
    assert read_date(serial + time_of_day) == day


@PROPERTIES
@given(dates)
def test_a_date_cell_or_the_number_yyyymmdd_reads_back(day):
    assert read_date(day) == day
    assert read_date(dt.datetime.combine(day, dt.time(14, 30))) == day  # noqa: DTZ001
    assert read_date(int(f"{day:%Y%m%d}")) == day
    assert read_date(float(f"{day:%Y%m%d}")) == day


# --- anything in any cell -----------------------------------------------------------

# What calamine or a CSV can hand over: text (often digit-heavy), numbers of
# every size, logical cells, dates, times and durations.
digit_heavy = st.text(alphabet="0123456789０１２３４５６７８９ -./年月日号:Xx+()'", max_size=24)
raw_cells = st.one_of(
    st.text(max_size=40),
    digit_heavy,
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.dates(),
    st.datetimes(),
    st.times(),
    st.timedeltas(),
)


@PROPERTIES
@given(st.sampled_from(ALL_COLUMNS), raw_cells)
def test_any_cell_reads_as_a_value_or_a_cell_error(column, raw):
    try:
        cell_value(column, raw)
    except CellError as exc:
        assert str(exc)  # a Chinese message for the row's error list


@PROPERTIES
@given(st.one_of(st.text(), digit_heavy))
def test_reading_text_twice_changes_nothing(raw):
    once = read_text(raw)
    assert read_text(once) == once


@PROPERTIES
@given(st.sampled_from([col for col in ALL_COLUMNS if col.kind != TEXT]), raw_cells)
def test_a_value_read_once_reads_the_same_when_written_back(column, raw):
    """The import's value, written as the export writes it, reads the same: so a
    ledger exported and imported again changes nothing."""
    try:
        value = cell_value(column, raw)
    except CellError:
        return
    written = writing.cell_value(column, value, reveal=True, labels=writing.Labels([column]))
    assert cell_value(column, written if written is not None else "") == value


@PROPERTIES
@given(digit_heavy)
def test_id_numbers_and_phones_read_from_text_are_already_normal(raw):
    for reader in (read_id_number, read_phone):
        try:
            value = reader(raw)
        except CellError:
            continue
        assert reader(value) == value


# --- export, then import ---------------------------------------------------------------

# Text as a ledger cell holds it: no control characters but line breaks, no
# surrounding spaces, already in NFKC form (the reader's normal form).
cell_text = (
    st.text(
        alphabet=st.characters(
            blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="\t"
        ),
        max_size=30,
    )
    .map(lambda text: unicodedata.normalize("NFKC", text).strip())
    .filter(lambda text: unicodedata.normalize("NFKC", text) == text)
)
weights = [2 ** (17 - i) % 11 for i in range(17)]


def _check(body: str) -> str:
    value = (12 - sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11) % 11
    return "X" if value == 10 else str(value)


id_numbers = st.builds(
    lambda birth, sequence: (body := f"350724{birth:%Y%m%d}{sequence:03d}") + _check(body),
    st.dates(min_value=EARLIEST, max_value=dt.date(2025, 12, 31)),
    st.integers(0, 999),
)


def _phone(raw: str) -> str:
    try:
        return normalize_phone(raw)
    except PhoneError:
        return ""


phones = st.one_of(
    st.builds(lambda s, n: f"1{s}{n:09d}", st.sampled_from("3456789"), st.integers(0, 10**9 - 1)),
    st.builds(
        lambda area, local: _phone(area + local),
        st.sampled_from(["010", "021", "0599", "0591", "0755"]),
        st.text(alphabet="0123456789", min_size=7, max_size=8).filter(lambda s: s[0] != "0"),
    ),
)


def stored_values(column: Column):
    """Values the database holds for the column, the empty one included."""
    if column.kind == TEXT:
        return cell_text
    if column.kind == DATE:
        return st.one_of(st.none(), dates)
    if column.kind == BOOL:
        return st.one_of(st.none(), st.booleans())
    if column.kind == INT:
        return st.one_of(st.none(), st.integers(-1000, 10**6))
    if column.kind == ID_NUMBER:
        return st.one_of(st.just(""), id_numbers)
    if column.kind == PHONE:
        return st.one_of(st.just(""), phones)
    if column.kind == AREA:
        return st.one_of(st.just(""), st.from_regex(r"\A35072[0-9]{7}\Z"))
    values = [value for value, _label in column.choices]
    if column.kind == CHOICE:
        return st.one_of(st.just(""), st.sampled_from(values))
    assert column.kind == MULTI
    return st.lists(st.sampled_from(values), unique=True, max_size=4)


@st.composite
def ledger_rows(draw):
    ledger = draw(st.sampled_from(list(LEDGERS.values())))
    rows = draw(
        st.lists(
            st.fixed_dictionaries({col.key: stored_values(col) for col in ledger.columns}),
            min_size=1,
            max_size=3,
        )
    )
    # A row with every cell empty is skipped by the reader, as it should be.
    rows = [row for row in rows if any(v not in (None, "", []) for v in row.values())]
    assume(rows)
    return ledger, rows


def _imported(ledger, data: bytes, filename: str) -> list[dict]:
    sheet = read_ledger(data, filename, ledger, limits=Limits())
    return [
        {col.key: cell_value(col, raw.values.get(col.key, "")) for col in ledger.columns}
        for raw in sheet.rows
    ]


def _expected(ledger, rows):
    empty = {DATE: None, BOOL: None, INT: None, MULTI: []}
    return [
        {col.key: empty.get(col.kind, "") if row[col.key] in (None, "") else row[col.key]
         for col in ledger.columns}
        for row in rows
    ]  # fmt: skip


@FILE_PROPERTIES
@given(ledger_rows())
def test_an_exported_csv_imports_as_the_same_values(generated):
    ledger, rows = generated
    out = io.BytesIO()
    writing.export_csv(rows, ledger, out, reveal=True)
    assert _imported(ledger, out.getvalue(), "导出.csv") == _expected(ledger, rows)


@FILE_PROPERTIES
@given(ledger_rows())
def test_an_exported_workbook_imports_as_the_same_values(generated):
    ledger, rows = generated
    out = io.BytesIO()
    writing.export_xlsx(rows, ledger, out, reveal=True)
    assert _imported(ledger, out.getvalue(), "导出.xlsx") == _expected(ledger, rows)


def test_the_file_properties_cover_every_kind_of_column():
    kinds = {col.kind for col in ALL_COLUMNS}
    assert kinds == {TEXT, DATE, BOOL, INT, ID_NUMBER, PHONE, AREA, CHOICE, MULTI}

"""The template and the export files: headers, notes, drop-downs, cell formats,
masking, formula neutralisation, CSV encoding — read back with calamine and by
looking inside the xlsx package."""

import csv
import datetime as dt
import io
import re
import zipfile

import pytest
from python_calamine import CalamineWorkbook

from shouwang.ledgers.columns import (
    BOOL,
    CHILDREN,
    CHOICE,
    DATE,
    ELDERLY,
    ID_NUMBER,
    LEDGERS,
    PHONE,
    VOLUNTEERS,
)
from shouwang.ledgers.writing import (
    LISTS_SHEET,
    TEMPLATE_ROWS,
    export_csv,
    export_xlsx,
    neutralise,
    sheet_name,
    template_xlsx,
)

ID_NUMBER_VALUE = "350724201405061236"
MASKED_ID = "350724********1236"
PHONE_VALUE = "13812345678"
MASKED_PHONE = "138****5678"
DANGEROUS = ["=1+1", "+8613812345678", "-3", "@SUM(A1)", "＝HYPERLINK(\"http://x\")",
             "\t=1", "\r=1", "＋1", "－1", "＠x", "'already quoted"]  # fmt: skip


def read_sheet(data: bytes, name: str | None = None) -> list[list]:
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    sheet = workbook.get_sheet_by_name(name) if name else workbook.get_sheet_by_index(0)
    return sheet.to_python()


def package(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def validations(data: bytes) -> dict[str, str]:
    """{column letter: formula1} of the data sheet's list validations."""
    xml = package(data).read("xl/worksheets/sheet1.xml").decode()
    found = {}
    pattern = r'<dataValidation type="list"[^>]*sqref="([A-Z]+)2:[A-Z]+(\d+)"[^>]*>'
    pattern += r"<formula1>([^<]*)</formula1>"
    for letter, last, formula in re.findall(pattern, xml):
        assert int(last) == TEMPLATE_ROWS + 1
        found[letter] = formula
    return found


def column_number_formats(data: bytes) -> dict[int, str]:
    """{0-based column: number format code} from the data sheet's column styles."""
    files = package(data)
    sheet = files.read("xl/worksheets/sheet1.xml").decode()
    styles = files.read("xl/styles.xml").decode()
    custom = dict(re.findall(r'<numFmt numFmtId="(\d+)" formatCode="([^"]*)"', styles))
    builtin = {"0": "General", "49": "@"}
    xfs = re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles, re.S).group(1)
    xf_formats = re.findall(r'<xf numFmtId="(\d+)"', xfs)
    formats = {}
    for first, last, style in re.findall(r'<col min="(\d+)" max="(\d+)"[^>]*style="(\d+)"', sheet):
        number_format = xf_formats[int(style)]
        for col in range(int(first), int(last) + 1):
            formats[col - 1] = custom.get(number_format) or builtin.get(number_format, "")
    return formats


# --- the template ------------------------------------------------------------------


@pytest.mark.parametrize("ledger", LEDGERS.values(), ids=LEDGERS.keys())
def test_the_template_has_every_header_of_the_ledger_in_order(ledger):
    rows = read_sheet(template_xlsx(ledger))
    assert rows[0] == [str(col.header) for col in ledger.columns]


def test_the_data_sheet_comes_first_and_is_named_after_the_ledger():
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(template_xlsx(CHILDREN)))
    assert workbook.sheet_names[:2] == [sheet_name(CHILDREN), "填写说明"]


def test_headers_carry_no_required_mark_but_a_different_fill():
    data = template_xlsx(CHILDREN)
    assert not any("*" in header for header in read_sheet(data)[0])
    sheet = package(data).read("xl/worksheets/sheet1.xml").decode()
    styles = dict(re.findall(r'<c r="([A-Z]+)1" s="(\d+)"', sheet))
    required = {styles[column_letter(i)] for i, c in enumerate(CHILDREN.columns) if c.required}
    optional = {styles[column_letter(i)] for i, c in enumerate(CHILDREN.columns)
                if not c.required}  # fmt: skip
    assert len(required) == 1 and len(optional) == 1 and required != optional


def test_the_header_row_is_frozen():
    sheet = package(template_xlsx(CHILDREN)).read("xl/worksheets/sheet1.xml").decode()
    assert 'ySplit="1"' in sheet and 'state="frozen"' in sheet


def test_the_notes_sheet_explains_every_column():
    notes = read_sheet(template_xlsx(CHILDREN), "填写说明")
    assert notes[0][0] == str(CHILDREN.title)
    header_row = next(i for i, row in enumerate(notes) if row[:2] == ["列名", "必填"])
    described = {row[0]: row for row in notes[header_row + 1 :]}
    assert list(described) == [str(col.header) for col in CHILDREN.columns]
    assert described["姓名"][1] == "是"
    assert described["性别"][1] == ""
    assert described["性别"][3] == "男、女"
    assert "由身份证号码推出" in described["出生日期"][2]
    assert described["已登记户口"][3] == "是、否"


def test_choice_and_yes_no_columns_have_drop_downs_on_the_data_rows():
    data = template_xlsx(CHILDREN)
    found = validations(data)
    expected = {column_letter(i) for i, c in enumerate(CHILDREN.columns)
                if c.kind in (CHOICE, BOOL)}  # fmt: skip
    assert set(found) == expected
    sex = column_letter(next(i for i, c in enumerate(CHILDREN.columns) if c.key == "sex"))
    assert found[sex] == '"男,女"'
    hukou = column_letter(
        next(i for i, c in enumerate(CHILDREN.columns) if c.key == "hukou_registered")
    )
    assert found[hukou] == '"是,否"'


def test_the_56_ethnicities_come_from_a_hidden_sheet_not_an_inline_list():
    data = template_xlsx(CHILDREN)
    column = next(i for i, c in enumerate(CHILDREN.columns) if c.key == "ethnicity")
    assert validations(data)[column_letter(column)] == f"'{LISTS_SHEET}'!$A$1:$A$56"
    workbook = package(data).read("xl/workbook.xml").decode()
    assert re.search(rf'<sheet name="{LISTS_SHEET}"[^>]*state="hidden"', workbook)
    entries = [row[0] for row in read_sheet(data, LISTS_SHEET)]
    assert len(entries) == 56 and entries[0] == "汉族" and "基诺族" in entries


def test_no_inline_list_is_longer_than_excel_allows():
    for ledger in LEDGERS.values():
        for formula in validations(template_xlsx(ledger)).values():
            if formula.startswith('"'):
                assert len(formula.strip('"')) <= 255


def test_id_phone_and_area_columns_are_text_and_dates_are_yyyy_mm_dd():
    formats = column_number_formats(template_xlsx(CHILDREN))
    for index, col in enumerate(CHILDREN.columns):
        if col.kind in (ID_NUMBER, PHONE, "area"):
            assert formats[index] == "@", col.key
        elif col.kind == DATE:
            assert formats[index] == "yyyy-mm-dd", col.key


def test_column_widths_come_from_the_columns():
    sheet = package(template_xlsx(CHILDREN)).read("xl/worksheets/sheet1.xml").decode()
    widths = {int(first) - 1: float(width) for first, width in
              re.findall(r'<col min="(\d+)" max="\d+" width="([\d.]+)"', sheet)}  # fmt: skip
    id_column = next(i for i, c in enumerate(CHILDREN.columns) if c.key == "id_number")
    assert widths[id_column] > widths[0]  # 22 against 10, in Excel's own units


# --- exports ---------------------------------------------------------------------


def child_row(**extra) -> dict:
    row = {
        "name": "李小明",
        "sex": "M",
        "ethnicity": "畲族",
        "birth_date": dt.date(2014, 5, 6),
        "id_number": ID_NUMBER_VALUE,
        "hukou_registered": True,
        "phone": PHONE_VALUE,
        "village": "350724101200",
        "boarding": False,
        "disability_grade": 2,
        "income_sources": ["migrant_work", "farming"],
        "father.name": "李大山",
        "father.id_number": "350724198001011234",
        "father.working_away": True,
        "guardian.kind": "paternal_grandmother",
        "notes": "",
    }
    return {**row, **extra}


def by_header(ledger, header_row: list, row: list) -> dict:
    return dict(zip(header_row, row, strict=True))


def xlsx_export(rows, ledger=CHILDREN, *, reveal=False) -> bytes:
    out = io.BytesIO()
    export_xlsx(rows, ledger, out, reveal=reveal)
    return out.getvalue()


def csv_export(rows, ledger=CHILDREN, *, reveal=False) -> bytes:
    out = io.BytesIO()
    export_csv(rows, ledger, out, reveal=reveal)
    return out.getvalue()


def test_the_export_has_the_templates_headers_and_writes_values_as_the_reader_reads_them():
    rows = read_sheet(xlsx_export([child_row()]))
    assert rows[0] == read_sheet(template_xlsx(CHILDREN))[0]
    cells = by_header(CHILDREN, rows[0], rows[1])
    assert cells["姓名"] == "李小明"
    assert cells["性别"] == "男"
    assert cells["民族"] == "畲族"
    assert cells["出生日期"] == dt.date(2014, 5, 6)
    assert cells["已登记户口"] == "是"
    assert cells["寄宿"] == "否"
    assert cells["残疾等级"] == "二级"
    assert cells["家庭收入来源"] == "打工、种养殖"
    assert cells["村（社区）代码"] == "350724101200"
    assert cells["父亲姓名"] == "李大山"
    assert cells["父亲外出务工"] == "是"
    assert cells["与儿童关系"] == "祖母"
    assert cells["低保"] == ""  # not given: an empty cell, not 否
    assert cells["备注"] == ""


def test_the_export_masks_id_and_phone_numbers_unless_revealed():
    masked = by_header(CHILDREN, *read_sheet(xlsx_export([child_row()]))[:2])
    assert masked["身份证号码"] == MASKED_ID
    assert masked["联系电话"] == MASKED_PHONE
    assert masked["父亲身份证号码"] == "350724********1234"
    revealed = by_header(CHILDREN, *read_sheet(xlsx_export([child_row()], reveal=True))[:2])
    assert revealed["身份证号码"] == ID_NUMBER_VALUE
    assert revealed["联系电话"] == PHONE_VALUE


def test_id_numbers_are_string_cells_with_the_text_format():
    data = xlsx_export([child_row()], reveal=True)
    sheet = package(data).read("xl/worksheets/sheet1.xml").decode()
    column = column_letter(next(i for i, c in enumerate(CHILDREN.columns) if c.key == "id_number"))
    cell = re.search(rf'<c r="{column}2"[^>]*>', sheet).group(0)
    assert re.search(r't="(s|inlineStr)"', cell)  # a string, never a number
    styles = package(data).read("xl/styles.xml").decode()
    xfs = re.findall(r'<xf numFmtId="(\d+)"', re.search(r"<cellXfs.*?</cellXfs>", styles).group(0))
    assert xfs[int(re.search(r's="(\d+)"', cell).group(1))] == "49"  # "@", text
    assert read_sheet(data)[1][4] == ID_NUMBER_VALUE  # all 18 digits


@pytest.mark.parametrize("value", DANGEROUS)
def test_text_that_a_spreadsheet_could_run_as_a_formula_gets_one_quote_in_front(value):
    assert neutralise(value) == "'" + value
    # The reader strips exactly one leading quote: the value comes back unchanged.
    assert neutralise(value)[1:] == value


@pytest.mark.parametrize("value", ["李小明", "350724201405061236", "1+1", " =1", "a=b", ""])
def test_ordinary_text_is_left_alone(value):
    assert neutralise(value) == value


def test_dangerous_names_and_notes_are_never_formulas_in_xlsx_or_csv():
    rows = [child_row(name=value, notes=value, address=value) for value in DANGEROUS]
    data = xlsx_export(rows)
    sheet = package(data).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet
    read = read_sheet(data)
    names = [row[0] for row in read[1:]]
    assert names == ["'" + value for value in DANGEROUS]
    text = csv_export(rows).decode("utf-8-sig")
    csv_rows = list(csv.reader(io.StringIO(text, newline="")))
    assert [row[0] for row in csv_rows[1:]] == ["'" + value for value in DANGEROUS]
    notes = CHILDREN.columns.index(CHILDREN.column("notes"))
    assert [row[notes] for row in csv_rows[1:]] == ["'" + value for value in DANGEROUS]


def test_the_csv_has_a_bom_and_is_utf8_with_the_same_headers():
    data = csv_export([child_row()])
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == [str(col.header) for col in CHILDREN.columns]
    cells = dict(zip(rows[0], rows[1], strict=True))
    assert cells["出生日期"] == "2014-05-06"
    assert cells["身份证号码"] == MASKED_ID
    assert cells["性别"] == "男"
    assert cells["家庭收入来源"] == "打工、种养殖"
    assert b"\r\n" in data


def test_exports_count_the_rows_they_write_and_read_them_one_at_a_time():
    consumed = []

    def rows():
        for i in range(3):
            consumed.append(i)
            yield child_row(name=f"儿童{i}")

    assert export_xlsx(rows(), CHILDREN, io.BytesIO(), reveal=False) == 3
    assert export_csv(iter([]), ELDERLY, io.BytesIO(), reveal=False) == 0


def test_the_volunteers_export_writes_numbers_and_labels():
    row = {"name": "刘晓燕", "kind": "proxy_parent", "organisation": "village_committee",
           "area": "350724101200", "phone": "0599-2345678", "capacity": 3,
           "status": "approved"}  # fmt: skip
    rows = read_sheet(xlsx_export([row], VOLUNTEERS))
    cells = dict(zip(rows[0], rows[1], strict=True))
    assert cells["可结对人数"] == 3
    assert cells["联系电话"] == "0599-*****78"
    assert cells["所在地区代码"] == "350724101200"
    assert cells["类别"] and cells["类别"] != "proxy_parent"


def test_an_export_keeps_the_drop_downs_over_all_its_rows():
    rows = (child_row(name=f"儿童{i}") for i in range(TEMPLATE_ROWS + 500))
    xml = package(xlsx_export(rows)).read("xl/worksheets/sheet1.xml").decode()
    sex = column_letter(next(i for i, c in enumerate(CHILDREN.columns) if c.key == "sex"))
    assert f'sqref="{sex}2:{sex}{TEMPLATE_ROWS + 501}"' in xml
    assert xml.count("<row ") == TEMPLATE_ROWS + 501

"""Reading uploaded ledger files: every bad file of issue 6 gets the message a
village worker would see, and rows keep the numbers Excel shows."""

from __future__ import annotations

import datetime
import io
import os
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from django.test import override_settings

from shouwang.ledgers.cells import CellError, cell_value
from shouwang.ledgers.columns import CHILDREN, LEDGERS, VOLUNTEERS
from shouwang.ledgers.reading import (
    MB,
    LedgerFileError,
    Limits,
    Sheet,
    column_letter,
    header_index,
    normalize_header,
    read_ledger,
)

FIXTURES = Path(__file__).parent / "fixtures"
ID_NUMBER = "350724201003051234"  # valid check character
VILLAGE = "350724101200"
LIMITS = Limits(max_bytes=20 * MB, max_rows=200_000, max_uncompressed=500 * MB, max_ratio=100)
PASSWORD = "工作簿设置了密码，请取消密码后再导入"
CORRUPT = "文件已损坏或不是 Excel 文件；请用 Excel 打开后另存为 .xlsx 再导入"
BOMB = "文件解压后过大，可能已损坏或含有大量空白格式；请另存为新文件再导入"


def xlsx(rows: list[list[object]], *, build=None, first_row: int = 0, first_col: int = 0) -> bytes:
    """An .xlsx whose first sheet holds `rows` from (first_row, first_col), 0-based;
    `build(workbook, worksheet)` may add merges, formats or sheets."""
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = workbook.add_worksheet("台账")
    for at, row in enumerate(rows):
        for col, value in enumerate(row):
            if value is not None:
                sheet.write(first_row + at, first_col + col, value)
    if build:
        build(workbook, sheet)
    workbook.close()
    return out.getvalue()


def rezip(data: bytes, change) -> bytes:
    """`data` with each member's bytes passed through `change(name, bytes)`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, change(info.filename, source.read(info)))
    return out.getvalue()


def read(data: bytes, filename: str = "台账.xlsx", ledger=CHILDREN, **limits) -> Sheet:
    return read_ledger(data, filename, ledger, limits=Limits(**{**LIMITS.__dict__, **limits}))


def file_error(data: bytes, filename: str = "台账.xlsx", ledger=CHILDREN, **limits) -> str:
    with pytest.raises(LedgerFileError) as caught:
        read(data, filename, ledger, **limits)
    return str(caught.value)


def rows_of(sheet: Sheet) -> list[tuple[int, dict]]:
    return [(row.number, row.values) for row in sheet.rows]


HEADER = ["姓名", "身份证号码", "村（社区）代码"]


# --- finding the header --------------------------------------------------------------


def test_it_reads_a_plain_template():
    sheet = read(xlsx([HEADER, ["张小明", ID_NUMBER, VILLAGE]]))

    assert sheet.name == "台账"
    assert sheet.header_row == 1
    assert [(at, col.key) for at, col in sheet.columns] == [
        (0, "name"),
        (1, "id_number"),
        (2, "village"),
    ]
    assert sheet.unknown_headers == []
    assert rows_of(sheet) == [
        (2, {"name": "张小明", "id_number": ID_NUMBER, "village": VILLAGE}),
    ]


def test_it_finds_the_header_below_a_title_row_and_blank_rows():
    data = xlsx(
        [
            ["松溪县农村留守儿童信息表"],
            [],
            ["填报单位：郑墩镇", None, "填报日期：2024年5月"],
            HEADER,
            ["张小明", ID_NUMBER, VILLAGE],
        ],
        build=lambda wb, ws: ws.merge_range(0, 0, 0, 2, "松溪县农村留守儿童信息表"),
    )

    sheet = read(data)

    assert sheet.header_row == 4
    assert rows_of(sheet) == [(5, {"name": "张小明", "id_number": ID_NUMBER, "village": VILLAGE})]


def test_it_keeps_excel_column_positions_when_the_data_does_not_start_at_a1():
    sheet = read(xlsx([HEADER, ["张小明", ID_NUMBER, VILLAGE]], first_row=2, first_col=3))

    assert sheet.header_row == 3
    assert [at for at, _col in sheet.columns] == [3, 4, 5]
    assert [row.number for row in sheet.rows] == [4]


def test_a_header_matches_despite_spaces_full_width_brackets_marks_and_synonyms():
    header = [" 姓 名* ", "身份证号", "村(社区)代码：", "性\n别", "出生年月", "备 注"]
    sheet = read(xlsx([header, ["张小明", ID_NUMBER, VILLAGE, "男", "2010.3.5", "无"]]))

    assert [col.key for _at, col in sheet.columns] == [
        "name",
        "id_number",
        "village",
        "sex",
        "birth_date",
        "notes",
    ]


def test_normalize_header_folds_full_width_and_required_marks():
    assert normalize_header("＊姓名：") == "姓名"
    assert normalize_header("村（社区）代码") == normalize_header("村(社区)代码")
    assert normalize_header("村【社区】代码") == normalize_header("村（社区）代码")
    assert normalize_header("ＩＤ") == "id"


def test_the_wrong_template_is_refused_by_name():
    contacts = xlsx([["对象姓名", "日期", "方式"], ["张小明", "2024-05-01", "入户走访"]])

    assert file_error(contacts) == (
        "这不是「农村留守儿童信息表」的模板：没有找到「姓名」「村（社区）代码」等表头"
    )


def test_a_single_matching_header_is_not_enough():
    assert file_error(xlsx([["姓名", "年龄"], ["张小明", 12]])).startswith(
        "这不是「农村留守儿童信息表」的模板"
    )


def test_headers_it_does_not_know_are_reported_not_refused():
    sheet = read(xlsx([["序号", *HEADER, "联系人"], [1, "张小明", ID_NUMBER, VILLAGE, "张三"]]))

    assert sheet.unknown_headers == ["序号", "联系人"]
    assert [row.values for row in sheet.rows] == [
        {"name": "张小明", "id_number": ID_NUMBER, "village": VILLAGE}
    ]


def test_a_header_given_twice_is_refused_naming_both_columns():
    data = xlsx(
        [["姓名", "身份证号码", "村（社区）代码", "身份证号"], ["张小明", ID_NUMBER, VILLAGE, ""]]
    )

    assert (
        file_error(data) == "表头重复：第 B 列「身份证号码」和第 D 列「身份证号」都是「身份证号码」"
    )


def test_a_missing_required_column_is_a_whole_file_error():
    with pytest.raises(LedgerFileError) as caught:
        read(xlsx([["姓名", "身份证号码", "性别"], ["张小明", ID_NUMBER, "男"]]))

    assert str(caught.value) == "缺少必填的列：「村（社区）代码」"
    assert [col.key for col in caught.value.missing_required] == ["village"]


@pytest.mark.parametrize("ledger", LEDGERS.values(), ids=LEDGERS.keys())
def test_every_header_and_synonym_of_a_ledger_finds_its_own_column(ledger):
    index = header_index(ledger)

    for column in ledger.columns:
        for text in (column.header, *column.synonyms):
            assert index[normalize_header(text)] == column


# --- rows ----------------------------------------------------------------------------


def test_blank_rows_in_the_middle_are_skipped_and_row_numbers_stay_right():
    data = xlsx(
        [
            ["序号", *HEADER],
            [1, "张小明", ID_NUMBER, VILLAGE],
            [2],  # only a pre-filled 序号: blank
            [None, "   ", "", None],
            [4, "李小红", "", VILLAGE],
            [],
            [6, "王一", "", VILLAGE],
        ]
    )

    assert [(row.number, row.values["name"]) for row in read(data).rows] == [
        (2, "张小明"),
        (5, "李小红"),
        (7, "王一"),
    ]


def test_merged_cells_in_data_rows_are_row_errors():
    def merge(workbook, sheet):
        sheet.merge_range(0, 0, 0, 2, "松溪县农村留守儿童信息表")  # the title: fine
        sheet.merge_range(3, 2, 4, 2, VILLAGE)  # one village code for two children

    data = xlsx(
        [
            ["松溪县农村留守儿童信息表"],
            HEADER,
            ["张小明", ID_NUMBER, VILLAGE],
            ["李小红", "", None],
            ["王一", "", None],
            ["赵二", "", VILLAGE],
        ],
        build=merge,
    )

    rows = list(read(data).rows)

    assert [(row.number, row.errors) for row in rows] == [
        (3, ()),
        (4, ("该行有合并单元格，请取消合并后再导入",)),
        (5, ("该行有合并单元格，请取消合并后再导入",)),
        (6, ()),
    ]
    assert rows[1].values["village"] == VILLAGE
    assert rows[2].values["village"] == ""  # calamine keeps only the top-left value


def test_a_merge_under_a_column_it_ignores_is_not_an_error():
    data = xlsx(
        [["序号", *HEADER], [1, "张小明", "", VILLAGE], [None, "李小红", "", VILLAGE]],
        build=lambda wb, ws: ws.merge_range(1, 0, 2, 0, 1),
    )

    assert [row.errors for row in read(data).rows] == [(), ()]


def test_a_hidden_sheet_is_skipped():
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"in_memory": True})
    notes = workbook.add_worksheet("填表说明")  # first in the workbook, hidden
    notes.write_row(0, 0, ["姓名", "村（社区）代码"])
    notes.write_row(1, 0, ["示例", VILLAGE])
    ledger = workbook.add_worksheet("台账")
    ledger.write_row(0, 0, HEADER)
    ledger.write_row(1, 0, ["张小明", ID_NUMBER, VILLAGE])
    ledger.activate()
    notes.hide()
    workbook.close()

    sheet = read(out.getvalue())

    assert sheet.name == "台账"
    assert [row.values["name"] for row in sheet.rows] == ["张小明"]


def test_a_workbook_whose_sheets_are_all_hidden_is_refused():
    def hide_all(name: str, content: bytes) -> bytes:
        if name == "xl/workbook.xml":
            return content.replace(b'<sheet name="', b'<sheet state="hidden" name="')
        return content

    data = rezip(xlsx([HEADER, ["张小明", ID_NUMBER, VILLAGE]]), hide_all)

    assert file_error(data) == "工作簿里没有可见的工作表（隐藏的工作表不会导入）"


def test_cells_arrive_as_calamine_reads_them():
    def typed(workbook, sheet):
        date = workbook.add_format({"num_format": "yyyy-mm-dd"})
        sheet.write_datetime(1, 3, datetime.date(2010, 3, 5), date)
        sheet.write_number(1, 1, 350724201003051234)  # an ID number typed as a number
        sheet.write_number(1, 4, 5996234567)  # 0599-6234567 typed as a number

    data = xlsx([[*HEADER, "出生日期", "联系电话"], ["张小明", None, VILLAGE]], build=typed)

    (row,) = read(data).rows

    assert row.values == {
        "name": "张小明",
        "id_number": 3.507242010030513e17,
        "village": VILLAGE,
        "birth_date": datetime.date(2010, 3, 5),
        "phone": 5996234567.0,
    }
    with pytest.raises(CellError, match="身份证号码被存成了数字"):
        cell_value(CHILDREN.column("id_number"), row.values["id_number"])
    with pytest.raises(CellError, match="电话号码开头的 0 已丢失"):
        cell_value(CHILDREN.column("phone"), row.values["phone"])


def test_too_many_rows_are_refused_before_any_row_is_read():
    data = xlsx([HEADER, *[[f"儿童{i}", "", VILLAGE] for i in range(5)]])

    assert file_error(data, max_rows=4) == (
        "行数太多（5 行），一次最多导入 4 行；请分成几个文件导入"
    )
    assert len(list(read(data, max_rows=5).rows)) == 5


def test_a_header_further_down_than_ten_non_blank_rows_is_not_found():
    notes = [[f"填表说明第 {i} 条"] for i in range(10)]

    assert file_error(xlsx([*notes, HEADER, ["张小明", ID_NUMBER, VILLAGE]])).startswith(
        "这不是「农村留守儿童信息表」的模板"
    )
    assert read(xlsx([*notes[:9], HEADER, ["张小明", ID_NUMBER, VILLAGE]])).header_row == 10


def test_a_header_without_data_rows_is_refused():
    assert file_error(xlsx([["松溪县农村留守儿童信息表"], HEADER, [], [None]])) == (
        "表头下面没有数据行"
    )


def test_an_empty_sheet_is_refused():
    assert file_error(xlsx([])) == "工作表「台账」是空的"


def test_column_letter_names_columns_as_excel_does():
    assert [column_letter(i) for i in (0, 1, 25, 26, 27, 701, 702)] == [
        "A",
        "B",
        "Z",
        "AA",
        "AB",
        "ZZ",
        "AAA",
    ]


# --- other formats -------------------------------------------------------------------


def test_an_xls_file_is_read_with_its_hidden_sheet_skipped_and_merges_seen():
    """children.xls (made with xlwt): a hidden sheet 说明 first, then 留守儿童
    with a merged title in row 1, the header in row 3 and 序号 in column A."""
    sheet = read((FIXTURES / "children.xls").read_bytes(), "children.xls")

    assert sheet.name == "留守儿童"
    assert sheet.header_row == 3
    assert sheet.unknown_headers == ["序号"]
    rows = list(sheet.rows)
    assert [(row.number, row.values["name"], row.errors) for row in rows] == [
        (4, "张小明", ()),
        (6, "李小红", ()),
        (7, "王一", ("该行有合并单元格，请取消合并后再导入",)),
        (8, "王二", ("该行有合并单元格，请取消合并后再导入",)),
    ]
    assert rows[0].values["birth_date"] == datetime.date(2010, 3, 5)
    assert rows[1].values["birth_date"] == "2011.4.6"
    assert isinstance(rows[1].values["id_number"], float)  # typed as a number in Excel


def test_an_ods_file_is_read():
    sheet = read(ods([["姓名", "村（社区）代码"], ["张小明", VILLAGE]]), "台账.ods")

    assert [(row.number, row.values) for row in sheet.rows] == [
        (2, {"name": "张小明", "village": VILLAGE})
    ]


def test_an_xlsx_renamed_xls_still_reads():
    sheet = read(xlsx([HEADER, ["张小明", ID_NUMBER, VILLAGE]]), "台账.xls")

    assert [row.values["name"] for row in sheet.rows] == ["张小明"]


def test_a_gbk_csv_without_bom_is_read():
    text = (
        "松溪县农村留守儿童信息表\r\n"
        "姓名,身份证号码,村（社区）代码\r\n"
        "张小明,350724201003051234,350724101200\r\n"
    )

    sheet = read(text.encode("gbk"), "台账.csv")

    assert sheet.name == "台账"
    assert sheet.header_row == 2
    assert rows_of(sheet) == [(3, {"name": "张小明", "id_number": ID_NUMBER, "village": VILLAGE})]


def test_a_utf8_csv_with_bom_is_read():
    text = (
        "姓名,身份证号码,村（社区）代码\n"
        "张小明,350724201003051234,350724101200\n"
        "\n"
        "李小红,,350724101200\n"
    )

    sheet = read(text.encode("utf-8-sig"), "台账.csv")

    assert [col.key for _at, col in sheet.columns] == ["name", "id_number", "village"]
    assert [(row.number, row.values["name"]) for row in sheet.rows] == [
        (2, "张小明"),
        (4, "李小红"),
    ]


def test_a_utf8_csv_without_bom_and_with_a_quoted_line_break_is_read():
    text = (
        "姓名,现住址,村（社区）代码\n"
        '张小明,"郑墩镇\n下街 5 号",350724101200\n'
        "李小红,,350724101200\n"
    )

    sheet = read(text.encode(), "台账.csv")

    assert [(row.number, row.values["address"]) for row in sheet.rows] == [
        (2, "郑墩镇\n下街 5 号"),
        (3, ""),
    ]


def test_a_tab_separated_unicode_text_file_is_read():
    """What Excel writes as 「Unicode 文本」: UTF-16 with a BOM, tab-separated."""
    text = "姓名\t身份证号码\t村（社区）代码\r\n张小明\t350724201003051234\t350724101200\r\n"

    sheet = read(text.encode("utf-16"), "台账.txt")

    assert rows_of(sheet) == [(2, {"name": "张小明", "id_number": ID_NUMBER, "village": VILLAGE})]


def test_a_csv_with_too_many_rows_is_refused():
    text = "姓名,村（社区）代码\n" + "".join(f"儿童{i},{VILLAGE}\n" for i in range(6))

    assert file_error(text.encode(), "台账.csv", max_rows=5).startswith("行数太多（6 行）")


def test_a_binary_file_renamed_csv_is_refused():
    data = xlsx([HEADER, ["张小明", ID_NUMBER, VILLAGE]])

    assert file_error(data, "台账.csv") == "这不是文本（CSV）文件；Excel 文件请保存为 .xlsx 后上传"


# --- broken and hostile files ----------------------------------------------------------


def test_a_password_protected_workbook_is_refused():
    """password.xlsx: an .xlsx encrypted by msoffcrypto-tool with the password 1234."""
    data = (FIXTURES / "password.xlsx").read_bytes()

    assert file_error(data, "台账.xlsx") == PASSWORD
    assert file_error(data, "台账.xls") == PASSWORD  # renamed: still the same file


def test_a_truncated_workbook_is_refused_as_corrupt():
    data = xlsx([HEADER, *[[f"儿童{i}", "", VILLAGE] for i in range(100)]])

    assert file_error(data[: len(data) // 2]) == CORRUPT
    assert file_error(data[:10]) == CORRUPT


def test_a_workbook_with_a_damaged_member_is_refused_as_corrupt():
    stored = io.BytesIO()
    good = xlsx([HEADER, ["张小明", ID_NUMBER, VILLAGE]])
    with zipfile.ZipFile(io.BytesIO(good)) as source, zipfile.ZipFile(stored, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info), zipfile.ZIP_STORED)
    data = stored.getvalue()
    # One byte changed inside the stored sheet: its CRC no longer matches.
    damaged = data.replace(b"<sheetData>", b"<sheetDaTa>", 1)

    assert damaged != data
    assert file_error(damaged) == CORRUPT


def test_50_mb_of_junk_renamed_xlsx_is_refused_by_size_first():
    junk = os.urandom(50 * MB)

    assert file_error(junk) == "文件太大（50 MB），最大 20 MB；请分成几个文件导入"


def test_junk_renamed_xlsx_is_refused_by_size_under_a_lower_limit():
    assert file_error(os.urandom(3 * MB), max_bytes=2 * MB) == (
        "文件太大（3 MB），最大 2 MB；请分成几个文件导入"
    )


def test_junk_under_the_size_limit_renamed_xlsx_is_corrupt():
    assert file_error(os.urandom(100_000)) == CORRUPT
    assert file_error(b"PK\x03\x04" + os.urandom(1000)) == CORRUPT
    assert file_error(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000), "台账.xls") == CORRUPT


def test_a_web_page_named_xls_is_refused_with_a_hint():
    page = "<html><body><table><tr><td>姓名</td></tr></table></body></html>".encode()

    assert file_error(page, "台账.xls") == (
        "这是网页格式的表格，不是 Excel 文件；请用 Excel 另存为 .xlsx"
    )


def test_a_zip_bomb_member_with_an_extreme_ratio_is_refused_before_calamine_reads_it():
    def add_bomb(name: str, content: bytes) -> bytes:
        if name == "xl/worksheets/sheet1.xml":
            # 20 MB of padding inside the sheet: compresses about 1000:1.
            return content.replace(b"</worksheet>", b" " * (20 * MB) + b"</worksheet>")
        return content

    data = rezip(xlsx([HEADER, ["张小明", ID_NUMBER, VILLAGE]]), add_bomb)
    assert len(data) < MB

    assert file_error(data) == BOMB


def test_a_workbook_that_unpacks_past_the_limit_is_refused():
    data = xlsx([HEADER, *[[f"儿童{i}", ID_NUMBER, VILLAGE] for i in range(200)]])

    assert file_error(data, max_uncompressed=10_000) == BOMB
    assert len(list(read(data).rows)) == 200


def test_an_empty_file_is_refused():
    assert file_error(b"") == "文件是空的"
    assert file_error(b"", "台账.csv") == "文件是空的"


def test_an_unknown_file_type_is_refused():
    assert file_error(b"%PDF-1.4", "台账.pdf") == (
        "不支持「.pdf」文件：请上传 Excel（.xlsx、.xls）、.ods 或 .csv 文件"
    )
    assert file_error(b"x", "台账").startswith("不支持「台账」文件")


# --- limits --------------------------------------------------------------------------


def test_limits_default_to_the_documented_values():
    assert Limits() == Limits(
        max_bytes=20 * MB, max_rows=200_000, max_uncompressed=500 * MB, max_ratio=100
    )


@override_settings(LEDGER_IMPORT_MAX_ROWS=50, LEDGER_IMPORT_MAX_BYTES=MB)
def test_limits_come_from_settings_when_set():
    limits = Limits()

    assert (limits.max_rows, limits.max_bytes, limits.max_ratio) == (50, MB, 100)


# --- helpers -------------------------------------------------------------------------


def ods(rows: list[list[str]]) -> bytes:
    """A minimal OpenDocument spreadsheet of text cells."""
    cells = "".join(
        "<table:table-row>"
        + "".join(
            f'<table:table-cell office:value-type="string"><text:p>{value}</text:p>'
            "</table:table-cell>"
            for value in row
        )
        + "</table:table-row>"
        for row in rows
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content office:version="1.2"'
        ' xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">'
        f'<office:body><office:spreadsheet><table:table table:name="台账">{cells}'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest manifest:version="1.2"'
        ' xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        '<manifest:file-entry manifest:full-path="/"'
        ' manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content)
    return out.getvalue()


def test_volunteers_ledger_reads_its_own_headers():
    data = xlsx(
        [["姓名", "类别", "所属组织", "所在地区代码"], ["陈志远", "志愿者", "团委", VILLAGE]]
    )

    sheet = read(data, ledger=VOLUNTEERS)

    assert [col.key for _at, col in sheet.columns] == ["name", "kind", "organisation", "area"]

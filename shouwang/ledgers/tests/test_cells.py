"""Reading one cell for its column: what Excel does to dates, ID numbers and
phone numbers, and the Chinese message a village worker sees when it is wrong."""

from __future__ import annotations

import datetime

import pytest
from django.utils import translation

from shouwang.ledgers.cells import CellError, cell_value
from shouwang.ledgers.columns import (
    CHILDREN,
    CONTACTS,
    ID_NUMBER,
    TEXT,
    VOLUNTEERS,
    Column,
)

NAME = CHILDREN.column("name")
ADDRESS = CHILDREN.column("address")
BIRTH_DATE = CHILDREN.column("birth_date")
ID = CHILDREN.column("id_number")
PHONE = CHILDREN.column("phone")
SEX = CHILDREN.column("sex")
INCOME = CHILDREN.column("income_sources")
BOARDING = CHILDREN.column("boarding")
VILLAGE = CHILDREN.column("village")
CAPACITY = VOLUNTEERS.column("capacity")
DURATION = CONTACTS.column("duration_minutes")

VALID_ID = "350724201003051234"
ID_NUMBER_LOST = "身份证号码被存成了数字，末尾几位已经丢失；请把该列设为文本格式后重新填写"
ZERO_LOST = "电话号码开头的 0 已丢失，请把该列设为文本格式后重新填写"


def error(column: Column, raw: object) -> str:
    with pytest.raises(CellError) as caught:
        cell_value(column, raw)
    return str(caught.value)


# --- text ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("张小明  ", "张小明"),  # trailing spaces
        ("\u3000张小明\t", "张小明"),  # full-width space
        ("郑墩镇下街１２号", "郑墩镇下街12号"),  # full-width digits
        ("ＡＢＣ", "ABC"),
        (12.0, "12"),  # a whole number read as float
        (12, "12"),
        (3.5, "3.5"),
        (0.1 + 0.2, "0.3"),  # Excel's 15 significant digits
        (True, "是"),
        (datetime.date(2010, 3, 5), "2010-03-05"),
        (datetime.datetime(2010, 3, 5, 0, 0), "2010-03-05"),  # noqa: DTZ001 - as calamine gives
        ("", ""),
        (None, ""),
        ("   ", ""),
    ],
)
def test_text_cells(raw, expected):
    assert cell_value(ADDRESS, raw) == expected


# --- dates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "2010.3.5",
        "2010年3月5日",
        "2010/03/05",
        "2010-3-5",
        "2010-03-05",
        "20100305",
        "２０１０年３月５日",  # full-width digits
        "２０１０．３．５",
        " 2010-03-05 00:00:00 ",  # a datetime written out by another system
        datetime.date(2010, 3, 5),  # a real date cell
        datetime.datetime(2010, 3, 5, 0, 0),  # noqa: DTZ001 - calamine gives naive datetimes
        40242.0,  # the Excel serial number of 2010-03-05
        40242,
        40242.75,  # a serial with a time of day
        20100305.0,  # 20100305 typed as a number
    ],
)
def test_dates_excel_and_people_write(raw):
    assert cell_value(BIRTH_DATE, raw) == datetime.date(2010, 3, 5)


def test_early_serial_numbers_allow_for_excels_phantom_leap_day():
    assert cell_value(BIRTH_DATE, 1.0) == datetime.date(1900, 1, 1)
    assert cell_value(BIRTH_DATE, 59.0) == datetime.date(1900, 2, 28)
    assert cell_value(BIRTH_DATE, 61.0) == datetime.date(1900, 3, 1)
    assert error(BIRTH_DATE, 60.0).startswith("「60」不是日期")


def test_an_impossible_date_is_refused():
    assert error(BIRTH_DATE, "2010-2-30") == "日期「2010-2-30」不存在"
    assert error(BIRTH_DATE, "2010年13月1日") == "日期「2010年13月1日」不存在"
    assert error(BIRTH_DATE, 20100230.0) == "日期「20100230」不存在"


@pytest.mark.parametrize("raw", ["2010", "2010年", "2010.3", "2010年3月", 2010.0, 2010.3])
def test_a_year_or_a_year_and_month_is_not_a_date(raw):
    assert error(BIRTH_DATE, raw).endswith("不完整；请写出年、月、日，如 2010-03-05")


@pytest.mark.parametrize("raw", ["明年", "3/5/2010", "2010.3-5", "10-3-5", True, -5.0])
def test_other_text_is_not_a_date(raw):
    assert error(BIRTH_DATE, raw).endswith("不是日期；请写成 2010-03-05 这样的年月日")


def test_a_year_out_of_range_is_refused():
    assert error(BIRTH_DATE, "1850-01-01") == "日期「1850-01-01」的年份不对"


def test_an_empty_date_is_none():
    assert cell_value(BIRTH_DATE, "") is None
    assert cell_value(BIRTH_DATE, None) is None


# --- ID numbers ----------------------------------------------------------------------


def test_an_id_number_as_text_is_checked_and_canonical():
    assert cell_value(ID, VALID_ID) == VALID_ID
    assert cell_value(ID, f" {VALID_ID} ") == VALID_ID
    assert cell_value(ID, "３５０７２４２０１００３０５１２３４") == VALID_ID  # full-width


def test_a_lowercase_x_becomes_uppercase():
    number = "35072419800101016X"
    assert cell_value(ID, number.lower()) == number


def test_a_15_digit_legacy_id_number_is_converted():
    assert cell_value(ID, "350724550101002") == "350724195501010023"


def test_a_15_digit_legacy_id_number_stored_as_a_number_is_still_exact():
    assert cell_value(ID, 350724550101002.0) == "350724195501010023"
    assert cell_value(ID, 350724550101002) == "350724195501010023"


@pytest.mark.parametrize(
    "raw",
    [
        3.50724201005031e17,  # what Excel keeps of 350724201003051234
        3.507242010030513e17,
        350724201003051234.0,
        350724201003051234,  # an int of 18 digits: cannot have come through Excel intact
        3507242010030512,  # 16 digits
        "3.50724E+17",  # the same, as a CSV saved by Excel shows it
        "350724201003051000",  # the last three digits zeroed
    ],
)
def test_an_id_number_stored_as_a_number_is_refused(raw):
    assert "末" in error(ID, raw) and "丢失" in error(ID, raw)


def test_the_message_for_a_number_cell_says_what_to_do():
    assert error(ID, 3.50724201005031e17) == ID_NUMBER_LOST


def test_a_wrong_id_number_keeps_the_reason():
    assert error(ID, "350724201003051235") == "身份证号码校验位错误"
    assert error(ID, "35072420100305") == "身份证号码应为18位（或15位旧号码）"


def test_an_empty_id_number_is_empty():
    assert cell_value(ID, "") == ""
    assert cell_value(ID, None) == ""


# --- phones --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        (13812345678.0, "13812345678"),  # a mobile as a number is fine
        (13812345678, "13812345678"),
        ("１３８ １２３４ ５６７８", "13812345678"),  # full-width digits and spaces
        ("0599-6234567", "0599-6234567"),
        ("(0599)6234567", "0599-6234567"),
        ("+86 138 1234 5678", "13812345678"),
        ("", ""),
    ],
)
def test_phone_numbers(raw, expected):
    assert cell_value(PHONE, raw) == expected


@pytest.mark.parametrize("raw", [5996234567.0, 5996234567, 1012345678.0, 201234567.0])
def test_a_landline_that_lost_its_leading_zero_is_refused(raw):
    assert error(PHONE, raw) == ZERO_LOST


def test_a_landline_as_digits_only_text_lost_its_zero_too():
    assert error(PHONE, "5996234567") == "电话号码开头的 0 已丢失；座机请带区号，如 0599-6234567"


def test_a_number_that_is_no_landline_even_with_a_zero_is_just_malformed():
    assert error(PHONE, 599623456.0) == "电话号码格式不正确（手机号11位，座机请带区号）"


def test_a_malformed_phone_keeps_the_reason():
    assert error(PHONE, "138123") == "电话号码格式不正确（手机号11位，座机请带区号）"
    assert error(PHONE, 1381234.5) == "电话号码格式不正确（手机号11位，座机请带区号）"


# --- choices -------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [("男", "M"), ("M", "M"), (" f ", "F"), ("女 ", "F")])
def test_a_choice_matches_its_label_or_its_value(raw, expected):
    assert cell_value(SEX, raw) == expected


def test_a_choice_matches_the_chinese_label_in_an_english_session():
    with translation.override("en"):
        assert cell_value(SEX, "男") == "M"


def test_an_unknown_choice_lists_the_choices():
    assert error(SEX, "女性") == "「女性」不是可选的值（可选：男、女）"


def test_an_empty_choice_is_empty():
    assert cell_value(SEX, "  ") == ""


def test_a_multiple_choice_splits_on_chinese_and_western_separators():
    first, second, *_rest = INCOME.choices
    raw = f"{first[1]}、{second[1]}，{first[1]}"

    assert cell_value(INCOME, raw) == [first[0], second[0]]
    assert cell_value(INCOME, f"{first[1]};{second[1]}") == [first[0], second[0]]
    assert cell_value(INCOME, f"{first[1]}；{second[1]}") == [first[0], second[0]]
    assert cell_value(INCOME, "") == []


def test_a_multiple_choice_names_the_entry_it_does_not_know():
    first = INCOME.choices[0][1]
    assert error(INCOME, f"{first}、炒股").startswith("「炒股」不是可选的值（可选：")


# --- yes / no ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["是", "√", "✓", "Y", "y", "yes", "YES", "1", 1.0, "true", "有", True]
)
def test_yes(raw):
    assert cell_value(BOARDING, raw) is True


@pytest.mark.parametrize("raw", ["否", "×", "N", "no", "0", 0.0, "false", "无", False, "Ｎ"])
def test_no(raw):
    assert cell_value(BOARDING, raw) is False


def test_an_empty_yes_no_is_not_given():
    assert cell_value(BOARDING, "") is None


def test_anything_else_is_not_yes_or_no():
    assert error(BOARDING, "也许") == "「也许」不是“是”或“否”"
    assert error(BOARDING, 2.0) == "「2」不是“是”或“否”"


# --- whole numbers and areas -----------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [(3, 3), (3.0, 3), ("3", 3), (" ３ ", 3), ("3.0", 3)])
def test_whole_numbers(raw, expected):
    assert cell_value(CAPACITY, raw) == expected


@pytest.mark.parametrize("raw", [3.5, "3.5", "三", "3人", True])
def test_not_whole_numbers(raw):
    assert error(DURATION, raw).endswith("不是整数")


def test_an_empty_whole_number_is_none():
    assert cell_value(CAPACITY, "") is None


@pytest.mark.parametrize(
    "raw",
    ["350724101200", 350724101200.0, 350724101200, " 350724101200 ", "３５０７２４１０１２００"],
)
def test_area_codes(raw):
    assert cell_value(VILLAGE, raw) == "350724101200"


@pytest.mark.parametrize("raw", ["350724101", 350724101.0, "35072410120X", "郑墩镇"])
def test_an_area_code_must_have_12_digits(raw):
    assert error(VILLAGE, raw).endswith("应为 12 位数字，如 350724101200")


def test_cell_value_dispatches_on_kind():
    assert cell_value(Column("x", "X", TEXT), 1.0) == "1"
    assert cell_value(Column("x", "X", ID_NUMBER), "") == ""
    assert cell_value(NAME, " 张小明 ") == "张小明"

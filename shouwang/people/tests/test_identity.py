from datetime import date, timedelta

import pytest
from django.utils import timezone
from stdnum.cn.ric import calc_check_digit

from shouwang.people.identity import (
    IdNumber,
    IdNumberError,
    PhoneError,
    check_id_matches,
    mask_id_number,
    mask_phone,
    normalize_id_number,
    normalize_phone,
    parse_id_number,
)

WELL_KNOWN = "11010519491231002X"  # 北京市朝阳区, 1949-12-31, female
EXCEL_MESSAGE = "Excel"


def with_check(body: str) -> str:
    """An 18-character number: 17 digits plus their correct check character."""
    assert len(body) == 17
    return body + calc_check_digit(body + "0")  # stdnum ignores the last position


def wrong_check(number: str) -> str:
    """The same number with a check character off by one (0-9, X cycling)."""
    alphabet = "0123456789X"
    return number[:-1] + alphabet[(alphabet.index(number[-1]) + 1) % len(alphabet)]


def gb11643_check(body: str) -> str:
    """The check character as GB 11643 tabulates it, independently of stdnum."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def born(on: str, *, region: str = "110105", sequence: str = "001") -> str:
    return with_check(region + on + sequence)


# --- valid numbers --------------------------------------------------------------


def test_a_well_known_valid_number_gives_birth_date_sex_and_region():
    parsed = parse_id_number(WELL_KNOWN)
    assert parsed == IdNumber(
        number=WELL_KNOWN,
        birth_date=date(1949, 12, 31),
        sex="F",
        region_code="110105",
        warnings=(),
    )


@pytest.mark.parametrize("body", ["11010519491231002", "35072420120305004", "44030419991231997"])
def test_stdnum_check_character_agrees_with_the_gb11643_table(body):
    assert calc_check_digit(body + "0") == gb11643_check(body)


@pytest.mark.parametrize(("sequence", "sex"), [("001", "M"), ("002", "F"), ("999", "M")])
def test_sex_is_male_for_an_odd_17th_digit_and_female_for_an_even_one(sequence, sex):
    assert parse_id_number(born("19800101", sequence=sequence)).sex == sex


def test_a_number_with_check_character_x_is_valid():
    number = next(
        n for n in (born("19800101", sequence=f"{s:03d}") for s in range(1000)) if n[-1] == "X"
    )
    assert parse_id_number(number).number == number


def test_a_valid_number_ending_in_000_is_not_mistaken_for_an_excel_float():
    number = "110105198001010200"
    assert calc_check_digit(number) == "0"
    assert parse_id_number(number).number == number


# --- normalisation --------------------------------------------------------------


def test_full_width_digits_and_letters_become_ascii():
    assert normalize_id_number("１１０１０５１９４９１２３１００２Ｘ") == WELL_KNOWN
    assert parse_id_number("１１０１０５１９４９１２３１００２ｘ").number == WELL_KNOWN


def test_a_lowercase_x_becomes_uppercase():
    assert normalize_id_number("11010519491231002x") == WELL_KNOWN


def test_spaces_full_width_spaces_dashes_and_excel_text_quote_are_removed():
    assert normalize_id_number(" 110105 1949-1231\u3000002x\t") == WELL_KNOWN
    assert normalize_id_number("'11010519491231002X") == WELL_KNOWN
    assert normalize_id_number("\ufeff110105\u200b19491231002X") == WELL_KNOWN


def test_a_legacy_15_digit_number_becomes_18_digits_born_in_the_1900s():
    assert normalize_id_number("110105491231002") == WELL_KNOWN
    assert normalize_id_number("350724800101001") == "350724198001010012"
    assert gb11643_check("35072419800101001") == "2"


def test_a_legacy_15_digit_number_parses_like_its_18_digit_form():
    assert parse_id_number("110105491231002") == parse_id_number(WELL_KNOWN)


@pytest.mark.parametrize("raw", ["1101054912310021", "11010549123100", "11010549123100X"])
def test_normalisation_converts_only_exactly_15_digits(raw):
    assert normalize_id_number(raw) == raw


# --- hard errors ----------------------------------------------------------------


@pytest.mark.parametrize("raw", ["", "   ", "\u3000", "-"])
def test_an_empty_number_is_refused(raw):
    with pytest.raises(IdNumberError, match="请填写身份证号码"):
        parse_id_number(raw)


@pytest.mark.parametrize(
    "raw", ["1101051949123100", "11010519491231002", "110105194912310021X", "11010549123100X"]
)
def test_a_number_of_neither_15_nor_18_characters_is_refused(raw):
    with pytest.raises(IdNumberError) as exc:
        parse_id_number(raw)
    assert str(exc.value) == "身份证号码应为18位（或15位旧号码）"


@pytest.mark.parametrize(
    "raw", ["1101051949123100X2", "11010519491231002Y", "11010519491231O02X", "X10105491231002"]
)
def test_letters_other_than_a_final_x_are_refused(raw):
    with pytest.raises(IdNumberError, match="只能包含数字，最后一位可以是X"):
        parse_id_number(raw)


@pytest.mark.parametrize(
    "raw", ["3.50724E+17", "3.50724198001010e+17", "3.5072419800101E17", "350724198001010000.0"]
)
def test_a_number_excel_turned_into_a_float_is_refused_as_such(raw):
    with pytest.raises(IdNumberError, match=EXCEL_MESSAGE) as exc:
        parse_id_number(raw)
    assert "丢失" in str(exc.value)


def test_18_digits_ending_in_000_with_a_wrong_check_are_reported_as_excel_damage():
    # 350724198001010012 after Excel: 15 significant digits, then zeros.
    with pytest.raises(IdNumberError, match=EXCEL_MESSAGE):
        parse_id_number("350724198001010000")


def test_a_check_character_off_by_one_is_refused():
    assert parse_id_number(WELL_KNOWN)
    with pytest.raises(IdNumberError) as exc:
        parse_id_number(wrong_check(WELL_KNOWN))
    assert str(exc.value) == "身份证号码校验位错误"


@pytest.mark.parametrize("last", "0123456789")
def test_every_wrong_check_character_is_refused(last):
    with pytest.raises(IdNumberError, match="校验位错误"):
        parse_id_number(WELL_KNOWN[:-1] + last)


@pytest.mark.parametrize("day", ["20000229", "20040229", "19960229"])
def test_february_29_of_a_leap_year_is_a_valid_birth_date(day):
    assert parse_id_number(born(day)).birth_date.isoformat() == f"{day[:4]}-02-29"


@pytest.mark.parametrize(
    "day", ["19990229", "19000229", "21000229", "19990231", "19801301", "19800100", "19800132"]
)
def test_an_impossible_birth_date_is_refused(day):
    with pytest.raises(IdNumberError) as exc:
        parse_id_number(born(day))
    assert str(exc.value) == "身份证号码中的出生日期无效"


def test_a_birth_date_of_today_is_accepted_and_tomorrow_refused():
    today = date(2024, 5, 1)
    assert parse_id_number(born("20240501"), today=today).birth_date == today
    with pytest.raises(IdNumberError, match="出生日期晚于今天"):
        parse_id_number(born("20240502"), today=today)


def test_today_defaults_to_the_local_date():
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(IdNumberError, match="出生日期晚于今天"):
        parse_id_number(born(tomorrow.strftime("%Y%m%d")))
    assert parse_id_number(born(timezone.localdate().strftime("%Y%m%d")))


def test_birth_on_1900_01_01_is_accepted_and_on_1899_12_31_refused():
    assert parse_id_number(born("19000101")).birth_date == date(1900, 1, 1)
    with pytest.raises(IdNumberError, match="出生日期早于1900年"):
        parse_id_number(born("18991231"))


def test_the_error_is_a_value_error_whose_text_is_the_message():
    with pytest.raises(ValueError, match="^身份证号码校验位错误$"):
        parse_id_number(wrong_check(WELL_KNOWN))


# --- region code: warnings only ---------------------------------------------------


def test_a_county_code_before_it_existed_is_only_a_warning():
    # stdnum's table has 350724 松溪县 from 1994 on; older holders have such numbers.
    parsed = parse_id_number(born("19931231", region="350724"))
    assert parsed.region_code == "350724"
    assert parsed.warnings == ("区划代码 350724 在出生年份不存在，请核对",)


def test_a_county_code_in_its_first_year_gives_no_warning():
    assert parse_id_number(born("19940101", region="350724")).warnings == ()


def test_a_retired_county_code_is_only_a_warning_after_it_was_retired():
    # 110103 崇文区: until 2010.
    assert parse_id_number(born("20101231", region="110103")).warnings == ()
    assert parse_id_number(born("20110101", region="110103")).warnings == (
        "区划代码 110103 在出生年份不存在，请核对",
    )


def test_a_code_whose_name_changed_is_valid_in_both_periods():
    # 120110: [-1991]东郊区,[1992-]东丽区.
    assert parse_id_number(born("19910101", region="120110")).warnings == ()
    assert parse_id_number(born("19920101", region="120110")).warnings == ()


@pytest.mark.parametrize("region", ["119999", "999999"])
def test_a_region_code_unknown_to_the_table_is_only_a_warning(region):
    parsed = parse_id_number(born("19800101", region=region))
    assert parsed.warnings == (f"区划代码 {region} 不在区划代码表中，请核对",)


# --- entered birth date and sex against the ID ------------------------------------


def test_matching_or_missing_birth_date_and_sex_give_no_errors():
    parsed = parse_id_number(WELL_KNOWN)
    assert check_id_matches(parsed, birth_date=date(1949, 12, 31), sex="F") == {}
    assert check_id_matches(parsed, birth_date=None, sex=None) == {}
    assert check_id_matches(parsed, birth_date=None, sex="") == {}


def test_a_birth_date_one_day_off_is_reported_with_the_ids_date():
    parsed = parse_id_number(born("20120305"))
    assert check_id_matches(parsed, birth_date=date(2012, 3, 6), sex=None) == {
        "birth_date": "出生日期与身份证号码不一致（身份证为 2012-03-05）"
    }


def test_a_man_entered_for_a_womans_id_is_reported():
    parsed = parse_id_number(born("20120305", sequence="002"))
    assert check_id_matches(parsed, birth_date=None, sex="M") == {
        "sex": "性别与身份证号码不一致（身份证为女）"
    }


def test_a_woman_entered_for_a_mans_id_is_reported():
    parsed = parse_id_number(born("20120305", sequence="001"))
    assert check_id_matches(parsed, birth_date=None, sex="F") == {
        "sex": "性别与身份证号码不一致（身份证为男）"
    }


def test_both_disagreements_are_reported_together():
    parsed = parse_id_number(WELL_KNOWN)
    assert set(check_id_matches(parsed, birth_date=date(1950, 1, 1), sex="M")) == {
        "birth_date",
        "sex",
    }


# --- masking --------------------------------------------------------------------


def test_an_id_number_keeps_its_first_6_and_last_4_characters():
    assert mask_id_number("35072419800101123X") == "350724********123X"
    assert mask_id_number(WELL_KNOWN) == "110105********002X"


def test_a_15_digit_number_is_masked_the_same_way():
    assert mask_id_number("350724800101001") == "350724*****1001"


@pytest.mark.parametrize(("raw", "masked"), [("", ""), (None, ""), ("1234567890", "**********")])
def test_empty_and_short_id_numbers_reveal_nothing(raw, masked):
    assert mask_id_number(raw) == masked


# --- phone numbers --------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("+86 138 1234 5678", "13812345678"),
        ("0086-138-1234-5678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("19912345678", "19912345678"),
        ("0599-1234567", "0599-1234567"),
        ("059912345678", "0599-12345678"),
        ("(0599)2345678", "0599-2345678"),
        ("（０５９９）２３４５６７８", "0599-2345678"),
        ("010-12345678", "010-12345678"),
        ("02112345678", "021-12345678"),
        ("+86 599 2345678", "0599-2345678"),
        ("+86 10 12345678", "010-12345678"),
    ],
)
def test_phone_numbers_are_normalised(raw, normalised):
    assert normalize_phone(raw) == normalised


@pytest.mark.parametrize(
    "raw",
    [
        "12345",
        "",
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "12812345678",  # second digit 2
        "0599-123456",  # local number of 6 digits
        "0599-123456789",  # local number of 9 digits
        "2345678",  # no area code
        "138-1234-567x",
    ],
)
def test_other_phone_numbers_are_refused(raw):
    with pytest.raises(PhoneError) as exc:
        normalize_phone(raw)
    assert str(exc.value) == "电话号码格式不正确（手机号11位，座机请带区号）"


def test_a_mobile_number_shows_its_first_3_and_last_4_digits():
    assert mask_phone("13812345678") == "138****5678"


def test_a_landline_shows_its_area_code_and_last_2_digits():
    assert mask_phone("0599-2345678") == "0599-*****78"
    assert mask_phone("010-12345678") == "010-******78"


@pytest.mark.parametrize(("raw", "masked"), [("", ""), (None, ""), ("12345", "*****")])
def test_empty_and_invalid_phone_numbers_reveal_nothing(raw, masked):
    assert mask_phone(raw) == masked

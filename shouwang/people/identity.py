"""Resident ID numbers (GB 11643-1999) and phone numbers: normalise, check, mask.

An ID number is 6-digit region code + 8-digit birth date + 3-digit sequence (odd for
men, even for women) + an ISO 7064 MOD 11-2 check character (0-9 or X). Legacy
15-digit numbers (2-digit year, no check character) are converted to 18 digits.

Hard errors (`IdNumberError`): wrong length or characters, a number Excel turned
into a float, an impossible or out-of-range birth date, a wrong check character.
The region code is only *warned* about: real people hold numbers whose county
code was retired or did not yet exist in their birth year (domain.md §4), so
`stdnum.cn.ric.validate` — which rejects those — is not used; its component
functions and its region table are.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import InvalidComponent

# Whitespace, dashes, underscores, quotes (Excel's text prefix ') and zero-width
# characters pasted along with a number. Dots are kept: they mark Excel floats.
_SEPARATORS = re.compile(r"[\s\-_\u2010-\u2015'\"\u2018\u2019\u201c\u201d\u200b-\u200d\ufeff]")
# What Excel shows or exports once it has stored an ID number as a float.
_EXCEL_SCIENTIFIC = re.compile(r"\d+(\.\d+)?E\+?\d+")
_EXCEL_FLOAT = re.compile(r"\d{15,18}\.0+")
_ID_CHARACTERS = re.compile(r"[0-9]*X?")
_EARLIEST_BIRTH = date(1900, 1, 1)


class IdNumberError(ValueError):
    """An ID number that cannot be accepted; str(exc) is the Chinese message."""


@dataclass(frozen=True)
class IdNumber:
    """A checked ID number and what it says about its holder.

    `number` is 18 characters, digits with an optional final uppercase X;
    `sex` is "M" or "F"; `warnings` are Chinese messages that do not block saving.
    """

    number: str
    birth_date: date
    sex: str
    region_code: str
    warnings: tuple[str, ...] = ()


def normalize_id_number(raw: str) -> str:
    """Canonical form of a typed or imported ID number; does not validate it.

    Full-width characters become ASCII (NFKC), whitespace (including the
    full-width space), dashes, quotes and zero-width characters are removed and
    letters are uppercased (x → X). Exactly 15 digits are taken as a legacy
    number and converted to 18: "19" is inserted before the year and the check
    character appended. Anything else is returned as cleaned, whatever its length.
    """
    number = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw or "")).upper()
    if len(number) == 15 and number.isascii() and number.isdigit():
        body = f"{number[:6]}19{number[6:]}"
        # stdnum expects the check position to be present and ignores its value.
        return body + ric.calc_check_digit(body + "0")
    return number


def parse_id_number(raw: str, *, today: date | None = None) -> IdNumber:
    """Check an ID number and read birth date, sex and region code from it.

    Raises IdNumberError when the number is empty, has the wrong characters or
    length, was turned into a float by Excel, holds an impossible birth date or
    one before 1900-01-01 or after `today` (default: today in settings.TIME_ZONE),
    or has a wrong check character. A region code unknown to stdnum's table, or
    not valid in the birth year, only adds a warning.
    """
    number = normalize_id_number(raw)
    if not number:
        raise IdNumberError(_("请填写身份证号码"))
    if _looks_like_excel_float(number):
        raise IdNumberError(_excel_message())
    if not _ID_CHARACTERS.fullmatch(number):
        raise IdNumberError(_("身份证号码只能包含数字，最后一位可以是X"))
    if len(number) != 18:
        raise IdNumberError(_("身份证号码应为18位（或15位旧号码）"))
    birth_date = _birth_date(number, today=today or timezone.localdate())
    if number[-1] != ric.calc_check_digit(number):
        if number.endswith("000"):
            # Excel keeps 15 significant digits: the last three become zeros.
            raise IdNumberError(_excel_message())
        raise IdNumberError(_("身份证号码校验位错误"))
    warning = region_warning(number[:6], birth_date.year)
    return IdNumber(
        number=number,
        birth_date=birth_date,
        sex="M" if int(number[16]) % 2 else "F",
        region_code=number[:6],
        warnings=(warning,) if warning else (),
    )


@functools.lru_cache(maxsize=8192)
def _counties(region_code: str) -> str | None:
    """stdnum's entry for a region code ("[1983-]松溪县,…"), or None: looked up once
    per code (a ledger of a county repeats a few codes 100,000 times)."""
    info: dict[str, str] = {}
    for _part, props in numdb.get("cn/loc").info(region_code):
        info.update(props)
    return info.get("county")


def region_warning(region_code: str, year: int) -> str | None:
    """A Chinese warning when stdnum's region table does not know `region_code`
    as a county in `year`, else None. Never a reason to reject a number."""
    counties = _counties(region_code)
    if counties is None:
        return _("区划代码 %(code)s 不在区划代码表中，请核对") % {"code": region_code}
    for county in counties.split(","):
        if not county.startswith("["):
            return None
        start, end = county[1:].split("]")[0].split("-")
        if (not start or year >= int(start)) and (not end or year <= int(end)):
            return None
    return _("区划代码 %(code)s 在出生年份不存在，请核对") % {"code": region_code}


def check_id_matches(
    id_number: IdNumber, /, *, birth_date: date | None, sex: str | None
) -> dict[str, str]:
    """Field name → Chinese error for an entered birth date or sex ("M"/"F") that
    disagrees with the ID number; fields left empty (None or "") are not checked."""
    errors: dict[str, str] = {}
    if birth_date is not None and birth_date != id_number.birth_date:
        errors["birth_date"] = _("出生日期与身份证号码不一致（身份证为 %(date)s）") % {
            "date": id_number.birth_date.isoformat()
        }
    if sex and sex != id_number.sex:
        errors["sex"] = _("性别与身份证号码不一致（身份证为%(sex)s）") % {
            "sex": _("男") if id_number.sex == "M" else _("女")
        }
    return errors


def mask_id_number(number: str | None) -> str:
    """Keep the first 6 and last 4 characters, star the rest:
    "350724********123X". Numbers of 10 characters or fewer are starred whole;
    empty or None gives ""."""
    if not number:
        return ""
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def _looks_like_excel_float(number: str) -> bool:
    return bool(_EXCEL_SCIENTIFIC.fullmatch(number) or _EXCEL_FLOAT.fullmatch(number))


def _excel_message() -> str:
    return _("身份证号码被 Excel 当成数字保存，末几位已丢失；请把该列设为“文本”格式后重新填写")


def _birth_date(number: str, *, today: date) -> date:
    try:
        birth_date = ric.get_birth_date(number)
    except InvalidComponent:
        raise IdNumberError(_("身份证号码中的出生日期无效")) from None
    if birth_date < _EARLIEST_BIRTH:
        raise IdNumberError(_("身份证号码中的出生日期早于1900年"))
    if birth_date > today:
        raise IdNumberError(_("身份证号码中的出生日期晚于今天"))
    return birth_date


# --- Phone numbers ---------------------------------------------------------------

_PHONE_STRIP = re.compile(r"[\s\-()\u2010-\u2015.]")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{9,11}")
_COUNTRY_PREFIX = re.compile(r"(\+86|0086)")


class PhoneError(ValueError):
    """A phone number that cannot be accepted; str(exc) is the Chinese message."""


def normalize_phone(raw: str) -> str:
    """A mainland mobile as 11 digits ("13812345678") or a landline as
    area code, dash, local number ("0599-2345678", "010-12345678").

    Full-width characters become ASCII; spaces, dashes, dots and parentheses are
    removed; +86 / 0086 is dropped (a landline then regains its leading 0) and a
    bare 86 before a mobile number is dropped. Area codes 010 and 02X have three
    digits, all others four; the local number has 7 or 8 digits. Anything else
    raises PhoneError.
    """
    number = _PHONE_STRIP.sub("", unicodedata.normalize("NFKC", raw or ""))
    international = _COUNTRY_PREFIX.match(number)
    if international:
        number = number[international.end() :]
        if not _MOBILE.fullmatch(number) and not number.startswith("0"):
            number = "0" + number
    elif len(number) == 13 and number.startswith("86") and _MOBILE.fullmatch(number[2:]):
        number = number[2:]
    if _MOBILE.fullmatch(number):
        return number
    if _LANDLINE.fullmatch(number):
        area_length = 3 if number.startswith(("010", "02")) else 4
        area, local = number[:area_length], number[area_length:]
        if 7 <= len(local) <= 8:
            return f"{area}-{local}"
    raise PhoneError(_("电话号码格式不正确（手机号11位，座机请带区号）"))


def mask_phone(number: str | None) -> str:
    """Mobile "138****5678"; landline keeps its area code and last 2 digits,
    "0599-*****78". Input that is not a valid phone is starred whole; empty or
    None gives ""."""
    if not number:
        return ""
    try:
        number = normalize_phone(number)
    except PhoneError:
        return "*" * len(number)
    if "-" in number:
        area, local = number.split("-")
        return f"{area}-{'*' * (len(local) - 2)}{local[-2:]}"
    return f"{number[:3]}****{number[-4:]}"

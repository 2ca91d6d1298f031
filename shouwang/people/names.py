"""Pinyin of personal names, for search and sorting.

pypinyin reads characters with their everyday reading, but many surnames are read
differently (单 shan, not dan; 曾 zeng, not ceng): the surname is looked up in
SURNAME_READINGS first, compound surnames before single ones.
"""

from __future__ import annotations

import re
import unicodedata

from pypinyin import Style, lazy_pinyin

# Surname → syllables separated by spaces (ü written v). Only surnames pypinyin
# misreads need an entry; 欧阳, 司马, 诸葛, 令狐 … are read correctly without one.
SURNAME_READINGS: dict[str, str] = {
    # Compound surnames.
    "万俟": "mo qi",
    "尉迟": "yu chi",
    "单于": "chan yu",
    "长孙": "zhang sun",
    "澹台": "tan tai",
    # Single surnames.
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "仇": "qiu",
    "区": "ou",
    "查": "zha",
    "朴": "piao",
    "盖": "ge",
    "缪": "miao",
    "翟": "zhai",
    "乐": "yue",
    "覃": "qin",
    "种": "chong",
    "秘": "bi",
    "繁": "po",
    "员": "yun",
    "黑": "he",
    "折": "she",
    "召": "shao",
    "隗": "wei",
    "能": "nai",
    "佴": "nai",
    "卜": "bu",
    "薄": "bo",
    "都": "du",
    "阚": "kan",
    "句": "gou",
    "蕃": "pi",
    "重": "chong",
}

# Separators in transliterated (e.g. Uyghur) names: 阿依古丽·买买提. Such names
# carry no Chinese surname, so the surname table is not applied to them.
_NAME_DOTS = frozenset("·•‧∙⋅・.")
_SEARCH_STRIP = re.compile(r"[\s'\u2018\u2019`]")
_WORD = re.compile(r"[a-z0-9]+")


def name_pinyin(name: str) -> tuple[str, str]:
    """(full, initials) of a name in lowercase pinyin without tones or spaces.

    张三 → ("zhangsan", "zs"); 单雄信 → ("shanxiongxin", "sxx"). The surname — the
    first two characters if they are a compound surname in SURNAME_READINGS and
    the name is longer than that, else the first character — is read from the
    table; the rest by pypinyin (ü as v). Latin letters and digits are kept as
    lowercase words (initial: their first character); dots, spaces and other
    symbols are dropped. Names containing a separator dot skip the surname table.
    """
    text = "".join(unicodedata.normalize("NFKC", name or "").split())
    syllables: list[str] = []
    if not any(char in _NAME_DOTS for char in text):
        surname = _surname(text)
        if surname:
            syllables.extend(SURNAME_READINGS[surname].split())
            text = text[len(surname) :]
    syllables.extend(_pinyin(text))
    return "".join(syllables), "".join(syllable[0] for syllable in syllables)


def search_keys(query: str) -> tuple[str, str]:
    """(text, pinyin) to look a search-box query up with.

    `text` is the query in NFKC, lowercased, without whitespace or apostrophes
    ("xi'an" → "xian"), to compare with names, pinyin or initials as typed;
    `pinyin` is `name_pinyin(text)[0]`, so "张 三" and "zhangsan" both give
    "zhangsan" to compare with stored full pinyin.
    """
    text = _SEARCH_STRIP.sub("", unicodedata.normalize("NFKC", query or "").lower())
    return text, name_pinyin(text)[0]


def _surname(text: str) -> str | None:
    if len(text) > 2 and text[:2] in SURNAME_READINGS:
        return text[:2]
    if text[:1] in SURNAME_READINGS:
        return text[:1]
    return None


def _pinyin(text: str) -> list[str]:
    if not text:
        return []
    return lazy_pinyin(text, style=Style.NORMAL, errors=_non_chinese)


def _non_chinese(chunk: str) -> list[str]:
    """Latin letters and digits as lowercase words; everything else dropped."""
    return _WORD.findall(chunk.lower())

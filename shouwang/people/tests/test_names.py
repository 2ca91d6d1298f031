import pytest

from shouwang.people.names import SURNAME_READINGS, name_pinyin, search_keys


def test_an_ordinary_name_gives_full_pinyin_and_initials():
    assert name_pinyin("张三") == ("zhangsan", "zs")


@pytest.mark.parametrize(
    ("name", "full", "initials"),
    [
        ("单雄信", "shanxiongxin", "sxx"),
        ("曾国藩", "zengguofan", "zgf"),
        ("解缙", "xiejin", "xj"),
        ("区永", "ouyong", "oy"),
        ("仇英", "qiuying", "qy"),
        ("查良镛", "zhaliangyong", "zly"),
        ("朴槿惠", "piaojinhui", "pjh"),
    ],
)
def test_surnames_with_a_special_reading_are_read_as_surnames(name, full, initials):
    assert name_pinyin(name) == (full, initials)


@pytest.mark.parametrize(("surname", "reading"), sorted(SURNAME_READINGS.items()))
def test_every_surname_in_the_table_is_read_from_the_table(surname, reading):
    syllables = reading.split()
    assert name_pinyin(surname + "明") == (
        "".join(syllables) + "ming",
        "".join(s[0] for s in syllables) + "m",
    )


def test_the_table_applies_to_the_surname_only():
    assert name_pinyin("王曾") == ("wangceng", "wc")
    assert name_pinyin("曾曾") == ("zengceng", "zc")


@pytest.mark.parametrize(
    ("name", "full", "initials"),
    [
        ("欧阳修", "ouyangxiu", "oyx"),
        ("司马光", "simaguang", "smg"),
        ("诸葛亮", "zhugeliang", "zgl"),
        ("万俟卨", "moqixie", "mqx"),
        ("尉迟恭", "yuchigong", "ycg"),
        ("单于飞", "chanyufei", "cyf"),
        ("长孙无忌", "zhangsunwuji", "zswj"),
    ],
)
def test_compound_surnames_give_one_initial_per_character(name, full, initials):
    assert name_pinyin(name) == (full, initials)


def test_a_two_character_name_is_a_single_surname_and_a_given_name():
    # 单于 as a whole name is 单 (shan) + 于, not the compound surname chanyu.
    assert name_pinyin("单于") == ("shanyu", "sy")


def test_a_name_with_a_separator_dot_drops_the_dot():
    assert name_pinyin("阿依古丽·买买提") == ("ayigulimaimaiti", "ayglmmt")
    assert name_pinyin("阿依古丽・买买提") == ("ayigulimaimaiti", "ayglmmt")


def test_a_transliterated_name_does_not_use_surname_readings():
    assert name_pinyin("查尔斯·狄更斯") == ("chaersidigengsi", "cesdgs")


def test_u_umlaut_is_written_v():
    assert name_pinyin("吕布") == ("lvbu", "lb")


def test_spaces_including_full_width_padding_are_ignored():
    assert name_pinyin("张\u3000三") == ("zhangsan", "zs")
    assert name_pinyin(" 单 雄信 ") == ("shanxiongxin", "sxx")


def test_latin_letters_and_digits_are_kept_lowercase():
    assert name_pinyin("Lisa张3") == ("lisazhang3", "lz3")
    assert name_pinyin("ＭＡＲＹ") == ("mary", "m")


@pytest.mark.parametrize("name", ["", "·", "  "])
def test_a_name_without_letters_gives_empty_strings(name):
    assert name_pinyin(name) == ("", "")


@pytest.mark.parametrize(
    ("query", "keys"),
    [
        ("张 三", ("张三", "zhangsan")),
        ("ZhangSan", ("zhangsan", "zhangsan")),
        ("zhang'san", ("zhangsan", "zhangsan")),
        ("Xi\u2019an", ("xian", "xian")),
        ("ＺＳ", ("zs", "zs")),
        ("单雄信", ("单雄信", "shanxiongxin")),
        ("", ("", "")),
    ],
)
def test_search_input_is_normalised_to_text_and_pinyin(query, keys):
    assert search_keys(query) == keys

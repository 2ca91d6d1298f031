"""The eligibility rules of the four programs, each at its boundaries.

Dates are chosen so that birthdays are easy to read: the child is born on
2010-05-20 and turns 16 on 2026-05-20, 18 on 2028-05-20.
"""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from shouwang.people.eligibility import (
    DEFAULT_PARAMS,
    DifficultyCategory,
    ExitReason,
    ParentFacts,
    ParentsRule,
    PersonFacts,
    Program,
    RelativeAwayFacts,
    Verdict,
    age_on,
    birthday_on_or_after,
    evaluate,
    exit_reason_text,
    validate_params,
)

CHILD = Program.LEFT_BEHIND_CHILD
DIFFICULTY = Program.CHILD_IN_DIFFICULTY
WOMAN = Program.LEFT_BEHIND_WOMAN
ELDERLY = Program.LEFT_BEHIND_ELDERLY

BORN = date(2010, 5, 20)
TODAY = date(2025, 1, 10)  # the child is 14
DAY = timedelta(days=1)


def father(away=True, months=12, capable=True, living=True):
    return ParentFacts("father", away, months, capable, living)


def mother(away=True, months=12, capable=True, living=True):
    return ParentFacts("mother", away, months, capable, living)


def away(months=12, living=True):
    return RelativeAwayFacts(True, months, living)


def home(living=True):
    return RelativeAwayFacts(False, None, living)


def child(*parents, birth_date=BORN, **kwargs):
    return PersonFacts(birth_date=birth_date, sex="M", parents=parents, **kwargs)


def both_away(**kwargs):
    return child(father(), mother(), **kwargs)


def left_behind_child(facts, on=TODAY, **params):
    return evaluate(CHILD, params, facts, on)


# --- Ages ------------------------------------------------------------------------------


def test_age_goes_up_on_the_birthday_not_the_day_before():
    assert age_on(BORN, date(2026, 5, 19)) == 15
    assert age_on(BORN, date(2026, 5, 20)) == 16


def test_a_newborn_is_zero_on_the_day_of_birth():
    assert age_on(BORN, BORN) == 0


def test_age_on_a_day_before_birth_is_an_error():
    with pytest.raises(ValueError):
        age_on(BORN, BORN - DAY)


def test_a_29_february_birth_is_a_year_older_on_29_february_in_a_leap_year():
    assert age_on(date(2008, 2, 29), date(2024, 2, 28)) == 15
    assert age_on(date(2008, 2, 29), date(2024, 2, 29)) == 16


def test_a_29_february_birth_is_a_year_older_on_1_march_in_a_common_year():
    assert age_on(date(2008, 2, 29), date(2023, 2, 28)) == 14
    assert age_on(date(2008, 2, 29), date(2023, 3, 1)) == 15


def test_the_day_someone_reaches_an_age_is_their_birthday_that_year():
    assert birthday_on_or_after(BORN, 16) == date(2026, 5, 20)
    assert birthday_on_or_after(BORN, 0) == BORN


def test_a_29_february_birth_reaches_an_age_on_1_march_of_a_common_year():
    assert birthday_on_or_after(date(2008, 2, 29), 15) == date(2023, 3, 1)
    assert birthday_on_or_after(date(2008, 2, 29), 16) == date(2024, 2, 29)


def test_reaching_a_negative_age_is_an_error():
    with pytest.raises(ValueError):
        birthday_on_or_after(BORN, -1)


@given(
    birth_date=st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
    years=st.integers(min_value=1, max_value=120),
)
def test_the_day_of_reaching_an_age_agrees_with_age_on(birth_date, years):
    reached = birthday_on_or_after(birth_date, years)
    assert age_on(birth_date, reached) == years
    assert age_on(birth_date, reached - DAY) == years - 1


# --- Left-behind child: age ------------------------------------------------------------


def test_a_child_is_left_behind_the_day_before_the_16th_birthday():
    verdict = left_behind_child(both_away(), on=date(2026, 5, 19))
    assert verdict == Verdict(CHILD, True, "未满16周岁，父母均外出务工6个月以上", None)


def test_a_child_ages_out_on_the_16th_birthday():
    verdict = left_behind_child(both_away(), on=date(2026, 5, 20))
    assert verdict == Verdict(CHILD, False, "已年满16周岁", ExitReason.AGE_LIMIT)


def test_with_an_age_limit_of_18_a_child_of_16_and_17_is_still_left_behind():
    assert left_behind_child(both_away(), on=date(2026, 5, 20), age_limit=18).eligible
    verdict = left_behind_child(both_away(), on=date(2028, 5, 19), age_limit=18)
    assert verdict.eligible
    assert verdict.reason == "未满18周岁，父母均外出务工6个月以上"


def test_with_an_age_limit_of_18_a_child_ages_out_on_the_18th_birthday():
    verdict = left_behind_child(both_away(), on=date(2028, 5, 20), age_limit=18)
    assert (verdict.eligible, verdict.reason) == (False, "已年满18周岁")
    assert verdict.exit_reason == ExitReason.AGE_LIMIT


def test_a_child_born_on_29_february_ages_out_on_29_february_of_a_leap_year():
    facts = both_away(birth_date=date(2008, 2, 29))
    assert left_behind_child(facts, on=date(2024, 2, 28)).eligible
    assert left_behind_child(facts, on=date(2024, 2, 29)).exit_reason == ExitReason.AGE_LIMIT


def test_a_child_born_on_29_february_ages_out_on_1_march_of_a_common_year():
    facts = both_away(birth_date=date(2008, 2, 29))
    # The 15th birthday falls in 2023, a common year: still 14 on 28 February.
    assert left_behind_child(facts, on=date(2023, 2, 28), age_limit=15).eligible
    verdict = left_behind_child(facts, on=date(2023, 3, 1), age_limit=15)
    assert (verdict.eligible, verdict.exit_reason) == (False, ExitReason.AGE_LIMIT)


def test_age_is_checked_before_the_parents_so_an_aged_out_child_gets_age_limit():
    verdict = left_behind_child(child(father(away=False), mother(away=False)), on=date(2026, 5, 20))
    assert verdict.exit_reason == ExitReason.AGE_LIMIT


# --- Left-behind child: months away ----------------------------------------------------


def test_a_parent_away_exactly_the_minimum_months_counts_as_away():
    assert left_behind_child(child(father(months=6), mother(months=6))).eligible


def test_a_parent_away_one_month_less_than_the_minimum_does_not_count():
    verdict = left_behind_child(child(father(months=6), mother(months=5)))
    assert verdict.eligible is False
    assert verdict.reason == (
        "父亲外出务工6个月以上，母亲近12个月外出务工5个月，不足6个月，"
        "不符合“父母均外出务工6个月以上，或一方外出务工6个月以上、另一方无监护能力”的条件"
    )
    assert verdict.exit_reason == ExitReason.PARENTS_RETURNED


def test_the_minimum_months_follow_the_configuration():
    facts = child(father(months=3), mother(months=3))
    assert left_behind_child(facts, min_months_away=3).eligible
    assert not left_behind_child(facts, min_months_away=4).eligible


def test_months_not_recorded_do_not_meet_a_nonzero_minimum():
    verdict = left_behind_child(child(father(months=None), mother()))
    assert verdict.eligible is False
    assert verdict.reason.startswith("父亲外出务工时长未登记，母亲外出务工6个月以上，")


def test_with_no_minimum_a_parent_away_now_counts_even_without_recorded_months():
    verdict = left_behind_child(child(father(months=None), mother(months=0)), min_months_away=0)
    assert verdict == Verdict(CHILD, True, "未满16周岁，父母均外出务工", None)


def test_with_no_minimum_a_parent_at_home_still_does_not_count():
    verdict = left_behind_child(child(father(months=None), mother(away=False)), min_months_away=0)
    assert verdict.eligible is False


# --- Left-behind child: the parents rule -----------------------------------------------

RULES = [ParentsRule.BOTH_AWAY, ParentsRule.BOTH_AWAY_OR_ONE_INCAPABLE, ParentsRule.ONE_AWAY]


@pytest.mark.parametrize("rule", RULES)
def test_both_parents_away_is_left_behind_under_every_rule(rule):
    verdict = left_behind_child(both_away(), parents_rule=rule)
    assert verdict.eligible
    assert verdict.reason == "未满16周岁，父母均外出务工6个月以上"


@pytest.mark.parametrize(
    ("rule", "eligible"),
    [
        (ParentsRule.BOTH_AWAY, False),
        (ParentsRule.BOTH_AWAY_OR_ONE_INCAPABLE, True),
        (ParentsRule.ONE_AWAY, True),
    ],
)
def test_one_parent_away_and_the_other_incapable(rule, eligible):
    facts = child(father(), mother(away=False, months=None, capable=False))
    verdict = left_behind_child(facts, parents_rule=rule)
    assert verdict.eligible is eligible
    if rule == ParentsRule.BOTH_AWAY_OR_ONE_INCAPABLE:
        assert verdict.reason == "未满16周岁，父亲外出务工6个月以上，母亲无监护能力"
    if rule == ParentsRule.BOTH_AWAY:
        assert verdict.reason == (
            "父亲外出务工6个月以上，母亲在家，无监护能力，不符合“父母均外出务工6个月以上”的条件"
        )
        assert verdict.exit_reason == ExitReason.PARENTS_RETURNED


@pytest.mark.parametrize(
    ("rule", "eligible"),
    [
        (ParentsRule.BOTH_AWAY, False),
        (ParentsRule.BOTH_AWAY_OR_ONE_INCAPABLE, False),
        (ParentsRule.ONE_AWAY, True),
    ],
)
def test_one_parent_away_and_the_other_capable_at_home(rule, eligible):
    facts = child(father(away=False, months=None), mother())
    verdict = left_behind_child(facts, parents_rule=rule)
    assert verdict.eligible is eligible
    if eligible:
        assert verdict.reason == "未满16周岁，母亲外出务工6个月以上"
    else:
        assert verdict.exit_reason == ExitReason.PARENTS_RETURNED


@pytest.mark.parametrize(
    ("rule", "eligible"),
    [
        (ParentsRule.BOTH_AWAY, False),
        (ParentsRule.BOTH_AWAY_OR_ONE_INCAPABLE, True),
        (ParentsRule.ONE_AWAY, True),
    ],
)
def test_one_parent_away_and_the_other_deceased(rule, eligible):
    facts = child(father(living=False), mother())
    verdict = left_behind_child(facts, parents_rule=rule)
    assert verdict.eligible is eligible
    if rule == ParentsRule.BOTH_AWAY_OR_ONE_INCAPABLE:
        assert verdict.reason == "未满16周岁，母亲外出务工6个月以上，父亲已故"
    if rule == ParentsRule.BOTH_AWAY:
        # The only living parent is away: nobody has come back.
        assert verdict.reason.startswith("父亲已故，母亲外出务工6个月以上，")
        assert verdict.exit_reason is None


def test_a_deceased_parent_is_never_away_even_if_the_file_still_says_so():
    facts = child(father(away=True, months=12, living=False), mother())
    verdict = left_behind_child(facts, parents_rule=ParentsRule.BOTH_AWAY)
    assert verdict.eligible is False


def test_a_parent_not_listed_is_missing_and_counts_as_incapable():
    verdict = left_behind_child(child(mother()))
    assert verdict == Verdict(CHILD, True, "未满16周岁，母亲外出务工6个月以上，父亲下落不明", None)


def test_a_child_with_no_living_or_known_parent_is_not_left_behind_and_no_exit_applies():
    verdict = left_behind_child(child(father(living=False)))
    assert verdict.eligible is False
    assert verdict.reason.startswith("父亲已故，母亲下落不明，")
    assert verdict.exit_reason is None


def test_an_incapable_parent_who_is_away_counts_as_away():
    facts = child(father(capable=False), mother(capable=False))
    assert left_behind_child(facts, parents_rule=ParentsRule.BOTH_AWAY).eligible


def test_a_mother_coming_home_means_the_parents_returned():
    verdict = left_behind_child(child(father(), mother(away=False, months=8)))
    assert verdict.eligible is False
    assert verdict.reason.startswith("父亲外出务工6个月以上，母亲在家，")
    assert verdict.exit_reason == ExitReason.PARENTS_RETURNED


def test_a_mother_whose_months_away_drop_below_the_minimum_means_the_parents_returned():
    verdict = left_behind_child(child(father(), mother(months=5)))
    assert verdict.exit_reason == ExitReason.PARENTS_RETURNED


def test_both_parents_home_under_the_one_away_rule_means_the_parents_returned():
    verdict = left_behind_child(
        child(father(away=False), mother(away=False)), parents_rule=ParentsRule.ONE_AWAY
    )
    assert verdict.reason == "父亲在家，母亲在家，不符合“父母至少一方外出务工6个月以上”的条件"
    assert verdict.exit_reason == ExitReason.PARENTS_RETURNED


# --- Everyone: deceased and moved out --------------------------------------------------


@pytest.mark.parametrize("program", list(Program))
def test_a_deceased_person_is_not_eligible_for_any_program(program):
    facts = PersonFacts(birth_date=BORN, sex="F", living=False, moved_out=True)
    verdict = evaluate(program, {}, facts, TODAY)
    assert verdict == Verdict(program, False, "本人已故", ExitReason.DECEASED)


@pytest.mark.parametrize("program", list(Program))
def test_a_person_who_moved_out_is_not_eligible_for_any_program(program):
    facts = PersonFacts(birth_date=BORN, sex="F", moved_out=True)
    verdict = evaluate(program, {}, facts, TODAY)
    assert verdict == Verdict(program, False, "本人已迁出", ExitReason.MOVED_OUT)


def test_a_deceased_child_whose_parents_are_away_is_not_left_behind():
    assert left_behind_child(both_away(living=False)).exit_reason == ExitReason.DECEASED


# --- Child in difficulty ---------------------------------------------------------------


def in_difficulty(*categories, on=TODAY, **params):
    facts = child(difficulty_categories=frozenset(categories))
    return evaluate(DIFFICULTY, params, facts, on)


def test_a_child_in_an_enabled_category_is_in_difficulty():
    verdict = in_difficulty(DifficultyCategory.POVERTY, DifficultyCategory.DISABILITY)
    assert verdict == Verdict(DIFFICULTY, True, "未满18周岁，属于家庭贫困、自身残疾", None)


def test_a_child_in_difficulty_is_eligible_the_day_before_the_18th_birthday():
    assert in_difficulty(DifficultyCategory.ORPHAN, on=date(2028, 5, 19)).eligible


def test_a_child_in_difficulty_ages_out_on_the_18th_birthday():
    verdict = in_difficulty(DifficultyCategory.ORPHAN, on=date(2028, 5, 20))
    assert verdict == Verdict(DIFFICULTY, False, "已年满18周岁", ExitReason.AGE_LIMIT)


def test_a_local_category_disabled_by_default_does_not_count():
    verdict = in_difficulty(DifficultyCategory.DIBAO_FAMILY)
    assert verdict.eligible is False
    assert verdict.reason == "所登记的类别（低保家庭儿童）不在已启用的困境类别内"
    assert verdict.exit_reason is None


def test_a_local_category_counts_once_enabled():
    verdict = in_difficulty(DifficultyCategory.DIBAO_FAMILY, categories=["dibao_family"])
    assert verdict.eligible
    assert verdict.reason == "未满18周岁，属于低保家庭儿童"


def test_a_national_category_can_be_disabled():
    assert not in_difficulty(DifficultyCategory.POVERTY, categories=["disability"]).eligible


def test_a_child_with_no_category_is_not_in_difficulty():
    assert in_difficulty() == Verdict(DIFFICULTY, False, "未登记困境类别", None)


# --- Left-behind woman -----------------------------------------------------------------


def woman(age, sex="F", married=True, spouse=None):
    """A woman whose `age`th birthday is 2025-03-15, the day `left_behind_woman` looks."""
    return PersonFacts(
        birth_date=date(2025 - age, 3, 15),
        sex=sex,
        married=married,
        spouse=away() if spouse is None else spouse,
    )


def left_behind_woman(facts, on=date(2025, 3, 15), **params):
    return evaluate(WOMAN, params, facts, on)


def test_a_married_woman_of_20_whose_husband_is_away_is_left_behind():
    verdict = left_behind_woman(woman(20))
    assert verdict == Verdict(
        WOMAN, True, "20周岁，在20至59周岁之间，已婚，丈夫外出务工6个月以上", None
    )


def test_a_woman_of_19_is_not_yet_left_behind():
    verdict = left_behind_woman(woman(20), on=date(2025, 3, 14))
    assert verdict == Verdict(WOMAN, False, "未满20周岁", None)


def test_a_woman_of_59_is_still_left_behind():
    assert left_behind_woman(woman(60), on=date(2025, 3, 14)).eligible


def test_a_woman_ages_out_at_60():
    verdict = left_behind_woman(woman(60))
    assert verdict == Verdict(WOMAN, False, "已年满60周岁", ExitReason.AGE_LIMIT)


def test_the_age_band_of_women_follows_the_configuration():
    assert left_behind_woman(woman(56), max_age=55).exit_reason == ExitReason.AGE_LIMIT
    assert left_behind_woman(woman(55), max_age=55).eligible


def test_an_unmarried_woman_is_not_left_behind():
    verdict = left_behind_woman(woman(30, married=False))
    assert verdict == Verdict(WOMAN, False, "未处于已婚状态", None)


def test_an_unmarried_woman_whose_partner_is_away_counts_when_marriage_is_not_required():
    verdict = left_behind_woman(woman(30, married=False), require_married=False)
    assert verdict.eligible
    assert verdict.reason == "30周岁，在20至59周岁之间，丈夫外出务工6个月以上"


def test_a_woman_whose_husband_is_away_5_months_is_not_left_behind():
    verdict = left_behind_woman(woman(30, spouse=away(5)))
    assert verdict == Verdict(WOMAN, False, "丈夫近12个月外出务工5个月，不足6个月", None)


def test_a_woman_whose_husband_is_away_6_months_is_left_behind():
    assert left_behind_woman(woman(30, spouse=away(6))).eligible


def test_a_woman_whose_husband_is_home_is_not_left_behind():
    assert left_behind_woman(woman(30, spouse=home())).reason == "丈夫在家"


def test_a_widow_is_not_left_behind():
    assert left_behind_woman(woman(30, spouse=away(living=False))).reason == "丈夫已故"


def test_a_married_woman_with_no_record_of_her_husband_is_not_left_behind():
    facts = PersonFacts(birth_date=date(1990, 1, 1), sex="F", married=True)
    verdict = left_behind_woman(facts)
    assert verdict == Verdict(WOMAN, False, "未登记丈夫的外出情况", None)


def test_a_man_is_never_a_left_behind_woman():
    verdict = left_behind_woman(woman(30, sex="M"))
    assert verdict == Verdict(WOMAN, False, "仅女性可认定为留守妇女", None)


# --- Left-behind elderly ---------------------------------------------------------------


def elder(*children, birth_date=date(1965, 3, 15)):
    return PersonFacts(birth_date=birth_date, sex="M", children=children)


def left_behind_elderly(facts, on=date(2025, 3, 15), **params):
    return evaluate(ELDERLY, params, facts, on)


def test_someone_of_60_whose_children_are_all_away_is_left_behind():
    verdict = left_behind_elderly(elder(away(), away(6)))
    assert verdict == Verdict(ELDERLY, True, "年满60周岁，2名在世子女均外出务工6个月以上", None)


def test_someone_of_59_is_not_yet_left_behind():
    verdict = left_behind_elderly(elder(away()), on=date(2025, 3, 14))
    assert verdict == Verdict(ELDERLY, False, "未满60周岁", None)


def test_the_minimum_age_of_the_elderly_follows_the_configuration():
    assert left_behind_elderly(elder(away()), on=date(2020, 3, 15), min_age=55).eligible


def test_one_child_at_home_means_not_left_behind():
    verdict = left_behind_elderly(elder(away(), home()))
    assert verdict == Verdict(ELDERLY, False, "2名在世子女中有1名未外出务工6个月以上", None)


def test_a_child_away_one_month_less_than_the_minimum_means_not_left_behind():
    assert not left_behind_elderly(elder(away(), away(5))).eligible


def test_a_deceased_child_does_not_count_against_the_others_being_away():
    verdict = left_behind_elderly(elder(away(), home(living=False)))
    assert verdict.eligible
    assert verdict.reason == "年满60周岁，1名在世子女均外出务工6个月以上"


def test_someone_with_no_living_child_is_not_left_behind_under_this_rule():
    assert left_behind_elderly(elder(home(living=False))) == Verdict(
        ELDERLY, False, "无在世子女", None
    )
    assert left_behind_elderly(elder()).reason == "无在世子女"


# --- Exit reason labels ----------------------------------------------------------------


def test_the_age_limit_exit_reason_names_the_configured_limit():
    assert exit_reason_text(ExitReason.AGE_LIMIT, validate_params(CHILD, {})) == "年满16周岁"
    assert exit_reason_text("age_limit", {"age_limit": 18}) == "年满18周岁"


def test_the_age_limit_exit_reason_of_women_is_one_past_the_maximum_age():
    assert exit_reason_text("age_limit", validate_params(WOMAN, {})) == "年满60周岁"


def test_other_exit_reasons_are_their_labels():
    assert exit_reason_text("parents_returned", {}) == "父母返乡"
    assert exit_reason_text(ExitReason.MOVED_OUT, {}) == "迁出"
    assert exit_reason_text(ExitReason.DECEASED, {}) == "死亡"
    assert exit_reason_text(ExitReason.OTHER, {}) == "其他"


def test_the_age_limit_exit_reason_needs_parameters_with_an_upper_age():
    with pytest.raises(ValueError):
        exit_reason_text("age_limit", validate_params(ELDERLY, {}))


def test_an_unknown_exit_reason_is_an_error():
    with pytest.raises(ValueError):
        exit_reason_text("emigrated", {})


# --- Parameters ------------------------------------------------------------------------


def test_validated_parameters_are_the_defaults_with_the_given_values():
    assert validate_params(CHILD, {"age_limit": 18}) == {
        "age_limit": 18,
        "parents_rule": "both_away_or_one_incapable",
        "min_months_away": 6,
    }


def test_every_program_has_valid_defaults():
    for program in Program:
        assert validate_params(program, {}) == DEFAULT_PARAMS[program]


def test_changing_validated_parameters_leaves_the_defaults_alone():
    cleaned = validate_params(DIFFICULTY, {})
    cleaned["categories"].append("dibao_family")
    assert "dibao_family" not in DEFAULT_PARAMS[DIFFICULTY]["categories"]


def test_categories_are_stored_in_a_fixed_order_without_repeats():
    cleaned = validate_params(DIFFICULTY, {"categories": ["orphan", "poverty", "orphan"]})
    assert cleaned["categories"] == ["poverty", "orphan"]


def messages(program, params):
    with pytest.raises(ValidationError) as exc:
        validate_params(program, params)
    return exc.value.messages


@pytest.mark.parametrize(
    ("program", "params", "message"),
    [
        (CHILD, {"age_limit": 0}, "参数 age_limit 必须是 1 至 18 之间的整数"),
        (CHILD, {"age_limit": 19}, "参数 age_limit 必须是 1 至 18 之间的整数"),
        (CHILD, {"age_limit": "16"}, "参数 age_limit 必须是 1 至 18 之间的整数"),
        (CHILD, {"age_limit": True}, "参数 age_limit 必须是 1 至 18 之间的整数"),
        (CHILD, {"min_months_away": -1}, "参数 min_months_away 必须是 0 至 12 之间的整数"),
        (CHILD, {"min_months_away": 13}, "参数 min_months_away 必须是 0 至 12 之间的整数"),
        (
            CHILD,
            {"parents_rule": "either"},
            "参数 parents_rule 必须是以下之一：both_away、both_away_or_one_incapable、one_away",
        ),
        (CHILD, {"categories": ["poverty"]}, "未知的参数 categories"),
        (DIFFICULTY, {"age_limit": 19}, "参数 age_limit 必须是 1 至 18 之间的整数"),
        (
            DIFFICULTY,
            {"categories": ["poverty", "exile"]},
            "参数 categories 含有未知的困境类别：exile",
        ),
        (DIFFICULTY, {"categories": "poverty"}, "参数 categories 必须是困境类别代码的列表"),
        (DIFFICULTY, {"categories": []}, "参数 categories 至少要启用一个困境类别"),
        (WOMAN, {"min_age": 15}, "参数 min_age 必须是 16 至 70 之间的整数"),
        (WOMAN, {"max_age": 71}, "参数 max_age 必须是 16 至 70 之间的整数"),
        (WOMAN, {"min_age": 40, "max_age": 39}, "参数 min_age（40）不能大于 max_age（39）"),
        (WOMAN, {"require_married": "yes"}, "参数 require_married 必须是 true 或 false"),
        (ELDERLY, {"min_age": 49}, "参数 min_age 必须是 50 至 80 之间的整数"),
        (ELDERLY, {"min_age": 81}, "参数 min_age 必须是 50 至 80 之间的整数"),
        ("left_behind_pet", {}, "未知的项目：left_behind_pet"),
    ],
)
def test_bad_parameters_are_rejected_naming_the_key(program, params, message):
    assert messages(program, params) == [message]


@pytest.mark.parametrize(
    ("program", "params"),
    [
        (CHILD, {"age_limit": 1, "min_months_away": 0}),
        (CHILD, {"age_limit": 18, "min_months_away": 12}),
        (WOMAN, {"min_age": 16, "max_age": 16}),
        (WOMAN, {"min_age": 70, "max_age": 70}),
        (ELDERLY, {"min_age": 50}),
        (ELDERLY, {"min_age": 80}),
    ],
)
def test_parameters_at_the_ends_of_their_ranges_are_accepted(program, params):
    assert validate_params(program, params).items() >= params.items()


def test_every_problem_is_reported_at_once():
    assert messages(CHILD, {"age_limit": 40, "colour": "red", "min_months_away": 99}) == [
        "未知的参数 colour",
        "参数 age_limit 必须是 1 至 18 之间的整数",
        "参数 min_months_away 必须是 0 至 12 之间的整数",
    ]


def test_evaluating_with_bad_parameters_raises_value_error():
    with pytest.raises(ValueError, match="age_limit"):
        left_behind_child(both_away(), age_limit=40)
    with pytest.raises(ValueError, match="colour"):
        left_behind_child(both_away(), colour="red")


def test_evaluating_an_unknown_program_raises_value_error():
    with pytest.raises(ValueError):
        evaluate("left_behind_pet", {}, both_away(), TODAY)


# --- Facts -----------------------------------------------------------------------------


def test_facts_with_an_unknown_sex_are_an_error():
    with pytest.raises(ValueError):
        PersonFacts(birth_date=BORN, sex="X")


def test_facts_with_two_fathers_are_an_error():
    with pytest.raises(ValueError):
        child(father(), father())


def test_facts_with_more_than_12_months_away_are_an_error():
    with pytest.raises(ValueError):
        father(months=13)


def test_facts_with_an_unknown_difficulty_category_are_an_error():
    with pytest.raises(ValueError):
        child(difficulty_categories={"exile"})


def test_facts_given_as_lists_are_stored_as_tuples_and_frozensets():
    facts = PersonFacts(
        birth_date=BORN, sex="M", parents=[father()], difficulty_categories=["orphan"]
    )
    assert facts.parents == (father(),)
    assert facts.difficulty_categories == frozenset({"orphan"})

"""Every indicator against the hand-counted county (conftest.py), as totals and by
township, and every figure against the list of people behind it."""

import datetime as dt
from decimal import Decimal

import pytest

from shouwang.dashboard.indicators import (
    BAND_KEYS,
    BANDS,
    INDICATORS,
    Measures,
    UnknownDrill,
    band_condition,
    band_expression,
    band_of,
    people_behind,
    requirements,
)
from shouwang.dashboard.tests.conftest import NOV, OCT, TODAY
from shouwang.people.eligibility import age_on, years_before
from shouwang.people.models import Person

ZHENGDUN, WEITIAN = "350724101", "350724102"


def measures(prefix="350724", digits=9, month=NOV, stored=None):
    return Measures(prefix, digits=digits, month=month, today=TODAY, stored=stored)


def values(figures: dict, *parts):
    return {part: figures[part].value for part in parts}


def names(queryset):
    return sorted(queryset.values_list("name", flat=True))


def test_the_people_on_file_by_program_sex_and_age_band(county):
    people = measures().total("people")
    assert values(people, "all", "left_behind_child", "child_in_difficulty",
                  "left_behind_woman", "left_behind_elderly") == {
        "all": 9,  # 子三 in two programs counts once; 丁 exited, 迁 moved out
        "left_behind_child": 3, "child_in_difficulty": 2,
        "left_behind_woman": 2, "left_behind_elderly": 3,
    }  # fmt: skip
    assert values(people, "all.M", "all.F", "left_behind_child.M", "left_behind_child.F") == {
        "all.M": 4, "all.F": 5, "left_behind_child.M": 2, "left_behind_child.F": 1,
    }  # fmt: skip
    bands = {b.key: people[f"all.{b.key}"].value for b in BANDS}
    assert bands == {"0-5": 1, "6-13": 1, "14-16": 2, "17": 0, "18-29": 0, "30-39": 1,
                     "40-49": 1, "50-59": 0, "60-69": 1, "70-79": 1, "80+": 1}  # fmt: skip


def test_age_is_counted_on_the_reference_day(county):
    """子四 turns 17 on 23 November: 16 on the 22nd (November so far)."""
    assert measures().total("people")["child_in_difficulty.14-16"].value == 2
    assert [band_of(age) for age in (0, 5, 6, 13, 14, 16, 17, 18, 59, 60, 79, 80, 101)] == [
        "0-5", "0-5", "6-13", "6-13", "14-16", "14-16", "17", "18-29", "50-59", "60-69",
        "70-79", "80+", "80+",
    ]  # fmt: skip


def test_the_bands_in_sql_agree_with_band_of_on_every_birthday_edge(demo_areas):
    """On 29 February of a leap year, people born on the day, the day before and the
    day after, 0 to 94 years earlier: the SQL band, the band's filter and
    `band_of(age_on(…))` put each in the same band."""
    day = dt.date(2028, 2, 29)
    born = {
        years_before(day, years) + dt.timedelta(days=delta)
        for years in range(95)
        for delta in (-1, 0, 1)
        if years or delta <= 0
    }
    Person.objects.bulk_create(
        Person(name=f"{b}", sex="M", birth_date=b, village_id="350724101200") for b in born
    )
    people = Person.objects.all()
    in_sql = dict(people.annotate(band=band_expression(day)).values_list("birth_date", "band"))
    by_filter = {
        b: key
        for key in BAND_KEYS
        for b in people.filter(band_condition(key, day)).values_list("birth_date", flat=True)
    }
    expected = {b: band_of(age_on(b, day)) for b in born}
    assert in_sql == expected
    assert by_filter == expected


def test_the_month_changes_who_is_counted_and_their_age(county):
    october = measures(month=OCT).total("people")
    assert october["left_behind_elderly"].value == 4  # 丁 was enrolled until 10 November
    assert october["all"].value == 10


def test_a_file_is_complete_with_every_mandatory_field_of_its_programs(county):
    complete = measures().total("complete")
    assert (complete["met"].value, complete["met"].total) == (4, 9)
    assert complete["met"].percent == 44.4
    met = people_behind("complete.met", Person.objects.all(), month=NOV, today=TODAY)
    assert names(met) == ["妇一", "子一", "子三", "老一"]
    unmet = people_behind("complete.unmet", Person.objects.all(), month=NOV, today=TODAY)
    assert names(unmet) == ["妇二", "子二", "子四", "老三", "老二"]


def test_the_mandatory_fields_are_listed_for_every_program():
    programs = {program for program, _label, _q in requirements()}
    assert programs == {"", "left_behind_child", "child_in_difficulty", "left_behind_woman",
                        "left_behind_elderly"}  # fmt: skip


def test_verified_counts_the_round_current_for_each_persons_township(county):
    """渭田镇 opened its own round on 1 November: 子四, verified in the county's
    round only, is not verified in the round now current for her."""
    verified = measures().total("verified")
    assert (verified["met"].value, verified["met"].total) == (4, 9)
    met = people_behind("verified.met", Person.objects.all(), month=NOV, today=TODAY)
    assert names(met) == ["妇一", "妇二", "子一", "老一"]
    october = measures(month=OCT).total("verified")  # before 渭田镇's round began
    assert (october["met"].value, october["met"].total) == (4, 10)  # 子四 yes, 妇二 no, 丁 no
    assert "子四" in names(people_behind("verified.met", Person.objects.all(), month=OCT))


def test_without_a_survey_round_nobody_is_counted_for_verification(county):
    from shouwang.people.models import SurveyRound

    SurveyRound.objects.all().delete()
    assert measures().total("verified") == {}


def test_the_care_rates_are_those_of_care_rates(county):
    m = measures()
    assert {key: (m.total(key)["met"].value, m.total(key)["met"].total)
            for key in ("pairing_coverage", "monthly_visit", "six_ones", "family_call")} == {
        "pairing_coverage": (3, 9),  # 子一 子三 老一
        "monthly_visit": (2, 3),  # 老一 老三 of 老一 老二 老三
        "six_ones": (1, 2),  # 子一 of 子一 子三
        "family_call": (2, 3),  # 子一 子二 of 子一 子二 子三
    }  # fmt: skip


def test_overdue_contacts_are_people_and_obligations_today(county):
    overdue = measures().total("overdue")
    assert (overdue["people"].value, overdue["obligations"].value) == (2, 3)
    found = people_behind("overdue", Person.objects.all(), month=NOV, today=TODAY)
    assert names(found) == ["子三", "老二"]


def test_the_risk_levels_with_those_not_assessed(county):
    risk = measures().total("risk")
    by_label = {f.label: f.value for f in risk.values()}
    assert by_label == {"一级（极高风险）": 1, "三级（中风险）": 1, "五级（无明显风险）": 1,
                        "未评估": 6}  # fmt: skip
    assert list(by_label)[-1] == "未评估"  # levels in rank order, then the rest


def test_cases_by_state_with_deadline_breaches(county):
    cases = measures().total("cases")
    assert values(cases, "open", "overdue", "new", "reported", "support", "accepted") == {
        "open": 3, "overdue": 1, "new": 2, "reported": 1, "support": 1, "accepted": 1,
    }  # fmt: skip
    assert all(not f.drill for f in cases.values())  # counts of cases, never people


def test_aid_of_the_month(county):
    aid = measures().total("aid")
    assert values(aid, "total", "cash", "goods", "count", "people") == {
        "total": Decimal("350.50"), "cash": Decimal("200.00"), "goods": Decimal("150.50"),
        "count": 2, "people": 2,
    }  # fmt: skip
    assert measures(month=OCT).total("aid")["total"].value == Decimal("100.00")


def test_every_indicator_by_township_adds_up_to_the_county(county):
    m = measures()
    for key in INDICATORS:
        by_area = m.by_area(key)
        for part, total in m.total(key).items():
            assert total.value == sum(g[part].value for g in by_area.values() if part in g), key
    assert m.by_area("people")[ZHENGDUN]["all"].value == 7
    assert m.by_area("people")[WEITIAN]["all"].value == 2
    assert m.by_area("overdue")[WEITIAN]["people"].value == 0
    assert m.by_area("cases")[WEITIAN]["open"].value == 1
    assert WEITIAN not in m.by_area("aid")  # no aid there in November


def test_a_township_grouped_by_village_agrees_with_each_village_alone(county):
    township = measures("350724101", digits=12)
    for village in ("350724101200", "350724101201"):
        alone = measures(village, digits=12)
        for key in INDICATORS:
            assert nonzero(township.by_area(key).get(village, {})) == nonzero(
                alone.by_area(key).get(village, {})
            ), key


def nonzero(figures: dict) -> dict:
    """The figures that count someone (parts other areas have are there as zeros)."""
    return {part: figure for part, figure in figures.items() if figure.value}


@pytest.mark.parametrize("month", [NOV, OCT])
def test_every_figure_equals_the_number_of_people_behind_it(county, month):
    """The one-definition rule: each figure's drill-through list has exactly as
    many people, for the county and for each township."""
    m = measures(month=month)
    for key, indicator in INDICATORS.items():
        if indicator.people is None:
            continue
        groups = {"350724": m.total(key)} | m.by_area(key)
        for prefix, figures in groups.items():
            people = Person.objects.in_area_prefix(prefix)
            for figure in figures.values():
                if not figure.drill:
                    continue
                found = people_behind(figure.drill, people, month=month, today=TODAY)
                assert found.count() == figure.value, (prefix, figure.drill)


@pytest.mark.parametrize(
    "drill", ["nothing", "people.nobody", "people.all.X", "complete.maybe", "risk.high",
              "monthly_visit.all", "cases.open", "aid.total", "overdue.obligations"],
)  # fmt: skip
def test_an_unknown_drill_key_is_refused(drill):
    with pytest.raises(UnknownDrill):
        people_behind(drill, Person.objects.none(), month=NOV)


def test_the_measures_of_an_area_take_a_fixed_number_of_queries(county, django_assert_num_queries):
    m = measures(stored=False)
    # people, files (+ the survey rounds and townships), risk + grades, rates,
    # overdue (5), cases, aid
    with django_assert_num_queries(14):
        for key in INDICATORS:
            m.total(key)
            m.by_area(key)
    for key in INDICATORS:  # counts the stored summaries
        measures().by_area(key)
    m = measures()
    # the changes; the summaries of people, files, risk, rates, overdue, aid; the
    # grades; the cases
    with django_assert_num_queries(9):
        for key in INDICATORS:
            m.total(key)
            m.by_area(key)

"""The report's figures against the hand counts of the county (conftest.py), the
consistency checks, and the one-definition rule: the report counts what the
dashboard counts, and its file traits are the people behind their drill keys."""

import copy
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shouwang.care.rates import Month
from shouwang.care.tests.factories import make_person
from shouwang.dashboard.indicators import Measures, drill_label, people_behind, sum_figures
from shouwang.people.models import Person
from shouwang.regions.models import Area
from shouwang.reports.figures import (
    LAYOUT,
    TOTAL,
    Quarter,
    area_figures,
    consistency_errors,
    county_figures,
)

COUNTY, ZHENGDUN, WEITIAN = "350724000000", "350724101000", "350724102000"
TODAY = dt.date(2026, 11, 22)

pytestmark = pytest.mark.usefixtures("travel")


@pytest.fixture
def figures(report_county):
    return county_figures(Area.objects.get(code=COUNTY), as_of=TODAY)


def nonzero(values: dict) -> dict:
    return {key: value for key, value in values.items() if value}


def test_the_report_has_a_row_for_every_township_and_the_total(figures):
    codes = [row["code"] for row in figures["rows"]]
    assert codes == sorted(Area.objects.filter(parent=COUNTY).values_list("code", flat=True))
    assert len(codes) == 9
    assert figures["quarter"] == "2026Q4" and figures["as_of"] == "2026-11-22"
    assert figures["quarter_first"] == "2026-10-01"
    for table in LAYOUT:  # every row has every column, zeros included
        for code in [*codes, TOTAL]:
            assert set(figures["tables"][table.key][code]) == {c.key for c in table.columns}


def test_table_1_counts_the_left_behind_children(figures):
    t1 = figures["tables"]["t1"]
    assert nonzero(t1[ZHENGDUN]) == {
        "total": 3, "M": 2, "F": 1, "0-5": 1, "6-13": 1, "14-16": 1,
        "guardianship.good": 3,
        "schooling.kindergarten": 1, "schooling.junior": 1, "schooling.unfilled": 1,
        "health.healthy": 2, "health.disabled": 1,
        "assistance.dibao": 1, "assistance.none": 2,
    }  # fmt: skip
    assert nonzero(t1[WEITIAN]) == {}
    assert t1[TOTAL] == t1[ZHENGDUN]


def test_table_2_counts_the_children_in_difficulty_by_category(figures):
    t2 = figures["tables"]["t2"]
    assert nonzero(t2[ZHENGDUN]) == {
        "total": 1,
        "M": 1,
        "14-16": 1,
        "difficulty.unfilled": 1,
        "left_behind": 1,
    }
    # 子四 turns 17 tomorrow: still 14–16 on the 22nd.
    assert nonzero(t2[WEITIAN]) == {
        "total": 1, "F": 1, "14-16": 1, "difficulty.poverty": 1, "difficulty.guardianship": 1
    }  # fmt: skip
    assert t2[TOTAL]["total"] == 2 and t2[TOTAL]["difficulty.unfilled"] == 1


def test_table_3_counts_the_women_and_the_elderly(figures):
    t3 = figures["tables"]["t3"]
    assert nonzero(t3[ZHENGDUN]) == {
        "women": 1, "women.30-39": 1,
        "elderly": 3, "elderly.M": 2, "elderly.F": 1,
        "elderly.60-69": 1, "elderly.70-79": 1, "elderly.80+": 1,
        "elderly.living.alone": 1, "elderly.assistance.tekun": 1, "elderly.dependence.semi": 1,
    }  # fmt: skip
    assert nonzero(t3[WEITIAN]) == {"women": 1, "women.40-49": 1}


def test_table_4_counts_volunteers_pairings_and_the_quarters_contacts(figures):
    t4 = figures["tables"]["t4"]
    assert nonzero(t4[ZHENGDUN]) == {
        "volunteers": 2, "volunteers.paired": 2, "pairings": 3, "counted": 7, "paired": 3,
        "contacts": 14, "contacts.talk": 2, "contacts.homework_check": 2,
        "contacts.tutoring": 2, "contacts.home_visit": 3, "contacts.family_meal": 1,
        "contacts.phone": 2, "contacts.family_call": 2,
    }  # fmt: skip
    assert nonzero(t4[WEITIAN]) == {"counted": 2}


def test_table_5_counts_the_cases_of_the_quarter_and_those_open(figures):
    t5 = figures["tables"]["t5"]
    # new: reported on 11-05 (closed since) and 11-20; open: that one and the one
    # in 帮扶 since September
    assert nonzero(t5[ZHENGDUN]) == {"new": 2, "closed": 1, "open": 2, "reported": 1, "support": 1}
    assert nonzero(t5[WEITIAN]) == {"new": 1, "open": 1, "accepted": 1}
    assert t5[TOTAL]["new"] == 3 and t5[TOTAL]["open"] == 3


def test_a_quarter_is_parsed_and_knows_its_days():
    assert Quarter.parse("2026Q3") == Quarter(2026, 3) == Quarter.parse(" 2026-q3 ")
    assert Quarter(2026, 3).first == dt.date(2026, 7, 1)
    assert Quarter(2026, 3).last == dt.date(2026, 9, 30)
    assert Quarter.of(dt.date(2026, 11, 22)) == Quarter(2026, 4)
    for text in ("2026Q5", "2026", "Q3", "abcdQ1", "1999Q1", ""):
        assert Quarter.parse(text) is None


def test_the_report_passes_its_consistency_checks(figures):
    assert consistency_errors(figures) == []


def test_the_check_names_a_broken_total_by_table_row_and_cells(figures):
    broken = copy.deepcopy(figures)
    broken["tables"]["t1"][ZHENGDUN]["M"] = 5  # 男 5 + 女 1 ≠ 总数 3
    errors = consistency_errors(broken)
    assert "表1 留守儿童基本情况 · 郑墩镇：性别·男 5 + 性别·女 1 = 6，不等于总数 3" in errors
    # …and the 合计 row no longer equals the sum of the townships in that column
    assert "表1 留守儿童基本情况 · 合计 · 性别·男：合计为 2，各行之和为 5" in errors
    assert len(errors) == 2


def test_the_check_catches_a_total_row_that_is_not_the_sum_of_its_rows(figures):
    broken = copy.deepcopy(figures)
    broken["tables"]["t4"][TOTAL]["pairings"] = 4
    assert consistency_errors(broken) == [
        "表4 关爱服务 · 合计 · 结对·结对关系（对）：合计为 4，各行之和为 3"
    ]


def test_the_check_catches_an_of_which_column_above_its_total(figures):
    broken = copy.deepcopy(figures)
    broken["tables"]["t2"][WEITIAN]["difficulty.poverty"] = 2
    broken["tables"]["t2"][TOTAL]["difficulty.poverty"] = 2
    assert consistency_errors(broken) == [
        "表2 困境儿童 · 渭田镇：困境类别（其中）·家庭贫困 2 大于总数 1"
    ]


def test_the_report_counts_what_the_dashboard_counts(figures):
    """One definition: the same county and day on the dashboard's `Measures`."""
    m = Measures("350724", digits=9, month=Month(2026, 11), today=TODAY)
    people = m.total("people")
    tables = figures["tables"]
    assert tables["t1"][TOTAL]["total"] == people["left_behind_child"].value
    assert tables["t1"][TOTAL]["M"] == people["left_behind_child.M"].value
    assert tables["t2"][TOTAL]["total"] == people["child_in_difficulty"].value
    assert tables["t3"][TOTAL]["women"] == people["left_behind_woman"].value
    assert tables["t3"][TOTAL]["elderly"] == people["left_behind_elderly"].value
    assert tables["t4"][TOTAL]["counted"] == people["all"].value
    assert tables["t4"][TOTAL]["paired"] == m.total("pairing_coverage")["met"].value
    cases = m.total("cases")  # open cases today, by state
    assert tables["t5"][TOTAL]["open"] == cases["open"].value
    for state in ("reported", "accepted", "support"):
        assert tables["t5"][TOTAL][state] == cases[state].value
    for key, township in m.by_area("people").items():
        code = key.ljust(12, "0")
        assert tables["t1"][code]["total"] == township["left_behind_child"].value


def test_every_file_trait_counted_is_the_list_behind_its_drill_key(report_county):
    """The report's traits are `Measures.profile`, and each figure's drill key gives
    the people list exactly that many people (for the county and each township)."""
    m = Measures("350724", digits=9, month=Month(2026, 11), today=TODAY)
    groups = {"350724": sum_figures(m.profile().values())} | m.profile()
    for prefix, figures in groups.items():
        people = Person.objects.in_area_prefix(prefix)
        for figure in figures.values():
            found = people_behind(figure.drill, people, month=Month(2026, 11), today=TODAY)
            assert found.count() == figure.value, (prefix, figure.drill)
    assert groups["350724101"]["left_behind_child.assistance.dibao"].value == 1
    assert drill_label("profile.left_behind_child.assistance.dibao", Month(2026, 11)) == (
        "档案情况 · 农村留守儿童 · 低保（2026-11）"
    )


def test_a_township_report_has_its_villages_as_rows(report_county):
    figures = area_figures(Area.objects.get(code=ZHENGDUN), as_of=TODAY)
    rows = {row["code"]: row["name"] for row in figures["rows"]}
    assert len(rows) == 17 and "350724101200" in rows
    t1 = figures["tables"]["t1"]
    assert t1["350724101200"]["total"] == 3 and t1[TOTAL]["total"] == 3
    assert figures["tables"]["t3"]["350724101201"]["elderly"] == 1  # 老三
    assert consistency_errors(figures) == []


def count_queries(area) -> int:
    """The queries of a report from stored summaries (counted first)."""
    county_figures(area, as_of=TODAY)
    with CaptureQueriesContext(connection) as queries:
        county_figures(area, as_of=TODAY)
    return len(queries)


def test_the_report_takes_a_fixed_number_of_queries_whatever_the_townships(report_county):
    county = Area.objects.get(code=COUNTY)
    before = count_queries(county)
    # people in four more townships
    for i, township in enumerate(("350724001", "350724200", "350724201", "350724202")):
        village = Area.objects.filter(parent=township + "000").order_by("code").first()
        make_person(f"新{i}", village.code, birth=dt.date(2015, 1, 1))
    after = count_queries(county)
    assert before == after
    # the changes; the stored people, file traits, care rates; volunteers,
    # volunteers paired, pairings, contacts, cases closed, children in two
    # programs; cases reported in each month of the quarter so far (October,
    # November), cases open; the townships. At most 15, in a quarter's third month.
    assert after == 14, after

"""The demo county's dashboard shows the populations the demo loaded (the seed
county's 781 left-behind children, 428 women and 2,079 elderly, here at a tenth),
and its survey round gives 本轮核实率 something between none and all."""

import datetime as dt

import pytest

from shouwang.dashboard.demo import survey_demo_load
from shouwang.dashboard.indicators import Measures
from shouwang.people.demo import people_demo_load
from shouwang.people.eligibility import Program

ON = dt.date(2025, 9, 1)  # as the registry's demo test: ages and verdicts fixed
COUNTY = "350724"
SEED = {
    Program.LEFT_BEHIND_CHILD: 781,
    Program.LEFT_BEHIND_WOMAN: 428,
    Program.LEFT_BEHIND_ELDERLY: 2079,
}


@pytest.fixture
def demo(demo_areas):
    loaded = people_demo_load(scale=0.1, on=ON)
    rounds = survey_demo_load(on=ON)
    return loaded, rounds


def test_the_county_board_counts_the_people_the_demo_enrolled(demo, login, county_admin):
    loaded, _ = demo
    people = Measures(COUNTY, today=ON).total("people")
    for program in Program.values:
        assert people[program].value == loaded[program] > 0
    for program, seed in SEED.items():
        assert people[program].value == pytest.approx(seed / 10, rel=0.10)

    page = login(county_admin).get("/dashboard/").content.decode()  # today, not ON
    today = Measures(COUNTY).total("people")["all"].value
    assert f">{today}</a><small>人</small>" in page


def test_the_demo_round_has_verified_some_files_but_not_all(demo):
    _, rounds = demo
    verified = Measures(COUNTY, today=ON).total("verified")
    assert rounds["rounds"] == 1
    assert 0 < verified["met"].value < verified["met"].total
    assert survey_demo_load(on=ON) == rounds  # a second load changes nothing

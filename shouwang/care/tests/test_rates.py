"""Each rate against a hand-counted fixture, per month and per area; the rates
page for staff and leaders, scoped to the user's area."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from shouwang.care.choices import CarerKind, ContactKind
from shouwang.care.rates import Month, rate, rate_people, rates, rates_by_area
from shouwang.care.tests.factories import (
    contact,
    enroll,
    make_elder,
    make_person,
    make_volunteer,
    pair,
)
from shouwang.conftest import NEIGHBOUR_VILLAGE, VILLAGE
from shouwang.people.models import Person

D = dt.date
SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = D(2026, 11, 22)
NOV, OCT = Month(2026, 11), Month(2026, 10)
K = ContactKind


@pytest.fixture
def village(demo_areas):
    """The hand-counted village (350724101200) and one person next door."""
    a = make_elder("甲", VILLAGE)
    contact(a, K.HOME_VISIT, D(2026, 11, 3))
    contact(a, K.PHONE, D(2026, 10, 15))
    b = make_elder("乙", VILLAGE)
    contact(b, K.PHONE, D(2026, 10, 30))
    c = make_elder("丙", VILLAGE)
    contact(c, K.FAMILY_MEAL, D(2026, 11, 5))  # not a visit
    d = make_elder("丁", VILLAGE, program=None)
    enroll(d, "left_behind_elderly", D(2025, 1, 1), ended_on=D(2026, 11, 10))
    contact(d, K.HOME_VISIT, D(2026, 10, 2))
    e = make_elder("戊", VILLAGE, enrolled_on=D(2026, 11, 20))
    contact(e, K.HEALTH_CHECK, D(2026, 11, 21))
    f = make_elder("己", NEIGHBOUR_VILLAGE)
    contact(f, K.HOME_VISIT, D(2026, 11, 2))

    proxy = make_volunteer("代理家长", VILLAGE, capacity=5)
    mother = make_volunteer("爱心妈妈", VILLAGE, kind=CarerKind.CARING_MOTHER)
    k1, k2, k3 = (make_person(name, VILLAGE) for name in ("子一", "子二", "子三"))
    pair(k1, proxy)
    pair(k2, proxy)
    pair(k3, mother)
    for kind in (K.TALK, K.HOMEWORK_CHECK, K.TUTORING, K.HOME_VISIT, K.FAMILY_MEAL):
        contact(k1, kind, D(2026, 11, 8), volunteer=proxy)
        contact(k3, kind, D(2026, 11, 8), volunteer=mother)
        if kind != K.FAMILY_MEAL:
            contact(k2, kind, D(2026, 11, 9), volunteer=proxy)
    contact(k2, K.FAMILY_CALL, D(2026, 11, 4))
    pair(a, make_volunteer("五老", VILLAGE, kind=CarerKind.FIVE_ELDERS))
    return Person.objects.in_area_prefix(VILLAGE)


def figures(people, month):
    return {r.key: (r.numerator, r.denominator) for r in rates(people, month, today=TODAY)}


def test_the_rates_of_the_current_month_match_the_hand_count(village):
    assert figures(village, NOV) == {
        "monthly_visit": (2, 4),  # 甲 (home visit), 戊 (health check) of 甲乙丙戊; 丁 exited
        "six_ones": (1, 2),  # 子一 of the two with a 代理家长; 子二 had no shared meal
        "family_call": (1, 3),  # 子二
        "pairing_coverage": (4, 7),  # 甲 子一 子二 子三 of 甲乙丙戊 子一二三
    }


def test_a_past_month_is_counted_up_to_its_last_day(village):
    assert figures(village, OCT)["monthly_visit"] == (3, 4)  # 甲乙丁 of 甲乙丙丁


def test_the_percentage_is_rounded_and_empty_when_nobody_counts(village):
    assert rate("monthly_visit", village, NOV, today=TODAY).percent == 50.0
    assert rate("six_ones", village, Month(2023, 1), today=TODAY).percent is None


def test_the_people_behind_a_rate_are_the_ones_counted(village):
    met = rate_people("monthly_visit", village, NOV, met=True, today=TODAY)
    missed = rate_people("monthly_visit", village, NOV, met=False, today=TODAY)
    assert sorted(met.values_list("name", flat=True)) == ["戊", "甲"]
    assert sorted(missed.values_list("name", flat=True)) == ["丙", "乙"]


def test_rates_by_village_agree_with_each_village_counted_alone(village):
    township = Person.objects.in_area_prefix(VILLAGE[:9])
    by_village = rates_by_area(township, NOV, digits=12, today=TODAY)
    for code in (VILLAGE, NEIGHBOUR_VILLAGE):
        alone = rates(Person.objects.in_area_prefix(code), NOV, today=TODAY)
        assert {r.key: r for r in alone if r.denominator} == by_village[code]
    assert by_village[NEIGHBOUR_VILLAGE]["monthly_visit"].percent == 100.0


def test_the_rates_page_shows_the_figures_and_each_village(login, supervisor, village):
    with time_machine.travel(dt.datetime(2026, 11, 22, 10, tzinfo=SHANGHAI), tick=False):
        page = login(supervisor).get("/care/rates/", {"area": VILLAGE[:9] + "000"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "月探访率" in text and "3 / 5 人" in text  # the township: 甲戊己 of 甲乙丙戊己
    assert '50.0% <small class="muted">2/4</small>' in text  # the hand-counted village


def test_a_leader_sees_the_rates_but_the_outsider_gets_404(login, leader, outsider, village):
    assert login(leader).get("/care/rates/", {"area": VILLAGE}).status_code == 200
    assert login(outsider).get("/care/rates/", {"area": VILLAGE}).status_code == 404


def test_the_rates_page_takes_a_fixed_number_of_queries(
    login, county_admin, village, django_assert_max_num_queries
):
    client = login(county_admin)
    client.get("/care/rates/")
    # session and user, the area, its townships, and two grouped queries per rate
    with django_assert_max_num_queries(24):
        assert client.get("/care/rates/").status_code == 200


def test_the_area_page_loads_this_months_rates_as_a_panel(login, supervisor, village):
    client = login(supervisor)
    area_page = client.get(f"/areas/{VILLAGE}/").content.decode()
    assert f"/care/rates/?area={VILLAGE}&panel=1" in area_page
    with time_machine.travel(dt.datetime(2026, 11, 22, 10, tzinfo=SHANGHAI), tick=False):
        panel = client.get("/care/rates/", {"area": VILLAGE, "panel": "1"}, HTTP_HX_REQUEST="true")
    text = panel.content.decode()
    assert "<html" not in text and "2 / 4 人" in text and "关爱指标（2026-11）" in text


@pytest.mark.parametrize("month", [NOV, OCT])
def test_the_counts_from_the_monthly_index_equal_the_lists_from_the_contacts(village, month):
    """`rates` reads the kinds of each month from `ContactMonth`; `rate_people`
    searches the contacts. Both must count the same people."""
    for r in rates(village, month, today=TODAY):
        met = rate_people(r.key, village, month, met=True, today=TODAY).count()
        missed = rate_people(r.key, village, month, met=False, today=TODAY).count()
        assert (r.numerator, r.denominator) == (met, met + missed)

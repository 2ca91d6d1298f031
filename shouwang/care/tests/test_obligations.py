"""What a person is owed, at the boundaries of weeks, months and quarters; pairings
that start mid-month; exits mid-period; risk tiers; county rules."""

import datetime as dt

import pytest

from shouwang.care.choices import CarerKind, ContactKind, Duty, Period
from shouwang.care.models import ObligationRule
from shouwang.care.obligations import State, obligation_status, period_end, period_start
from shouwang.care.selectors import obligations_for
from shouwang.care.tests.factories import (
    contact,
    enroll,
    make_elder,
    make_person,
    make_volunteer,
    pair,
)
from shouwang.conftest import NEIGHBOUR_VILLAGE, VILLAGE
from shouwang.people.choices import Health, RiskLevel
from shouwang.people.models import Person
from shouwang.regions.models import Area

D = dt.date


def status(since, last, period, today):
    return obligation_status(since=since, last=last, period=period, today=today)


# --- periods -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "period", "start", "end"),
    [
        (D(2026, 11, 22), Period.WEEK, D(2026, 11, 16), D(2026, 11, 22)),  # a Sunday
        (D(2026, 11, 23), Period.WEEK, D(2026, 11, 23), D(2026, 11, 29)),  # the Monday after
        (D(2026, 12, 31), Period.WEEK, D(2026, 12, 28), D(2027, 1, 3)),  # a week across years
        (D(2026, 2, 15), Period.HALF_MONTH, D(2026, 2, 1), D(2026, 2, 15)),
        (D(2026, 2, 16), Period.HALF_MONTH, D(2026, 2, 16), D(2026, 2, 28)),
        (D(2028, 2, 20), Period.MONTH, D(2028, 2, 1), D(2028, 2, 29)),  # leap February
        (D(2026, 11, 30), Period.MONTH, D(2026, 11, 1), D(2026, 11, 30)),
        (D(2026, 9, 30), Period.QUARTER, D(2026, 7, 1), D(2026, 9, 30)),
        (D(2026, 10, 1), Period.QUARTER, D(2026, 10, 1), D(2026, 12, 31)),
    ],
)
def test_calendar_periods_have_the_right_first_and_last_day(day, period, start, end):
    assert period_start(day, period) == start
    assert period_end(day, period) == end


# --- one obligation --------------------------------------------------------------------

SINCE = D(2026, 1, 1)


def test_a_monthly_visit_this_month_is_met():
    s = status(SINCE, D(2026, 11, 1), Period.MONTH, D(2026, 11, 22))
    assert s.state == State.MET


def test_a_visit_last_month_leaves_this_month_due_by_its_last_day():
    s = status(SINCE, D(2026, 10, 31), Period.MONTH, D(2026, 11, 22))
    assert (s.state, s.due_on) == (State.DUE, D(2026, 11, 30))


def test_a_missed_month_is_overdue_from_its_last_day():
    s = status(SINCE, D(2026, 9, 20), Period.MONTH, D(2026, 11, 22))
    assert (s.state, s.due_on, s.days_overdue) == (State.OVERDUE, D(2026, 10, 31), 22)


def test_on_the_last_day_of_the_month_it_is_still_due_and_the_next_day_overdue():
    assert status(SINCE, D(2026, 10, 5), Period.MONTH, D(2026, 11, 30)).state == State.DUE
    s = status(SINCE, D(2026, 10, 5), Period.MONTH, D(2026, 12, 1))
    assert (s.state, s.days_overdue) == (State.OVERDUE, 1)


def test_a_weekly_contact_is_overdue_on_the_monday_after_a_week_without_one():
    last = D(2026, 11, 15)  # Sunday of the week before
    assert status(SINCE, last, Period.WEEK, D(2026, 11, 22)).state == State.DUE
    s = status(SINCE, last, Period.WEEK, D(2026, 11, 23))
    assert (s.state, s.due_on, s.days_overdue) == (State.OVERDUE, D(2026, 11, 22), 1)


def test_a_quarterly_visit_is_owed_by_the_quarter_end():
    assert status(SINCE, D(2026, 8, 1), Period.QUARTER, D(2026, 12, 31)).state == State.DUE
    s = status(SINCE, D(2026, 8, 1), Period.QUARTER, D(2027, 1, 1))
    assert (s.state, s.due_on) == (State.OVERDUE, D(2026, 12, 31))


def test_never_contacted_is_overdue_from_the_end_of_the_first_owed_period():
    s = status(D(2026, 3, 1), None, Period.MONTH, D(2026, 5, 10))
    assert (s.state, s.due_on, s.days_overdue) == (State.OVERDUE, D(2026, 3, 31), 40)


def test_an_obligation_starting_mid_month_is_first_owed_in_the_next_month():
    since = D(2026, 11, 15)
    s = status(since, None, Period.MONTH, D(2026, 11, 30))
    assert (s.state, s.due_on) == (State.UPCOMING, D(2026, 12, 31))
    assert status(since, None, Period.MONTH, D(2026, 12, 31)).state == State.DUE
    s = status(since, None, Period.MONTH, D(2027, 1, 1))
    assert (s.state, s.due_on) == (State.OVERDUE, D(2026, 12, 31))


def test_an_obligation_starting_on_the_first_of_the_month_is_owed_that_month():
    s = status(D(2026, 11, 1), None, Period.MONTH, D(2026, 11, 10))
    assert (s.state, s.due_on) == (State.DUE, D(2026, 11, 30))


def test_a_contact_today_clears_an_overdue_obligation():
    today = D(2026, 11, 22)
    assert status(SINCE, D(2026, 8, 1), Period.MONTH, today).state == State.OVERDUE
    assert status(SINCE, today, Period.MONTH, today).state == State.MET


# --- the derivation from the database ----------------------------------------------------

TODAY = D(2026, 11, 22)


def owed(user, today=TODAY):
    return {
        (o.person_name, o.duty): o
        for o in obligations_for(Person.objects.visible_to(user), today=today)
    }


def test_a_left_behind_child_without_a_proxy_parent_is_owed_only_the_family_call(county_admin):
    make_person("王小明", VILLAGE)
    assert set(owed(county_admin)) == {("王小明", Duty.FAMILY_CALL)}


def test_a_proxy_parent_brings_the_weekly_contact_home_visit_and_teacher_talk(county_admin):
    child = make_person("王小明", VILLAGE, schooling="primary")
    carer = make_volunteer("李秀英", VILLAGE)
    pair(child, carer, on=D(2026, 1, 5))
    found = owed(county_admin)
    assert {duty for _name, duty in found} == {
        Duty.CONTACT,
        Duty.HOME_VISIT,
        Duty.TEACHER_TALK,
        Duty.FAMILY_CALL,
    }
    weekly = found[("王小明", Duty.CONTACT)]
    assert weekly.rule.period == Period.WEEK
    assert [cr.name for cr in weekly.carers] == ["李秀英"]


def test_a_child_not_at_school_is_owed_no_talk_with_a_head_teacher(county_admin):
    child = make_person("王小明", VILLAGE, birth=D(2022, 3, 1), schooling="kindergarten")
    pair(child, make_volunteer("李秀英", VILLAGE), on=D(2026, 1, 5))
    assert ("王小明", Duty.TEACHER_TALK) not in owed(county_admin)
    assert ("王小明", Duty.HOME_VISIT) in owed(county_admin)


def test_only_the_proxy_parents_own_contacts_fulfil_the_proxy_parents_duty(county_admin):
    child = make_person("王小明", VILLAGE)
    carer = make_volunteer("李秀英", VILLAGE)
    pair(child, carer, on=D(2026, 1, 5))
    contact(child, ContactKind.HOME_VISIT, D(2026, 11, 20))  # the village worker's visit
    assert owed(county_admin)[("王小明", Duty.HOME_VISIT)].state == State.OVERDUE
    contact(child, ContactKind.HOME_VISIT, D(2026, 11, 21), volunteer=carer)
    assert owed(county_admin)[("王小明", Duty.HOME_VISIT)].state == State.MET


def test_a_pairing_started_mid_month_owes_no_home_visit_until_next_month(county_admin):
    child = make_person("王小明", VILLAGE)
    pair(child, make_volunteer("李秀英", VILLAGE), on=D(2026, 11, 10))
    visit = owed(county_admin)[("王小明", Duty.HOME_VISIT)]
    assert (visit.state, visit.due_on) == (State.UPCOMING, D(2026, 12, 31))


def test_an_ended_pairing_takes_its_duties_with_it(county_admin):
    child = make_person("王小明", VILLAGE)
    pair(child, make_volunteer("李秀英", VILLAGE), on=D(2026, 1, 5), ended_on=D(2026, 11, 22))
    assert set(owed(county_admin)) == {("王小明", Duty.FAMILY_CALL)}
    assert ("王小明", Duty.CONTACT) in owed(county_admin, today=D(2026, 11, 21))


def test_someone_who_exits_mid_month_stops_being_owed_on_the_day_of_exit(county_admin):
    elder = make_elder("赵桂英", VILLAGE, program=None)
    enroll(elder, "left_behind_elderly", D(2025, 1, 1), ended_on=D(2026, 11, 15))
    assert ("赵桂英", Duty.ELDERLY_VISIT) in owed(county_admin, today=D(2026, 11, 14))
    assert owed(county_admin, today=D(2026, 11, 15)) == {}


def test_people_no_longer_on_file_are_owed_nothing(county_admin):
    elder = make_elder("赵桂英", VILLAGE)
    Person.objects.filter(pk=elder.pk).update(status="deceased")
    assert owed(county_admin) == {}


def test_elderly_visits_follow_the_risk_tier(county_admin):
    make_elder("高龄独居", VILLAGE, birth=D(1940, 1, 1), lives_alone=True)
    make_elder("重病", VILLAGE, birth=D(1960, 1, 1), health=Health.SERIOUSLY_ILL)
    make_elder("残疾", VILLAGE, birth=D(1960, 1, 1), health=Health.DISABLED)
    make_elder("一般", VILLAGE, birth=D(1955, 1, 1))
    periods = {name: o.rule.period for (name, _d), o in owed(county_admin).items()}
    assert periods == {
        "高龄独居": Period.WEEK,
        "重病": Period.WEEK,
        "残疾": Period.MONTH,
        "一般": Period.QUARTER,
    }


def test_turning_80_while_living_alone_makes_visits_weekly(county_admin):
    make_elder("赵桂英", VILLAGE, birth=D(1946, 11, 23), lives_alone=True)
    assert owed(county_admin)[("赵桂英", Duty.ELDERLY_VISIT)].risk == RiskLevel.GENERAL
    after = owed(county_admin, today=D(2026, 11, 23))[("赵桂英", Duty.ELDERLY_VISIT)]
    assert (after.risk, after.rule.period) == (RiskLevel.HIGH, Period.WEEK)


def test_a_graded_risk_level_overrides_the_derived_tier(county_admin):
    elder = make_elder("赵桂英", VILLAGE, birth=D(1955, 1, 1))
    Person.objects.filter(pk=elder.pk).update(risk_level=RiskLevel.HIGH)
    assert owed(county_admin)[("赵桂英", Duty.ELDERLY_VISIT)].rule.period == Period.WEEK


def test_a_county_with_its_own_rules_uses_only_those(county_admin):
    make_elder("赵桂英", VILLAGE, birth=D(1955, 1, 1))
    county = Area.objects.get(code="350724000000")
    ObligationRule.objects.create(
        county=county, program="left_behind_elderly", duty=Duty.ELDERLY_VISIT,
        period=Period.HALF_MONTH,
    )  # fmt: skip
    found = owed(county_admin)
    assert found[("赵桂英", Duty.ELDERLY_VISIT)].rule.period == Period.HALF_MONTH


def test_a_child_in_two_programs_is_owed_the_stricter_rule_once(county_admin):
    child = make_person("王小明", VILLAGE)
    enroll(child, "child_in_difficulty", D(2025, 6, 1))
    county = Area.objects.get(code="350724000000")
    for rule in ObligationRule.objects.filter(county=None):
        rule.pk, rule.county = None, county
        rule.save()
    ObligationRule.objects.create(
        county=county, program="child_in_difficulty", duty=Duty.FAMILY_CALL, period=Period.WEEK
    )
    calls = [
        o for o in obligations_for(Person.objects.all(), today=TODAY) if o.duty == "family_call"
    ]
    assert [o.rule.period for o in calls] == [Period.WEEK]


def test_the_family_call_counts_whoever_logged_it(county_admin):
    child = make_person("王小明", VILLAGE)
    contact(child, ContactKind.FAMILY_CALL, D(2026, 11, 3))
    assert owed(county_admin)[("王小明", Duty.FAMILY_CALL)].state == State.MET


def test_a_future_dated_row_does_not_count(county_admin):
    child = make_person("王小明", VILLAGE)
    contact(child, ContactKind.FAMILY_CALL, D(2026, 11, 25))
    assert owed(county_admin)[("王小明", Duty.FAMILY_CALL)].state != State.MET


def test_obligations_are_scoped_to_the_user(village_worker, neighbour, outsider):
    make_person("王小明", VILLAGE)
    make_person("李小红", NEIGHBOUR_VILLAGE)
    assert {name for name, _d in owed(village_worker)} == {"王小明"}
    assert {name for name, _d in owed(neighbour)} == {"李小红"}
    assert owed(outsider) == {}


def test_the_derivation_takes_the_same_queries_for_one_or_many_people(
    county_admin, django_assert_num_queries
):
    carer = make_volunteer("李秀英", VILLAGE, capacity=20, kind=CarerKind.PROXY_PARENT)
    first = make_person("王小明", VILLAGE)
    pair(first, carer)
    scope = Person.objects.visible_to(county_admin)
    with django_assert_num_queries(5):  # people, enrollments, pairings, contacts, rules
        obligations_for(scope, today=TODAY)
    for i in range(8):
        child = make_person(f"王小{i}", VILLAGE)
        pair(child, carer)
        contact(child, ContactKind.PHONE, D(2026, 11, 2), volunteer=carer)
        make_elder(f"赵老{i}", NEIGHBOUR_VILLAGE)
    with django_assert_num_queries(5):
        found = obligations_for(scope, today=TODAY)
    assert len({o.person_id for o in found}) == 17

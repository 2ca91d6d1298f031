"""我的待办 and 逾期名单: which section an obligation falls in at the boundaries of
a week and a month, what a logged contact does to it, sorting, areas, and the
number of queries whatever the number of people.

The elderly of 张桂兰's village: 王奶奶 (high risk, visited weekly; last visit
Thursday 12 November 2026), 陈爷爷 (priority, monthly; last visit 5 October) and
林婆婆 (general, quarterly; never visited). 2026-11-22 is a Sunday.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shouwang.care import selectors
from shouwang.care.models import Contact
from shouwang.care.tests.factories import contact, make_elder, make_person, make_volunteer, pair
from shouwang.conftest import NEIGHBOUR_VILLAGE, VILLAGE, ZHENGDUN

D = dt.date
SUNDAY = D(2026, 11, 22)
WORKLIST = "/care/"
OVERDUE = "/care/overdue/"


def at(day: dt.date, hour: int = 10):
    return time_machine.travel(
        dt.datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo("Asia/Shanghai")),
        tick=False,
    )


@pytest.fixture
def elders(demo_areas):
    weekly = make_elder("王奶奶", VILLAGE, risk_level="high")
    contact(weekly, "home_visit", D(2026, 11, 12))
    monthly = make_elder("陈爷爷", VILLAGE, risk_level="priority")
    contact(monthly, "phone", D(2026, 10, 5))
    never = make_elder("林婆婆", VILLAGE, risk_level="general")
    return weekly, monthly, never


def names(items) -> list[str]:
    return [o.person_name for o in items]


def buckets(user, today) -> dict[str, list[str]]:
    work = selectors.worklist(user, today=today)
    return {"overdue": names(work.overdue), "today": names(work.today),
            "this_week": names(work.this_week), "later": names(work.later)}  # fmt: skip


# --- sections at the boundaries --------------------------------------------------------


def test_on_a_wednesday_the_weekly_visit_is_due_this_week_and_the_monthly_later(
    village_worker, elders
):
    assert buckets(village_worker, D(2026, 11, 18)) == {
        "overdue": ["林婆婆"],
        "today": [],
        "this_week": ["王奶奶"],
        "later": ["陈爷爷"],
    }


def test_on_saturday_the_weekly_visit_is_still_due_this_week(village_worker, elders):
    assert buckets(village_worker, D(2026, 11, 21))["this_week"] == ["王奶奶"]


def test_on_sunday_the_weekly_visit_is_due_today(village_worker, elders):
    assert buckets(village_worker, SUNDAY)["today"] == ["王奶奶"]


def test_on_monday_an_unvisited_week_is_one_day_overdue(village_worker, elders):
    work = selectors.worklist(village_worker, today=D(2026, 11, 23))

    overdue = {o.person_name: o.days_overdue for o in work.overdue}
    assert overdue["王奶奶"] == 1
    assert names(work.overdue) == ["林婆婆", "王奶奶"]  # the longest overdue first


def test_on_the_last_day_of_the_month_the_monthly_visit_is_due_today(village_worker, elders):
    assert buckets(village_worker, D(2026, 11, 30))["today"] == ["陈爷爷"]


def test_a_visit_today_takes_the_item_off_the_worklist(village_worker, elders):
    weekly, _monthly, never = elders
    contact(never, "health_check", SUNDAY)
    contact(weekly, "video", SUNDAY)

    assert buckets(village_worker, SUNDAY) == {
        "overdue": [], "today": [], "this_week": [], "later": ["陈爷爷"]
    }  # fmt: skip


def test_a_volunteer_has_only_the_work_of_their_own_pairings(volunteer, elders):
    _weekly, _monthly, never = elders
    child = make_person("李小明", VILLAGE)
    record = make_volunteer("刘晓燕", VILLAGE, user=volunteer)
    pair(child, record)

    work = selectors.worklist(volunteer, today=SUNDAY)

    everything = work.overdue + work.today + work.this_week + work.later
    assert {o.person_name for o in everything} == {"李小明"}
    assert "林婆婆" not in names(everything)


# --- the worklist page -----------------------------------------------------------------


def test_the_worklist_shows_each_section_with_its_count_and_days_overdue(
    login, village_worker, elders
):
    with at(SUNDAY):
        response = login(village_worker).get(WORKLIST)

    assert response.status_code == 200
    counts = {s["key"]: len(s["items"]) for s in response.context["sections"]}
    assert counts == {"overdue": 1, "today": 1, "week": 0, "later": 1}
    page = response.content.decode()
    for title in ("已逾期", "今天到期", "本周到期", "本期待办"):
        assert title in page
    never = next(s for s in response.context["sections"] if s["key"] == "overdue")["items"][0]
    assert f"逾期 {never.days_overdue} 天" in page
    assert f"/care/people/{never.person_id}/log/?kind=home_visit&amp;next=/care/" in page


def test_logging_from_the_worklist_moves_the_item_from_overdue_to_done(
    login, village_worker, elders
):
    _weekly, _monthly, never = elders
    with at(SUNDAY):
        client = login(village_worker)
        row = client.get(WORKLIST).context["sections"][0]["items"][0]
        assert row.person_name == "林婆婆"
        form = client.get(f"/care/people/{never.pk}/log/?kind=home_visit&next=/care/")
        data = {name: form.context["form"][name].value() for name in ("kind", "client_key")}
        data["date"] = "2026-11-22"

        response = client.post(f"/care/people/{never.pk}/log/?next=/care/", data, follow=True)

    assert response.redirect_chain == [("/care/", 302)]
    overdue = response.context["sections"][0]
    assert overdue["key"] == "overdue"
    assert overdue["items"] == []
    assert Contact.objects.get(person=never).date == SUNDAY


def test_the_volunteer_worklist_links_to_the_log_of_their_child(login, volunteer):
    child = make_person("李小明", VILLAGE)
    pair(child, make_volunteer("刘晓燕", VILLAGE, user=volunteer))

    with at(SUNDAY):
        page = login(volunteer).get(WORKLIST).content.decode()

    assert f"/care/people/{child.pk}/log/?kind=" in page
    assert "volunteer=" not in page  # a volunteer always logs as themselves


def test_a_long_section_shows_its_first_items_until_all_are_asked_for(
    login, village_worker, elders, monkeypatch
):
    from shouwang.care.views import worklists

    monkeypatch.setattr(worklists, "SECTION_LIMIT", 0)
    client = login(village_worker)
    with at(SUNDAY):
        short = client.get(WORKLIST)
        full = client.get(WORKLIST, {"all": "1"})

    assert short.context["truncated"]
    assert "显示全部待办" in short.content.decode()
    assert all(len(s["shown"]) == len(s["items"]) for s in full.context["sections"])


def test_a_leader_has_no_worklist(login, leader):
    assert login(leader).get(WORKLIST).status_code == 403


def test_the_worklist_takes_the_same_queries_for_one_or_many_people(
    login, village_worker, django_assert_max_num_queries
):
    make_elder("林婆婆", VILLAGE)
    client = login(village_worker)
    with at(SUNDAY), CaptureQueriesContext(connection) as one:
        client.get(WORKLIST)
    for n in range(5):
        elder = make_elder(f"老人{n}", VILLAGE, risk_level="high")
        contact(elder, "phone", D(2026, 11, 10))
    with at(SUNDAY), django_assert_max_num_queries(len(one)):
        client.get(WORKLIST)


# --- the overdue list ------------------------------------------------------------------


@pytest.fixture
def township(elders):
    """Two more elders in the neighbouring village: one high-risk, overdue by days."""
    high = make_elder("周奶奶", NEIGHBOUR_VILLAGE, risk_level="high")
    contact(high, "home_visit", D(2026, 11, 3))  # week of 2 Nov met; 9–15 Nov missed
    make_elder("吴爷爷", NEIGHBOUR_VILLAGE, risk_level="general")
    return elders


def test_a_supervisor_sees_the_township_by_village_and_the_whole_list(login, supervisor, township):
    with at(SUNDAY):
        response = login(supervisor).get(OVERDUE)

    assert response.status_code == 200
    summary = {name: (n, people) for _code, name, n, people in response.context["by_village"]}
    assert len(summary) == 2
    assert sorted(summary.values()) == [(1, 1), (2, 2)]
    assert set(names(response.context["page"])) == {"林婆婆", "周奶奶", "吴爷爷"}
    page = response.content.decode()
    assert f"?area={NEIGHBOUR_VILLAGE}&amp;sort=overdue" in page


def test_choosing_a_village_lists_only_it_without_the_summary(login, supervisor, township):
    with at(SUNDAY):
        response = login(supervisor).get(OVERDUE, {"area": VILLAGE})

    assert response.context["by_village"] == []
    assert names(response.context["page"]) == ["林婆婆"]


def test_choosing_the_township_is_the_same_as_the_default(login, supervisor, township):
    with at(SUNDAY):
        response = login(supervisor).get(OVERDUE, {"area": ZHENGDUN})

    assert len(response.context["by_village"]) == 2


def test_the_list_sorts_by_days_overdue_or_by_risk(login, supervisor, township):
    client = login(supervisor)
    with at(SUNDAY):
        by_days = names(client.get(OVERDUE).context["page"])
        by_risk = names(client.get(OVERDUE, {"sort": "risk"}).context["page"])
        by_village = client.get(OVERDUE, {"sort": "village"}).context["page"]

    assert by_days[-1] == "周奶奶"  # overdue since 15 November: the fewest days
    assert by_risk[0] == "周奶奶"  # but the only one at high risk
    assert [o.village_id for o in by_village] == [VILLAGE, NEIGHBOUR_VILLAGE, NEIGHBOUR_VILLAGE]


def test_the_county_sees_every_village_of_the_county(login, county_admin, township):
    with at(SUNDAY):
        response = login(county_admin).get(OVERDUE)

    assert len(response.context["by_village"]) == 2
    assert response.context["page"].paginator.count == 3


@pytest.mark.parametrize(
    "query",
    [{"sort": "bogus"}, {"page": "abc"}, {"page": "999"}, {"area": "x" * 500}, {"area": "350724"}],
)
def test_bad_filters_never_fail(login, supervisor, township, query):
    with at(SUNDAY):
        response = login(supervisor).get(OVERDUE, query)

    assert response.status_code == 200


def test_the_outsider_sees_nothing_and_cannot_pick_a_village_outside(login, outsider, township):
    client = login(outsider)
    with at(SUNDAY):
        default = client.get(OVERDUE)
        picked = client.get(OVERDUE, {"area": VILLAGE})

    assert list(default.context["page"]) == []
    assert list(picked.context["page"]) == []
    assert picked.context["filters"].errors["area"]
    assert "林婆婆" not in picked.content.decode()


def test_village_workers_and_volunteers_have_no_overdue_list(login, village_worker, volunteer):
    assert login(village_worker).get(OVERDUE).status_code == 403
    assert login(volunteer).get(OVERDUE).status_code == 403


def test_the_overdue_list_pages_by_fifty(login, supervisor):
    proxy = make_volunteer("赵春梅", VILLAGE, capacity=30)
    for n in range(13):  # four duties each for a child with a 代理家长: 52 overdue
        pair(make_person(f"孩子{n}", VILLAGE, schooling="primary"), proxy)

    client = login(supervisor)
    with at(SUNDAY):
        first = client.get(OVERDUE)
        second = client.get(OVERDUE, {"page": 2})

    assert first.context["page"].paginator.count == 52
    assert len(first.context["page"]) == 50
    assert len(second.context["page"]) == 2


def test_the_overdue_list_takes_the_same_queries_for_one_or_many_people(
    login, supervisor, django_assert_max_num_queries
):
    make_elder("林婆婆", VILLAGE)
    client = login(supervisor)
    with at(SUNDAY), CaptureQueriesContext(connection) as one:
        assert client.get(OVERDUE).context["page"].paginator.count == 1
    proxy = make_volunteer("赵春梅", NEIGHBOUR_VILLAGE, capacity=30)
    for n in range(8):
        pair(make_person(f"孩子{n}", NEIGHBOUR_VILLAGE, schooling="primary"), proxy)
        make_elder(f"老人{n}", VILLAGE, risk_level="high")
    with at(SUNDAY), django_assert_max_num_queries(len(one)):
        assert client.get(OVERDUE).context["page"].paginator.count > 40

"""No lost updates under real concurrency: two people load the same record at the
same version and press 保存 at the same moment, on two real database connections
(two threads, each with Django's own connection). Exactly one save wins; the other
is refused as stale; the row holds the winner's values.

PostgreSQL only: row locks (`select_for_update`) are what makes the second save
wait and then see the first; SQLite's in-memory test database locks whole tables.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from shouwang.care.choices import VolunteerStatus
from shouwang.care.models import Volunteer
from shouwang.care.services.volunteers import volunteer_update
from shouwang.care.tests.factories import make_volunteer
from shouwang.conftest import VILLAGE
from shouwang.core.locking import STALE_MESSAGE, is_stale
from shouwang.people.models import Person
from shouwang.people.services.persons import StaleEdit, person_create, person_update
from shouwang.protection.choices import CaseState
from shouwang.protection.models import CaseEvent, ProtectionCase, Station
from shouwang.protection.services.cases import case_report, case_transition
from shouwang.protection.services.stations import station_create, station_update
from shouwang.regions.models import Area

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks; SQLite's test database locks whole tables")


def at_the_same_moment(**saves: Callable[[], object]) -> dict[str, object]:
    """Run each save in a thread of its own (so on a connection of its own), all
    released together by a barrier; {name: what it returned or raised}."""
    barrier = threading.Barrier(len(saves))
    outcomes: dict[str, object] = {}

    def run(name: str, save: Callable[[], object]) -> None:
        try:
            barrier.wait()
            outcomes[name] = save()
        except Exception as exc:  # reported to the test below; a thread cannot fail it
            outcomes[name] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=item) for item in saves.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def winner_and_loser(outcomes: dict[str, object], refused: type[Exception]) -> tuple[str, str]:
    """The name of the save that went through and of the one refused (as `refused`)."""
    losers = [name for name, outcome in outcomes.items() if isinstance(outcome, refused)]
    winners = [name for name, outcome in outcomes.items() if not isinstance(outcome, Exception)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    return winners[0], losers[0]


def test_two_saves_of_a_person_at_once_one_wins_one_is_stale(supervisor, village_worker):
    child = person_create(
        user=village_worker,
        data={"name": "李小明", "sex": "M", "birth_date": dt.date(2014, 5, 6),
              "village": Area.objects.get(code=VILLAGE), "address": "老街1号",
              "school": "郑墩中心小学"},
    )  # fmt: skip
    # Both opened the file at version 1.
    wus, zhangs = Person.objects.get(pk=child.pk), Person.objects.get(pk=child.pk)
    assert wus.version == zhangs.version == 1
    edits = {"wu": (supervisor, wus, "新街8号"), "zhang": (village_worker, zhangs, "南街3号")}

    outcomes = at_the_same_moment(**{
        name: (lambda user=user, person=person, address=address: person_update(
            user=user, person=person, data={"address": address}, version=1))
        for name, (user, person, address) in edits.items()
    })  # fmt: skip

    winner, loser = winner_and_loser(outcomes, StaleEdit)
    assert outcomes[loser].person.version == 2
    child.refresh_from_db()
    assert (child.address, child.version) == (edits[winner][2], 2)


def test_two_saves_of_a_volunteer_at_once_one_wins_one_is_stale(supervisor, village_worker):
    chen = make_volunteer("陈秀梅", VILLAGE, status=VolunteerStatus.APPLIED)
    edits = {"wu": (supervisor, {"capacity": 5}), "zhang": (village_worker, {"notes": "周末有空"})}
    loaded = {name: Volunteer.objects.get(pk=chen.pk) for name in edits}

    outcomes = at_the_same_moment(**{
        name: (lambda user=user, data=data, volunteer=loaded[name]: volunteer_update(
            user=user, volunteer=volunteer, data=data, version=1))
        for name, (user, data) in edits.items()
    })  # fmt: skip

    winner, loser = winner_and_loser(outcomes, ValidationError)
    assert is_stale(outcomes[loser]) and outcomes[loser].messages == [str(STALE_MESSAGE)]
    chen.refresh_from_db()
    assert chen.version == 2
    assert (chen.capacity, chen.notes) == (
        (5, "") if winner == "wu" else (3, "周末有空")
    )  # the loser's change is nowhere


def test_two_steps_of_a_case_at_once_one_is_taken_one_is_stale(
    supervisor, county_admin, village_worker
):
    now = timezone.now()
    case = case_report(
        user=village_worker, village=Area.objects.get(code=VILLAGE),
        category="alone_unsupervised", description="孩子独自在家三天",
        discovered_at=now - dt.timedelta(hours=1), discovered_place="家中",
        reporter_name="张桂兰", others_involved="未建档的孩子", now=now,
    )  # fmt: skip
    people = {"wu": supervisor, "huang": county_admin}
    loaded = {name: ProtectionCase.objects.get(pk=case.pk) for name in people}

    outcomes = at_the_same_moment(**{
        name: (lambda user=user, seen=loaded[name]: case_transition(
            user=user, case=seen, to_state=CaseState.ACCEPTED, note=f"{user.full_name}受理",
            expected_state=CaseState.REPORTED, version=1))
        for name, user in people.items()
    })  # fmt: skip

    winner, loser = winner_and_loser(outcomes, ValidationError)
    assert is_stale(outcomes[loser])
    case.refresh_from_db()
    assert (case.state, case.version) == (CaseState.ACCEPTED, 2)
    [accepted] = CaseEvent.objects.filter(case=case, to_state=CaseState.ACCEPTED)
    assert accepted.by == people[winner]
    assert accepted.note == f"{people[winner].full_name}受理"


def test_two_saves_of_a_station_at_once_one_wins_one_is_stale(supervisor, village_worker):
    village = Area.objects.get(code=VILLAGE)
    home = station_create(user=village_worker, village=village, kind="children_home",
                          name="留守儿童之家")  # fmt: skip
    edits = {"wu": (supervisor, "吴丽萍"), "zhang": (village_worker, "张桂兰")}
    loaded = {name: Station.objects.get(pk=home.pk) for name in edits}

    outcomes = at_the_same_moment(**{
        name: (lambda user=user, manager=manager, station=loaded[name]: station_update(
            user=user, station=station, village=village, kind="children_home",
            name="留守儿童之家", address="", manager=manager, opened_on=None, haves=(),
            version=1))
        for name, (user, manager) in edits.items()
    })  # fmt: skip

    winner, loser = winner_and_loser(outcomes, ValidationError)
    assert is_stale(outcomes[loser])
    home.refresh_from_db()
    assert (home.manager, home.version) == (edits[winner][1], 2)

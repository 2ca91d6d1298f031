"""The overdue lists' index of earliest due dates (`PersonDue`) never hides anyone
overdue: after the nightly refresh, and after every write that can make someone
owed more or sooner — without waiting for the next refresh."""

import datetime as dt

import pytest
from django.utils import timezone

from shouwang.care.choices import ContactKind, Duty, Period
from shouwang.care.models import ObligationRule, PersonDue
from shouwang.care.obligations import State
from shouwang.care.selectors import obligations_for, overdue_for
from shouwang.care.services.due_dates import due_dates_refresh, due_dates_refresh_all
from shouwang.care.services.pairings import pairing_create
from shouwang.care.services.rules import rule_save
from shouwang.care.tests.factories import contact, make_elder, make_person, make_volunteer
from shouwang.conftest import COUNTY, VILLAGE
from shouwang.people.models import Person
from shouwang.people.services.persons import person_set_status, person_update
from shouwang.regions.models import Area

D = dt.date


def key(o):
    return (o.person_id, o.duty, o.rule.pairing_kind, o.status)


def agree(user):
    """The overdue list equals the overdue obligations of deriving everyone."""
    people = Person.objects.visible_to(user)
    full = [o for o in obligations_for(people) if o.state == State.OVERDUE]
    assert sorted(map(key, overdue_for(people))) == sorted(map(key, full))
    return {o.person_id for o in full}


@pytest.fixture
def refreshed(county_admin):
    """An elder visited 20 days ago (monthly visits: not overdue, whatever the day)
    and a child owed nothing yet — with every earliest due date stored."""
    today = timezone.localdate()
    elder = make_elder("赵桂英", VILLAGE, birth=D(1950, 3, 1), disability_type="肢体",
                       health="disabled")  # fmt: skip
    contact(elder, ContactKind.HOME_VISIT, today - dt.timedelta(days=20))
    child = make_person("王小明", VILLAGE, program=None, schooling="primary")
    due_dates_refresh_all()
    assert not agree(county_admin)
    return elder, child


def test_the_refresh_stores_a_row_for_everyone_and_null_when_nothing_is_owed(refreshed):
    elder, child = refreshed
    rows = dict(PersonDue.objects.values_list("person_id", "due_on"))
    assert rows[child.pk] is None
    assert rows[elder.pk] is not None


def test_a_person_never_refreshed_is_still_on_the_overdue_list(county_admin, refreshed):
    late = make_elder("钱秀兰", VILLAGE, birth=D(1950, 3, 1))  # enrolled in 2024, never visited
    assert late.pk in agree(county_admin)


def test_making_an_elder_high_risk_shows_at_once(county_admin, refreshed):
    elder, _child = refreshed
    Person.objects.filter(pk=elder.pk).update(birth_date=D(1940, 3, 1))  # 86 now
    elder.refresh_from_db()
    # Living alone at 86: weekly visits, and the last was yesterday — not overdue yet,
    # but the stored date (a monthly visit) is later than the weekly one now owed.
    person_update(
        user=county_admin, person=elder, data={"lives_alone": True}, version=elder.version
    )
    assert not PersonDue.objects.filter(person=elder).exists()  # forgotten
    agree(county_admin)


def test_a_backdated_pairing_is_owed_at_once(county_admin, refreshed):
    _elder, child = refreshed
    from shouwang.care.tests.factories import enroll

    enroll(child, "left_behind_child", D(2025, 1, 1))
    carer = make_volunteer("李秀英", VILLAGE)
    pairing_create(user=county_admin, person=child, volunteer=carer, started_on=D(2025, 2, 3))
    assert child.pk in agree(county_admin)


def test_a_shorter_visiting_rule_shows_at_once(county_admin, refreshed):
    elder, _child = refreshed
    county = Area.objects.get(code=COUNTY)
    rule = ObligationRule.objects.get(county__isnull=True, program="left_behind_elderly",
                                      risk_level="general", duty=Duty.ELDERLY_VISIT)  # fmt: skip
    fields = ("program", "risk_level", "pairing_kind", "duty", "escalate_village_days",
              "escalate_township_days")  # fmt: skip
    data = {f: getattr(rule, f) for f in fields} | {"period": Period.WEEK}
    ObligationRule.objects.filter(county__isnull=True, risk_level="priority").update(
        period=Period.QUARTER
    )  # the elder is of the priority tier (60+ and disabled): now quarterly …
    due_dates_refresh_all()
    assert not agree(county_admin)
    rule_save(user=county_admin, county=county, rule=rule, data=data)  # … the county: weekly
    county_priority = ObligationRule.objects.get(county=county, risk_level="priority",
                                                 duty=Duty.ELDERLY_VISIT)  # fmt: skip
    rule_save(user=county_admin, county=county, rule=county_priority,
              data={**data, "risk_level": "priority"})  # fmt: skip
    assert not PersonDue.objects.exists()
    assert elder.pk in agree(county_admin)


def test_a_file_back_on_file_is_owed_at_once(county_admin, refreshed):
    elder, _child = refreshed
    today = timezone.localdate()
    person_set_status(user=county_admin, person=elder, status="moved_out", on=today)
    due_dates_refresh(people=Person.objects.all())
    elder.refresh_from_db()
    person_set_status(user=county_admin, person=elder, status="active", on=today)
    assert not PersonDue.objects.filter(person=elder).exists()
    agree(county_admin)


def test_the_worker_rebuilds_the_index_just_after_midnight_beijing_time(county_admin):
    from huey.contrib.djhuey import HUEY

    from shouwang.care.tasks import due_dates_nightly

    make_elder("钱秀兰", VILLAGE)
    task = due_dates_nightly.task_class()

    def utc(hour, minute):  # huey passes naive UTC times
        return dt.datetime(2026, 11, 22, hour, minute, tzinfo=dt.UTC).replace(tzinfo=None)

    assert task.validate_datetime(utc(16, 5))  # 00:05 in Beijing
    assert not task.validate_datetime(utc(0, 5))
    assert HUEY.immediate
    due_dates_nightly()
    assert PersonDue.objects.count() == 1

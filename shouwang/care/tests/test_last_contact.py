"""The maintained last contact per person, kind and pairing kind equals a plain
recount after contacts logged through the service, and obligations read from it
agree with obligations computed from the contacts themselves."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import Max
from django.utils import timezone

from shouwang.care.choices import KIND_BITS, ContactKind
from shouwang.care.models import Contact, ContactMonth, LastContact, ObligationRule
from shouwang.care.obligations import State
from shouwang.care.selectors import _last_by_duty, obligations_for, overdue_for
from shouwang.care.services.contacts import contact_indexes_rebuild, contact_log
from shouwang.care.tests.factories import contact, make_elder, make_person, make_volunteer, pair
from shouwang.conftest import VILLAGE
from shouwang.people.models import Person

D = dt.date
SHANGHAI = ZoneInfo("Asia/Shanghai")


def recount():
    return {
        (p, k, pk): d
        for p, k, pk, d in Contact.objects.values_list("person_id", "kind", "pairing_kind")
        .annotate(d=Max("date"))
        .order_by()
    }


def maintained():
    return {
        (p, k, pk): d
        for p, k, pk, d in LastContact.objects.values_list(
            "person_id", "kind", "pairing_kind", "date"
        )
    }


def test_logging_contacts_in_any_order_keeps_the_last_date_of_each_kind(village_worker):
    child = make_person("王小明", VILLAGE)
    carer = make_volunteer("李秀英", VILLAGE)
    pair(child, carer, on=D(2025, 1, 1))
    elder = make_elder("赵桂英", VILLAGE)
    today = timezone.localdate()
    for days_ago, person, kind, volunteer in [
        (3, child, ContactKind.PHONE, carer),
        (10, child, ContactKind.PHONE, carer),  # older, logged later
        (1, child, ContactKind.PHONE, None),  # the village worker's own call
        (40, elder, ContactKind.HOME_VISIT, None),
        (5, elder, ContactKind.HOME_VISIT, None),
    ]:
        contact_log(user=village_worker, person=person, kind=kind,
                    date=today - dt.timedelta(days=days_ago), volunteer=volunteer)  # fmt: skip
    assert maintained() == recount()
    assert len(maintained()) == 3


def test_a_rebuild_after_a_bulk_load_equals_the_recount(village_worker):
    child = make_person("王小明", VILLAGE)
    Contact.objects.bulk_create(
        Contact(person=child, kind=ContactKind.FAMILY_CALL, date=D(2026, 10, day))
        for day in (3, 17, 9)
    )
    assert maintained() != recount()
    assert contact_indexes_rebuild() == {"last": 1, "months": 1}
    assert maintained() == recount() == {(child.pk, "family_call", ""): D(2026, 10, 17)}


def test_the_table_and_a_recount_find_the_same_last_contact_for_each_duty(
    county_admin, village_worker
):
    child = make_person("王小明", VILLAGE, schooling="primary")
    carer = make_volunteer("李秀英", VILLAGE)
    pair(child, carer, on=D(2025, 1, 1))
    today = timezone.localdate()
    for days_ago, kind, volunteer in [(20, ContactKind.HOME_VISIT, carer),
                                      (2, ContactKind.PHONE, carer),
                                      (9, ContactKind.VIDEO, None)]:  # fmt: skip
        contact_log(user=village_worker, person=child, kind=kind,
                    date=today - dt.timedelta(days=days_ago), volunteer=volunteer)  # fmt: skip
    scope = Person.objects.visible_to(county_admin).values("pk")
    needed = {(r.duty, r.pairing_kind) for r in ObligationRule.objects.all()}
    from_table = _last_by_duty(scope, today, needed)
    recounted = _last_by_duty(scope, today - dt.timedelta(days=1), needed)  # aggregates
    assert from_table == recounted
    assert from_table[(child.pk, "contact", "proxy_parent")] == today - dt.timedelta(days=2)
    assert from_table[(child.pk, "home_visit", "proxy_parent")] == today - dt.timedelta(days=20)


@pytest.mark.parametrize(
    "now",
    [
        D(2026, 11, 22),
        D(2026, 11, 23),
        D(2026, 11, 30),
        D(2026, 12, 1),
        D(2027, 1, 1),
        D(2027, 1, 4),
        D(2027, 3, 16),
    ],  # fmt: skip
)
def test_the_overdue_list_reading_last_contacts_agrees_with_the_full_derivation(county_admin, now):
    """On every kind of day (Sunday, Monday, month and quarter ends, mid-month) the
    overdue list — which reads the maintained last contacts and builds only the
    overdue obligations — finds exactly what deriving from the contacts finds."""
    carer = make_volunteer("李秀英", VILLAGE, capacity=30)
    visits = [None, D(2026, 8, 30), D(2026, 10, 31), D(2026, 11, 16), D(2026, 11, 22),
              D(2026, 12, 31)]  # fmt: skip
    for i, last in enumerate(visits):
        child = make_person(f"孩子{i}", VILLAGE, schooling="primary")
        pair(child, carer, on=D(2026, 1, 5) if i % 2 else D(2026, 11, 10))
        elder = make_elder(f"老人{i}", VILLAGE, birth=D(1940 + 5 * i, 6, 1), lives_alone=i % 2)
        if last is not None and last <= now:
            contact(child, ContactKind.HOME_VISIT, last, volunteer=carer)
            contact(child, ContactKind.PHONE, last - dt.timedelta(days=3), volunteer=carer)
            contact(elder, ContactKind.PHONE, last)
    people = Person.objects.visible_to(county_admin)
    at_nine = dt.datetime.combine(now, dt.time(9), tzinfo=SHANGHAI)
    with time_machine.travel(at_nine, tick=False):
        listed = overdue_for(people)  # today: reads the maintained last contacts
    with time_machine.travel(at_nine + dt.timedelta(days=1), tick=False):
        # the same day seen from the next: aggregates the contacts up to it
        derived = [o for o in obligations_for(people, today=now) if o.state == State.OVERDUE]
    key = lambda o: (o.person_id, o.duty, o.rule.pairing_kind, o.status)  # noqa: E731
    assert sorted(map(key, listed)) == sorted(map(key, derived))
    assert derived  # the fixture has overdue work on every one of these days


def months_recount():
    bits = {}
    for person_id, month, kind in Contact.objects.values_list("person_id", "date", "kind"):
        key = (person_id, month.replace(day=1))
        bits[key] = bits.get(key, 0) | KIND_BITS[kind]
    return bits


def test_the_monthly_kinds_equal_a_recount_after_logging_and_after_a_rebuild(village_worker):
    child = make_person("王小明", VILLAGE)
    today = timezone.localdate()
    for days_ago, kind in [(0, ContactKind.PHONE), (3, ContactKind.TALK), (40, ContactKind.PHONE),
                           (41, ContactKind.HOME_VISIT), (3, ContactKind.PHONE)]:  # fmt: skip
        contact_log(user=village_worker, person=child, kind=kind,
                    date=today - dt.timedelta(days=days_ago))  # fmt: skip
    stored = lambda: {(p, m): k for p, m, k in ContactMonth.objects.values_list(  # noqa: E731
        "person_id", "month", "kinds")}  # fmt: skip
    assert stored() == months_recount()
    Contact.objects.bulk_create([Contact(person=child, kind=ContactKind.VIDEO, date=D(2025, 3, 9))])
    assert stored() != months_recount()
    contact_indexes_rebuild()
    assert stored() == months_recount()

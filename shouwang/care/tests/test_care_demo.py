"""The demo care network: volunteers of every kind, pairings within capacity,
overdue work in the demo village, contacts the services would have accepted,
audited and loaded once. (Two tests: each loads a county, about 5 s.)"""

import datetime as dt
from collections import Counter

import pytest
from django.db.models import Count, Q

from shouwang.audit.models import AuditEntry
from shouwang.care.choices import CarerKind, ContactKind, VolunteerStatus
from shouwang.care.demo import care_demo_counts, care_demo_load
from shouwang.care.models import Contact, Pairing, Volunteer
from shouwang.care.selectors import unpaired, worklist
from shouwang.care.services.pairings import on_file_since
from shouwang.people.choices import PARENT_KINDS
from shouwang.people.demo import people_demo_load
from shouwang.people.eligibility import Program
from shouwang.people.models import Enrollment, Person

# A fixed day, so that ages, periods and overdue states do not move with the calendar.
ON = dt.date(2025, 9, 17)


@pytest.fixture
def network(village_worker, volunteer, supervisor, county_admin):
    """The demo county at 15 % of the seed figures (the smallest at which the demo
    village has left-behind elderly and children), with its care network; the
    logins exist first, as `core.demo.demo_load` makes them."""
    people_demo_load(scale=0.15, on=ON)
    return care_demo_load(today=ON)


def test_it_makes_volunteers_pairs_them_within_capacity_and_leaves_work_overdue(
    network, village_worker, volunteer
):
    kinds = Counter(Volunteer.objects.values_list("kind", flat=True))
    # The seed county's 382, 287 and 551 proxy parents, caring mothers and teachers
    # for 781 children, and 1,038 volunteers for 2,079 elderly, to scale.
    enrolled = Counter(
        Enrollment.objects.filter(Q(ended_on=None) | Q(ended_on__gt=ON), started_on__lte=ON)
        .values_list("program", flat=True)
    )  # fmt: skip
    children, elderly = enrolled[Program.LEFT_BEHIND_CHILD], enrolled[Program.LEFT_BEHIND_ELDERLY]
    assert kinds[CarerKind.PROXY_PARENT] == round(382 * children / 781)
    assert kinds[CarerKind.CARING_MOTHER] == round(287 * children / 781)
    assert kinds[CarerKind.TEACHER] == round(551 * children / 781)
    elderly_kinds = (CarerKind.FIVE_ELDERS, CarerKind.VOLUNTEER, CarerKind.VILLAGE_CADRE)
    assert sum(kinds[k] for k in (*elderly_kinds, CarerKind.CADRE)) == round(1038 * elderly / 2079)
    assert all(kinds[k] for k in elderly_kinds)
    statuses = Counter(Volunteer.objects.values_list("status", flat=True))
    assert statuses[VolunteerStatus.APPROVED] > 0.85 * sum(statuses.values())

    approved = Volunteer.objects.filter(status=VolunteerStatus.APPROVED)
    assert not approved.filter(Q(reviewed_by=None) | Q(reviewed_at=None)).exists()
    assert not approved.filter(record_checked=False).exists()
    assert not Volunteer.objects.filter(status=VolunteerStatus.REJECTED, review_reason="").exists()
    assert not Volunteer.objects.filter(phone_index="").exists()
    assert network == care_demo_counts(today=ON)

    # Pairings: with approved volunteers (some withdrawn since), within capacity.
    pairings = Pairing.objects.select_related("volunteer", "person")
    assert pairings.exists()
    for pairing in pairings:
        assert pairing.volunteer.status in (VolunteerStatus.APPROVED, VolunteerStatus.WITHDRAWN)
        assert pairing.started_on >= on_file_since(pairing.person)
        assert pairing.started_on <= ON
        assert pairing.kind == pairing.volunteer.kind
        if pairing.volunteer.status == VolunteerStatus.WITHDRAWN:
            assert pairing.ended_on is not None
    open_now = Volunteer.objects.annotate(n=Count("pairings", filter=Q(pairings__ended_on=None)))
    assert not [v for v in open_now if v.n > v.capacity]
    once = (
        Pairing.objects.filter(ended_on=None).values("person", "volunteer").annotate(n=Count("id"))
    )
    assert not once.filter(n__gt=1).exists()

    # A coverage gap to show, but hardly ever for a child in difficulty.
    people = Person.objects.all()
    children = Person.objects.filter(enrollments__program=Program.LEFT_BEHIND_CHILD).count()
    gap = unpaired(people, program=Program.LEFT_BEHIND_CHILD, on=ON).count()
    assert 0 < gap < 0.2 * children
    assert unpaired(people, program=Program.LEFT_BEHIND_ELDERLY, on=ON).exists()

    # The demo village's worker and volunteer open on something overdue.
    assert worklist(village_worker, today=ON).overdue
    mine = Volunteer.objects.get(user=volunteer)
    assert mine.kind == CarerKind.PROXY_PARENT
    assert (mine.area_id, mine.name) == ("350724101200", "刘晓燕")
    assert 2 <= mine.pairings.filter(ended_on=None).count() <= 3
    assert worklist(volunteer, today=ON).overdue


def test_contacts_are_what_the_services_would_have_accepted_and_load_once(network):
    contacts = list(Contact.objects.select_related("person", "parent").order_by("pk"))
    assert len(contacts) == network["contacts"] > 1000
    pairings: dict[tuple[int, int], list[Pairing]] = {}
    for pairing in Pairing.objects.all():
        pairings.setdefault((pairing.person_id, pairing.volunteer_id), []).append(pairing)
    for contact in contacts:
        assert on_file_since(contact.person) <= contact.date <= ON
        if contact.volunteer_id:
            # Made inside a pairing of that volunteer with that person, of its kind.
            mine = pairings.get((contact.person_id, contact.volunteer_id), [])
            kinds = [p.kind for p in mine if p.is_active_on(contact.date)]
            assert kinds == [contact.pairing_kind]
        else:
            assert contact.pairing_kind == ""
        if contact.kind == ContactKind.FAMILY_CALL:
            parent = contact.parent
            assert parent.person_id == contact.person_id and parent.kind in PARENT_KINDS
            assert parent.working_away
        else:
            assert contact.parent_id is None
    concerns = [c for c in contacts if c.concern]
    assert concerns and any(c.concern_resolved_at is None for c in concerns)
    assert any(c.concern_resolved_by_id for c in concerns)

    # Audited, one entry per record; a second load writes nothing.
    audited = AuditEntry.objects.filter(content_type__app_label="care")
    entries = network["volunteers"] + network["pairings"] + network["contacts"]
    assert audited.filter(additional_data__source="demo").count() == audited.count() == entries
    files = Person.objects.values_list("pk", "created_at")
    before = sorted(files)

    assert care_demo_load(today=ON) == network
    assert audited.count() == entries
    assert sorted(files) == before

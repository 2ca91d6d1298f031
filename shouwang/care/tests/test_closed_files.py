"""A file that leaves the register takes the care network with it: pairings end
(the volunteer loses access, the place is free), a merge moves pairings and
contacts to the file that stays, and rates count only people on file."""

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from shouwang.care.choices import ContactKind, PairingEndReason
from shouwang.care.models import Contact, LastContact, Pairing
from shouwang.care.rates import Month, rates
from shouwang.care.tests.factories import contact, make_elder, make_person, make_volunteer, pair
from shouwang.conftest import VILLAGE
from shouwang.people.models import DuplicateCandidate, Person
from shouwang.people.services.duplicates import person_merge
from shouwang.people.services.persons import person_set_status


def test_moving_out_ends_the_pairings_and_closes_the_volunteers_page(
    login, volunteer, county_admin
):
    child = make_person("王小明", VILLAGE)
    carer = make_volunteer("刘晓燕", VILLAGE, user=volunteer, capacity=1)
    pair(child, carer)
    assert login(volunteer).get(f"/care/people/{child.pk}/").status_code == 200
    person_set_status(user=county_admin, person=child, status="moved_out",
                      on=timezone.localdate())  # fmt: skip
    pairing = Pairing.objects.get(person=child)
    assert (pairing.ended_on, pairing.end_reason) == (
        timezone.localdate(),
        PairingEndReason.PERSON_MOVED,
    )
    assert login(volunteer).get(f"/care/people/{child.pk}/").status_code == 404


def test_a_merge_moves_pairings_and_contacts_to_the_file_that_stays(county_admin):
    keep = make_person("王小明", VILLAGE)
    retired = make_person("王晓明", VILLAGE, program=None)
    carer = make_volunteer("刘晓燕", VILLAGE)
    pair(retired, carer)
    contact(retired, ContactKind.HOME_VISIT, timezone.localdate() - dt.timedelta(days=2))
    pair_of = Q(person_a=keep, person_b=retired) | Q(person_a=retired, person_b=keep)
    candidate = DuplicateCandidate.objects.filter(pair_of).first() or (
        DuplicateCandidate.objects.create(person_a=keep, person_b=retired, score=95, reason="手工")
    )
    person_merge(user=county_admin, candidate=candidate, keep=keep)
    assert Pairing.objects.get(volunteer=carer).person_id == keep.pk
    assert Contact.objects.get().person_id == keep.pk
    assert LastContact.objects.get().person_id == keep.pk


def test_rates_count_only_people_on_file(county_admin):
    elder = make_elder("赵桂英", VILLAGE)
    month = Month.of(timezone.localdate())
    people = Person.objects.all()
    assert rates(people, month)[0].denominator == 1
    Person.objects.filter(pk=elder.pk).update(status="deceased")  # exit not yet confirmed
    assert rates(people, month)[0].denominator == 0

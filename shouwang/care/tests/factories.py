"""Builders for care tests: people on file (backdated), enrollments, approved
volunteers, pairings and contacts. They call the services where the service's
checks are part of what is built, and write rows directly where a test needs a
state the services would not produce on `today` (history, backdated files)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from shouwang.care.choices import CarerKind, Organisation, VolunteerStatus
from shouwang.care.models import Contact, Pairing, Volunteer
from shouwang.care.services.contacts import contact_indexes_note
from shouwang.people.eligibility import Program
from shouwang.people.forms import phone_index
from shouwang.people.models import Enrollment, Person
from shouwang.people.services.persons import person_create
from shouwang.regions.models import Area

ON_FILE = dt.date(2024, 1, 1)


def make_person(
    name: str,
    village: str,
    *,
    birth: dt.date = dt.date(2014, 5, 6),
    sex: str = "M",
    on_file: dt.date = ON_FILE,
    program: str | None = Program.LEFT_BEHIND_CHILD,
    enrolled_on: dt.date = ON_FILE,
    **extra,
) -> Person:
    """A person on file since `on_file`, enrolled in `program` from `enrolled_on`."""
    data = {"name": name, "sex": sex, "birth_date": birth,
            "village": Area.objects.get(code=village), **extra}  # fmt: skip
    person = person_create(user=None, data=data)
    created = timezone.make_aware(dt.datetime.combine(on_file, dt.time(9)))
    Person.objects.filter(pk=person.pk).update(created_at=created)
    person.created_at = created
    if program:
        enroll(person, program, enrolled_on)
    return person


def make_elder(name: str, village: str, *, birth=dt.date(1950, 3, 1), **extra) -> Person:
    extra.setdefault("program", Program.LEFT_BEHIND_ELDERLY)
    return make_person(name, village, birth=birth, **extra)


def enroll(person: Person, program: str, on: dt.date, ended_on: dt.date | None = None):
    return Enrollment.objects.create(
        person=person, program=program, started_on=on, ended_on=ended_on,
        exit_reason="other" if ended_on else "",
    )  # fmt: skip


def make_volunteer(
    name: str,
    area: str,
    *,
    kind: str = CarerKind.PROXY_PARENT,
    capacity: int = 3,
    status: str = VolunteerStatus.APPROVED,
    user=None,
    phone: str = "",
) -> Volunteer:
    return Volunteer.objects.create(
        name=name, kind=kind, organisation=Organisation.VILLAGE_COMMITTEE,
        area=Area.objects.get(code=area), capacity=capacity, status=status,
        record_checked=status == VolunteerStatus.APPROVED, user=user, phone=phone,
        phone_index=phone_index(phone) if phone else "",
    )  # fmt: skip


def pair(person: Person, volunteer: Volunteer, *, on: dt.date = ON_FILE, ended_on=None, kind=""):
    return Pairing.objects.create(
        person=person, volunteer=volunteer, kind=kind or volunteer.kind,
        started_on=on, ended_on=ended_on, end_reason="other" if ended_on else "",
    )  # fmt: skip


def contact(person: Person, kind: str, on: dt.date, *, volunteer: Volunteer | None = None, **extra):
    """A contact row as the service would have stored it (pairing kind of the day)."""
    pairing_kind = ""
    if volunteer is not None:
        pairing = Pairing.objects.active(on).filter(person=person, volunteer=volunteer).first()
        pairing_kind = pairing.kind if pairing else ""
    with transaction.atomic():  # as in the service: the indexes' rows are locked
        row = Contact.objects.create(
            person=person, kind=kind, date=on, volunteer=volunteer, pairing_kind=pairing_kind,
            **extra,
        )  # fmt: skip
        contact_indexes_note(row)
    return row

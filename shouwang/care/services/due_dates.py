"""The overdue lists' index of earliest due dates (`PersonDue`): forgotten for
people whose obligations may have changed, refreshed nightly and after bulk loads."""

from __future__ import annotations

import datetime as dt
from itertools import islice

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from shouwang.care.models import PersonDue
from shouwang.care.selectors import counties_with_people, obligations_for
from shouwang.core.scoping import code_range
from shouwang.people.models import Person


def due_dates_forget(*, person_ids=None, area_prefix: str = "") -> int:
    """Drop the rows of these people (or of everyone in an area): the overdue lists
    then derive them in full until the next refresh."""
    rows = PersonDue.objects.all()
    if person_ids is not None:
        rows = rows.filter(person_id__in=list(person_ids))
    if area_prefix:
        low, high = code_range(area_prefix)
        rows = rows.filter(village__gte=low, village__lte=high)
    return rows.delete()[0]


@transaction.atomic
def due_dates_refresh(
    *, people: QuerySet[Person], today: dt.date | None = None, batch_size: int = 2000
) -> int:
    """Work out every person's earliest due date again and store it (one row per
    person, NULL when nothing is owed). Returns the number of rows written."""
    today = today or timezone.localdate()
    earliest: dict[int, dt.date] = {}
    for o in obligations_for(people, today=today):
        if o.person_id not in earliest or o.due_on < earliest[o.person_id]:
            earliest[o.person_id] = o.due_on
    PersonDue.objects.filter(person__in=people.values("pk")).delete()
    rows = (
        PersonDue(person_id=pk, village=village, due_on=earliest.get(pk))
        for pk, village in people.values_list("pk", "village_id").iterator(chunk_size=batch_size)
    )
    written = 0
    while batch := list(islice(rows, batch_size)):
        written += len(PersonDue.objects.bulk_create(batch))
    return written


def due_dates_refresh_all(*, today: dt.date | None = None) -> int:
    """The nightly refresh, county by county."""
    written = 0
    for prefix in counties_with_people():
        written += due_dates_refresh(people=Person.objects.in_area_prefix(prefix), today=today)
    return written

"""Reads of risk grading used by more than one page or the API."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, QuerySet

from shouwang.care.models import in_force
from shouwang.people.choices import PersonStatus
from shouwang.people.models import Enrollment, Person
from shouwang.protection.models import CurrentRisk

SOON_DAYS = 14


def reassessments_due(user, *, today: dt.date, within_days: int = SOON_DAYS) -> QuerySet:
    """Levels in force whose reassessment falls due within `within_days` (overdue
    first), of people on file and in a program, in the user's scope."""
    enrolled = Enrollment.objects.filter(in_force(today), person=OuterRef("person_id"))
    return (
        CurrentRisk.objects.visible_to(user)
        .filter(
            next_due__lte=today + dt.timedelta(days=within_days),
            person__status=PersonStatus.ACTIVE,
        )
        .filter(Exists(enrolled))
        .select_related("person__village", "grade")
        .only(
            "next_due",
            "assessed_on",
            "assessment_id",
            "person__name",
            "person__village__name",
            "person__village_id",
            "grade__label",
            "grade__colour",
            "grade__rank",
        )  # fmt: skip
        .order_by("next_due", "person__village_id", "person__name_pinyin")
    )


def never_assessed(user, *, today: dt.date) -> QuerySet[Person]:
    """People on file and in a program in the user's scope with no assessment yet."""
    enrolled = Enrollment.objects.filter(in_force(today), person=OuterRef("pk"))
    return (
        Person.objects.visible_to(user)
        .filter(status=PersonStatus.ACTIVE, current_risk__isnull=True)
        .filter(Exists(enrolled))
        .select_related("village")
        .only("name", "village__name", "village_id", "birth_date")
        .order_by("village_id", "name_pinyin")
    )

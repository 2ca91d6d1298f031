"""The demo protection work: everyone enrolled graded as the rubric says, with a
realistic spread and reassessments due; cases in every state through the
services, the overdue one escalated; stations, activities, services and aid that
hold together; all of it audited and loaded once. (Two tests: each loads a
county, about 6 s.)"""

import datetime as dt
import random
from collections import Counter

import pytest
from django.db.models import F, Q

from shouwang.audit.models import AuditEntry
from shouwang.care.demo import care_demo_load
from shouwang.care.models import in_force
from shouwang.people.choices import PersonStatus
from shouwang.people.demo import people_demo_load
from shouwang.people.models import Enrollment
from shouwang.protection import rubric
from shouwang.protection.choices import AidKind, CaseState
from shouwang.protection.demo import protection_demo_counts, protection_demo_load
from shouwang.protection.demo.cases import Cases, demo_now
from shouwang.protection.demo.county import County
from shouwang.protection.demo.risk import Assessments
from shouwang.protection.models import (
    Activity,
    Aid,
    Assessment,
    CaseEscalation,
    CurrentRisk,
    ProtectionCase,
    Service,
    Station,
)
from shouwang.protection.services.risk import scale_for, subject_for, thresholds

# A fixed day, so that ages, periods and deadlines do not move with the calendar.
ON = dt.date(2025, 9, 17)
VILLAGE = "350724101200"


@pytest.fixture
def work(village_worker, volunteer, supervisor, county_admin):
    """The demo county at 15 % of the seed figures with its care network and its
    protection work; the logins exist first, as `core.demo.demo_load` makes them."""
    people_demo_load(scale=0.15, on=ON)
    care_demo_load(today=ON)
    return protection_demo_load(today=ON)


def test_everyone_enrolled_is_graded_as_the_rubric_says_with_a_realistic_spread(work):
    enrolled = set(
        Enrollment.objects.filter(in_force(ON), person__status=PersonStatus.ACTIVE).values_list(
            "person_id", flat=True
        )
    )
    assert set(CurrentRisk.objects.values_list("person_id", flat=True)) == enrolled
    assert work["assessed"] == len(enrolled)
    assert Assessment.objects.count() > 1.2 * len(enrolled)  # some have an earlier one

    scale = scale_for(VILLAGE)
    limits = thresholds(scale.grades.all())
    overridden = 0
    for a in Assessment.objects.select_related("person", "grade", "computed_grade"):
        assert a.scale_id == scale.pk
        assert a.subject == subject_for(a.person, a.assessed_on)
        graded = rubric.grade(
            subject=a.subject, answers=a.answers, age=a.person.age_on(a.assessed_on),
            thresholds=limits,
        )  # fmt: skip
        assert (a.score, a.red_flags, a.computed_grade.rank) == (
            graded.score, list(graded.red_flags), graded.rank,
        )  # fmt: skip
        if a.overridden:
            overridden += 1
            assert a.override_reason and abs(a.grade.rank - a.computed_grade.rank) == 1
        else:
            assert a.override_reason == ""
        assert a.next_due == a.assessed_on + dt.timedelta(days=a.grade.reassess_days)
        assert a.person.enrollments.filter(started_on__lte=a.assessed_on).exists()
        assert a.assessed_on <= ON
    assert 0 < overridden < 0.03 * len(enrolled)

    # The level in force is the latest assessment; the visiting tier follows it.
    for current in CurrentRisk.objects.select_related("person", "grade"):
        latest = current.person.assessments.order_by("-assessed_on", "-id").first()
        assert current.assessment_id == latest.pk
        assert current.person.risk_level == current.grade.tier

    # Most people low, a few per cent high, every level present.
    levels = Counter(CurrentRisk.objects.values_list("grade__rank", flat=True))
    assert set(levels) == {1, 2, 3, 4, 5}
    assert levels[1] + levels[2] < 0.08 * len(enrolled)
    assert levels[4] + levels[5] > 0.7 * len(enrolled)

    # 待复评: reassessments overdue, some of them in the demo village.
    due = CurrentRisk.objects.filter(next_due__lt=ON)
    assert work["reassessment_due"] == due.count() > 0
    assert due.filter(person__village_id=VILLAGE).exists()

    # Deterministic: the same seed and day draw the same assessments again.
    county = County(code="350724", today=ON)
    cases = Cases(county=county, rng=random.Random(3508), now=demo_now(ON)).plan()
    again = Assessments(county=county, rng=random.Random(3507), cases=cases).build()
    stored = Assessment.objects.order_by("pk").values_list(
        "person_id", "assessed_on", "answers", "grade__rank"
    )
    assert [(a.person_id, a.assessed_on, a.answers, a.grade.rank) for a in again] == list(stored)


def test_cases_stations_services_and_aid_hold_together_are_audited_and_load_once(
    work, supervisor, village_worker
):
    # Cases: every state, in 郑墩镇 and the demo village, through the services.
    cases = ProtectionCase.objects.all()
    assert set(cases.values_list("state", flat=True)) == set(CaseState.values)
    assert work["cases"] == cases.count() >= 12
    assert cases.in_area_prefix("350724101").count() >= 3
    assert cases.filter(village_id=VILLAGE).count() >= 2
    assert cases.exclude(channel="system").exists() and cases.filter(police_notified=True).exists()
    for case in cases:
        assert case.events.count() >= 1 and case.assignees.exists()
        assert list(case.events.values_list("to_state", flat=True))[-1] == case.state
    closed = cases.filter(state=CaseState.CLOSED)
    assert closed.exists() and not closed.filter(signed_off_by=None).exists()
    assert closed.filter(signed_off_by=supervisor).exists()
    late = cases.open().filter(deadline_at__lt=demo_now(ON))
    assert late.count() == work["cases_escalated"] == 1
    overdue = late.get()
    assert overdue.village_id == VILLAGE and overdue.state == CaseState.ACCEPTED
    assert CaseEscalation.objects.filter(case=overdue, level=1, notified=["supervisor"]).exists()
    intervened = cases.filter(events__to_state=CaseState.INTERVENTION).distinct()
    assert intervened.count() >= 3 and all(c.interventions.exists() for c in intervened)
    assert not cases.filter(referrals__answered_on__lt=F("referrals__referred_on")).exists()
    assert cases.filter(referrals__answer="done").exists()

    # Stations and activities: participants and volunteers of the station's village.
    stations = Station.objects.all()
    assert stations.filter(village_id=VILLAGE).exists()
    kinds = Counter(stations.values_list("kind", flat=True))
    assert kinds.most_common(1)[0][0] == "children_home" and len(kinds) >= 3
    complete = stations.filter(
        has_sign=True, has_venue=True, has_equipment=True, has_staff=True, has_files=True,
        has_plan=True, has_ledger=True, has_funding=True,
    )  # fmt: skip
    assert complete.count() < stations.count() and stations.filter(has_sign=True).exists()
    Took = Activity.participants.through
    assert Took.objects.exists()
    assert not Took.objects.exclude(person__village_id=F("activity__station__village_id")).exists()
    Helped = Activity.volunteers.through
    assert Helped.objects.exists()
    assert not Helped.objects.exclude(
        volunteer__area_id=F("activity__station__village_id")
    ).exists()
    assert not Activity.objects.filter(Q(date__gt=ON) | Q(date__lt=ON - dt.timedelta(365))).exists()

    # Services and aid: within the year, never negative, relatives working away.
    assert {"counselling", "health_check", "cancer_screening", "day_care"} <= set(
        Service.objects.values_list("kind", flat=True)
    )
    assert not Service.objects.filter(date__gt=ON).exists()
    assert not Aid.objects.filter(Q(amount__lt=0) | Q(value__lt=0)).exists()
    assert not Aid.objects.filter(kind=AidKind.CASH, amount=None).exists()
    assert not Aid.objects.filter(kind=AidKind.GOODS, value=None).exists()
    assert Aid.objects.filter(activity__kind="festival").exists()
    to_away = Aid.objects.exclude(relation=None).select_related("relation")
    assert to_away.exists()
    assert all(a.relation.person_id == a.person_id and a.relation.working_away for a in to_away)
    assert work["aid_yuan"] > 0

    # Audited: one demo entry per bulk row, the services' entries for the cases.
    def audited(model):
        return AuditEntry.objects.filter(
            content_type__model=model._meta.model_name, content_type__app_label="protection"
        )

    for model in (Assessment, Station, Activity, Service, Aid):
        assert (
            audited(model).filter(additional_data__source="demo").count() == model.objects.count()
        )
    logged = set(audited(ProtectionCase).values_list("object_id", flat=True))
    assert logged >= set(cases.values_list("pk", flat=True))
    tiers = AuditEntry.objects.filter(content_type__model="person", changes__has_key="risk_level")
    assert tiers.filter(additional_data__source="risk assessment").exists()

    # A second load writes nothing.
    entries = AuditEntry.objects.count()
    assert protection_demo_load(today=ON) == work == protection_demo_counts(today=ON)
    assert AuditEntry.objects.count() == entries
    assert Assessment.objects.count() == work["assessments"]

"""The demo county's survey round (摸底排查) under way, so that the dashboard's
本轮核实率 has something to count: one county round for the current quarter
(ending on the 15th of its last month, as the county's rule has it), with the
villages at different stages of verifying their files. Deterministic for a day."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from shouwang.accounts.models import User
from shouwang.audit.services import Action, Change, audit_bulk
from shouwang.people.choices import PersonStatus
from shouwang.people.models import Person, SurveyRound, Verification
from shouwang.regions.models import Area

AUDIT_SOURCE = "demo"


def survey_demo_load(*, county_code: str = "350724", seed: int = 350724, on=None) -> dict:
    """Open the round and verify part of the files once (a county with a round
    is left alone). Returns {"rounds": …, "verified": …} for the county."""
    on = on or timezone.localdate()
    county = Area.objects.get(code=county_code.ljust(12, "0"))
    with transaction.atomic():
        if not SurveyRound.objects.filter(area=county).exists():
            _load(county=county, seed=seed, on=on)
    return {
        "rounds": SurveyRound.objects.filter(area=county).count(),
        "verified": Verification.objects.in_area_prefix(county.prefix).count(),
    }


def _load(*, county: Area, seed: int, on: dt.date) -> None:
    quarter = (on.month - 1) // 3
    starts = dt.date(on.year, 3 * quarter + 1, 1)
    ends = dt.date(on.year, 3 * quarter + 3, 15)
    opener = User.objects.filter(username="county").first()
    survey = SurveyRound.objects.create(
        title=f"{on.year}年第{quarter + 1}季度摸底排查",
        area=county,
        starts_on=starts,
        ends_on=ends,
        opened_by=opener,
    )
    rng = random.Random(seed)
    rates: dict[str, float] = {}
    verifications = []
    people = (
        Person.objects.in_area_prefix(county.prefix)
        .filter(status=PersonStatus.ACTIVE)
        .order_by("village_id", "pk")
        .values_list("pk", "village_id")
    )
    for person_id, village in people:
        township = village[:9]
        if township not in rates:
            rates[township] = rng.uniform(0.55, 0.95)
        if village not in rates:
            rates[village] = min(1.0, max(0.2, rates[township] + rng.uniform(-0.2, 0.15)))
        if rng.random() < rates[village]:
            verifications.append(
                Verification(
                    round=survey,
                    person_id=person_id,
                    verified_by=opener,
                    changed=rng.random() < 0.08,
                )
            )
    Verification.objects.bulk_create(verifications, batch_size=1000)
    audit_bulk(
        model=SurveyRound,
        source=AUDIT_SOURCE,
        changes=[Change(survey.pk, survey.title, Action.CREATE, {"area": [None, county.code]})],
    )
    audit_bulk(
        model=Verification,
        source=AUDIT_SOURCE,
        changes=(
            Change(v.pk, str(survey), Action.CREATE, {"person": [None, v.person_id]})
            for v in verifications
        ),
    )

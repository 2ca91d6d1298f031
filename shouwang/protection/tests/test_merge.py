"""Merging two files of the same person moves their protection records to the file
that stays."""

import datetime as dt

from django.utils import timezone

from shouwang.audit.models import AuditEntry
from shouwang.care.tests.factories import make_person
from shouwang.conftest import VILLAGE
from shouwang.people.models import DuplicateCandidate
from shouwang.people.services.duplicates import person_merge
from shouwang.protection.models import Aid, CurrentRisk, Service
from shouwang.protection.services.cases import case_report
from shouwang.protection.services.risk import assessment_record
from shouwang.protection.tests.conftest import CHILD_OK
from shouwang.regions.models import Area


def test_a_merge_moves_assessments_cases_services_and_aid(supervisor, village_worker):
    keep = make_person("王小明", VILLAGE)
    retired = make_person("王晓明", VILLAGE)
    today = timezone.localdate()
    assessment_record(user=village_worker, person=keep, answers=CHILD_OK,
                      assessed_on=today - dt.timedelta(days=60))  # fmt: skip
    latest = assessment_record(user=village_worker, person=retired,
                               answers={**CHILD_OK, "guardianship": "none"})  # fmt: skip
    case = case_report(user=village_worker, village=Area.objects.get(code=VILLAGE),
                       category="alone_unsupervised", description="独自在家", people=[retired],
                       discovered_at=timezone.now(), discovered_place="家中",
                       reporter_name="张桂兰")  # fmt: skip
    service = Service.objects.create(person=retired, kind="counselling", date=today,
                                     provider="县心理服务站")  # fmt: skip
    aid = Aid.objects.create(person=retired, kind="cash", date=today, amount=200, giver="妇联",
                             fund="women_federation")  # fmt: skip
    # Same birthday, names alike: the duplicate finder has paired them already.
    candidate = DuplicateCandidate.objects.get(person_a=keep, person_b=retired)

    person_merge(user=supervisor, candidate=candidate, keep=keep)

    assert list(case.people.all()) == [keep]
    assert Service.objects.get(pk=service.pk).person == keep
    assert Aid.objects.get(pk=aid.pk).person == keep
    current = CurrentRisk.objects.get(person=keep)
    assert current.assessment == latest  # the newer assessment, from the retired file
    assert not CurrentRisk.objects.filter(person=retired).exists()
    keep.refresh_from_db()
    assert keep.risk_level == "high" and keep.assessments.count() == 2
    assert AuditEntry.objects.filter(content_type__model="service", object_pk=str(service.pk),
                                     additional_data__source="merge").exists()  # fmt: skip

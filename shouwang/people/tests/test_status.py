"""Marking a file moved out (迁出) or deceased (死亡): exits follow with that reason."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from shouwang.people.models import Proposal
from shouwang.people.services.persons import person_set_status
from shouwang.people.services.programs import enrollment_start
from shouwang.people.tests.test_programs import left_behind_child, today, years_before


@pytest.fixture
def enrolled_child(village_worker):
    child = left_behind_child(village_worker, born=years_before(today(), 10))
    enrollment_start(user=village_worker, person=child, program="left_behind_child", on=today())
    return child


def exit_proposal(person):
    return Proposal.objects.get(person=person, action="exit", status="pending")


def test_moving_out_proposes_the_exit_with_reason_moved_out(login, village_worker, enrolled_child):
    response = login(village_worker).post(
        f"/people/{enrolled_child.pk}/status/",
        {"status": "moved_out", "on": today().isoformat(), "note": "随父母迁往厦门"},
    )
    assert response.status_code == 302
    enrolled_child.refresh_from_db()
    assert enrolled_child.status == "moved_out"
    assert enrolled_child.status_changed_on == today()
    assert "随父母迁往厦门" in enrolled_child.notes
    assert exit_proposal(enrolled_child).exit_reason == "moved_out"


def test_a_death_proposes_the_exit_with_reason_deceased(village_worker, enrolled_child):
    person_set_status(user=village_worker, person=enrolled_child, status="deceased", on=today())
    assert exit_proposal(enrolled_child).exit_reason == "deceased"


def test_coming_back_on_file_withdraws_the_exit_proposal(village_worker, enrolled_child):
    person_set_status(user=village_worker, person=enrolled_child, status="moved_out", on=today())
    person_set_status(user=village_worker, person=enrolled_child, status="active", on=today())
    assert not Proposal.objects.filter(person=enrolled_child, status="pending").exists()


def test_a_status_date_in_the_future_is_refused(village_worker, enrolled_child):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationError, match="日期不能晚于今天"):
        person_set_status(
            user=village_worker, person=enrolled_child, status="moved_out", on=tomorrow
        )
    enrolled_child.refresh_from_db()
    assert enrolled_child.status == "active"


def test_the_same_status_again_is_refused(village_worker, enrolled_child):
    with pytest.raises(ValidationError, match="档案已是该状态"):
        person_set_status(user=village_worker, person=enrolled_child, status="active", on=today())


def test_someone_outside_the_village_cannot_change_the_status(login, neighbour, enrolled_child):
    response = login(neighbour).post(
        f"/people/{enrolled_child.pk}/status/",
        {"status": "deceased", "on": today().isoformat()},
    )
    assert response.status_code == 404
    enrolled_child.refresh_from_db()
    assert enrolled_child.status == "active"


def test_the_change_is_in_the_audit_log(village_worker, enrolled_child):
    from shouwang.audit.models import AuditEntry

    person_set_status(user=village_worker, person=enrolled_child, status="moved_out", on=today())
    entry = AuditEntry.objects.filter(object_pk=str(enrolled_child.pk), action=1).latest("id")
    assert entry.changes["status"] == ["active", "moved_out"]

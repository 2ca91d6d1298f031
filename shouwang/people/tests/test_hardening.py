"""Odd input, races and cross-scope links found in review: each answered with a
clear message or a 404, never a server error or a leak."""

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.db.models import signals

from shouwang.conftest import NEIGHBOUR_VILLAGE, VILLAGE
from shouwang.people.models import DuplicateCandidate, Person, Proposal, Relation
from shouwang.people.services.duplicates import person_merge
from shouwang.people.services.persons import person_create, relation_save
from shouwang.people.services.programs import enrollment_start
from shouwang.people.tests.test_programs import id_for, left_behind_child, today, years_before
from shouwang.regions.models import Area


def a_file(name, village=VILLAGE, **extra):
    data = {"name": name, "sex": "F", "birth_date": dt.date(2015, 7, 1),
            "village": Area.objects.get(code=village)} | extra  # fmt: skip
    return person_create(user=None, data=data)


def test_a_relative_outside_the_scope_is_shown_by_the_recorded_name_only(
    login, county_admin, village_worker
):
    child = a_file("李小明")
    granny = a_file("王秀英", NEIGHBOUR_VILLAGE, birth_date=dt.date(1950, 3, 3))
    relation_save(person=child, data={"kind": "paternal_grandmother", "relative": granny,
                                      "name": "奶奶"})  # fmt: skip
    client = login(village_worker)
    page = client.get(f"/people/{child.pk}/").content.decode()
    assert "王秀英" not in page and "奶奶" in page
    data = client.get(f"/api/v1/people/{child.pk}").json()
    assert data["relations"][0]["name"] == "奶奶"
    assert data["relations"][0]["relative_id"] is None
    # The county administrator, who sees both, gets the link.
    assert "王秀英" in login(county_admin).get(f"/people/{child.pk}/").content.decode()


def test_an_unknown_decision_on_a_proposal_is_not_found(login, village_worker):
    child = left_behind_child(village_worker, born=years_before(today(), 9))
    proposal = Proposal.objects.get(person=child, status="pending")
    response = login(village_worker).post(f"/people/proposals/{proposal.pk}/typo/")
    assert response.status_code == 404
    proposal.refresh_from_db()
    assert proposal.status == "pending"


def test_an_odd_household_parameter_is_ignored(login, village_worker):
    assert login(village_worker).get("/people/new/?household=²").status_code == 200


def test_a_page_number_beyond_any_list_is_refused_by_the_api(login, village_worker):
    response = login(village_worker).get("/api/v1/people?page=99999999999999999999")
    assert response.status_code == 422


def test_an_id_number_registered_a_moment_earlier_gets_the_message_not_an_error(
    login, village_worker
):
    number = id_for("20150701", sequence="124")
    other = a_file("别人", birth_date=dt.date(1980, 1, 1))

    def someone_else_commits_first(sender, instance, **kwargs):
        if instance.pk is None and instance.id_number_index:
            Person.objects.filter(pk=other.pk).update(id_number_index=instance.id_number_index)

    signals.pre_save.connect(someone_else_commits_first, sender=Person, dispatch_uid="race")
    try:
        response = login(village_worker).post("/people/new/", {
            "name": "张三", "sex": "F", "ethnicity": "汉族", "id_number": number,
            "village": VILLAGE, "health": "healthy", "dependence": "independent"})  # fmt: skip
    finally:
        signals.pre_save.disconnect(dispatch_uid="race", sender=Person)
    assert response.status_code == 200
    assert "该身份证号码已登记" in response.content.decode()
    assert not Person.objects.filter(name="张三").exists()


def test_a_file_merged_away_can_no_longer_be_edited_or_enrolled(login, supervisor):
    kept, retired = a_file("李小明"), a_file("李小明")
    client = login(supervisor)
    version = client.get(f"/people/{retired.pk}/edit/").context["form"].initial["version"]
    person_merge(user=supervisor, candidate=DuplicateCandidate.objects.get(), keep=kept)
    response = client.post(f"/people/{retired.pk}/edit/", {
        "name": "李小明", "sex": "F", "ethnicity": "汉族", "birth_date": "2015-07-01",
        "village": VILLAGE, "health": "healthy", "dependence": "independent",
        "school": "新学校", "version": version, "loaded_at": "2026-01-01 00:00:00"})  # fmt: skip
    retired.refresh_from_db()
    assert response.status_code in (200, 409)
    assert retired.school == ""
    with pytest.raises(ValidationError, match="已合并"):
        enrollment_start(user=supervisor, person=retired, program="child_in_difficulty",
                         on=today())  # fmt: skip


def test_a_family_member_edit_without_a_version_is_refused(login, village_worker):
    child = a_file("李小明")
    relation = relation_save(person=child, data={"kind": "sibling", "name": "李大明"})
    response = login(village_worker).post(
        f"/people/{child.pk}/relations/{relation.pk}/",
        {
            "kind": "sibling",
            "name": "覆盖",
            "health": "healthy",
            "capacity": "full",
            "living": "on",
        },
    )
    assert response.status_code == 200
    assert Relation.objects.get(pk=relation.pk).name == "李大明"


def test_a_forwarded_port_is_not_recorded_unless_the_proxy_is_trusted(login, village_worker):
    from shouwang.audit.models import AuditEntry

    child = a_file("李小明")
    login(village_worker).post(f"/people/{child.pk}/reveal/id_number/",
                               HTTP_X_FORWARDED_PORT="31337")  # fmt: skip
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS).latest("id")
    assert entry.remote_port is None
    assert json.dumps(entry.additional_data)  # the read itself is recorded


def test_every_record_a_merge_moves_has_its_own_audit_entry(supervisor):
    from shouwang.audit.models import AuditEntry

    kept, retired = a_file("李小明"), a_file("李小明")
    sibling = relation_save(person=retired, data={"kind": "sibling", "name": "李大明"})
    person_merge(user=supervisor, candidate=DuplicateCandidate.objects.get(), keep=kept)
    entry = AuditEntry.objects.filter(
        content_type__model="relation", object_pk=str(sibling.pk)
    ).latest("id")
    assert entry.changes == {"person": [retired.pk, kept.pk]}

"""Optimistic locking: two people edit the same file; the second to save is told
who changed what in between, keeps their own input, and overwrites nothing.

The supervisor 吴丽萍 and the village worker 张桂兰 both open 李小明's file.
"""

import datetime as dt
import re

import pytest
from django.test import Client

from shouwang.audit.context import acting_as
from shouwang.conftest import VILLAGE
from shouwang.people.models import Person
from shouwang.people.services.persons import StaleEdit, person_create, person_update
from shouwang.regions.models import Area

BACKEND = "shouwang.accounts.backends.ScopedModelBackend"


@pytest.fixture
def child(village_worker) -> Person:
    return person_create(
        user=village_worker,
        data={"name": "李小明", "sex": "M", "birth_date": dt.date(2014, 5, 6),
              "village": Area.objects.get(code=VILLAGE), "address": "老街1号",
              "school": "郑墩中心小学"},
    )  # fmt: skip


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user, backend=BACKEND)
    return client


def hidden(html: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden {name} in the form"
    return match.group(1)


def opened(client: Client, person: Person) -> dict:
    """The edit form as the browser would submit it unchanged."""
    response = client.get(f"/people/{person.pk}/edit/")
    assert response.status_code == 200
    html = response.content.decode()
    return {
        "name": person.name, "sex": person.sex, "ethnicity": person.ethnicity,
        "birth_date": person.birth_date.isoformat(), "village": person.village_id,
        "address": person.address, "school": person.school, "health": person.health,
        "dependence": person.dependence,
        "version": hidden(html, "version"), "loaded_at": hidden(html, "loaded_at"),
    }  # fmt: skip


def test_an_edit_on_the_current_version_is_saved(village_worker, child):
    client = logged_in(village_worker)
    form = opened(client, child)

    response = client.post(f"/people/{child.pk}/edit/", form | {"school": "松溪一中"})

    assert response.status_code == 302
    child.refresh_from_db()
    assert (child.school, child.version) == ("松溪一中", 2)


def test_the_second_of_two_edits_gets_a_conflict_naming_the_other_editor_and_field(
    supervisor, village_worker, child
):
    wu, zhang = logged_in(supervisor), logged_in(village_worker)
    wus_form, zhangs_form = opened(wu, child), opened(zhang, child)

    first = wu.post(f"/people/{child.pk}/edit/", wus_form | {"address": "新街8号"})
    assert first.status_code == 302

    second = zhang.post(f"/people/{child.pk}/edit/", zhangs_form | {"school": "松溪一中"})

    assert second.status_code == 409
    html = second.content.decode()
    conflict = html[html.index('id="conflict"') :]
    conflict = conflict[: conflict.index("</div>")]
    assert "吴丽萍" in conflict
    assert "现住址 老街1号 → 新街8号" in conflict
    assert second.context["form"]["school"].value() == "松溪一中"
    assert 'value="松溪一中"' in html
    child.refresh_from_db()
    assert (child.address, child.school, child.version) == ("新街8号", "郑墩中心小学", 2)


def test_after_a_conflict_the_form_can_be_saved_again_on_the_new_version(
    supervisor, village_worker, child
):
    wu, zhang = logged_in(supervisor), logged_in(village_worker)
    wus_form, zhangs_form = opened(wu, child), opened(zhang, child)
    wu.post(f"/people/{child.pk}/edit/", wus_form | {"address": "新街8号"})
    conflict = zhang.post(f"/people/{child.pk}/edit/", zhangs_form | {"school": "松溪一中"})
    html = conflict.content.decode()
    assert hidden(html, "version") == "2"

    # She takes over the address the supervisor entered and saves again.
    retry = zhangs_form | {"school": "松溪一中", "address": "新街8号",
                           "version": hidden(html, "version"),
                           "loaded_at": hidden(html, "loaded_at")}  # fmt: skip
    response = zhang.post(f"/people/{child.pk}/edit/", retry)

    assert response.status_code == 302
    child.refresh_from_db()
    assert (child.address, child.school, child.version) == ("新街8号", "松溪一中", 3)


def test_the_service_refuses_a_stale_version_and_saves_nothing(supervisor, village_worker, child):
    person_update(user=supervisor, person=child, data={"address": "新街8号"}, version=1)

    with pytest.raises(StaleEdit) as stale:
        person_update(user=village_worker, person=child, data={"school": "松溪一中"}, version=1)

    assert stale.value.person.version == 2
    child.refresh_from_db()
    assert (child.address, child.school, child.version) == ("新街8号", "郑墩中心小学", 2)


def test_the_stale_edit_lists_the_changes_since_the_version_read(supervisor, village_worker, child):
    with acting_as(supervisor):  # what the request middleware does for a page or the API
        person_update(user=supervisor, person=child, data={"address": "新街8号"}, version=1)

    with pytest.raises(StaleEdit) as stale:
        person_update(user=village_worker, person=child, data={"school": "松溪一中"}, version=1)

    assert [e.actor for e in stale.value.changes] == [supervisor]
    assert {label for e in stale.value.changes for label, _b, _a in e.change_rows} == {"现住址"}


def patch(client: Client, person: Person, body: dict):
    return client.patch(f"/api/v1/people/{person.pk}", body, content_type="application/json")


def test_an_api_patch_with_a_stale_version_gets_409_and_overwrites_nothing(
    supervisor, village_worker, child
):
    wu, zhang = logged_in(supervisor), logged_in(village_worker)
    assert zhang.get(f"/api/v1/people/{child.pk}").json()["version"] == 1
    first = patch(wu, child, {"version": 1, "address": "新街8号"})
    assert first.status_code == 200
    assert first.json()["version"] == 2

    second = patch(zhang, child, {"version": 1, "school": "松溪一中"})

    assert second.status_code == 409
    assert second.json()["detail"] == "该档案已被他人修改，请重新读取后再提交"
    assert second.json()["current_version"] == 2
    child.refresh_from_db()
    assert (child.address, child.school, child.version) == ("新街8号", "郑墩中心小学", 2)


def test_an_api_409_names_the_fields_changed_since_the_version_read(
    supervisor, village_worker, child
):
    patch(logged_in(supervisor), child, {"version": 1, "address": "新街8号"})

    response = patch(logged_in(village_worker), child, {"version": 1, "school": "松溪一中"})

    assert response.status_code == 409
    assert response.json()["changed_fields"] == ["现住址"]


def test_an_api_patch_on_the_current_version_after_a_conflict_is_saved(
    supervisor, village_worker, child
):
    patch(logged_in(supervisor), child, {"version": 1, "address": "新街8号"})
    zhang = logged_in(village_worker)
    conflict = patch(zhang, child, {"version": 1, "school": "松溪一中"})

    response = patch(zhang, child, {"version": conflict.json()["current_version"],
                                    "school": "松溪一中"})  # fmt: skip

    assert response.status_code == 200
    assert response.json()["version"] == 3
    child.refresh_from_db()
    assert (child.address, child.school) == ("新街8号", "松溪一中")


def test_an_api_patch_without_a_version_is_refused(village_worker, child):
    response = patch(logged_in(village_worker), child, {"school": "松溪一中"})

    assert response.status_code == 422
    child.refresh_from_db()
    assert child.school == "郑墩中心小学"


def test_a_stale_family_member_edit_is_refused_and_nothing_is_overwritten(login, village_worker):
    from shouwang.people.models import Relation
    from shouwang.people.services.persons import relation_save
    from shouwang.people.tests.test_programs import a_child, today, years_before

    child = a_child(village_worker, born=years_before(today(), 9))
    father = relation_save(person=child, data={"kind": "father", "name": "李大山"})
    url = f"/people/{child.pk}/relations/{father.pk}/"
    client = login(village_worker)
    form = {"kind": "father", "name": "李大山", "living": "on", "health": "healthy",
            "capacity": "full", "version": father.version}  # fmt: skip
    # Someone else saves first.
    relation_save(person=child, relation=father, data={"employer": "厦门某厂"},
                  version=father.version)  # fmt: skip
    response = client.post(url, form | {"name": "李大川"})
    assert response.status_code == 409
    assert "已有其他人修改了该家庭成员的信息" in response.content.decode()
    father = Relation.objects.get(pk=father.pk)
    assert father.name == "李大山"
    assert father.employer == "厦门某厂"


# --- decisions re-checked on the locked row ----------------------------------------


def test_a_proposal_decided_on_a_stale_page_is_told_not_decided_twice(supervisor, village_worker):
    from django.core.exceptions import ValidationError

    from shouwang.people.models import Proposal
    from shouwang.people.services.programs import proposal_confirm, proposal_dismiss
    from shouwang.people.tests.test_programs import left_behind_child, pending, today, years_before

    child = left_behind_child(village_worker, born=years_before(today(), 9))
    proposal = pending(child).get()
    page_a, page_b = Proposal.objects.get(pk=proposal.pk), Proposal.objects.get(pk=proposal.pk)
    proposal_confirm(user=village_worker, proposal=page_a)

    with pytest.raises(ValidationError) as refused:
        proposal_dismiss(user=supervisor, proposal=page_b)

    assert refused.value.messages == ["该建议已处理"]
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by) == (Proposal.Status.CONFIRMED, village_worker)


def test_an_enrollment_ended_on_a_stale_page_is_not_ended_twice(supervisor, village_worker):
    from django.core.exceptions import ValidationError

    from shouwang.people.models import Enrollment
    from shouwang.people.services.programs import enrollment_end, proposal_confirm
    from shouwang.people.tests.test_programs import left_behind_child, pending, today, years_before

    child = left_behind_child(village_worker, born=years_before(today(), 9))
    enrollment = proposal_confirm(user=village_worker, proposal=pending(child).get())
    page_a = Enrollment.objects.get(pk=enrollment.pk)
    page_b = Enrollment.objects.get(pk=enrollment.pk)
    enrollment_end(user=village_worker, enrollment=page_a, on=today(), exit_reason="other",
                   note="父母返乡")  # fmt: skip

    with pytest.raises(ValidationError) as refused:
        enrollment_end(user=supervisor, enrollment=page_b, on=today(), exit_reason="other",
                       note="迁出")  # fmt: skip

    assert refused.value.message_dict == {"ended_on": ["该项目已退出"]}
    enrollment.refresh_from_db()
    assert (enrollment.exit_note, enrollment.ended_by) == ("父母返乡", village_worker)

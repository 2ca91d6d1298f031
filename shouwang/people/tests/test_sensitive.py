"""ID and phone numbers: masked on every page and in the API, shown in full only on
an audited reveal, never written to the audit log, encrypted in the database.

李小明's file is kept by the village worker 张桂兰; the leader 郑国平 and the
auditor 林秀英 read no personal files at all.
"""

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from stdnum.cn import ric

from shouwang.audit.models import AuditEntry
from shouwang.conftest import VILLAGE
from shouwang.people.forms import id_index, phone_index
from shouwang.people.models import Person
from shouwang.people.selectors import person_search
from shouwang.people.services.persons import person_create, person_reveal
from shouwang.regions.models import Area

PHONE = "13812345678"
TEACHER_PHONE = "0599-2345678"


def id_for(birth: str = "20140506", *, region: str = "350724", sequence: str = "123") -> str:
    body = region + birth + sequence
    return body + ric.calc_check_digit(body + "0")


ID_NUMBER = id_for()
MASKED_ID = ID_NUMBER[:6] + "********" + ID_NUMBER[-4:]
MASKED_PHONE = "138****5678"


@pytest.fixture
def child(village_worker) -> Person:
    return person_create(
        user=village_worker,
        data={
            "name": "李小明",
            "sex": "M",
            "birth_date": dt.date(2014, 5, 6),
            "village": Area.objects.get(code=VILLAGE),
            "id_number": ID_NUMBER,
            "phone": PHONE,
            "school": "郑墩中心小学",
            "head_teacher": "陈老师",
            "head_teacher_phone": TEACHER_PHONE,
        },
    )


def assert_no_secret_in(text: str):
    for secret in (ID_NUMBER, PHONE, TEACHER_PHONE, "2345678"):
        assert secret not in text


def access_entries(person):
    return AuditEntry.objects.filter(
        action=AuditEntry.Action.ACCESS, content_type__model="person", object_pk=str(person.pk)
    )


# --- masking ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "page",
    [
        pytest.param("/people/", id="list"),
        pytest.param("/people/?q=李小明", id="search"),
        pytest.param("/people/{pk}/", id="detail"),
        pytest.param("/people/{pk}/card/", id="card"),
        pytest.param("/people/{pk}/edit/", id="edit form"),
    ],
)
def test_pages_show_the_id_number_masked_and_never_in_full(login, village_worker, child, page):
    response = login(village_worker).get(page.format(pk=child.pk))

    assert response.status_code == 200
    html = response.content.decode()
    assert MASKED_ID in html
    assert_no_secret_in(html)


def test_the_person_page_and_the_card_show_the_phones_masked(login, village_worker, child):
    client = login(village_worker)
    for page in (f"/people/{child.pk}/", f"/people/{child.pk}/card/"):
        html = client.get(page).content.decode()
        assert MASKED_PHONE in html
        assert_no_secret_in(html)
    assert "0599-*****78" in client.get(f"/people/{child.pk}/").content.decode()


def test_the_edit_form_shows_the_masked_values_as_placeholders_only(login, village_worker, child):
    form = login(village_worker).get(f"/people/{child.pk}/edit/").context["form"]

    assert form["id_number"].value() in (None, "")
    assert form["phone"].value() in (None, "")
    assert form.fields["id_number"].widget.attrs["placeholder"] == f"{MASKED_ID}（不修改请留空）"
    assert form.fields["phone"].widget.attrs["placeholder"] == f"{MASKED_PHONE}（不修改请留空）"


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("", id="list"),
        pytest.param("/{pk}", id="detail"),
        pytest.param("?q=李小明", id="search"),
    ],
)
def test_the_api_gives_the_id_number_and_phone_masked_only(login, village_worker, child, path):
    response = login(village_worker).get("/api/v1/people" + path.format(pk=child.pk))

    assert response.status_code == 200
    body = response.content.decode()
    assert_no_secret_in(body)
    assert MASKED_ID in body
    if path == "/{pk}":
        assert response.json()["phone_masked"] == MASKED_PHONE


# --- reveal ----------------------------------------------------------------------


def test_a_village_worker_reveals_the_id_number_and_the_reveal_is_audited(
    login, village_worker, child
):
    response = login(village_worker).post(f"/people/{child.pk}/reveal/id_number/")

    assert response.status_code == 200
    assert ID_NUMBER in response.content.decode()
    entry = access_entries(child).get()
    assert entry.actor == village_worker
    assert entry.additional_data == {"fields": ["id_number"]}


def test_revealing_the_phone_names_the_phone_in_the_audit_entry(login, village_worker, child):
    response = login(village_worker).post(f"/people/{child.pk}/reveal/phone/")

    assert PHONE in response.content.decode()
    assert access_entries(child).get().additional_data == {"fields": ["phone"]}


def test_each_reveal_is_a_separate_audit_entry(login, supervisor, village_worker, child):
    login(village_worker).post(f"/people/{child.pk}/reveal/id_number/")
    login(supervisor).post(f"/people/{child.pk}/reveal/id_number/")

    assert [e.actor for e in access_entries(child).order_by("id")] == [village_worker, supervisor]


def test_a_reveal_is_a_post_so_a_link_or_prefetch_cannot_trigger_it(login, village_worker, child):
    response = login(village_worker).get(f"/people/{child.pk}/reveal/id_number/")

    assert response.status_code == 405
    assert not access_entries(child).exists()


def test_only_the_sensitive_fields_can_be_revealed(login, village_worker, child):
    response = login(village_worker).post(f"/people/{child.pk}/reveal/name/")

    assert response.status_code == 403
    assert not access_entries(child).exists()


@pytest.mark.parametrize("role", ["leader", "auditor", "volunteer"])
def test_roles_without_personal_files_cannot_even_find_the_person_to_reveal(
    request, login, child, role
):
    user = request.getfixturevalue(role)

    response = login(user).post(f"/people/{child.pk}/reveal/id_number/")

    assert response.status_code == 404
    assert not access_entries(child).exists()


def test_the_reveal_service_refuses_a_user_without_the_permission(leader, child):
    with pytest.raises(PermissionDenied):
        person_reveal(user=leader, person=child, field="id_number")

    assert not access_entries(child).exists()


def test_an_anonymous_reveal_is_sent_to_the_login_page(client, child):
    response = client.post(f"/people/{child.pk}/reveal/id_number/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    assert not access_entries(child).exists()


# --- the audit log ---------------------------------------------------------------


def test_the_audit_log_records_an_id_number_change_without_either_number(
    login, village_worker, auditor, child
):
    client = login(village_worker)
    form = client.get(f"/people/{child.pk}/edit/").context["form"]
    new_number = id_for(sequence="125")
    response = client.post(
        f"/people/{child.pk}/edit/",
        {
            "name": "李小明", "sex": "M", "ethnicity": "汉族", "birth_date": "2014-05-06",
            "village": VILLAGE, "health": "healthy", "dependence": "independent",
            "id_number": new_number, "phone": PHONE, "head_teacher_phone": TEACHER_PHONE,
            "version": form.initial["version"], "loaded_at": form.initial["loaded_at"].isoformat(),
        },
    )  # fmt: skip
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.id_number == new_number

    entries = AuditEntry.objects.filter(content_type__model="person", object_pk=str(child.pk))
    update = entries.get(action=AuditEntry.Action.UPDATE)
    assert update.changes["id_number"] == ["******", "******"]
    assert ("身份证号码", "******", "******") in update.change_rows
    for entry in entries:
        stored = json.dumps(
            [entry.changes, entry.changes_text, entry.additional_data], ensure_ascii=False
        )
        for secret in (ID_NUMBER, new_number, PHONE, TEACHER_PHONE):
            assert secret not in stored
    for page, user in ((f"/people/{child.pk}/", village_worker), ("/audit/", auditor)):
        html = login(user).get(page).content.decode()
        assert "身份证号码" in html
        assert ID_NUMBER not in html
        assert new_number not in html


def test_the_creation_entry_records_that_the_numbers_were_set_but_not_their_values(child):
    created = AuditEntry.objects.get(
        content_type__model="person", object_pk=str(child.pk), action=AuditEntry.Action.CREATE
    )

    assert created.changes["id_number"][1] == "******"
    assert created.changes["phone"][1] == "******"
    assert ID_NUMBER not in json.dumps(created.changes)


# --- storage ---------------------------------------------------------------------


def test_the_database_holds_ciphertext_and_the_blind_index_finds_the_file(child):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number, phone, head_teacher_phone, id_number_index, phone_index "
            "FROM people_person WHERE id = %s",
            [child.pk],
        )
        stored_id, stored_phone, stored_teacher, stored_index, stored_phone_index = (
            cursor.fetchone()
        )

    for stored in (stored_id, stored_phone, stored_teacher):
        assert stored
        assert_no_secret_in(stored)
        assert "350724" not in stored
    assert stored_index == id_index(ID_NUMBER)
    assert stored_phone_index == phone_index(PHONE)
    assert Person.objects.get(id_number_index=id_index(ID_NUMBER)) == child
    assert list(person_search(Person.objects.all(), ID_NUMBER)) == [child]
    assert Person.objects.get(pk=child.pk).id_number == ID_NUMBER


def test_the_same_number_is_stored_differently_each_time(village_worker, child):
    other = person_create(
        user=village_worker,
        data={"name": "李小华", "sex": "M", "birth_date": dt.date(2014, 5, 6),
              "village": Area.objects.get(code=VILLAGE), "phone": PHONE},
    )  # fmt: skip

    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM people_person WHERE id IN (%s, %s)", [child.pk, other.pk])
        first, second = (row[0] for row in cursor.fetchall())

    assert first != second
    assert set(Person.objects.filter(phone_index=phone_index(PHONE))) == {child, other}

"""Key rotation: after `keys rotate` the old key can be dropped, lookups by blind
index still work, and a second run changes nothing."""

import datetime as dt

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from shouwang.audit.models import AuditEntry
from shouwang.care.tests.factories import make_person, make_volunteer
from shouwang.conftest import VILLAGE
from shouwang.core.rotation import RotationError, encrypted_fields, keys_rotate
from shouwang.people.forms import id_index, phone_index
from shouwang.people.models import Person, Relation

OLD = Fernet.generate_key().decode()
NEW = Fernet.generate_key().decode()
CHILD_ID = "350724201405060017"
SISTER_ID = "350724201405060027"
PHONE = "13905990001"


@pytest.fixture
def files_under_the_old_key(settings, demo_areas):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    child = make_person("吴小明", VILLAGE, id_number=CHILD_ID, phone=PHONE)
    sister = make_person("吴小红", VILLAGE, sex="F", id_number=SISTER_ID)
    for n in range(3):
        make_person(f"吴{n}", VILLAGE, program=None, phone=f"1390599100{n}")
    Relation.objects.create(person=child, kind="mother", name="吴丽华", phone="13905990009",
                            birth_date=dt.date(1985, 3, 1))  # fmt: skip
    make_volunteer("刘晓燕", VILLAGE, phone="13905990010")
    return child, sister


def stored_tokens() -> dict[tuple[str, str], list[str]]:
    """Every encrypted column's raw values, as in the database."""
    tokens = {}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model, fields in encrypted_fields():
            for f in fields:
                cursor.execute(
                    f"SELECT {quote(f.column)} FROM {quote(model._meta.db_table)} "
                    f"ORDER BY {quote(model._meta.pk.column)}"
                )
                tokens[(model._meta.label, f.name)] = [row[0] for row in cursor.fetchall()]
    return tokens


@pytest.mark.django_db
def test_after_rotation_the_old_key_can_be_removed(settings, files_under_the_old_key):
    child, sister = files_under_the_old_key
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]

    report = keys_rotate(batch_size=2)  # several batches per table

    assert report.rotated["people.Person.id_number"] == 2
    assert report.rotated["people.Person.phone"] == 4
    assert report.rotated["people.Relation.phone"] == 1
    assert report.rotated["care.Volunteer.phone"] == 1
    settings.FIELD_ENCRYPTION_KEYS = [NEW]
    for (_label, _name), values in stored_tokens().items():
        for token in values:
            if token:
                Fernet(NEW).decrypt(token.encode())  # raises if any value is not under NEW
    found = Person.objects.get(id_number_index=id_index(CHILD_ID))
    assert found == child
    assert (found.id_number, found.phone) == (CHILD_ID, PHONE)
    assert Person.objects.get(phone_index=phone_index(PHONE)) == child
    assert Person.objects.get(pk=sister.pk).id_number == SISTER_ID
    assert Relation.objects.get(person=child).phone == "13905990009"


@pytest.mark.django_db
def test_a_rotation_changes_no_plaintext_version_or_timestamp(settings, files_under_the_old_key):
    child, _sister = files_under_the_old_key
    before = Person.objects.values("version", "updated_at").get(pk=child.pk)
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    keys_rotate()
    assert Person.objects.values("version", "updated_at").get(pk=child.pk) == before


@pytest.mark.django_db
def test_running_it_twice_changes_nothing(settings, files_under_the_old_key):
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    keys_rotate()
    tokens, entries = stored_tokens(), AuditEntry.objects.count()

    again = keys_rotate()

    assert again.total_rotated == 0
    assert again.total_seen > 0
    assert stored_tokens() == tokens
    assert AuditEntry.objects.count() == entries


@pytest.mark.django_db
def test_one_audit_entry_summarises_the_rotation(settings, files_under_the_old_key):
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    entries = AuditEntry.objects.count()
    report = keys_rotate(batch_size=2)
    assert AuditEntry.objects.count() == entries + 1
    entry = AuditEntry.objects.latest("id")
    assert entry.object_pk == "field-encryption-keys"
    assert entry.additional_data["rotated"] == report.total_rotated
    assert entry.additional_data["key_rotation"]["people.Person.id_number"] == 2


@pytest.mark.django_db
def test_a_dry_run_counts_and_writes_nothing(settings, files_under_the_old_key):
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    tokens = stored_tokens()
    report = keys_rotate(dry_run=True)
    assert report.rotated["people.Person.id_number"] == 2
    assert stored_tokens() == tokens


@pytest.mark.django_db
def test_a_value_no_key_opens_is_named_and_nothing_hidden(settings, files_under_the_old_key):
    settings.FIELD_ENCRYPTION_KEYS = [NEW]  # the old key dropped before rotating
    with pytest.raises(RotationError, match="people.Person"):
        keys_rotate()


@pytest.mark.django_db
def test_the_command_reports_the_counts(settings, files_under_the_old_key, capsys):
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    call_command("keys", "rotate", "--batch-size", "3")
    out = capsys.readouterr().out
    assert "people.Person.id_number：2 个值，2 个已重新加密" in out
    assert "可以从 FIELD_ENCRYPTION_KEYS 移除旧密钥" in out
    call_command("keys", "rotate")
    assert "共 0 个值已用第一个密钥重新加密" in capsys.readouterr().out


@pytest.mark.django_db
def test_the_command_fails_with_the_message_when_a_key_is_missing(
    settings, files_under_the_old_key
):
    settings.FIELD_ENCRYPTION_KEYS = [NEW]
    with pytest.raises(CommandError, match="FIELD_ENCRYPTION_KEYS"):
        call_command("keys", "rotate")

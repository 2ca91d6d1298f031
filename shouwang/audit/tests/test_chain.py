"""The tamper-evident audit log: entries are sealed when written and chained in
order, never changed or removed by the application (nor, on PostgreSQL, by SQL),
and `shouwang audit verify` names an altered, an inserted and a removed entry."""

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from shouwang.audit.chain import GENESIS, audit_seal, audit_verify, link, seal_of
from shouwang.audit.context import acting_as
from shouwang.audit.models import AuditEntry
from shouwang.care.tests.factories import make_person
from shouwang.conftest import VILLAGE
from shouwang.people.models import Person
from shouwang.regions.models import Area

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger is PostgreSQL's"
)


@pytest.fixture
def log(demo_areas, county_admin):
    """A few entries of every kind of write, sealed."""
    with acting_as(county_admin, remote_addr="10.1.2.3"):
        person = make_person("张小明", VILLAGE)
        person.address = "上厝村 3 号"
        person.save()
        village = Area.objects.get(code=VILLAGE)
        village.name = "上厝村（改）"
        village.save()
    audit_seal()
    return list(AuditEntry.objects.order_by("seq"))


def _raw(sql: str, params=()) -> None:
    """SQL past the application, as someone with database access would write it
    (on PostgreSQL with triggers off, as only a superuser can)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)


def _verify() -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("audit", "verify", stdout=out)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue()


def test_every_entry_is_sealed_in_order_and_the_chain_verifies(log):
    assert len(log) >= 3
    assert [e.seq for e in log] == list(range(1, len(log) + 1))
    previous = GENESIS
    for entry in log:
        assert entry.chain == link(previous, entry.seq, entry.mac)
        previous = entry.chain
    report = audit_verify()
    assert report.problems == [] and report.checked == len(log)
    assert report.head == (log[-1].seq, log[-1].chain)
    code, out = _verify()
    assert code == 0 and "未发现问题" in out and log[-1].chain in out


def test_entries_written_later_continue_the_chain(log, county_admin):
    with acting_as(county_admin):
        make_person("李小红", VILLAGE)
    assert audit_verify().unsealed > 0  # valid, waiting for the seal
    assert audit_seal() > 0
    assert audit_seal() == 0  # nothing twice
    assert audit_verify().problems == []
    assert AuditEntry.objects.order_by("-seq").first().seq > log[-1].seq


def test_an_altered_entry_is_named(log):
    victim = log[1]
    _raw("UPDATE audit_auditentry SET object_repr = %s WHERE id = %s", ["别人", victim.pk])
    report = audit_verify()
    assert report.altered == [f"第 {victim.seq} 条（#{victim.pk}）内容已被改动"]
    assert not report.inserted and not report.removed
    code, out = _verify()
    assert code == 1 and "内容已被改动" in out


def test_an_inserted_entry_is_named_and_never_sealed(log):
    forged = log[0]
    _raw(
        "INSERT INTO audit_auditentry (content_type_id, object_pk, object_id, object_repr, "
        "action, changes_text, timestamp, area_code, mac, chain) "
        "VALUES (%s, %s, %s, %s, 0, '', %s, '', %s, '')",
        [forged.content_type_id, "999", 999, "伪造", forged.timestamp, "f" * 64],
    )
    inserted = AuditEntry.objects.get(object_repr="伪造")
    assert audit_seal() == 0  # its MAC is not Shouwang's: it stays out of the chain
    report = audit_verify()
    assert report.inserted == [f"#{inserted.pk} 不是本系统写入的：被插入或已被改动"]
    assert not report.altered and not report.removed


def test_an_entry_forged_into_the_chain_is_named(log):
    last = log[-1]
    _raw(
        "INSERT INTO audit_auditentry (content_type_id, object_pk, object_id, object_repr, "
        "action, changes_text, timestamp, area_code, mac, chain, seq) "
        "VALUES (%s, %s, %s, %s, 0, '', %s, '', %s, %s, %s)",
        [last.content_type_id, "999", 999, "伪造", last.timestamp, last.mac, "e" * 64,
         last.seq + 1],
    )  # fmt: skip
    report = audit_verify()
    assert report.inserted == [
        f"第 {last.seq + 1} 条（#{AuditEntry.objects.get(seq=last.seq + 1).pk}）"
        "不在原有顺序中：被插入或调换"
    ]
    assert len(report.altered) == 1  # its content is not what the MAC sealed


def test_a_removed_entry_is_named(log):
    victim = log[1]
    _raw("DELETE FROM audit_auditentry WHERE id = %s", [victim.pk])
    report = audit_verify()
    assert report.removed == [f"第 {victim.seq} 条已被删除"]
    assert not report.altered and not report.inserted
    code, out = _verify()
    assert code == 1 and "已被删除" in out


def test_the_application_never_changes_or_removes_an_entry(log):
    entry = log[0]
    entry.object_repr = "改过"
    with pytest.raises(PermissionDenied):
        entry.save()
    with pytest.raises(PermissionDenied):
        entry.delete()
    with pytest.raises(PermissionDenied):
        AuditEntry.objects.filter(pk=entry.pk).update(object_repr="改过")
    with pytest.raises(PermissionDenied):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert audit_verify().problems == []


@on_postgresql
def test_postgresql_refuses_update_and_delete_of_an_entry(log):
    entry = log[0]
    for sql in (
        "UPDATE audit_auditentry SET object_repr = 'x' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
        "UPDATE audit_auditentry SET seq = seq + 1000 WHERE id = %s",  # re-sealing
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.pk])
    assert audit_verify().problems == []


def test_entries_carry_the_area_of_their_record_or_of_the_actor(log, county_admin):
    person = Person.objects.get(name="张小明")
    about = AuditEntry.objects.filter(object_pk=str(person.pk), content_type__model="person")
    assert set(about.values_list("area_code", flat=True)) == {VILLAGE}
    village = AuditEntry.objects.filter(object_pk=VILLAGE, content_type__model="area")
    assert set(village.values_list("area_code", flat=True)) == {VILLAGE}
    with acting_as(county_admin):  # an export is about no record: the actor's area
        from shouwang.audit.services import audit_export

        export = audit_export(model=Person, name="x", label="导出", rows=1, fields=["name"])
    assert export.area_code == county_admin.scope_area_id


# What a bulk write puts in the columns that COPY (on PostgreSQL) escapes, and the
# JSON the seal normalises: quotes, backslashes, tabs and newlines, CJK and emoji,
# nesting, numbers, booleans, nulls and dates written as text.
AWKWARD = "引号\"、反斜杠\\、制表\t、换行\n、emoji 🧒 and 'apostrophes'"
NESTED = {
    "name": [None, AWKWARD],
    "birth_date": ["2014-05-06", "2014-06-05"],
    "income_sources": [
        ["务工", "低保"],
        ["务工", {"kind": "补助", "amount": 1.5, "monthly": True}],
    ],
    "notes": ["", None],
    "version": [1, 2],
}


def test_bulk_written_entries_read_back_as_sealed(demo_areas, county_admin):
    """The seal `audit_bulk` computes from an entry in memory is the one the entry
    read back from the database verifies to: nothing is lost or changed on the way."""
    from shouwang.audit.services import Action, Change, audit_bulk

    people = [make_person(f"张{n}", VILLAGE) for n in range(3)]
    before = AuditEntry.objects.count()
    with acting_as(county_admin, remote_addr="2001:db8::1", remote_port=443):
        written = audit_bulk(
            model=Person,
            source=f"ledger {AWKWARD}",
            changes=[
                Change(people[0].pk, AWKWARD, Action.UPDATE, NESTED),
                Change(people[1].pk, "张1", Action.CREATE, {"village": [None, VILLAGE]}),
                Change(str(people[2].pk), "", Action.DELETE, {}),
            ],
            batch_size=2,
        )
    entries = list(AuditEntry.objects.order_by("id")[before:])
    assert written == len(entries) == 3
    assert entries[0].changes == NESTED and entries[0].object_repr == AWKWARD
    assert entries[0].additional_data == {"source": f"ledger {AWKWARD}", "bulk": True}
    assert entries[0].actor == county_admin and entries[0].remote_port == 443
    assert {e.area_code for e in entries} == {VILLAGE}
    assert all(e.mac == seal_of(e) for e in entries)
    audit_seal()
    report = audit_verify()
    assert report.problems == [] and report.unsealed == 0


def test_the_seal_of_an_entry_is_what_it_always_was(settings):
    """Entries already in the log were sealed by this definition: a MAC of the
    content as sorted JSON, under AUDIT_KEY or else a key derived from SECRET_KEY."""
    entry = AuditEntry(
        content_type_id=7,
        object_pk="42",
        object_id=42,
        object_repr=AWKWARD,
        action=AuditEntry.Action.UPDATE,
        changes=NESTED,
        changes_text="",
        additional_data={"source": "ledger 人员", "bulk": True},
        actor_id=3,
        actor_email="a@example.org",
        remote_addr="10.1.2.3",
        remote_port=8443,
        cid="c1",
        timestamp=dt.datetime(
            2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt.timezone(dt.timedelta(hours=8))
        ),
        area_code=VILLAGE,
    )
    settings.AUDIT_KEY, settings.SECRET_KEY = "", "a secret key"
    assert seal_of(entry) == "8f6355b82cf1dbf77405e25174af8c1ccafa7faa1a8ac000478a4c5b0a394f5a"
    settings.AUDIT_KEY = "an audit key"
    assert seal_of(entry) == "3a917d672f0c5ad0cf34236cdf0b5538a6d8ff2f0b5d85ecbfd8dd6f7463bf04"

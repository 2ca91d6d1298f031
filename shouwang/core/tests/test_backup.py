"""Backups: a round trip loses nothing, a wrong passphrase or a damaged file
restores nothing, the file holds no readable data, and on SQLite a backup taken
while another connection writes is consistent."""

import datetime as dt
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection

from shouwang.audit.models import AuditEntry
from shouwang.care.tests.factories import make_person
from shouwang.conftest import VILLAGE
from shouwang.core import backup
from shouwang.core.backup import (
    BackupError,
    backup_create,
    backup_read_header,
    backup_restore,
    database_manifest,
    sqlite_backup_create,
    sqlite_backup_restore,
    sqlite_manifest,
)
from shouwang.people.forms import id_index, phone_index
from shouwang.people.models import Enrollment, Person

pytestmark = pytest.mark.django_db(transaction=True)

PASSPHRASE = "松溪县 backup 口令 2026"
CHILD_ID = "350724201405060017"
MOTHER_ID = "350724198503010028"
PHONE = "13905990001"
REPO_ROOT = Path(__file__).resolve().parents[3]


def sqlite_only():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")


@pytest.fixture
def files(demo_areas):
    """Two people on file with ID numbers and a phone (encrypted columns)."""
    child = make_person("吴小明", VILLAGE, id_number=CHILD_ID, phone=PHONE)
    mother = make_person(
        "吴丽华", VILLAGE, birth=dt.date(1985, 3, 1), sex="F", program=None, id_number=MOTHER_ID
    )
    return child, mother


def without_audit(manifest):
    return {k: v for k, v in manifest.items() if k != "audit_auditentry"}


def test_a_round_trip_restores_every_table_as_it_was(files, tmp_path):
    child, _mother = files
    info = backup_create(path=tmp_path / "b.swbk", passphrase=PASSPHRASE)
    assert info.vendor == connection.vendor
    assert info.tables["people_person"].rows == 2
    assert info.migrations["people"].startswith("0")
    # The manifest is the database at the backup (the backup's own audit entry
    # comes after it).
    now = database_manifest()
    assert without_audit(now) == without_audit(info.tables)
    assert now["audit_auditentry"].rows == info.tables["audit_auditentry"].rows + 1

    Enrollment.objects.all().delete()
    make_person("郑新", VILLAGE, program=None)
    assert without_audit(database_manifest()) != without_audit(info.tables)

    report = backup_restore(path=tmp_path / "b.swbk", passphrase=PASSPHRASE, force=True)

    assert report.ok, report.mismatches
    restored = database_manifest()
    assert without_audit(restored) == without_audit(info.tables)
    # Exactly the restore itself is added to the restored log.
    assert restored["audit_auditentry"].rows == info.tables["audit_auditentry"].rows + 1
    assert AuditEntry.objects.filter(object_pk="restore").count() == 1
    assert Enrollment.objects.filter(person=child).exists()
    assert not Person.objects.filter(name="郑新").exists()
    found = Person.objects.get(id_number_index=id_index(CHILD_ID))
    assert (found.id_number, found.phone) == (CHILD_ID, PHONE)
    assert Person.objects.get(phone_index=phone_index(PHONE)) == found


def test_the_file_holds_no_readable_data(files, tmp_path):
    backup_create(path=tmp_path / "b.swbk", passphrase=PASSPHRASE)
    data = (tmp_path / "b.swbk").read_bytes()
    assert data.startswith(b"SWBK1")
    for secret in (CHILD_ID, MOTHER_ID, "吴小明", "吴丽华", "people_person", VILLAGE):
        assert secret.encode() not in data
    assert "吴小明".encode("gb18030") not in data


def test_a_wrong_passphrase_restores_nothing(files, tmp_path):
    backup_create(path=tmp_path / "b.swbk", passphrase=PASSPHRASE)
    make_person("郑新", VILLAGE, program=None)
    with pytest.raises(BackupError, match="口令错误"):
        backup_restore(path=tmp_path / "b.swbk", passphrase="not the passphrase", force=True)
    assert Person.objects.filter(name="郑新").exists()


@pytest.mark.parametrize("where", ["header", "payload", "end"])
def test_a_changed_byte_restores_nothing(files, tmp_path, where):
    path = tmp_path / "b.swbk"
    backup_create(path=path, passphrase=PASSPHRASE)
    data = bytearray(path.read_bytes())
    offset = {"header": backup._PREAMBLE.size + 40, "payload": len(data) // 2, "end": -1}[where]
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))
    make_person("郑新", VILLAGE, program=None)
    with pytest.raises(BackupError, match="损坏"):
        backup_restore(path=path, passphrase=PASSPHRASE, force=True)
    assert Person.objects.filter(name="郑新").exists()


def test_a_cut_short_file_restores_nothing(files, tmp_path):
    path = tmp_path / "b.swbk"
    backup_create(path=path, passphrase=PASSPHRASE)
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(BackupError, match="不完整"):
        backup_restore(path=path, passphrase=PASSPHRASE, force=True)
    assert Person.objects.count() == 2


def test_a_database_in_use_is_only_overwritten_with_force(files, tmp_path):
    backup_create(path=tmp_path / "b.swbk", passphrase=PASSPHRASE)
    make_person("郑新", VILLAGE, program=None)
    with pytest.raises(BackupError, match="--force"):
        backup_restore(path=tmp_path / "b.swbk", passphrase=PASSPHRASE)
    assert Person.objects.filter(name="郑新").exists()


def test_a_backup_of_the_other_vendor_is_refused(files, tmp_path):
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    path = tmp_path / "other.swbk"
    backup._write_file(path, PASSPHRASE, backup._header(other, {}, {}), iter([b"x"]))
    assert backup_read_header(path=path, passphrase=PASSPHRASE).vendor == other
    with pytest.raises(BackupError, match="不能恢复到"):
        backup_restore(path=path, passphrase=PASSPHRASE, force=True)
    assert Person.objects.count() == 2


def test_not_a_backup_is_named_so(tmp_path):
    path = tmp_path / "x.swbk"
    path.write_bytes(b"SQLite format 3\0" + bytes(100))
    with pytest.raises(BackupError, match="不是守望的备份文件"):
        backup_read_header(path=path, passphrase=PASSPHRASE)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(BackupError, match="找不到备份文件"):
        backup_restore(path=tmp_path / "none.swbk", passphrase=PASSPHRASE)
    with pytest.raises(BackupError, match="不存在"):
        backup_create(path=tmp_path / "no" / "b.swbk", passphrase=PASSPHRASE)


def test_a_short_passphrase_is_refused(tmp_path):
    with pytest.raises(BackupError, match="至少 8 个字符"):
        backup_create(path=tmp_path / "b.swbk", passphrase="short")


def test_pg_tools_get_the_password_from_the_environment_not_the_command_line():
    args, env = backup._pg_env(
        {"NAME": "shouwang", "USER": "u", "PASSWORD": "s3cret", "HOST": "db", "PORT": 5432}
    )
    assert "s3cret" not in " ".join(args)
    assert env["PGPASSWORD"] == "s3cret"
    assert args == ["--host", "db", "--port", "5432", "--username", "u", "--dbname", "shouwang"]


def test_a_failed_pg_dump_keeps_the_earlier_backup(files, tmp_path, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    path = tmp_path / "b.swbk"
    backup_create(path=path, passphrase=PASSPHRASE)
    good = path.read_bytes()
    monkeypatch.setattr(backup, "_pg_tool", lambda name: "/bin/false")
    with pytest.raises(BackupError, match="pg_dump 失败"):
        backup_create(path=path, passphrase=PASSPHRASE)
    assert path.read_bytes() == good
    assert not list(tmp_path.glob("*.partial"))


# --- SQLite: the function layer on files, and the commands end to end --------------


def test_the_stream_spans_many_chunks_in_constant_pieces(tmp_path, monkeypatch):
    monkeypatch.setattr(backup, "CHUNK", 4096)
    source = sqlite3.connect(tmp_path / "big.sqlite3")
    source.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)")
    source.executemany("INSERT INTO t (v) VALUES (?)", [(os.urandom(500),) for _ in range(400)])
    source.commit()
    info = sqlite_backup_create(source=source, path=tmp_path / "b.swbk", passphrase=PASSPHRASE)
    target = sqlite3.connect(tmp_path / "restored.sqlite3")
    report = sqlite_backup_restore(target=target, path=tmp_path / "b.swbk", passphrase=PASSPHRASE)
    assert report.ok
    assert sqlite_manifest(target) == info.tables == sqlite_manifest(source)
    assert info.tables["t"].rows == 400


def test_a_sqlite_backup_while_another_connection_writes_is_consistent(tmp_path):
    db = tmp_path / "live.sqlite3"
    setup = sqlite3.connect(db)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE visit (id INTEGER PRIMARY KEY, note TEXT, at TEXT)")
    setup.executemany(
        "INSERT INTO visit (note, at) VALUES (?, ?)", [("上门", "2026-01-01")] * 20000
    )
    setup.commit()
    setup.close()
    stop, written, errors = threading.Event(), [0], []

    def writer():
        conn = sqlite3.connect(db, timeout=20)
        try:
            while not stop.is_set():
                conn.execute("INSERT INTO visit (note, at) VALUES ('电话', '2026-02-02')")
                conn.commit()
                written[0] += 1
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while written[0] < 50:
            time.sleep(0.01)
        source = sqlite3.connect(db, timeout=20)
        info = sqlite_backup_create(source=source, path=tmp_path / "b.swbk", passphrase=PASSPHRASE)
        during = written[0]
        time.sleep(0.1)
    finally:
        stop.set()
        thread.join()
    assert not errors
    assert written[0] > during  # the writer was not held up by the backup
    rows = info.tables["visit"].rows
    assert 20050 <= rows <= 20000 + written[0]
    target = sqlite3.connect(tmp_path / "restored.sqlite3")
    report = sqlite_backup_restore(target=target, path=tmp_path / "b.swbk", passphrase=PASSPHRASE)
    assert report.ok, report.mismatches
    assert target.execute("SELECT count(*) FROM visit").fetchone()[0] == rows


def _shouwang(*args, db: Path, cwd: Path, **env):
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", **env}
    environment["DJANGO_SETTINGS_MODULE"] = "shouwang.settings"
    environment["SHOUWANG_VAR_DIR"] = str(cwd)
    return subprocess.run(
        [sys.executable, "-m", "shouwang", *args],
        cwd=cwd, env=environment, capture_output=True, text=True, timeout=180,
    )  # fmt: skip


def test_the_commands_back_up_and_restore_a_sqlite_file(files, tmp_path):
    sqlite_only()
    db = tmp_path / "shouwang.sqlite3"
    copy = sqlite3.connect(db)
    connection.connection.backup(copy)  # the test database, migrated and with files
    copy.close()
    (tmp_path / "pass").write_text(PASSPHRASE + "\n", encoding="utf-8")
    out = tmp_path / "nightly.swbk"

    made = _shouwang("backup", str(out), "--passphrase-file", "pass", db=db, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "已备份到" in made.stdout
    live = sqlite3.connect(db)
    live.execute("DELETE FROM people_enrollment")
    live.commit()
    assert live.execute("SELECT count(*) FROM people_enrollment").fetchone()[0] == 0

    refused = _shouwang(
        "restore", str(out), db=db, cwd=tmp_path, SHOUWANG_BACKUP_PASSPHRASE=PASSPHRASE
    )
    assert refused.returncode != 0
    assert "--force" in refused.stderr and "Traceback" not in refused.stderr
    wrong = _shouwang(
        "restore", str(out), "--force", db=db, cwd=tmp_path, SHOUWANG_BACKUP_PASSPHRASE="x" * 9
    )
    assert wrong.returncode != 0 and "口令错误" in wrong.stderr

    done = _shouwang(
        "restore", str(out), "--force", db=db, cwd=tmp_path, SHOUWANG_BACKUP_PASSPHRASE=PASSPHRASE
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "核对完成" in done.stdout
    assert live.execute("SELECT count(*) FROM people_enrollment").fetchone()[0] == 1
    live.close()

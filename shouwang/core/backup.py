"""Encrypted backups of the whole database, and their restore.

A backup is one file, readable only with its passphrase:

    preamble  "SWBK1", format version, KDF id, 16-byte salt, scrypt log2(n), r, p
    records   4-byte big-endian length + AES-256-GCM ciphertext, one after another

The key is scrypt(passphrase, salt): a fresh random salt per file, so every file
has its own key and the nonce can be the record's index. Each record's associated
data is the preamble, its index and a "last record" flag, so a changed preamble,
a dropped, repeated, reordered or changed record, and a file cut short are all
refused. Record 0 is the header (JSON): vendor, when, the latest applied migration
per app, the fingerprints of the field-encryption keys in use and the manifest —
the row count and SHA-256 of every table. The records after it are the payload in
chunks of 1 MiB, so memory stays constant whatever the size of the database:

- SQLite: a copy made with SQLite's online backup API (`sqlite3.Connection.backup`)
  in one step, i.e. one read transaction — in WAL mode the application keeps
  writing meanwhile — and the manifest is taken from that copy.
- PostgreSQL: `pg_dump --format=custom`, streamed, on a snapshot exported by a
  REPEATABLE READ transaction that also takes the manifest, so both describe the
  same instant.

Restoring reads and authenticates the whole file before it touches the database
(PostgreSQL: a first pass that only checks; SQLite: decrypting into a private
temporary file), so a wrong passphrase or a damaged file restores nothing. Then
the manifest is computed again on the restored database and compared.

Table checksums hash every row in primary-key order, each value as the database
itself renders it (SQLite `quote()`, PostgreSQL's row text in UTC/ISO), so they
compare equal between a database and its restored copy on the same vendor.
The field-encryption keys are not in the backup: keep them apart from it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import struct
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from django.conf import settings
from django.db import connections
from django.utils import timezone
from django.utils.translation import gettext as _

MAGIC = b"SWBK1"
FORMAT_VERSION = 1
KDF_SCRYPT = 1
CHUNK = 1 << 20  # plaintext bytes per record
HEADER_MAX = 64 << 20  # the header record (the manifest) is never near this
TAG = 16
# scrypt n=2**15, r=8: about 32 MiB and a tenth of a second per derivation.
SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P = 15, 8, 1
_PREAMBLE = struct.Struct(">5sBB16sBBB")
_LENGTH = struct.Struct(">I")

# Tables whose rows mean the database is in use: restoring over them needs --force.
IN_USE_TABLES = ("accounts_user", "people_person", "audit_auditentry")


class BackupError(Exception):
    """A backup could not be written, read or restored; the message is for the user."""


@dataclass(frozen=True)
class TableSum:
    rows: int
    sha256: str


@dataclass
class BackupInfo:
    """What a backup file holds (its header)."""

    path: Path
    vendor: str
    created_at: str
    migrations: dict[str, str]
    tables: dict[str, TableSum]
    key_fingerprints: list[str] = field(default_factory=list)
    size: int = 0

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables.values())


@dataclass
class RestoreReport:
    """The outcome of a restore: the backup's header and what the check found."""

    info: BackupInfo
    mismatches: list[str]
    notes: list[str]

    @property
    def ok(self) -> bool:
        return not self.mismatches


# --- Services -------------------------------------------------------------------


def backup_create(*, path: str | Path, passphrase: str, using: str = "default") -> BackupInfo:
    """Write an encrypted backup of database `using` to `path` (safe while the
    application runs). The file is written beside `path` and renamed into place,
    so a failed backup never leaves a half-written file under that name."""
    _check_passphrase(passphrase)
    if not Path(path).parent.is_dir():
        raise BackupError(_("目录 %(dir)s 不存在") % {"dir": Path(path).parent})
    connection = connections[using]
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        info = sqlite_backup_create(source=connection.connection, path=path, passphrase=passphrase)
    elif connection.vendor == "postgresql":
        info = _pg_backup_create(using=using, path=Path(path), passphrase=passphrase)
    else:
        raise BackupError(_("不支持备份 %(vendor)s 数据库") % {"vendor": connection.vendor})
    _audit(_("数据库备份"), "backup", info, action="access", rows=info.rows)
    return info


def backup_restore(
    *, path: str | Path, passphrase: str, force: bool = False, using: str = "default"
) -> RestoreReport:
    """Replace database `using` with the backup at `path`, then check every table
    against the backup's manifest. Refused — nothing changed — on a wrong
    passphrase, a damaged file, a backup of another vendor, or (without `force`)
    a database already in use."""
    if not Path(path).is_file():
        raise BackupError(_("找不到备份文件 %(path)s") % {"path": path})
    connection = connections[using]
    if connection.vendor == "sqlite":
        if connection.in_atomic_block:
            raise BackupError(_("不能在事务中恢复数据库"))
        connection.ensure_connection()
        report = sqlite_backup_restore(
            target=connection.connection, path=path, passphrase=passphrase, force=force
        )
    elif connection.vendor == "postgresql":
        report = _pg_backup_restore(
            using=using, path=Path(path), passphrase=passphrase, force=force
        )
    else:
        raise BackupError(_("不支持恢复到 %(vendor)s 数据库") % {"vendor": connection.vendor})
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()  # ids may differ in the restored database
    # Written into the restored log, after the check: the restore is on record.
    _audit(_("数据库恢复"), "restore", report.info, action="update", ok=report.ok)
    return report


def _audit(label: str, name: str, info: BackupInfo, *, action: str, **extra) -> None:
    """One audit entry for a backup (a read of everything) or a restore."""
    from auditlog.cid import get_cid
    from django.contrib.contenttypes.models import ContentType

    from shouwang.audit.context import current_actor
    from shouwang.audit.models import AuditEntry

    AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(AuditEntry),
        object_pk=name,
        object_repr=label,
        action=AuditEntry.Action.ACCESS if action == "access" else AuditEntry.Action.UPDATE,
        changes_text="",
        cid=get_cid(),
        additional_data={
            name: {"file": str(info.path), "created_at": info.created_at,
                   "vendor": info.vendor, "tables": len(info.tables), **extra}
        },
        **current_actor(),
    )  # fmt: skip


def database_manifest(*, using: str = "default") -> dict[str, TableSum]:
    """{table: (rows, sha256)} of database `using` as it is now (committed data)."""
    connection = connections[using]
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return sqlite_manifest(connection.connection)
    with _PgSnapshot(using) as snap:
        return pg_manifest(snap.wrapper.connection)


def backup_read_header(*, path: str | Path, passphrase: str) -> BackupInfo:
    """The header of a backup (checks the passphrase; the payload is not read)."""
    if not Path(path).is_file():
        raise BackupError(_("找不到备份文件 %(path)s") % {"path": path})
    with open(path, "rb") as stream:
        return _Opener(stream, passphrase).header(Path(path))


# --- SQLite -----------------------------------------------------------------------


def sqlite_backup_create(*, source: sqlite3.Connection, path: str | Path, passphrase: str):
    """Back up the SQLite database open on `source` (a file or in-memory database)."""
    _check_passphrase(passphrase)
    path = Path(path)
    with _private_tempfile(path.parent) as copy_path:
        copy = sqlite3.connect(copy_path)
        try:
            # One step = one read transaction: consistent, and in WAL mode writers
            # carry on (a stepwise copy would restart on every write).
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            tables = sqlite_manifest(copy)
            migrations = _migrations(copy.cursor(), tables)
        finally:
            copy.close()
        header = _header("sqlite", migrations, tables)
        with open(copy_path, "rb") as payload:
            _write_file(path, passphrase, header, iter(lambda: payload.read(CHUNK), b""))
    return _info(path, header)


def sqlite_backup_restore(
    *, target: sqlite3.Connection, path: str | Path, passphrase: str, force: bool = False
) -> RestoreReport:
    """Replace the SQLite database open on `target` with the backup at `path`."""
    path = Path(path)
    with open(path, "rb") as stream:
        opener = _Opener(stream, passphrase)
        info = opener.header(path)
        _check_vendor(info, "sqlite")
        if not force:
            _refuse_if_in_use(target.cursor(), "sqlite")
        target_dir = _sqlite_dir(target)
        with _private_tempfile(target_dir) as copy_path:
            with open(copy_path, "wb") as out:
                for chunk in opener.payload():
                    out.write(chunk)
            copy = sqlite3.connect(copy_path)
            try:
                _compare(info.tables, sqlite_manifest(copy), before=True)
                copy.backup(target)
            finally:
                copy.close()
    mismatches = _compare(info.tables, sqlite_manifest(target))
    return RestoreReport(info=info, mismatches=mismatches, notes=_notes(info))


def sqlite_manifest(conn: sqlite3.Connection) -> dict[str, TableSum]:
    """{table: (rows, sha256)} for every table of a SQLite database."""
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
        )
    ]
    sums = {}
    for name in names:
        info = conn.execute(f"PRAGMA table_info({_q(name)})").fetchall()
        columns = [row[1] for row in info]
        keys = [row[1] for row in sorted(info, key=lambda r: r[5]) if row[5]] or columns
        select = ", ".join(f"quote({_q(c)})" for c in columns)
        order = ", ".join(_q(c) for c in keys)
        rows = conn.execute(f"SELECT {select} FROM {_q(name)} ORDER BY {order}")
        sums[name] = _digest(rows)
    return sums


def _sqlite_dir(conn: sqlite3.Connection) -> Path:
    """Where the database file is (temporary copies stay on its disk), else the
    system's temporary directory (an in-memory database)."""
    for _seq, name, file in conn.execute("PRAGMA database_list"):
        if name == "main" and file:
            return Path(file).parent
    return Path(tempfile.gettempdir())


# --- PostgreSQL ---------------------------------------------------------------------


def _pg_env(settings_dict: dict) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump/pg_restore; the password goes in the
    environment, never on the command line (where `ps` would show it)."""
    args = []
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings_dict.get(key):
            args += [flag, str(settings_dict[key])]
    args += ["--dbname", settings_dict["NAME"]]
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    options = settings_dict.get("OPTIONS") or {}
    for option, variable in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT")):
        if options.get(option):
            env[variable] = str(options[option])
    return args, env


def _pg_tool(name: str) -> str:
    tool = shutil.which(name)
    if tool is None:
        raise BackupError(_("找不到 %(tool)s：请安装 PostgreSQL 客户端工具") % {"tool": name})
    return tool


class _PgSnapshot:
    """A REPEATABLE READ, read-only transaction on its own connection."""

    def __init__(self, using: str):
        self.wrapper = connections.create_connection(using)

    def __enter__(self):
        self.wrapper.ensure_connection()
        raw = self.wrapper.connection
        raw.autocommit = True
        self.cursor = raw.cursor()
        self.cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        self.cursor.execute(
            "SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; "
            "SET LOCAL IntervalStyle = 'postgres'; SET LOCAL extra_float_digits = 3"
        )
        return self

    def __exit__(self, *exc):
        try:
            self.cursor.execute("ROLLBACK")
        finally:
            self.wrapper.close()


def pg_manifest(raw_connection) -> dict[str, TableSum]:
    """{table: (rows, sha256)} for every table of the current schema (inside a
    transaction with UTC/ISO output, see _PgSnapshot)."""
    with raw_connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.oid, c.relname FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind = 'r' ORDER BY c.relname"
        )
        tables = cursor.fetchall()
        sums = {}
        for oid, name in tables:
            cursor.execute(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
                "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                "WHERE i.indrelid = %s AND i.indisprimary "
                "ORDER BY array_position(i.indkey::int2[], a.attnum)",
                [oid],
            )
            keys = [f"sw_row__.{_q(row[0])}" for row in cursor.fetchall()] or ["1"]
            with raw_connection.cursor(name="shouwang_manifest") as rows:
                rows.itersize = 5000
                rows.execute(
                    f"SELECT CAST(sw_row__ AS text) FROM {_q(name)} AS sw_row__ "
                    f"ORDER BY {', '.join(keys)}"
                )
                sums[name] = _digest(rows)
    return sums


def _pg_backup_create(*, using: str, path: Path, passphrase: str) -> BackupInfo:
    tool = _pg_tool("pg_dump")
    args, env = _pg_env(connections[using].settings_dict)
    with _PgSnapshot(using) as snap:
        snap.cursor.execute("SELECT pg_export_snapshot()")
        snapshot = snap.cursor.fetchone()[0]
        tables = pg_manifest(snap.wrapper.connection)
        migrations = _migrations(snap.cursor, tables)
        header = _header("postgresql", migrations, tables)
        command = [tool, "--format=custom", f"--snapshot={snapshot}", *args]
        with tempfile.TemporaryFile() as errors:
            dump = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, env=env)

            def dump_succeeded() -> None:
                # Checked before the file is renamed into place: a failed dump
                # never replaces an earlier good backup of the same name.
                if dump.wait() != 0:
                    errors.seek(0)
                    message = errors.read().decode(errors="replace").strip()
                    raise BackupError(_("pg_dump 失败：%(error)s") % {"error": message})

            try:
                chunks = iter(lambda: dump.stdout.read(CHUNK), b"")
                _write_file(path, passphrase, header, chunks, before_commit=dump_succeeded)
            finally:
                dump.stdout.close()
                if dump.poll() is None:
                    dump.kill()
                dump.wait()
    return _info(path, header)


def _pg_backup_restore(*, using: str, path: Path, passphrase: str, force: bool):
    tool = _pg_tool("pg_restore")
    connection = connections[using]
    args, env = _pg_env(connection.settings_dict)
    with open(path, "rb") as stream:
        opener = _Opener(stream, passphrase)
        info = opener.header(path)
        _check_vendor(info, "postgresql")
        for _chunk in opener.payload():  # authenticate everything before restoring
            pass
    if not force:
        with connection.cursor() as cursor:
            _refuse_if_in_use(cursor, "postgresql")
    connection.close()  # hold no connection (or lock) while tables are replaced
    command = [tool, "--clean", "--if-exists", "--no-owner", "--single-transaction", *args]
    with open(path, "rb") as stream, tempfile.TemporaryFile() as errors:
        restore = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=errors, env=env)
        try:
            for chunk in _Opener(stream, passphrase).payload_after_header():
                restore.stdin.write(chunk)
        except (BackupError, BrokenPipeError):
            restore.kill()  # --single-transaction: nothing is committed
            restore.wait()
            raise
        finally:
            if restore.stdin and not restore.stdin.closed:
                with contextlib.suppress(BrokenPipeError):
                    restore.stdin.close()
        code = restore.wait()
        errors.seek(0)
        message = errors.read().decode(errors="replace").strip()
    if code != 0:
        raise BackupError(_("pg_restore 失败，数据库未改变：%(error)s") % {"error": message})
    with _PgSnapshot(using) as snap:
        mismatches = _compare(info.tables, pg_manifest(snap.wrapper.connection))
    return RestoreReport(info=info, mismatches=mismatches, notes=_notes(info))


# --- Shared ---------------------------------------------------------------------------


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _digest(rows) -> TableSum:
    """Row count and SHA-256 over the rows' values, each length-prefixed."""
    sha = hashlib.sha256()
    count = 0
    for row in rows:
        count += 1
        for value in row:
            data = value.encode() if isinstance(value, str) else repr(value).encode()
            sha.update(_LENGTH.pack(len(data)))
            sha.update(data)
        sha.update(b"\n")
    return TableSum(rows=count, sha256=sha.hexdigest())


def _migrations(cursor, tables: dict) -> dict[str, str]:
    """The latest applied migration per app, from django_migrations ({} for a
    database never migrated)."""
    if "django_migrations" not in tables:
        return {}
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
    return {app: name for app, name in cursor.fetchall()}


def key_fingerprints() -> list[str]:
    """Short SHA-256 prints of FIELD_ENCRYPTION_KEYS: tell which keys a backup
    needs without revealing them."""
    keys = settings.FIELD_ENCRYPTION_KEYS
    keys = [keys] if isinstance(keys, str) else list(keys or [])
    return [hashlib.sha256(key.encode()).hexdigest()[:12] for key in keys]


def _header(vendor: str, migrations: dict, tables: dict[str, TableSum]) -> dict[str, Any]:
    return {
        "magic": MAGIC.decode(),
        "format": FORMAT_VERSION,
        "vendor": vendor,
        "created_at": timezone.now().astimezone(dt.UTC).isoformat(),
        "migrations": migrations,
        "key_fingerprints": key_fingerprints(),
        "tables": {name: {"rows": s.rows, "sha256": s.sha256} for name, s in tables.items()},
    }


def _info(path: Path, header: dict) -> BackupInfo:
    return BackupInfo(
        path=path,
        vendor=header["vendor"],
        created_at=header["created_at"],
        migrations=dict(header.get("migrations") or {}),
        tables={n: TableSum(t["rows"], t["sha256"]) for n, t in header["tables"].items()},
        key_fingerprints=list(header.get("key_fingerprints") or []),
        size=path.stat().st_size if path.exists() else 0,
    )


def _check_passphrase(passphrase: str) -> None:
    if len(passphrase or "") < 8:
        raise BackupError(_("备份口令至少 8 个字符"))


def _check_vendor(info: BackupInfo, vendor: str) -> None:
    if info.vendor != vendor:
        raise BackupError(
            _("这是 %(theirs)s 数据库的备份，不能恢复到 %(ours)s 数据库")
            % {"theirs": info.vendor, "ours": vendor}
        )


def _refuse_if_in_use(cursor, vendor: str) -> None:
    if vendor == "sqlite":
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    else:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    existing = {row[0] for row in cursor.fetchall()}
    for table in IN_USE_TABLES:
        if table in existing:
            cursor.execute(f"SELECT 1 FROM {_q(table)} LIMIT 1")
            if cursor.fetchone():
                raise BackupError(
                    _(
                        "目标数据库中已有数据（表 %(table)s 非空）。恢复会覆盖全部现有数据；"
                        "确认无误后请加 --force 重试"
                    )
                    % {"table": table}
                )


def _compare(
    expected: dict[str, TableSum], actual: dict[str, TableSum], before: bool = False
) -> list[str]:
    """Differences between the manifest and a database, one line each. `before`:
    the decrypted copy is checked before restoring and must match exactly."""
    problems = []
    for name, want in expected.items():
        got = actual.get(name)
        if got is None:
            problems.append(_("表 %(t)s 缺失") % {"t": name})
        elif got.rows != want.rows:
            problems.append(
                _("表 %(t)s 行数不符：备份 %(a)s 行，恢复后 %(b)s 行")
                % {"t": name, "a": want.rows, "b": got.rows}
            )
        elif got.sha256 != want.sha256:
            problems.append(_("表 %(t)s 内容校验和不符") % {"t": name})
    extra = [name for name in actual if name not in expected]
    problems += [_("表 %(t)s 不在备份中（保留原样）") % {"t": name} for name in extra]
    if before and problems:
        raise BackupError(_("备份内容与清单不符，未恢复：%(p)s") % {"p": "；".join(problems)})
    return problems


def _notes(info: BackupInfo) -> list[str]:
    """What to do after the restore: migrations to run, keys to configure."""
    from django.db.migrations.loader import MigrationLoader

    notes = []
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    newer, older = [], []
    for app, name in sorted(graph.leaf_nodes()):
        applied = info.migrations.get(app)
        if applied == name:
            continue
        if applied and (app, applied) not in graph.nodes:
            newer.append(app)
        else:
            older.append(app)
    if older:
        notes.append(
            _("备份早于当前版本（%(apps)s 有未应用的迁移）：请运行 shouwang migrate")
            % {"apps": "、".join(older)}
        )
    if newer:
        notes.append(
            _("备份来自更新的版本（%(apps)s 的迁移当前代码中没有）：请升级后再使用")
            % {"apps": "、".join(newer)}
        )
    current = set(key_fingerprints())
    if info.key_fingerprints and not current & set(info.key_fingerprints):
        notes.append(_("当前 FIELD_ENCRYPTION_KEYS 中没有备份时使用的密钥，加密字段将无法读取"))
    return notes


class _private_tempfile:
    """A path for a temporary file only this user can read (mode 0600), removed
    afterwards — decrypted data never lingers."""

    def __init__(self, directory: Path):
        self.directory = directory

    def __enter__(self) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".shouwang-backup-", dir=self.directory)
        os.close(fd)
        self.path = Path(name)
        return self.path

    def __exit__(self, *exc):
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)


# --- The encrypted file -----------------------------------------------------------------


def _derive(passphrase: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    if not 10 <= log2_n <= 22 or not 1 <= r <= 32 or not 1 <= p <= 16:
        raise BackupError(_("备份文件头已损坏"))
    kdf = Scrypt(salt=salt, length=32, n=1 << log2_n, r=r, p=p)
    return kdf.derive(passphrase.encode())


def _nonce(index: int) -> bytes:
    return b"\0\0\0\0" + index.to_bytes(8, "big")


def _aad(preamble: bytes, index: int, last: bool) -> bytes:
    return preamble + index.to_bytes(8, "big") + (b"\1" if last else b"\0")


def _write_file(
    path: Path, passphrase: str, header: dict, chunks: Iterator[bytes], before_commit=None
) -> None:
    """Write preamble, header record and payload records to `path` atomically;
    `before_commit()` may still refuse (raise) before the file takes the name."""
    salt = secrets.token_bytes(16)
    preamble = _PREAMBLE.pack(
        MAGIC, FORMAT_VERSION, KDF_SCRYPT, salt, SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P
    )
    aes = AESGCM(_derive(passphrase, salt, SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        with open(partial, "wb") as out:
            out.write(preamble)

            def record(index: int, data: bytes, last: bool) -> None:
                sealed = aes.encrypt(_nonce(index), data, _aad(preamble, index, last))
                out.write(_LENGTH.pack(len(sealed)))
                out.write(sealed)

            record(0, json.dumps(header, ensure_ascii=False).encode(), False)
            index, pending = 1, b""
            for chunk in _rechunk(chunks):
                if index > 1 or pending:
                    record(index, pending, False)
                    index += 1
                pending = chunk
            record(index, pending, True)
            out.flush()
            os.fsync(out.fileno())
        if before_commit is not None:
            before_commit()
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _rechunk(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The same bytes in pieces of exactly CHUNK bytes (the last may be shorter)."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= CHUNK:
            yield bytes(buffer[:CHUNK])
            del buffer[:CHUNK]
    if buffer:
        yield bytes(buffer)


class _Opener:
    """Reads a backup file: the preamble, then the records in order."""

    def __init__(self, stream: BinaryIO, passphrase: str):
        self.stream = stream
        self.preamble = stream.read(_PREAMBLE.size)
        if len(self.preamble) < _PREAMBLE.size or not self.preamble.startswith(MAGIC):
            raise BackupError(_("这不是守望的备份文件"))
        _magic, version, kdf, salt, log2_n, r, p = _PREAMBLE.unpack(self.preamble)
        if version != FORMAT_VERSION or kdf != KDF_SCRYPT:
            raise BackupError(
                _("不支持的备份格式版本 %(v)s，请用较新版本的守望恢复") % {"v": version}
            )
        self.aes = AESGCM(_derive(passphrase or "", salt, log2_n, r, p))
        self.index = 0
        self._header: dict | None = None

    def _record(self) -> tuple[bytes, bool]:
        where = {"n": self.index}
        cut = _("备份文件不完整（在第 %(n)s 块处被截断），未恢复任何数据")
        head = self.stream.read(_LENGTH.size)
        if len(head) < _LENGTH.size:
            raise BackupError(cut % where)
        (length,) = _LENGTH.unpack(head)
        if not TAG <= length <= max(CHUNK, HEADER_MAX) + TAG:
            raise BackupError(_("备份文件已损坏（第 %(n)s 块），未恢复任何数据") % where)
        sealed = self.stream.read(length)
        if len(sealed) < length:
            raise BackupError(cut % where)
        for last in (False, True):
            try:
                data = self.aes.decrypt(
                    _nonce(self.index), sealed, _aad(self.preamble, self.index, last)
                )
            except InvalidTag:
                continue
            self.index += 1
            return data, last
        if self.index == 0:
            raise BackupError(_("备份口令错误，或备份文件已损坏"))
        raise BackupError(
            _("备份文件已损坏或被篡改（第 %(n)s 块校验失败），未恢复任何数据") % {"n": self.index}
        )

    def header(self, path: Path) -> BackupInfo:
        if self._header is None:
            data, _last = self._record()
            try:
                self._header = json.loads(data)
            except ValueError:
                raise BackupError(_("备份文件头已损坏")) from None
        return _info(path, self._header)

    def payload(self) -> Iterator[bytes]:
        """The payload's chunks, each authenticated; raises BackupError on the
        first bad one, on a missing end and on data after the end."""
        if self._header is None:
            raise RuntimeError("read the header first")
        while True:
            data, last = self._record()
            yield data
            if last:
                break
        if self.stream.read(1):
            raise BackupError(_("备份文件末尾有多余数据，可能被篡改，未恢复任何数据"))

    def payload_after_header(self) -> Iterator[bytes]:
        self.header(Path(getattr(self.stream, "name", "")))
        return self.payload()

"""The audit log's seals: what makes it tamper-evident.

Every entry is sealed twice, with HMAC-SHA256 under `settings.AUDIT_KEY`:

1. **When it is written** (`seal_of`, in `AuditEntry.save` and `audit_bulk`): a MAC
   of its content — who, what, which record, when, from where, the changes. An
   entry altered later, or one put into the table by anything but Shouwang, has
   no valid MAC. No lock is needed, so writers never wait for each other.
2. **In order, shortly after** (`audit_seal`, every minute in the worker): the next
   number `seq` and a link `chain = HMAC(previous chain, seq, MAC)`. A removed
   entry leaves a gap in the numbers; a link that does not follow from the one
   before shows the order was changed. Entries of a transaction still open (an
   import being committed) are sealed when they become visible, in the order they
   do; writes never hold the sealing lock.

`audit_verify` walks the chain and names every entry altered, inserted or
removed. The last link it prints can be written down elsewhere: removing entries
from the very end of the chain is only visible against such a record.

The application never updates or deletes an entry (`AuditEntry.save`, `.delete`
and the queryset refuse); on PostgreSQL a trigger refuses UPDATE and DELETE
except the one sealing step (migration 0002), so even SQL cannot do it quietly.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import json
from dataclasses import dataclass, field

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction

GENESIS = "0" * 64  # the link before the first entry
# Fields of an entry that are not its content: its id and the seals themselves.
NOT_CONTENT = {"id", "seq", "chain", "mac"}
BATCH = 5000


def _key() -> bytes:
    """`settings.AUDIT_KEY`, else a key derived from SECRET_KEY (read on every call,
    so a changed setting takes effect; derived once per SECRET_KEY)."""
    if settings.AUDIT_KEY:
        return settings.AUDIT_KEY.encode()
    return _derived_key(settings.SECRET_KEY)


@functools.cache
def _derived_key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), b"shouwang-audit", hashlib.sha256).digest()


def _mac(message: str) -> str:
    return hmac.new(_key(), message.encode(), hashlib.sha256).hexdigest()


@functools.cache
def _content_fields(model: type[models.Model]) -> tuple[tuple[str, type | None], ...]:
    """The content of a model's entries (every concrete field but NOT_CONTENT): each
    field's attname and, for a JSONField, the encoder it is sealed with (else None).
    A model's fields never change once loaded, so this is worked out once."""
    return tuple(
        (f.attname, (f.encoder or DjangoJSONEncoder) if isinstance(f, models.JSONField) else None)
        for f in model._meta.concrete_fields
        if f.name not in NOT_CONTENT
    )


def _value(value, json_encoder: type | None):
    """A field's value as it reads back from the database, in JSON: a JSONField's
    (`json_encoder` given) after its own encoding, a datetime in UTC, else its text."""
    if value is None:
        return None
    if json_encoder is not None:
        return json.loads(json.dumps(value, cls=json_encoder))
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return str(value)


def seal_of(entry: models.Model) -> str:
    """The MAC of an entry's content, as it will read back from the database."""
    content = {
        attname: _value(getattr(entry, attname), json_encoder)
        for attname, json_encoder in _content_fields(type(entry))
    }
    return _mac(json.dumps(content, sort_keys=True, ensure_ascii=False))


def link(previous: str, seq: int, mac: str) -> str:
    return _mac(f"{previous}:{seq}:{mac}")


def _lock() -> None:
    """One sealer at a time (SQLite's write lock already serialises writers)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(7242024)")


def audit_seal() -> int:
    """Number and link every entry not yet sealed whose MAC is valid, in id order;
    return how many. Entries with a bad MAC stay unsealed (`audit_verify` names
    them). Safe to run at any time and from several processes."""
    from shouwang.audit.models import AuditEntry

    sealed = 0
    while True:
        with transaction.atomic():
            _lock()
            head = (
                AuditEntry.objects.filter(seq__isnull=False)
                .order_by("-seq")
                .values_list("seq", "chain")
                .first()
            )
            seq, previous = head or (0, GENESIS)
            pending = list(
                AuditEntry.objects.filter(seq__isnull=True, mac__gt="").order_by("id")[:BATCH]
            )
            batch = []
            for entry in pending:
                if not hmac.compare_digest(entry.mac, seal_of(entry)):
                    continue
                seq += 1
                entry.seq, entry.chain = seq, link(previous, seq, entry.mac)
                previous = entry.chain
                batch.append(entry)
            # The one update the log allows (and PostgreSQL's trigger lets through).
            models.QuerySet(AuditEntry).bulk_update(batch, ["seq", "chain"], batch_size=1000)
            sealed += len(batch)
        if len(pending) < BATCH or not batch:
            return sealed


@dataclass
class Verification:
    checked: int = 0
    unsealed: int = 0  # valid, awaiting `audit_seal`
    head: tuple[int, str] = (0, GENESIS)
    altered: list[str] = field(default_factory=list)
    inserted: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return self.altered + self.inserted + self.removed


def audit_verify() -> Verification:
    """Check every entry's MAC and every link of the chain."""
    from shouwang.audit.models import AuditEntry

    report = Verification()
    seq, previous = 0, GENESIS
    for entry in AuditEntry.objects.filter(seq__isnull=False).order_by("seq").iterator(BATCH):
        report.checked += 1
        if entry.seq != seq + 1:
            report.removed.append(
                f"第 {seq + 1}–{entry.seq - 1} 条已被删除"
                if entry.seq > seq + 2
                else f"第 {seq + 1} 条已被删除"
            )
        elif not hmac.compare_digest(entry.chain, link(previous, entry.seq, entry.mac)):
            report.inserted.append(f"第 {entry.seq} 条（#{entry.pk}）不在原有顺序中：被插入或调换")
        if not hmac.compare_digest(entry.mac, seal_of(entry)):
            report.altered.append(f"第 {entry.seq} 条（#{entry.pk}）内容已被改动")
        seq, previous = entry.seq, entry.chain
    report.head = (seq, previous)
    for entry in AuditEntry.objects.filter(seq__isnull=True).order_by("id").iterator(BATCH):
        report.checked += 1
        if entry.mac and hmac.compare_digest(entry.mac, seal_of(entry)):
            report.unsealed += 1
        else:
            report.inserted.append(f"#{entry.pk} 不是本系统写入的：被插入或已被改动")
    return report

"""Field-encryption key rotation: every stored token re-encrypted under the first
key of FIELD_ENCRYPTION_KEYS, so older keys can then be removed.

Steps: put the new key first (`FIELD_ENCRYPTION_KEYS=new,old`), restart, run
`shouwang keys rotate`, then drop `old`. The rotation finds the columns by their
field class (`core.crypto.EncryptedTextField`) in every installed model, works
in primary-key batches, one transaction per batch, and writes a token only if
it is not already under the first key — so it can be interrupted and run again,
and a second run changes nothing. Each write is a compare-and-set on the old
token: a value the application saved meanwhile (already under the first key)
is left alone. Rows are written with plain SQL: the plaintext does not change,
so no `updated_at`, no `version` and no per-row audit entry; one audit entry
summarises the run.

BLIND_INDEX_KEY is not rotated here: the blind indexes are HMACs of the
plaintext under that key, and changing it means recomputing every index column
(id_number_index, phone_index, …) from the decrypted values while nothing else
writes. Keep it fixed on a live database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.utils.translation import gettext as _

from shouwang.core.crypto import EncryptedTextField, rotate


class RotationError(Exception):
    """A stored value no configured key can open; the message names it."""


@dataclass
class RotationReport:
    """Per "app_label.Model.field": values seen, re-encrypted, already current."""

    seen: dict[str, int] = field(default_factory=dict)
    rotated: dict[str, int] = field(default_factory=dict)

    @property
    def total_rotated(self) -> int:
        return sum(self.rotated.values())

    @property
    def total_seen(self) -> int:
        return sum(self.seen.values())


def encrypted_fields() -> list[tuple[type[models.Model], list[models.Field]]]:
    """Every concrete model with its EncryptedTextField columns."""
    found = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        fields = [
            f
            for f in meta.local_concrete_fields
            if isinstance(f, EncryptedTextField) and f.model is model
        ]
        if fields:
            found.append((model, fields))
    return found


def _first_key() -> Fernet:
    keys = settings.FIELD_ENCRYPTION_KEYS
    keys = [keys] if isinstance(keys, str) else list(keys or [])
    return Fernet(keys[0])


def keys_rotate(*, batch_size: int = 1000, dry_run: bool = False) -> RotationReport:
    """Re-encrypt every encrypted value not yet under the first key (see module doc).
    With `dry_run`, only count. Writes one audit entry when anything changed."""
    first = _first_key()
    report = RotationReport()
    quote = connection.ops.quote_name
    for model, fields in encrypted_fields():
        table, pk = model._meta.db_table, model._meta.pk.column
        columns = [f.column for f in fields]
        for f in fields:
            label = f"{model._meta.label}.{f.name}"
            report.seen.setdefault(label, 0)
            report.rotated.setdefault(label, 0)
        head = f"SELECT {quote(pk)}, {', '.join(quote(c) for c in columns)} FROM {quote(table)}"
        tail = f"ORDER BY {quote(pk)} LIMIT %s"
        last = None
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                if last is None:
                    cursor.execute(f"{head} {tail}", [batch_size])
                else:
                    cursor.execute(f"{head} WHERE {quote(pk)} > %s {tail}", [last, batch_size])
                rows = cursor.fetchall()
                if not rows:
                    break
                last = rows[-1][0]
                updates: dict[str, list] = {c: [] for c in columns}
                for row in rows:
                    for f, token in zip(fields, row[1:], strict=True):
                        if not token:
                            continue
                        label = f"{model._meta.label}.{f.name}"
                        report.seen[label] += 1
                        fresh = _rotated(first, token, model, f, row[0])
                        if fresh is not None:
                            report.rotated[label] += 1
                            updates[f.column].append((fresh, row[0], token))
                if not dry_run:
                    for column, params in updates.items():
                        if params:
                            cursor.executemany(
                                f"UPDATE {quote(table)} SET {quote(column)} = %s "
                                f"WHERE {quote(pk)} = %s AND {quote(column)} = %s",
                                params,
                            )
            if len(rows) < batch_size:
                break
    if report.total_rotated and not dry_run:
        _audit(report)
    return report


def _rotated(first: Fernet, token: str, model, f, pk) -> str | None:
    """The token re-encrypted under the first key, or None if it already is."""
    try:
        first.decrypt(token.encode())
        return None
    except InvalidToken:
        pass
    try:
        return rotate(token)
    except InvalidToken:
        raise RotationError(
            _(
                "%(model)s #%(pk)s 的 %(field)s 无法用任何已配置的密钥解密：请把旧密钥加回 "
                "FIELD_ENCRYPTION_KEYS 后重试（已完成的批次无需重做）"
            )
            % {"model": model._meta.label, "pk": pk, "field": f.name}
        ) from None


def _audit(report: RotationReport) -> None:
    """One entry for the whole run: which columns, how many values."""
    from auditlog.cid import get_cid
    from django.contrib.contenttypes.models import ContentType

    from shouwang.audit.context import current_actor
    from shouwang.audit.models import AuditEntry

    AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(AuditEntry),
        object_pk="field-encryption-keys",
        object_repr=_("字段加密密钥轮换"),
        action=AuditEntry.Action.UPDATE,
        changes_text="",
        cid=get_cid(),
        additional_data={
            "key_rotation": {k: v for k, v in report.rotated.items() if v},
            "seen": report.total_seen,
            "rotated": report.total_rotated,
        },
        **current_actor(),
    )

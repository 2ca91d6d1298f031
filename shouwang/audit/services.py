"""Writing audit entries that django-auditlog's signals cannot see.

auditlog hooks model signals, so `bulk_create`/`bulk_update`/`QuerySet.update`
write nothing. Services that write in bulk call `audit_bulk` in the same
transaction. Reads of sensitive data call `audit_access`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice
from typing import Any

from auditlog.cid import get_cid
from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS, connections, models

from shouwang.audit.chain import seal_of
from shouwang.audit.context import current_actor
from shouwang.audit.models import AuditEntry, actor_area, areas_changed, changed_areas

Action = AuditEntry.Action


def mask_secret(value: str) -> str:
    """AUDITLOG_MASK_CALLABLE: an audit entry records that a secret changed, never
    any part of it (auditlog's default would keep half an ID number readable)."""
    return "******" if value else ""


@dataclass(frozen=True)
class Change:
    """One record written in bulk: its key, label, action and {field: [old, new]}."""

    pk: str | int
    label: str
    action: int
    changes: dict[str, list[Any]]


def audit_bulk(
    *, model: type[models.Model], changes: Iterable[Change], source: str = "", batch_size=2000
) -> int:
    """Write one audit entry per changed record in bulk; return how many were written."""
    content_type = ContentType.objects.get_for_model(model)
    context = current_actor()
    cid = get_cid()
    extra = {"source": source, "bulk": True} if source else {"bulk": True}
    entries = (
        AuditEntry(
            content_type=content_type,
            object_pk=str(change.pk),
            object_id=change.pk if isinstance(change.pk, int) else None,
            object_repr=change.label,
            action=change.action,
            changes=change.changes,
            changes_text="",
            cid=cid,
            additional_data=extra,
            **context,
        )
        for change in changes
    )
    written = 0
    while batch := list(islice(entries, batch_size)):
        _insert(_sealed(model, batch, context))
        written += len(batch)
    return written


def _insert(entries: list[AuditEntry]) -> None:
    """Insert the entries (their ids are not read back). Every column gets the value
    Django would write (`get_db_prep_save`), so each row reads back as the entry
    that was sealed. On PostgreSQL by COPY: `bulk_create` sends each column as one
    array, and psycopg escapes every quote of the JSON columns in Python — most of
    the time of a large import's audit entries. (COPY is not in `connection.queries`.)"""
    db = connections[DEFAULT_DB_ALIAS]  # not the `connection` proxy: used once per value
    if db.vendor != "postgresql":
        AuditEntry.objects.bulk_create(entries)
        return
    fields = [f for f in AuditEntry._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(db.ops.quote_name(f.column) for f in fields)
    sql = f"COPY {db.ops.quote_name(AuditEntry._meta.db_table)} ({columns}) FROM STDIN"
    with db.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for entry in entries:
            copy.write_row([f.get_db_prep_save(getattr(entry, f.attname), db) for f in fields])


def _sealed(model, batch: list[AuditEntry], context: dict) -> list[AuditEntry]:
    """The entries with the areas of their records (one query) and their seals;
    the areas (and months) whose figures they change recorded."""
    path = getattr(model, "scope_field", None)
    month_field = getattr(model, "figures_month_field", None)
    areas, months = {}, {}
    if path:
        pks = [entry.object_pk for entry in batch]
        fields = [path, month_field] if month_field else [path]
        for pk, area, *month in model._base_manager.filter(pk__in=pks).values_list("pk", *fields):
            areas[str(pk)] = area or ""
            months[str(pk)] = month[0].replace(day=1) if month and month[0] else None
    fallback = actor_area(context.get("actor"))
    changed = set()
    for entry in batch:
        record_area = areas.get(entry.object_pk, "")
        changed |= changed_areas(entry, record_area, months.get(entry.object_pk))
        entry.area_code = record_area or fallback
        entry.mac = seal_of(entry)
    areas_changed(changed)
    return batch


def audit_access(*, instance: models.Model, fields: Iterable[str], reason: str = "") -> AuditEntry:
    """Record that the current user read sensitive fields of `instance`.

    Later features call this when they show an ID number, a phone or case notes.
    """
    data: dict[str, Any] = {"fields": sorted(fields)}
    if reason:
        data["reason"] = reason
    return AuditEntry.objects.log_create(
        instance, action=Action.ACCESS, force_log=True, additional_data=data, **current_actor()
    )


def audit_export(
    *,
    model: type[models.Model],
    name: str,
    label: str,
    rows: int,
    fields: Iterable[str],
    revealed: Iterable[str] = (),
    extra: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record that the current user exported `rows` records of `model` — one entry
    for the whole export (ledger `name`, titled `label`), naming the columns
    exported and the sensitive ones shown in full (`revealed`)."""
    data: dict[str, Any] = {
        "export": name,
        "rows": rows,
        "fields": list(fields),
        "revealed": sorted(revealed),
        **(extra or {}),
    }
    return AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(model),
        object_pk=name,
        object_repr=label,
        action=Action.ACCESS,
        changes_text="",
        cid=get_cid(),
        additional_data=data,
        **current_actor(),
    )

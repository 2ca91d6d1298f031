"""When two files of the same person are merged, the protection records of the
retired file move to the file that stays: assessments (and so the level in force),
services, aid, and its places among the people of cases and activities."""

from __future__ import annotations

from django.db import transaction

from shouwang.audit.services import Action, Change, audit_bulk
from shouwang.protection.models import Activity, Aid, Assessment, ProtectionCase, Service
from shouwang.protection.services.risk import current_risk_refresh


@transaction.atomic
def protection_records_merge(*, person_id: int, merged_into: int) -> dict[str, int]:
    """Move the retired file's records to `merged_into`; every moved record gets an
    audit entry. Returns how many of each moved."""
    moved: dict[str, int] = {}
    for name, model in (("assessments", Assessment), ("services", Service), ("aid", Aid)):
        ids = list(model.objects.filter(person_id=person_id).values_list("pk", flat=True))
        model.objects.filter(pk__in=ids).update(person_id=merged_into)
        audit_bulk(model=model, source="merge", changes=[
            Change(pk, f"#{pk}", Action.UPDATE, {"person": [person_id, merged_into]})
            for pk in ids])  # fmt: skip
        moved[name] = len(ids)
    for name, model, field in (
        ("cases", ProtectionCase, "people"),
        ("activities", Activity, "participants"),
    ):
        through = getattr(model, field).through
        column = f"{model._meta.model_name}_id"
        ids = list(through.objects.filter(person_id=person_id).values_list(column, flat=True))
        already = set(
            through.objects.filter(person_id=merged_into, **{f"{column}__in": ids}).values_list(
                column, flat=True
            )
        )
        through.objects.filter(person_id=person_id).delete()
        through.objects.bulk_create(
            through(person_id=merged_into, **{column: pk}) for pk in ids if pk not in already
        )
        audit_bulk(model=model, source="merge", changes=[
            Change(pk, f"#{pk}", Action.UPDATE, {field: [person_id, merged_into]})
            for pk in ids])  # fmt: skip
        moved[name] = len(ids)
    current_risk_refresh(person_ids=[person_id, merged_into])
    return moved

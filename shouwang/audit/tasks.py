"""The audit log's seals, run by the worker (`shouwang worker`)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from shouwang.audit.chain import audit_seal


@db_periodic_task(crontab(minute="*"))
def audit_seal_every_minute() -> int:
    """Number and chain the entries written since the last run (shouwang.audit.chain)."""
    return audit_seal()

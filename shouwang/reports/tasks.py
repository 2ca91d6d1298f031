"""Scheduled jobs of the reports, run by the worker (`shouwang worker`)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from shouwang.reports.services import snapshots_nightly


# huey schedules in UTC: 16:20 UTC is 00:20 in Asia/Shanghai, just after the day
# ended (and after the due-date rebuild at 00:05).
@db_periodic_task(crontab(hour="16", minute="20"))
def report_snapshots_nightly() -> int:
    """Every night: the figures of every county and township as of yesterday."""
    return snapshots_nightly()

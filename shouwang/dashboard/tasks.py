"""Scheduled jobs of the dashboard, run by the worker (`shouwang worker`)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from shouwang.dashboard.indicators import summaries_refresh


# huey schedules in UTC: 16:10 UTC is 00:10 in Asia/Shanghai. The figures of the
# new day (ages, enrollments in force, overdue) are counted before the first
# reader, and before the report's snapshots at 00:20, which read them.
@db_periodic_task(crontab(hour="16", minute="10"))
def summaries_nightly() -> int:
    """Every night: every area's stored summaries counted again from the records."""
    return summaries_refresh()

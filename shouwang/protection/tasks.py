"""Scheduled jobs of protection work, run by the worker (`shouwang worker`)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from shouwang.protection.services.cases import deadlines_check


# Every five minutes: a report must be accepted within the hour, so a breach is
# told to the township within minutes of happening.
@db_periodic_task(crontab(minute="*/5"))
def case_deadlines() -> dict:
    """Escalate open cases past their step's deadline (township, then county)."""
    return deadlines_check()

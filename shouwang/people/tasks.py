"""Scheduled jobs of the registry, run by the worker (`shouwang worker`)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from shouwang.people.services.programs import reevaluate_all


# huey schedules in UTC: 17:10 UTC is 01:10 in Asia/Shanghai, after midnight there.
@db_periodic_task(crontab(hour="17", minute="10"))
def reevaluate_eligibility_daily() -> int:
    """Every night: re-evaluate every file against the rules in force today, so a
    child who turns 16 today is proposed for exit today."""
    return reevaluate_all()

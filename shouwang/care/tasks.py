"""Scheduled jobs of the care network, run by the worker (`shouwang worker`)."""

from django_tasks import task
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from shouwang.care.services.reminders import reminders_run


# huey schedules in UTC: 23:00 UTC is 07:00 the next morning in Asia/Shanghai,
# when the day's work is being planned.
@db_periodic_task(crontab(hour="23", minute="0"))
def reminders_daily() -> dict:
    """Every morning: the day's reminders, escalations and outbound messages."""
    return reminders_run()


@task()
def reminders_now() -> dict:
    """The same run on demand, through the django-tasks API
    (`reminders_now.enqueue()`); safe to run beside the daily job."""
    return reminders_run()

"""Scheduled jobs of the care network, run by the worker (`shouwang worker`)."""

from django_tasks import task
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from shouwang.care.services.due_dates import due_dates_refresh_all
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


# 16:05 UTC is 00:05 in Asia/Shanghai: due dates move with the day (someone
# turns 80, a pairing starts), so the overdue lists' index is rebuilt then.
@db_periodic_task(crontab(hour="16", minute="5"))
def due_dates_nightly() -> int:
    """Every night: every person's earliest due date, worked out again."""
    return due_dates_refresh_all()

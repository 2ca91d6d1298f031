import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from shouwang.care.services.reminders import reminders_run


class Command(BaseCommand):
    help = (
        "Create today's reminders and send the unsent ones (what the worker does daily "
        "at 07:00 Beijing time). Safe to re-run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="run as of this day (YYYY-MM-DD); default today")

    def handle(self, *args, date, **options):
        try:
            today = dt.date.fromisoformat(date) if date else None
        except ValueError:
            raise CommandError(f"--date {date!r} is not a date (YYYY-MM-DD).") from None
        counts = reminders_run(today=today)
        self.stdout.write(" ".join(f"{key}={value}" for key, value in counts.items()))

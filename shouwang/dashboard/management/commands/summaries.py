import time

from django.core.management.base import BaseCommand

from shouwang.dashboard.indicators import summaries_refresh
from shouwang.dashboard.summaries import summaries_forget


class Command(BaseCommand):
    help = (
        "Count the dashboard's stored summaries for today (what the worker does nightly "
        "at 00:10 Beijing time); after a deploy, before the first reader. Safe to re-run."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--forget", action="store_true", help="delete every stored summary first"
        )

    def handle(self, *args, forget, **options):
        start = time.perf_counter()
        if forget:
            self.stdout.write(f"forgot {summaries_forget():,} summaries")
        kept = summaries_refresh()
        self.stdout.write(f"{kept:,} summaries in {time.perf_counter() - start:.1f} s")

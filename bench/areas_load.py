"""Benchmark: load the national area lists and check that scoping uses the index.

    python bench/areas_load.py [AREAS_DIR]

Runs against the database in DATABASE_URL (default: a fresh SQLite file in a
temporary directory). Migrates an empty database, loads provinces, cities,
counties and townships (first load, then an idempotent reload), and prints the
wall time, peak memory (RSS high-water mark) and the query plan of a township
scope. Paste the printed table into docs/performance.md.
"""

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
AREAS = Path(sys.argv[1] if len(sys.argv) > 1 else HERE.parent.parent / "shared/data/areas")
os.environ.setdefault("SECRET_KEY", "bench")
os.environ.setdefault("SHOUWANG_VAR_DIR", tempfile.mkdtemp(prefix="shouwang-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouwang.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from shouwang.core.scoping import code_range  # noqa: E402
from shouwang.regions.models import Area  # noqa: E402
from shouwang.regions.services import areas_load  # noqa: E402


def main() -> None:
    if connection.vendor == "postgresql":
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", interactive=False, verbosity=0)
    files = [AREAS / f for f in ("provinces.csv", "cities.csv", "areas.csv", "streets.csv")]
    rows = []
    for label in ("first load", "reload (no changes)"):
        start = time.perf_counter()
        report = areas_load(paths=files)
        seconds = time.perf_counter() - start
        rows.append((label, seconds, report.created, report.unchanged))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"database: {connection.vendor}; areas: {Area.objects.count()}")
    print("| run | seconds | created | unchanged |")
    print("|---|---:|---:|---:|")
    for label, seconds, created, unchanged in rows:
        print(f"| {label} | {seconds:.1f} | {created} | {unchanged} |")
    print(f"peak RSS: {peak_mb:.0f} MB")

    low, high = code_range("350724101")
    queryset = Area.objects.filter(code__gte=low, code__lte=high)
    print("plan of a township scope:")
    print(queryset.explain())


if __name__ == "__main__":
    main()

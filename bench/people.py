"""Benchmark: the registry's pages on a county of about 50,000 people.

    python bench/people.py [--people 50000] [--runs 30]

Runs against the database in DATABASE_URL (PostgreSQL: dropped and created again,
so its name must contain "bench") or, by default, a fresh SQLite file in a
temporary directory. Migrates, loads the demo county's areas, the demo families
scaled to about --people files (`shouwang.people.demo`) and the demo logins,
collects static files (DEBUG is off, so the manifest storage needs them), then —
in a fresh process, like a server that has just started — requests as the county
administrator:

- the list page (first page of 50, with the paginator's count),
- a search by pinyin initials of a person on file,
- a search by an ID number on file,
- a person's page (a left-behind child with parents, grandparents, enrollments).

Each request is made a few times to warm up, then --runs times, timing
`Client.get` in-process with `time.perf_counter` — the server's time without the
network. Prints a markdown table (median, p95, queries per request) and the
slowest queries of each page; paste the table into docs/performance.md.
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("SECRET_KEY", "bench")
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "YmVuY2gtb25seS1maWVsZC1rZXktMDAwMDAwMDAwMDA=")
os.environ.setdefault("BLIND_INDEX_KEY", "bench-only-blind-index-key")
if not os.environ.get("SHOUWANG_VAR_DIR"):
    os.environ["SHOUWANG_VAR_DIR"] = tempfile.mkdtemp(prefix="shouwang-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouwang.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["DEBUG"] = "false"

# People on file per unit of `scale` in people_demo_load (4,003 at scale 1.0 on the
# day this was written; the figure moves a little with the day, which sets ages).
PEOPLE_AT_SCALE_1 = 4003
PAGES = ("list page", "pinyin initials search", "ID number search", "person page")


def recreate_postgres_database(url: str) -> None:
    """Drop and create the database named in a postgres:// URL, so that no table of
    an older schema gets in the way. Refuses a name without "bench" in it."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    info = conninfo_to_dict(url)
    name = info.pop("dbname")
    if "bench" not in name:
        sys.exit(f"refusing to drop database {name!r}: its name must contain 'bench'")
    with psycopg.connect(make_conninfo(**info, dbname="postgres"), autocommit=True) as conn:
        database = sql.Identifier(name)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(database))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=50_000, help="files to load (about)")
    parser.add_argument("--runs", type=int, default=30, help="timed requests per page")
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_only:
        import django

        django.setup()
        report(*measure(args.runs), args.runs)
        return
    load(args.people)
    # Measure in a fresh process, as a server would answer: the one that loaded
    # 50,000 people carries their garbage and answers 20-60 % slower.
    command = [sys.executable, __file__, "--measure-only", "--runs", str(args.runs)]
    subprocess.run(command, check=True, env=os.environ)


def load(people: int) -> None:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        recreate_postgres_database(url)

    import django

    django.setup()

    from django.core.management import call_command
    from django.db import connection

    from shouwang.core.demo import demo_area_rows, demo_load
    from shouwang.people.demo import people_demo_load
    from shouwang.regions.services import areas_upsert

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)

    start = time.perf_counter()
    areas_upsert(rows=demo_area_rows(), source="bench")
    scale = people / PEOPLE_AT_SCALE_1
    counts = people_demo_load(scale=scale)
    seconds = time.perf_counter() - start
    demo_load(care=False)  # the logins; the county already has people, so no more are added
    if connection.vendor == "postgresql":
        # What autovacuum does soon after a bulk load: statistics for the planner
        # and the visibility map, without which COUNT(*) cannot use an index only.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        server = f"PostgreSQL {connection.pg_version // 10000}"
    else:
        import sqlite3

        server = f"SQLite {sqlite3.sqlite_version}"
    print(
        f"database: {server}; people: {counts['people']:,} (scale {scale:.2f}); "
        f"households: {counts['households']:,}; relations: {counts['relations']:,}; "
        f"load: {seconds:.0f} s",
        flush=True,
    )


def targets():
    """(label, path) of each page measured, for people from the middle of the
    county so that neither the first nor the last rows are favoured."""
    from shouwang.people.eligibility import Program
    from shouwang.people.models import Person

    people = Person.objects.order_by("pk")
    someone = people[people.count() // 2]
    children = people.filter(
        enrollments__program=Program.LEFT_BEHIND_CHILD, enrollments__ended_on__isnull=True
    )
    child = children[children.count() // 2]
    return [
        (PAGES[0], "/people/"),
        (PAGES[1], "/people/?" + urlencode({"q": someone.name_initials})),
        (PAGES[2], "/people/?" + urlencode({"q": someone.id_number})),
        (PAGES[3], f"/people/{child.pk}/"),
    ], someone


def measure(runs: int):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from shouwang.accounts.models import User

    client = Client()
    client.force_login(
        User.objects.get(username="county"), backend="shouwang.accounts.backends.ScopedModelBackend"
    )
    pages, someone = targets()
    results, slowest = {}, {}
    for label, path in pages:
        for _warm_up in range(3):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
        if label != PAGES[0] and label != PAGES[3]:
            assert someone.name in response.content.decode(), f"{label}: {someone.name} not found"
        with CaptureQueriesContext(connection) as context:
            client.get(path)
        # Read now: the next request clears the connection's query log.
        queries = list(context.captured_queries)
        timings = []
        for _run in range(runs):
            start = time.perf_counter()
            client.get(path)
            timings.append((time.perf_counter() - start) * 1000)
        results[label] = (path, timings, len(queries))
        ranked = sorted(queries, key=lambda q: -float(q["time"]))
        slowest[label] = [(float(q["time"]) * 1000, q["sql"]) for q in ranked[:3]]
    return results, slowest


def report(results, slowest, runs) -> None:
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}; {runs} runs each")
    print()
    print("| request | median ms | p95 ms | queries |")
    print("|---|---:|---:|---:|")
    for label, (_path, timings, queries) in results.items():
        median = statistics.median(timings)
        p95 = statistics.quantiles(timings, n=100, method="inclusive")[94]
        print(f"| {label} | {median:.1f} | {p95:.1f} | {queries} |")
    print()
    for label, (path, _timings, _queries) in results.items():
        print(f"{label}: {path}")
        for ms, sql in slowest[label]:
            print(f"  {ms:6.1f} ms  {sql[:300]}")


if __name__ == "__main__":
    main()

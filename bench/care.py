"""Benchmark: the care network's overdue lists and rates on a county of 50,000 people.

    python bench/care.py [--people 50000] [--volunteers 10000] [--contacts 2000000] [--runs 5]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shouwang_bench python bench/care.py

Database: the one in DATABASE_URL (PostgreSQL; its name must contain "bench", as it
may be dropped and created again) or, by default, the SQLite file
var/bench/shouwang.sqlite3. The dataset is reused when it is there in the right
size (people within 10 % of --people, exactly --volunteers and --contacts) —
its contacts then end on the day it was built, so rebuild it (delete the SQLite
file or drop the database) to measure "today" on fresh data; otherwise it is
built:

- people: the demo county's families scaled to about --people files, as
  bench/people.py loads them (`people_demo_load`), with every file dated three
  years back (no contact predates its file);
- volunteers in the seed county's mix (代理家长, 爱心妈妈, teachers, volunteers for
  the elderly), most approved, spread over the villages and townships like the
  people they look after; pairings nearest first, within capacity, leaving about
  8 % of the children and 15 % of the elderly unpaired;
- contacts over the last year up to today, exactly --contacts of them, more for
  children with a 代理家长 and high-risk elderly than for the rest; about one
  person in eight stopped being contacted a few weeks ago (overdue today). Written
  with COPY on PostgreSQL and executemany in large transactions on SQLite,
  followed by VACUUM ANALYZE / ANALYZE.

Then, in a fresh process (like a server that has just started), times with
`time.perf_counter` — one warm-up, then --runs runs, median — the selectors the
pages call, server side without template or network:

- the overdue list of the largest village (`selectors.overdue_for`),
- the overdue list of the largest township,
- the county's rates for the current month (`rates.rates`),

with the number of queries of each (constant: no query per person) and the three
slowest queries. --explain also prints the plan of the slowest query of each
(EXPLAIN ANALYZE on PostgreSQL). Prints a markdown table for docs/performance.md.
"""

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
os.environ.setdefault("SECRET_KEY", "bench")
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "YmVuY2gtb25seS1maWVsZC1rZXktMDAwMDAwMDAwMDA=")
os.environ.setdefault("BLIND_INDEX_KEY", "bench-only-blind-index-key")
os.environ.setdefault("SHOUWANG_VAR_DIR", str(HERE.parent / "var" / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouwang.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["DEBUG"] = "false"

COUNTY = "350724"
MEASURES = ("village overdue list", "township overdue list", "county monthly rates")
COLUMNS = (
    "person_id", "kind", "date", "volunteer_id", "pairing_kind", "duration_minutes", "notes",
    "parent_id", "concern", "created_at",
)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=50_000, help="files (about)")
    parser.add_argument("--volunteers", type=int, default=10_000)
    parser.add_argument("--contacts", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per measure")
    parser.add_argument("--explain", action="store_true", help="plan of each slowest query")
    parser.add_argument("--measure-only", action="store_true", help="skip the dataset check")
    args = parser.parse_args()
    if not args.measure_only:
        prepare(args.people, args.volunteers, args.contacts)
        # Measure in a fresh process: the one that loaded millions of rows carries
        # their garbage and answers slower.
        command = [sys.executable, __file__, "--measure-only", "--runs", str(args.runs)]
        subprocess.run(command + (["--explain"] if args.explain else []), check=True)
        return
    import django

    django.setup()
    report(*measure(args.runs, explain=args.explain), args.runs)


# --- The dataset ---------------------------------------------------------------------


def _postgres_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else ""


def _ensure_postgres_database(url: str) -> None:
    """Create the database when it does not exist (a first run)."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    info = conninfo_to_dict(url)
    name = info.pop("dbname")
    with psycopg.connect(make_conninfo(**info, dbname="postgres"), autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not found:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _reset_database() -> None:
    from django.db import connection

    connection.close()
    url = _postgres_url()
    if url:
        from people import recreate_postgres_database

        recreate_postgres_database(url)
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(str(connection.settings_dict["NAME"]) + suffix).unlink(missing_ok=True)


def prepare(people: int, volunteers: int, contacts: int) -> None:
    url = _postgres_url()
    if url:
        _ensure_postgres_database(url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from shouwang.care.models import Contact, Volunteer
    from shouwang.people.models import Person

    call_command("migrate", interactive=False, verbosity=0)
    have = Person.objects.in_area_prefix(COUNTY).count()
    if abs(have - people) > people * 0.1:
        print(f"people: {have:,} on file, {people:,} wanted: building from scratch", flush=True)
        _reset_database()
        call_command("migrate", interactive=False, verbosity=0)
        load_people(people)
    have_volunteers, have_contacts = Volunteer.objects.count(), Contact.objects.count()
    if (have_volunteers, have_contacts) != (volunteers, contacts):
        print(f"care: {have_volunteers:,} volunteers, {have_contacts:,} contacts: rebuilding")
        load_care(volunteers, contacts)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    else:
        print("dataset present and of the right size: reused", flush=True)
    from shouwang.care.models import ContactMonth, LastContact
    from shouwang.care.services.contacts import contact_indexes_rebuild
    from shouwang.care.services.due_dates import due_dates_refresh_all

    # Contacts were bulk-loaded, not logged one by one: count the indexes once.
    if not (LastContact.objects.exists() and ContactMonth.objects.exists()):
        print(f"contact indexes: {contact_indexes_rebuild()} rows", flush=True)
    # What the nightly job keeps: every person's earliest due date, as of today.
    start = time.perf_counter()
    rows = due_dates_refresh_all()
    print(f"due dates: {rows:,} rows in {time.perf_counter() - start:.1f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print(describe(), flush=True)


def load_people(people: int) -> None:
    from django.db.models import F
    from people import PEOPLE_AT_SCALE_1

    from shouwang.core.demo import demo_area_rows
    from shouwang.people.demo import people_demo_load
    from shouwang.people.models import Person
    from shouwang.regions.services import areas_upsert

    start = time.perf_counter()
    areas_upsert(rows=demo_area_rows(), source="bench")
    counts = people_demo_load(county_code=COUNTY, scale=people / PEOPLE_AT_SCALE_1)
    # Files three years old, so that a year of contacts never predates one.
    Person.objects.update(created_at=F("created_at") - dt.timedelta(days=3 * 365))
    print(f"people: {counts['people']:,} loaded in {time.perf_counter() - start:.0f} s", flush=True)


# The seed county's carers (382 代理家长, 287 爱心妈妈, 551 teachers, 1,038 for the
# elderly) and how the last divide, as shares of all volunteers.
MIX = {
    "proxy_parent": 382, "caring_mother": 287, "teacher": 551,
    "five_elders": 260, "volunteer": 363, "village_cadre": 260, "cadre": 155,
}  # fmt: skip
AT_TOWNSHIP = {"teacher", "cadre"}
CHILD_KINDS = ("proxy_parent", "caring_mother")
ELDERLY_KINDS = ("five_elders", "volunteer", "village_cadre", "cadre")
KINDS = {
    "proxy": ["talk", "homework_check", "tutoring", "family_meal", "talk", "phone",
              "home_visit", "teacher_talk"],
    "child": ["talk", "phone", "family_meal", "tutoring", "home_visit"],
    "elderly": ["home_visit", "phone", "phone", "home_visit", "video", "health_check"],
    "woman": ["phone", "home_visit"],
}  # fmt: skip


def load_care(volunteers: int, contacts: int) -> None:
    """Volunteers and pairings through the ORM in bulk, contacts by COPY/executemany."""
    from django.db import connection, transaction
    from django.db.models import Exists, OuterRef, Q
    from django.utils import timezone

    from shouwang.care.models import Contact, Pairing, Volunteer
    from shouwang.people.choices import PARENT_KINDS, PersonStatus
    from shouwang.people.forms import phone_index
    from shouwang.people.models import Enrollment, Person, Relation
    from shouwang.regions.models import Area, Level

    start = time.perf_counter()
    rng = random.Random(2026)
    today = timezone.localdate()
    with transaction.atomic():
        Contact.objects.all()._raw_delete(Contact.objects.db)
        Pairing.objects.all()._raw_delete(Pairing.objects.db)
        Volunteer.objects.all()._raw_delete(Volunteer.objects.db)

    villages = dict(
        Area.objects.in_area_prefix(COUNTY)
        .filter(level=Level.VILLAGE)
        .values_list("code", "parent_id")
    )
    in_force = Q(started_on__lte=today) & (Q(ended_on__isnull=True) | Q(ended_on__gt=today))
    programs: dict[int, set[str]] = {}
    for person_id, program in Enrollment.objects.filter(in_force).values_list(
        "person_id", "program"
    ):
        programs.setdefault(person_id, set()).add(program)
    enrolled = Enrollment.objects.filter(in_force, person=OuterRef("pk"))
    people = list(
        Person.objects.in_area_prefix(COUNTY)
        .filter(Exists(enrolled), status=PersonStatus.ACTIVE)
        .with_risk(today)
        .order_by("pk")
        .values_list("pk", "village_id", "risk", "school")
    )

    # Volunteers, where the people they look after live.
    weights: dict[str, float] = {}
    for _pk, village, _risk, _school in people:
        weights[village] = weights.get(village, 0) + 1
    village_codes = sorted(weights)
    township_codes = sorted({villages[v] for v in village_codes})
    township_weights = [
        sum(weights[v] for v in village_codes if villages[v] == t) for t in township_codes
    ]
    total = sum(MIX.values())
    kinds = [k for k, n in MIX.items() for _i in range(round(n * volunteers / total))]
    kinds = (kinds + list(MIX) * volunteers)[:volunteers]
    rows = []
    for i, kind in enumerate(kinds):
        if kind in AT_TOWNSHIP:
            area = rng.choices(township_codes, township_weights)[0]
        else:
            area = rng.choices(village_codes, [weights[v] for v in village_codes])[0]
        phone = f"139{i:08d}"
        status = (
            "approved" if rng.random() < 0.95 else rng.choice(["applied", "reviewing", "rejected"])
        )
        rows.append(
            Volunteer(
                name=f"志愿者{i}", kind=kind, organisation="other", area_id=area, phone=phone,
                phone_index=phone_index(phone), capacity=rng.randint(3, 8), status=status,
                record_checked=status != "applied",
                review_reason="未提供无犯罪记录证明材料" if status == "rejected" else "",
            )
        )  # fmt: skip
    Volunteer.objects.bulk_create(rows, batch_size=1000)
    near: dict[tuple[str, str], list[Volunteer]] = {}
    free = {}
    for volunteer in rows:
        if volunteer.status != "approved":
            continue
        free[volunteer.pk] = volunteer.capacity
        places = [volunteer.area_id] + (
            [villages[volunteer.area_id]] if volunteer.area_id in villages else []
        )
        for place in places:
            near.setdefault((volunteer.kind, place), []).append(volunteer)

    def match(village: str, kinds: tuple[str, ...], township_only=False):
        places = [villages[village]] if township_only else [village, villages[village]]
        for place in places:
            for kind in kinds:
                pool = [v for v in near.get((kind, place), ()) if free[v.pk] > 0]
                if pool:
                    volunteer = rng.choice(pool)
                    free[volunteer.pk] -= 1
                    return volunteer
        return None

    pairings, carer = [], {}
    for pk, village, risk, school in people:
        mine = programs[pk]
        if mine & {"left_behind_child", "child_in_difficulty"} and rng.random() > 0.08:
            group = CHILD_KINDS
        elif "left_behind_elderly" in mine and rng.random() > (0.05 if risk == "high" else 0.16):
            group = ELDERLY_KINDS
        elif "left_behind_woman" in mine and rng.random() < 0.3:
            group = ("caring_mother", "village_cadre")
        else:
            continue
        volunteer = match(village, tuple(rng.sample(group, len(group))))
        if volunteer is None:
            continue
        started = today - dt.timedelta(days=rng.randint(30, 1500))
        pairings.append(
            Pairing(person_id=pk, volunteer=volunteer, kind=volunteer.kind, started_on=started)
        )
        carer[pk] = (volunteer.pk, volunteer.kind, started)
        if group == CHILD_KINDS and school and rng.random() < 0.4:
            teacher = match(village, ("teacher",), township_only=True)
            if teacher is not None:
                pairings.append(
                    Pairing(person_id=pk, volunteer=teacher, kind="teacher", started_on=started)
                )
    Pairing.objects.bulk_create(pairings, batch_size=2000)
    parents: dict[int, int] = {}
    for person_id, relation_id in Relation.objects.filter(
        kind__in=PARENT_KINDS, working_away=True, returned=False
    ).values_list("person_id", "pk"):
        parents.setdefault(person_id, relation_id)
    print(f"care: {len(rows):,} volunteers, {len(pairings):,} pairings "
          f"({time.perf_counter() - start:.0f} s)", flush=True)  # fmt: skip

    # How many contacts each person gets: shares of --contacts, summing exactly to it.
    def weight(pk, risk) -> tuple[int, str]:
        mine, paired = programs[pk], carer.get(pk)
        if mine & {"left_behind_child", "child_in_difficulty"}:
            if paired and paired[1] == "proxy_parent":
                return 90, "proxy"
            return (40 if paired else 12), "child"
        if "left_behind_elderly" in mine:
            return (55 if risk == "high" else 30) if paired else 10, "elderly"
        return (10 if paired else 2), "woman"

    plan = [(pk, *weight(pk, risk)) for pk, _village, risk, _school in people]
    scale = contacts / sum(w for _pk, w, _g in plan)
    quotas = [int(w * scale) for _pk, w, _g in plan]
    for i in rng.sample(range(len(plan)), contacts - sum(quotas)):
        quotas[i] += 1
    year_ago = today - dt.timedelta(days=364)
    now = timezone.now()

    def rows_of():
        for (pk, _w, group), quota in zip(plan, quotas, strict=True):
            paired = carer.get(pk)
            last = today if rng.random() > 0.12 else today - dt.timedelta(days=rng.randint(20, 90))
            span = (last - year_ago).days
            for k in range(quota):
                day = year_ago + dt.timedelta(days=int((k + rng.random()) * span / max(quota, 1)))
                kind = rng.choice(KINDS[group])
                parent = None
                if group in ("proxy", "child") and k % 8 == 0 and pk in parents:
                    kind, parent = "family_call", parents[pk]
                volunteer, pairing_kind = None, ""
                if paired and day >= paired[2] and kind != "family_call":
                    volunteer, pairing_kind = paired[0], paired[1]
                yield (pk, kind, day, volunteer, pairing_kind, rng.randint(5, 60), "", parent,
                       rng.random() < 0.002, now)  # fmt: skip

    insert_contacts(rows_of())
    print(f"care: {contacts:,} contacts ({time.perf_counter() - start:.0f} s)", flush=True)
    assert Contact.objects.count() == contacts
    connection.close()


def insert_contacts(rows) -> None:
    from django.db import connection, transaction

    columns = ", ".join(COLUMNS)
    if connection.vendor == "postgresql":
        copy_sql = f"COPY care_contact ({columns}) FROM STDIN"
        with (
            transaction.atomic(),
            connection.cursor() as cursor,
            cursor.cursor.copy(copy_sql) as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    placeholders = ", ".join(["%s"] * len(COLUMNS))
    sql = f"INSERT INTO care_contact ({columns}) VALUES ({placeholders})"
    batch = []
    for row in rows:
        # SQLite stores dates and datetimes as text, the way Django writes them.
        batch.append(
            (*row[:2], row[2].isoformat(), *row[3:9], row[9].strftime("%Y-%m-%d %H:%M:%S.%f"))
        )
        if len(batch) == 200_000:
            _sqlite_insert(sql, batch)
            batch = []
    if batch:
        _sqlite_insert(sql, batch)


def _sqlite_insert(sql: str, batch: list) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, batch)


def describe() -> str:
    from django.db import connection

    from shouwang.care.models import Contact, Pairing, Volunteer
    from shouwang.people.models import Person

    if connection.vendor == "postgresql":
        server = f"PostgreSQL {connection.pg_version // 10000}"
    else:
        import sqlite3

        server = f"SQLite {sqlite3.sqlite_version}"
    return (
        f"database: {server}; people: {Person.objects.count():,}; "
        f"volunteers: {Volunteer.objects.count():,}; pairings: {Pairing.objects.count():,}; "
        f"contacts: {Contact.objects.count():,}"
    )


# --- The measures --------------------------------------------------------------------


def targets():
    """(label, call, scope description) of each measure: the village and the township
    with the most people in a program, and the county."""
    from django.db.models import Count
    from django.utils import timezone

    from shouwang.care import rates, selectors
    from shouwang.people.models import Enrollment, Person

    today = timezone.localdate()
    by_village = (
        Enrollment.objects.filter(ended_on__isnull=True)
        .values_list("person__village_id")
        .annotate(n=Count("person", distinct=True))
        .order_by("-n", "person__village_id")
    )
    village, village_people = by_village[0]
    townships: dict[str, int] = {}
    for code, n in by_village:
        townships[code[:9]] = townships.get(code[:9], 0) + n
    township = max(sorted(townships), key=townships.get)

    def people(prefix):
        return Person.objects.in_area_prefix(prefix)

    month = rates.Month.of(today)
    return [
        (MEASURES[0], lambda: selectors.overdue_for(people(village), today=today),
         f"{village}, {village_people:,} people in a program"),
        (MEASURES[1], lambda: selectors.overdue_for(people(township), today=today),
         f"{township}, {townships[township]:,} people in a program"),
        (MEASURES[2], lambda: rates.rates(people(COUNTY), month, today),
         f"{COUNTY}, {month}"),
    ]  # fmt: skip


def measure(runs: int, *, explain: bool):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    results, slowest = {}, {}
    for label, call, scope in targets():
        with CaptureQueriesContext(connection) as context:
            found = call()  # the warm-up
        queries = list(context.captured_queries)
        timings = []
        for _run in range(runs):
            start = time.perf_counter()
            call()
            timings.append((time.perf_counter() - start) * 1000)
        size = len(found) if isinstance(found, list) else 0
        results[label] = (scope, timings, len(queries), size)
        ranked = sorted(queries, key=lambda q: -float(q["time"]))
        slowest[label] = [(float(q["time"]) * 1000, q["sql"]) for q in ranked[:3]]
        if explain:
            slowest[label].append((0.0, plan(ranked[0]["sql"])))
    return results, slowest


def plan(sql: str) -> str:
    from django.db import connection

    prefix = (
        "EXPLAIN (ANALYZE, BUFFERS) "
        if connection.vendor == "postgresql"
        else "EXPLAIN QUERY PLAN "
    )
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql)
        return "PLAN\n" + "\n".join(" | ".join(str(c) for c in row) for row in cursor.fetchall())


def report(results, slowest, runs) -> None:
    print(describe())
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"median of {runs} runs after 1 warm-up")  # fmt: skip
    print()
    print("| measure | scope | median ms | min ms | max ms | queries | rows |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for label, (scope, timings, queries, size) in results.items():
        print(f"| {label} | {scope} | {statistics.median(timings):.0f} | {min(timings):.0f} "
              f"| {max(timings):.0f} | {queries} | {size} |")  # fmt: skip
    print()
    for label, queries in slowest.items():
        print(f"{label}:")
        for ms, sql in queries:
            print(f"  {ms:7.1f} ms  {sql[:400]}" if ms else sql)


if __name__ == "__main__":
    main()

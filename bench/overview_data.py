"""Benchmark data: a province-sized dataset for the overview pages.

    python bench/overview_data.py generate \\
        --database-url postgres://postgres@127.0.0.1:5432/shouwang_bench_overview \\
        --people 2000000 --contacts 20000000 [--province 35] [--seed 1] [--reset]
    python bench/overview_data.py generate --database-url sqlite:////tmp/overview50k.sqlite3 \\
        --people 50000 --contacts 500000 --county 350724
    python bench/overview_data.py users --database-url ...   # the three logins (idempotent)
    python bench/overview_data.py check --database-url ...   # derived tables vs the app's functions
    python bench/overview_data.py pages --database-url ...   # GET the main pages as each login

`generate` creates the database when it is missing (PostgreSQL: `--reset` drops and
creates it again, and refuses a name without "bench"; SQLite: `--reset` deletes the
file), migrates, loads the real provinces, cities, counties and townships of the
province with `regions.services.areas_load` (the national lists in
../shared/data/areas, plus the provinces and cities people work in), adds synthetic
villages to every township (real NBS numbering: communities 001-199, villages 200+;
8-25 per town, fewer in urban streets and farms) and spreads the people over them,
villages of uneven size, fewer in urban districts. A database that already holds
people is left alone (use --reset).

Then, township by township, it streams rows. PostgreSQL: two forked processes
(whole counties each, ids interleaved), each with one binary `COPY` per table through
psycopg's `cursor.copy()`; unique constraints and secondary indexes are dropped first
and rebuilt after, foreign keys stay but their triggers are skipped during the load
(`session_replication_role = replica`) and `check` looks for dangling references.
SQLite: one process, `executemany` in 20,000-row batches with foreign keys off, then
`PRAGMA foreign_key_check` over everything. Memory stays bounded by one township.
The rows are what the services would write, without the services and without audit
entries:

- households and people: names with the project's pinyin (`people.names.name_pinyin`),
  valid ID numbers unique in the province and unique phones, as Fernet tokens under
  FIELD_ENCRYPTION_KEYS and HMAC blind indexes under BLIND_INDEX_KEY — made by
  `FastCrypto`, which checks at start that `core.crypto.decrypt` opens its tokens and
  that its indexes equal `core.crypto.blind_index` (`people.forms.id_index`); school,
  health, assistance and guardianship fields as the demo county has them;
- families shaped like the demo's (`shouwang.people.demo`): grandparents with
  grandchildren whose parents work away, relatives caring for children, women at
  home, elderly couples and elderly living alone, children in difficulty (some of
  them also left behind: two programs); parents, husbands and grown children away
  are contact records with a real destination city; enrollments follow the national
  rules (a sample is checked with `verdicts_for` by `check`), about 5 % ended
  (年满16周岁, 父母返乡, deaths, moves), pending exit proposals for children who
  turned 16 this month;
- one risk assessment per person in a program (30 % also an earlier one), graded
  with `protection.rubric.grade` and the default scale, `CurrentRisk` and
  `Person.risk_level` as `current_risk_refresh` leaves them;
- volunteers in the demo's kinds and capacities (`care.demo.values.PROFILE`), most
  approved, sized to the people in each township; pairings nearest first within
  capacity (most children and elderly paired, some history of ended pairings);
- exactly --contacts contacts over the last 13 months (kinds of `ContactKind`, more
  for children with a 代理家长 and high-risk elderly, family calls with the parent
  away, about one person in eight quiet for weeks, a few concerns), then
  `LastContact` and `ContactMonth` by set-based SQL (what
  `contact_indexes_rebuild` computes, which is too slow at this size; `check`
  compares them on a sample) and `PersonDue` by the project's `due_dates_refresh`,
  county by county (two processes on PostgreSQL);
- protection cases in every state with their events, notes, referrals and
  interventions, deadlines from `CaseDeadline`, escalated by the project's
  `deadlines_check`; services and aid (慰问金 and 慰问品 with amounts), care stations
  with activities and participants; per county a finished survey round (85 % of
  files verified) and one under way (40 %);
- one staff login per village, township and county (unusable passwords) so that
  contacts, cases and verifications have a recorder; `users` adds the three
  logins the benchmark uses (`ensure_users`).

Prints each step's elapsed time, the final row count of every table and the
environment the app needs to open the data (the keys below, which must not change).
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import csv
import datetime as dt
import itertools
import json
import multiprocessing
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
AREAS_DIR = Path(os.environ.get("SHOUWANG_AREAS_DATA", HERE.parent.parent / "shared/data/areas"))
BENCH_KEYS = {
    "SECRET_KEY": "bench",
    "FIELD_ENCRYPTION_KEYS": "YmVuY2gtb25seS1maWVsZC1rZXktMDAwMDAwMDAwMDA=",
    "BLIND_INDEX_KEY": "bench-only-blind-index-key",
}
for _name, _value in BENCH_KEYS.items():
    os.environ.setdefault(_name, _value)
os.environ.setdefault("SHOUWANG_VAR_DIR", str(Path(tempfile.gettempdir()) / "shouwang-overview"))
Path(os.environ["SHOUWANG_VAR_DIR"]).mkdir(parents=True, exist_ok=True)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouwang.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("TWO_FACTOR_REQUIRED", "false")  # the bench logs in without a second factor

PASSWORD = "shouwang-bench-2026"
LOGINS = {"leader": "bench_leader", "county": "bench_county", "village": "bench_village"}
WINDOW_DAYS = 395  # contacts over the last 13 months
SQLITE_BATCH = 20_000
WORKERS = 2  # generating processes on PostgreSQL (the machine has 2 cores)

_started = time.perf_counter()


def say(message: str) -> None:
    print(f"[{time.perf_counter() - _started:7.1f} s] {message}", flush=True)


@contextlib.contextmanager
def step(label: str, timings: dict[str, float] | None = None):
    say(f"{label} …")
    start = time.perf_counter()
    yield
    seconds = time.perf_counter() - start
    if timings is not None:
        timings[label] = timings.get(label, 0.0) + seconds
    say(f"{label}: {seconds:.1f} s")


# --- Command line ---------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="create and fill the database")
    gen.add_argument("--database-url", required=True)
    gen.add_argument("--people", type=int, default=2_000_000)
    gen.add_argument("--contacts", type=int, default=20_000_000)
    gen.add_argument("--province", default="35", help="2-digit province code")
    gen.add_argument("--county", default="", help="6-digit code: only this county")
    gen.add_argument("--seed", type=int, default=1)
    gen.add_argument("--reset", action="store_true", help="drop and create the database first")
    for name, text in (
        ("users", "create the province leader, county admin and village worker logins"),
        ("check", "compare derived tables with the app's own functions on a sample"),
        ("pages", "GET the main pages as each login and print status and time"),
    ):
        command = sub.add_parser(name, help=text)
        command.add_argument("--database-url", required=True)
    args = parser.parse_args()
    if args.command == "generate":
        generate(args)
    elif args.command == "users":
        ensure_users(args.database_url)
    elif args.command == "check":
        _setup(args.database_url)
        check_sample()
    else:
        _setup(args.database_url)
        pages_smoke()


def _is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://"))


def _setup(url: str) -> None:
    """Point Django at `url` and start it (once per process)."""
    import django
    from django.conf import settings

    if settings.configured and os.environ.get("DATABASE_URL") != url:
        raise RuntimeError("Django is already set up for another database")
    os.environ["DATABASE_URL"] = url
    django.setup()


def _database_prepare(url: str, *, reset: bool) -> None:
    """Create the database (or drop and create it with `reset`)."""
    if not _is_postgres(url):
        path = Path(url.removeprefix("sqlite:///"))
        if reset:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    info = conninfo_to_dict(url)
    name = info.pop("dbname")
    if reset and "bench" not in name:
        sys.exit(f"refusing to drop database {name!r}: its name must contain 'bench'")
    with psycopg.connect(make_conninfo(**info, dbname="postgres"), autocommit=True) as conn:
        database = sql.Identifier(name)
        if reset:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not found:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(database))


def generate(args) -> None:
    timings: dict[str, float] = {}
    total_start = time.perf_counter()
    with step("database", timings):
        _database_prepare(args.database_url, reset=args.reset)
        _setup(args.database_url)
    from django.core.management import call_command
    from django.db import connection

    from shouwang.people.models import Person

    with step("migrate", timings):
        call_command("migrate", interactive=False, verbosity=0)
    if Person.objects.exists():
        say(f"{Person.objects.count():,} people already on file: nothing generated (--reset)")
        print_counts()
        return
    rng = random.Random(args.seed)
    with step("areas", timings):
        villages = areas_prepare(
            province=args.province, county=args.county, people=args.people, rng=rng
        )
    with step("staff logins", timings):
        staff = staff_create(villages)
    with step("survey rounds", timings):
        rounds = rounds_create(villages, staff)
    generator = Generator(
        seed=args.seed, staff=staff, rounds=rounds, contacts_total=args.contacts,
        people_total=args.people,
    )  # fmt: skip
    postgres = connection.vendor == "postgresql"
    quotas = contact_quotas(villages, args.contacts)
    dropped: list[tuple[int, str, str]] = []
    if postgres:
        with step("drop constraints and indexes", timings):
            dropped = pg_constraints_drop()
    with step("generate and stream rows", timings):
        if postgres:
            generate_parallel(generator, villages, quotas, args.database_url, WORKERS)
        else:
            sink = SqliteSink()
            generator.run(villages, sink, quotas)
            sink.close()
    from shouwang.care.models import Contact

    say(f"  {Contact.objects.count():,} contacts written ({args.contacts:,} asked for)")
    with step("last contacts and contact months (SQL)", timings):
        contact_indexes_sql()
    if postgres:
        with step("rebuild constraints and indexes", timings):
            pg_constraints_restore(dropped)
    with step("sequences, vacuum and statistics", timings):
        sequences_reset()
        if postgres:
            pg_vacuum()
        else:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
    with step("due dates (due_dates_refresh per county)", timings):
        if postgres:
            written = due_dates_parallel()
        else:
            from shouwang.care.services.due_dates import due_dates_refresh_all

            written = due_dates_refresh_all()
        say(f"  {written:,} PersonDue rows")
    with step("case escalations (deadlines_check)", timings):
        import logging

        from shouwang.protection.services.cases import deadlines_check

        logging.getLogger("shouwang.protection").setLevel(logging.ERROR)
        say(f"  {deadlines_check()}")
    label = "analyze" if postgres else "analyze, foreign key check"
    with step(label, timings), connection.cursor() as cursor:
        if postgres:
            cursor.execute("VACUUM ANALYZE care_persondue")
            cursor.execute("ANALYZE protection_protectioncase")
            cursor.execute("ANALYZE protection_caseescalation")
        else:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA foreign_key_check")
            problems = cursor.fetchall()
            if problems:
                raise SystemExit(f"foreign key violations: {problems[:10]}")
            cursor.execute("ANALYZE")
    with step("users", timings):
        ensure_users(args.database_url)
    with step("check sample", timings):
        check_sample(quick=True)
    total = time.perf_counter() - total_start
    print()
    print("| step | seconds |")
    print("|---|---:|")
    for label, seconds in timings.items():
        print(f"| {label} | {seconds:.1f} |")
    print(f"| **total** | **{total:.1f}** |")
    print_counts()
    print("\nto open the data with the app:")
    for name in BENCH_KEYS:
        print(f"  export {name}={os.environ[name]}")
    print(f"  export DATABASE_URL={args.database_url}")


def contact_quotas(villages: list[Village], total: int) -> dict[str, int]:
    """Each township's share of `total` contacts, by its people, summing exactly to it."""
    people: dict[str, int] = defaultdict(int)
    for village in villages:
        people[village.township] += village.people
    everyone = max(sum(people.values()), 1)
    shares = {t: total * n / everyone for t, n in people.items()}
    quotas = {t: int(share) for t, share in shares.items()}
    for t in sorted(shares, key=lambda t: quotas[t] - shares[t])[: total - sum(quotas.values())]:
        quotas[t] += 1
    return quotas


def generate_parallel(generator, villages, quotas, url: str, workers: int) -> None:
    """Generate in `workers` forked processes, whole counties each (ID numbers are
    unique per county), ids interleaved; each process streams its own COPYs."""
    from django.db import connections

    by_county: dict[str, list[Village]] = defaultdict(list)
    for village in villages:
        by_county[village.county].append(village)
    parts: list[list[Village]] = [[] for _w in range(workers)]
    loads = [0] * workers
    for county in sorted(by_county, key=lambda c: -sum(v.people for v in by_county[c])):
        smallest = loads.index(min(loads))
        parts[smallest].extend(by_county[county])
        loads[smallest] += sum(v.people for v in by_county[county])
    connections.close_all()  # the children must not share Django's connection
    context = multiprocessing.get_context("fork")
    processes = []
    for k, part in enumerate(parts):
        if part:
            process = context.Process(
                target=_generate_part, args=(generator, part, quotas, url, k, workers)
            )
            process.start()
            processes.append(process)
    for process in processes:
        process.join()
    if any(process.exitcode for process in processes):
        sys.exit("a generating process failed (its rows were rolled back): run again with --reset")


def _generate_part(generator, villages, quotas, url: str, offset: int, workers: int) -> None:
    generator.offset, generator.stride = offset, workers
    generator.base = offset + 1 - workers
    generator.label = f"[worker {offset + 1}] "
    sink = PostgresSink(url)
    generator.run(villages, sink, quotas)
    start = time.perf_counter()
    sink.close()
    say(f"  {generator.label}COPY finished and committed in {time.perf_counter() - start:.1f} s")


# --- Areas ----------------------------------------------------------------------------

_FIRST = "上下东西南北大小新前后中高长石竹梅杉溪岭坑洋坪源墩厝山湖塘桥林"
_SECOND = "洋坑源坪岭墩溪田山峰口头坊尾里湖塘垄厝林村洲"


class Village:
    """A village (or community) to fill: its code, name, township and people quota."""

    __slots__ = ("code", "name", "township", "township_name", "county", "county_name", "people")

    def __init__(self, code, name, township, township_name, county, county_name):
        self.code, self.name = code, name
        self.township, self.township_name = township, township_name
        self.county, self.county_name = county, county_name
        self.people = 0


def _filtered_csv(source: Path, target: Path, keep) -> None:
    with source.open(encoding="utf-8-sig") as src, target.open("w", encoding="utf-8") as out:
        reader = csv.reader(src)
        writer = csv.writer(out)
        writer.writerow(next(reader))
        for row in reader:
            if row and keep(row):
                writer.writerow(row)


def areas_prepare(*, province: str, county: str, people: int, rng: random.Random):
    """Load the province's real areas (and the work destinations) with `areas_load`,
    add synthetic villages to its townships (or the county's) and give each village
    its share of `people`. Returns the villages in code order."""
    from shouwang.people.demo.values import DESTINATIONS
    from shouwang.regions.models import Area, Level
    from shouwang.regions.services import AreaRow, areas_load, areas_upsert

    provinces = {province} | {d[0] for d in DESTINATIONS}
    cities = {d[2] for d in DESTINATIONS}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _filtered_csv(AREAS_DIR / "provinces.csv", folder / "provinces.csv",
                      lambda r: r[0] in provinces)  # fmt: skip
        _filtered_csv(AREAS_DIR / "cities.csv", folder / "cities.csv",
                      lambda r: r[2] == province or r[0] in cities)  # fmt: skip
        _filtered_csv(AREAS_DIR / "areas.csv", folder / "areas.csv", lambda r: r[3] == province)
        _filtered_csv(AREAS_DIR / "streets.csv", folder / "streets.csv",
                      lambda r: r[3] == province)  # fmt: skip
        names = ("provinces.csv", "cities.csv", "areas.csv", "streets.csv")
        report = areas_load(paths=[folder / name for name in names])
    say(f"  areas_load: {report.created:,} created ({report.placeholders} placeholders merged)")

    prefix = county or province
    counties = dict(
        Area.objects.in_area_prefix(prefix).filter(level=Level.COUNTY).values_list("code", "name")
    )
    townships = list(
        Area.objects.in_area_prefix(prefix)
        .filter(level=Level.TOWNSHIP)
        .order_by("code")
        .values_list("code", "name", "parent_id")
    )
    if not townships:
        sys.exit(f"no townships under {prefix}: is it a county of province {province}?")
    rows, villages, weights = [], [], []
    for code, name, parent in townships:
        county_name = counties.get(parent, "")
        county_factor = 0.55 if county_name.endswith("区") else 0.9 if county_name.endswith(
            "市") else 1.0  # fmt: skip
        if name.endswith("街道"):
            plan = [("社区", rng.randint(4, 12), 0.35)]
        elif name.endswith("镇"):
            plan = [("社区", rng.randint(1, 3), 0.5), ("村", rng.randint(8, 22), 1.0)]
        elif name.endswith("乡"):
            plan = [("村", rng.randint(6, 16), 0.9)]
        else:  # farms, forest farms, development zones
            plan = [("村", rng.randint(2, 6), 0.3)]
        used: set[str] = set()
        for kind, count, factor in plan:
            for i in range(count):
                while True:
                    stem = rng.choice(_FIRST) + rng.choice(_SECOND)
                    if stem not in used:
                        used.add(stem)
                        break
                number = (1 if kind == "社区" else 200) + i
                village_code = code[:9] + f"{number:03d}"
                village_name = stem + kind
                rows.append(AreaRow(village_code, village_name, Level.VILLAGE, code, "bench", 0))
                villages.append(
                    Village(village_code, village_name, code, name, parent, county_name)
                )
                weights.append(factor * county_factor * rng.lognormvariate(0, 0.55))
    areas_upsert(rows=rows, source="bench")
    shares = [people * w / sum(weights) for w in weights]
    quotas = [int(s) for s in shares]
    by_remainder = sorted(range(len(shares)), key=lambda i: quotas[i] - shares[i])
    for i in by_remainder[: people - sum(quotas)]:
        quotas[i] += 1
    for village, quota in zip(villages, quotas, strict=True):
        village.people = quota
    say(f"  {len(counties)} counties, {len(townships):,} townships, {len(villages):,} villages "
        f"({min(quotas)}–{max(quotas)} people each)")  # fmt: skip
    return villages


# --- Staff logins and survey rounds -----------------------------------------------------


class Staff:
    """Ids of the generated staff logins: one village worker per village, one
    supervisor per township, one administrator per county."""

    def __init__(self):
        self.village: dict[str, int] = {}
        self.township: dict[str, int] = {}
        self.county: dict[str, int] = {}


def staff_create(villages: list[Village]) -> Staff:
    """Staff logins in bulk with unusable passwords (they record contacts, cases and
    verifications; the benchmark logs in as the users of `ensure_users`)."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from shouwang.accounts.models import User
    from shouwang.accounts.roles import Role, group_name
    from shouwang.people.demo.values import GIVEN_NAMES, SURNAMES

    rng = random.Random(7)
    surnames = [s for s, _w in SURNAMES]
    now = timezone.now()
    unusable = make_password(None)
    wanted: list[tuple[str, Role, str]] = []
    for village in villages:
        wanted.append((f"vw{village.code}", Role.VILLAGE_WORKER, village.code))
    for township in sorted({v.township for v in villages}):
        wanted.append((f"ts{township[:9]}", Role.TOWNSHIP_SUPERVISOR, township))
    for county in sorted({v.county for v in villages}):
        wanted.append((f"ca{county[:6]}", Role.COUNTY_ADMIN, county))
    users = []
    for username, role, scope in wanted:
        generation = rng.choice(("mid", "parent"))
        sex = rng.choice("MF")
        users.append(
            User(username=username, role=role, scope_area_id=scope, password=unusable,
                 full_name=rng.choice(surnames) + rng.choice(GIVEN_NAMES[generation][sex]),
                 date_joined=now)
        )  # fmt: skip
    User.objects.bulk_create(users, batch_size=2000)
    groups = {g.name: g.pk for g in Group.objects.all()}
    ids = dict(User.objects.filter(username__in=[w[0] for w in wanted]).values_list(
        "username", "pk"))  # fmt: skip
    through = User.groups.through
    through.objects.bulk_create(
        [through(user_id=ids[u], group_id=groups[group_name(role)]) for u, role, _s in wanted],
        batch_size=5000,
    )
    staff = Staff()
    for username, role, scope in wanted:
        target = {Role.VILLAGE_WORKER: staff.village, Role.TOWNSHIP_SUPERVISOR: staff.township}
        target.get(role, staff.county)[scope] = ids[username]
    say(f"  {len(wanted):,} staff logins")
    return staff


def rounds_create(villages: list[Village], staff: Staff) -> dict[str, tuple[int, int]]:
    """Per county a survey round finished last year and one under way: {county: ids}."""
    from django.utils import timezone

    from shouwang.people.models import SurveyRound

    today = timezone.localdate()
    result = {}
    for county in sorted({v.county for v in villages}):
        past = SurveyRound.objects.create(
            title=f"{today.year - 1}年度农村留守儿童和困境儿童摸底排查", area_id=county,
            starts_on=dt.date(today.year - 1, 4, 1), ends_on=dt.date(today.year - 1, 5, 31),
            opened_by_id=staff.county[county],
        )  # fmt: skip
        current = SurveyRound.objects.create(
            title=f"{today.year}年度三留守人员动态排查", area_id=county,
            starts_on=today - dt.timedelta(days=20), ends_on=today + dt.timedelta(days=40),
            opened_by_id=staff.county[county],
        )  # fmt: skip
        result[county] = (past.pk, current.pk)
    return result


# --- Tables and sinks -------------------------------------------------------------------

# Table key -> (model label, fields written, in row order). Fields left out must be
# nullable (checked at start).
TABLE_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "household": ("people.Household", ("id", "village", "address", "created_at")),
    "person": ("people.Person", (
        "id", "name", "sex", "ethnicity", "birth_date", "id_number", "id_number_index",
        "hukou_registered", "phone", "phone_index", "village", "address", "household",
        "health", "disability_type", "disability_grade", "illness", "lives_alone",
        "dependence", "dibao", "tekun", "temporary_aid", "medical_aid", "housing_aid",
        "poverty_monitoring", "orphan", "de_facto_unsupported", "income_sources",
        "schooling", "school", "grade", "class_name", "head_teacher", "head_teacher_phone",
        "boarding", "personality", "hobbies", "guardianship_type", "guardianship_assessment",
        "difficulty_codes", "status", "status_changed_on", "notes", "risk_level",
        "name_pinyin", "name_initials", "version", "created_at", "updated_at", "created_by",
    )),
    "relation": ("people.Relation", (
        "id", "person", "kind", "relative", "name", "birth_date", "id_number", "phone",
        "living", "working_away", "work_province", "work_city", "employer", "months_away_12",
        "last_return_date", "returned", "is_guardian", "entrusted", "health", "capacity",
        "notified_school", "notified_village", "version",
    )),
    "enrollment": ("people.Enrollment", (
        "id", "person", "program", "started_on", "ended_on", "exit_reason", "exit_note",
        "rule", "reason", "confirmed_by", "ended_by",
    )),
    "proposal": ("people.Proposal", (
        "id", "person", "program", "action", "reason", "exit_reason", "rule", "proposed_on",
        "status",
    )),
    "verification": ("people.Verification", (
        "id", "round", "person", "verified_by", "verified_at", "changed", "note",
    )),
    "volunteer": ("care.Volunteer", (
        "id", "name", "kind", "organisation", "organisation_name", "area", "phone",
        "phone_index", "capacity", "status", "record_checked", "disqualifications",
        "reviewed_by", "reviewed_at", "review_reason", "notes", "version", "created_at",
        "updated_at", "created_by",
    )),
    "pairing": ("care.Pairing", (
        "id", "person", "volunteer", "kind", "started_on", "ended_on", "end_reason", "end_note",
        "created_at", "created_by", "ended_by",
    )),
    "contact": ("care.Contact", (
        "id", "person", "kind", "date", "volunteer", "pairing_kind", "duration_minutes",
        "notes", "parent", "concern", "concern_resolved_at", "concern_resolved_by",
        "recorded_by", "created_at",
    )),
    "assessment": ("protection.Assessment", (
        "id", "person", "scale", "subject", "answers", "score", "red_flags", "computed_grade",
        "grade", "override_reason", "assessed_on", "next_due", "notes", "assessed_by",
        "created_at",
    )),
    "currentrisk": ("protection.CurrentRisk", (
        "person", "assessment", "grade", "assessed_on", "next_due",
    )),
    "service": ("protection.Service", (
        "id", "person", "kind", "date", "provider", "fund", "notes", "recorded_by", "created_at",
    )),
    "aid": ("protection.Aid", (
        "id", "person", "relation", "kind", "date", "amount", "items", "value", "giver",
        "fund", "activity", "recorded_by", "created_at",
    )),
    "station": ("protection.Station", (
        "id", "village", "kind", "name", "address", "manager", "opened_on", "has_sign",
        "has_venue", "has_equipment", "has_staff", "has_files", "has_plan", "has_ledger",
        "has_funding", "version", "created_at",
    )),
    "activity": ("protection.Activity", (
        "id", "station", "date", "kind", "title", "description", "recorded_by", "created_at",
    )),
    "activity_people": ("protection.Activity.participants", ("id", "activity", "person")),
    "activity_volunteers": ("protection.Activity.volunteers", ("id", "activity", "volunteer")),
    "case": ("protection.ProtectionCase", (
        "id", "village", "category", "others_involved", "description", "discovered_at",
        "discovered_place", "channel", "reporter_name", "reporter_phone", "reporter_org",
        "immediate_action", "police_notified", "police_notified_at", "state", "state_since",
        "deadline_at", "escalation_level", "closing_summary", "signed_off_by", "closed_at",
        "reported_by", "created_at", "updated_at", "version",
    )),
    "case_people": ("protection.ProtectionCase.people", ("id", "protectioncase", "person")),
    "case_assignees": ("protection.ProtectionCase.assignees", ("id", "protectioncase", "user")),
    "case_event": ("protection.CaseEvent", (
        "id", "case", "from_state", "to_state", "at", "by", "note",
    )),
    "case_note": ("protection.CaseNote", ("id", "case", "text", "author", "created_at")),
    "referral": ("protection.Referral", (
        "id", "case", "agency", "referred_on", "note", "answer", "answer_note", "answered_on",
        "by",
    )),
    "intervention": ("protection.Intervention", ("id", "case", "kind", "on", "note", "by")),
}  # fmt: skip


def table_model(key: str):
    from django.apps import apps

    label, _fields = TABLE_FIELDS[key]
    parts = label.split(".")
    model = apps.get_model(parts[0], parts[1])
    if len(parts) == 3:
        model = getattr(model, parts[2]).through
    return model


def table_sql(key: str) -> tuple[str, list[str]]:
    """(table name, quoted column names) of a table key; checks the fields left out."""
    model = table_model(key)
    fields = TABLE_FIELDS[key][1]
    columns = [f'"{model._meta.get_field(name).column}"' for name in fields]
    for field in model._meta.concrete_fields:
        if field.name not in fields and not field.null and not field.primary_key:
            raise RuntimeError(f"{key}: required field {field.name} not written")
    return model._meta.db_table, columns


class PostgresSink:
    """One connection and one open binary COPY per table, committed at `close`.
    Binary: the server parses nothing and psycopg formats nothing as text (3x faster
    than text COPY for rows of dates and timestamps). JSON columns take Python objects."""

    def __init__(self, url: str):
        self.url = url
        self.stack = contextlib.ExitStack()
        self.connections = []
        self.writers: dict[str, object] = {}

    def writer(self, key: str):
        """The function that writes one row (a tuple in TABLE_FIELDS order) to `key`."""
        if key not in self.writers:
            import psycopg

            table, columns = table_sql(key)
            conn = psycopg.connect(self.url)
            conn.execute("SET synchronous_commit = off")
            # No foreign-key triggers for the load (the keys stay; `check` samples them).
            conn.execute("SET session_replication_role = replica")
            self.connections.append(conn)
            types = dict(
                conn.execute(
                    "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass"
                    " AND attnum > 0 AND NOT attisdropped",
                    [table],
                ).fetchall()
            )
            cursor = conn.cursor()
            copy = self.stack.enter_context(
                cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)")
            )
            copy.set_types([types[column.strip('"')] for column in columns])
            self.writers[key] = copy.write_row
        return self.writers[key]

    def close(self) -> None:
        self.stack.close()
        for conn in self.connections:
            conn.commit()
            conn.close()


class SqliteSink:
    """Rows batched per table and written with executemany, foreign keys off."""

    def __init__(self):
        from django.db import connection

        connection.ensure_connection()
        self.raw = connection.connection
        self.raw.execute("PRAGMA foreign_keys=OFF")
        self.raw.execute("PRAGMA synchronous=OFF")
        # Values as Django stores them in SQLite (dates as text, datetimes as naive UTC).
        sqlite3.register_adapter(dt.datetime, _sqlite_datetime)
        sqlite3.register_adapter(dt.date, dt.date.isoformat)
        sqlite3.register_adapter(Decimal, str)
        sqlite3.register_adapter(list, json.dumps)
        sqlite3.register_adapter(dict, json.dumps)
        self.buffers: dict[str, list] = {}
        self.sql: dict[str, str] = {}
        self.writers: dict[str, object] = {}

    def writer(self, key: str):
        if key not in self.writers:
            table, columns = table_sql(key)
            self.sql[key] = (
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})"
            )
            buffer = self.buffers[key] = []

            def write(row, buffer=buffer, key=key):
                buffer.append(row)
                if len(buffer) >= SQLITE_BATCH:
                    self.flush(key)

            self.writers[key] = write
        return self.writers[key]

    def flush(self, key: str) -> None:
        buffer = self.buffers[key]
        if not buffer:
            return
        self.raw.execute("BEGIN IMMEDIATE")
        self.raw.executemany(self.sql[key], buffer)
        self.raw.execute("COMMIT")
        buffer.clear()

    def close(self) -> None:
        for key in self.buffers:
            self.flush(key)


def _sqlite_datetime(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")


# --- PostgreSQL: constraints and indexes around the load ---------------------------------


def _loaded_tables() -> list[str]:
    return sorted(
        {table_sql(key)[0] for key in TABLE_FIELDS} | {"care_lastcontact", "care_contactmonth"}
    )


def pg_constraints_drop() -> list[tuple[int, str, str]]:
    """Drop the unique constraints and secondary indexes of the tables the load writes
    (their foreign keys stay: the COPY sessions run with session_replication_role =
    replica, which skips the key triggers); return (phase, table, statement) that
    recreate them."""
    from django.db import connection

    tables = _loaded_tables()
    restore: list[tuple[int, str, str]] = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.contype"
            " FROM pg_constraint c WHERE c.conrelid::regclass::text = ANY(%s)"
            " AND c.contype = 'u'",
            [tables],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text,"
            " pg_get_indexdef(i.indexrelid)"
            " FROM pg_index i WHERE i.indrelid::regclass::text = ANY(%s)"
            " AND NOT i.indisprimary"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid"
            "                 AND c.contype IN ('u', 'p'))",
            [tables],
        )
        indexes = cursor.fetchall()
        for table, name, definition, kind in constraints:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            statement = f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
            restore.append((0 if kind == "u" else 1, table, statement))
        for table, name, definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
            restore.append((0, table, definition))
    say(f"  {len(constraints)} constraints and {len(indexes)} indexes dropped")
    return restore


def pg_parallel(groups: dict[str, list[str]], *, settings: tuple[str, ...] = (), workers=2):
    """Run each group of statements in order, groups side by side on `workers`
    connections (largest table first), printing the slow statements."""
    import queue
    import threading

    import psycopg
    from django.db import connection

    url = os.environ["DATABASE_URL"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, pg_total_relation_size(oid) FROM pg_class WHERE relname = ANY(%s)",
            [list(groups)],
        )
        sizes = dict(cursor.fetchall())
    todo: queue.Queue = queue.Queue()
    for table in sorted(groups, key=lambda t: -sizes.get(t, 0)):
        todo.put(table)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                for setting in settings:
                    conn.execute(setting)
                while True:
                    try:
                        table = todo.get_nowait()
                    except queue.Empty:
                        return
                    for statement in groups[table]:
                        start = time.perf_counter()
                        conn.execute(statement)
                        seconds = time.perf_counter() - start
                        if seconds > 10:
                            say(f"  {seconds:6.1f} s  {statement[:100]}")
        except BaseException as exc:  # reported by the caller
            errors.append(exc)

    threads = [threading.Thread(target=work) for _w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


MAINTENANCE = (
    "SET maintenance_work_mem = '1GB'",
    "SET work_mem = '256MB'",
    "SET max_parallel_maintenance_workers = 1",
    "SET max_parallel_workers_per_gather = 1",
)


def pg_constraints_restore(restore: list[tuple[int, str, str]]) -> None:
    """Indexes and unique constraints, two tables at a time."""
    for phase in (0,):
        groups: dict[str, list[str]] = defaultdict(list)
        for step_phase, table, statement in restore:
            if step_phase == phase:
                groups[table].append(statement)
        pg_parallel(groups, settings=MAINTENANCE)


def pg_vacuum() -> None:
    """VACUUM ANALYZE every table, two at a time: statistics for the planner and the
    visibility map (index-only scans), as autovacuum would do after a while."""
    from django.db import connection

    tables = connection.introspection.table_names()
    pg_parallel({table: [f'VACUUM ANALYZE "{table}"'] for table in tables},
                settings=MAINTENANCE)  # fmt: skip


def due_dates_parallel(workers: int = 2) -> int:
    """`due_dates_refresh` (the nightly job's function) county by county, the counties
    shared between `workers` forked processes."""
    from django.db import connections
    from django.db.models import Count
    from django.db.models.functions import Substr

    from shouwang.people.models import Person

    sizes = dict(
        Person.objects.annotate(county=Substr("village_id", 1, 6))
        .values_list("county").annotate(n=Count("pk")).order_by()
    )  # fmt: skip
    parts: list[list[str]] = [[] for _w in range(workers)]
    loads = [0] * workers
    for county in sorted(sizes, key=lambda c: -sizes[c]):
        smallest = loads.index(min(loads))
        parts[smallest].append(county)
        loads[smallest] += sizes[county]
    connections.close_all()
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    processes = [
        context.Process(target=_due_dates_part, args=(part, results)) for part in parts if part
    ]
    for process in processes:
        process.start()
    written = sum(results.get() for _p in processes)
    for process in processes:
        process.join()
    if any(process.exitcode for process in processes):
        sys.exit("a due-dates process failed")
    return written


def _due_dates_part(counties: list[str], results) -> None:
    from django.utils import timezone

    from shouwang.care.services.due_dates import due_dates_refresh
    from shouwang.people.models import Person

    today = timezone.localdate()
    written = 0
    try:
        for county in counties:
            written += due_dates_refresh(people=Person.objects.in_area_prefix(county), today=today)
    finally:
        results.put(written)


def sequences_reset() -> None:
    from django.core.management.color import no_style
    from django.db import connection

    models = {table_model(key) for key in TABLE_FIELDS}
    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def contact_indexes_sql() -> None:
    """`LastContact` and `ContactMonth` from the contacts, set-based: the same rows as
    `care.services.contacts.contact_indexes_rebuild`, which holds every (person, month)
    in a Python dict and is too slow for tens of millions of contacts."""
    from django.db import connection, transaction

    from shouwang.care.choices import KIND_BITS

    bits = " ".join(f"WHEN '{kind}' THEN {bit}" for kind, bit in KIND_BITS.items())
    if connection.vendor == "postgresql":
        month = "date_trunc('month', date)::date"
    else:
        month = "strftime('%Y-%m-01', date)"
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The app's connections run without parallel workers (settings); a load may.
            cursor.execute("SET LOCAL work_mem = '1GB'")
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 2")
            cursor.execute("SET LOCAL session_replication_role = replica")  # as the COPYs
        cursor.execute("DELETE FROM care_lastcontact")
        cursor.execute("DELETE FROM care_contactmonth")
        cursor.execute(
            "INSERT INTO care_lastcontact (person_id, kind, pairing_kind, date)"
            " SELECT person_id, kind, pairing_kind, MAX(date) FROM care_contact"
            " GROUP BY person_id, kind, pairing_kind"
        )
        cursor.execute(
            "INSERT INTO care_contactmonth (person_id, month, kinds)"
            " SELECT person_id, month, SUM(bit) FROM ("
            f"  SELECT DISTINCT person_id, {month} AS month, CASE kind {bits} END AS bit"
            "   FROM care_contact) AS t"
            " GROUP BY person_id, month"
        )


def print_counts() -> None:
    from django.apps import apps
    from django.db import connection

    print()
    print("| table | rows |")
    print("|---|---:|")
    total = 0
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            table = model._meta.db_table
            if model._meta.proxy or not model._meta.managed and not model._meta.auto_created:
                continue
            if table not in connection.introspection.table_names():
                continue
            cursor.execute(f"SELECT COUNT(*) FROM {table}")
            n = cursor.fetchone()[0]
            total += n
            if n:
                print(f"| {table} | {n:,} |")
        print(f"| **all tables** | **{total:,}** |")
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            print(f"database size: {cursor.fetchone()[0]}")
        else:
            path = Path(connection.settings_dict["NAME"])
            size = sum(Path(f"{path}{s}").stat().st_size for s in ("", "-wal", "-shm")
                       if Path(f"{path}{s}").exists())  # fmt: skip
            print(f"database size: {size / 2**20:,.0f} MB ({path})")


# --- The generator -----------------------------------------------------------------------

# Household types and their weights, chosen so that the enrollments in force divide
# about as in the demo county: left-behind children 20 %, children in difficulty
# 3 %, women 12 %, elderly 60 % (and 5 % ended).
HOUSEHOLDS = [("grandparents", 11.8), ("relative", 1.2), ("woman", 12.0), ("elderly", 24.0),
              ("difficulty", 1.45)]  # fmt: skip
CHILD, DIFFICULTY = "left_behind_child", "child_in_difficulty"
WOMAN, ELDERLY = "left_behind_woman", "left_behind_elderly"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CATEGORY_LABELS = {
    "poverty": "家庭贫困", "disability": "自身残疾", "guardianship": "监护缺失或不当",
    "orphan": "孤儿", "de_facto_unsupported": "事实无人抚养儿童",
}  # fmt: skip
CATEGORY_ORDER = ["poverty", "disability", "guardianship", "orphan", "de_facto_unsupported"]
PROXY_KINDS = ("talk", "homework_check", "tutoring", "family_meal", "talk", "phone",
               "home_visit", "teacher_talk")  # fmt: skip
MOTHER_KINDS = ("talk", "phone", "family_meal", "tutoring", "home_visit")
ELDER_KINDS = ("home_visit", "phone", "phone", "home_visit", "video", "health_check")
WOMAN_KINDS = ("phone", "home_visit", "talk")
CHILD_AGES = [(age, 1.0 if age < 16 else 0.6) for age in range(0, 18)]
CARER_KINDS = {"proxy_parent": PROXY_KINDS, "caring_mother": MOTHER_KINDS, "teacher": ("talk",)}
STAFF_KINDS = {"child": ("home_visit", "phone", "talk"), "elderly": ELDER_KINDS,
               "woman": ("phone", "home_visit")}  # fmt: skip
CASE_PATHS = {
    "reported": ["reported"],
    "accepted": ["reported", "accepted"],
    "emergency": ["reported", "accepted", "emergency"],
    "investigating": ["reported", "accepted", "investigating"],
    "support": ["reported", "accepted", "investigating", "support"],
    "intervention": ["reported", "accepted", "emergency", "investigating", "intervention"],
    "follow_up": ["reported", "accepted", "investigating", "support", "follow_up"],
    "closed": ["reported", "accepted", "investigating", "support", "follow_up", "closed"],
}
CASE_STATES = [
    ("reported", 4),
    ("accepted", 6),
    ("emergency", 4),
    ("investigating", 10),
    ("support", 14),
    ("intervention", 6),
    ("follow_up", 10),
    ("closed", 46),
]
CASE_TEXT = {
    "alone_unsupervised": "发现儿童独自在家，监护人外出数日未归",
    "guardian_neglect": "祖父母年迈多病，孩子长期无人照料，衣食不周",
    "domestic_violence": "邻居反映孩子身上多处淤青，疑似遭受家庭暴力",
    "abuse": "学校反映孩子在校遭受同学欺凌，情绪低落",
    "injury": "孩子玩耍时从高处跌落受伤，监护人未及时送医",
    "dropout": "孩子已连续两周未到校，家长联系不上",
    "guardian_incapable": "监护人突发重病住院，孩子无人照看",
    "elderly_danger": "独居老人在家中摔倒，被邻居发现",
    "abandonment": "老人长期无人照料，居住环境恶劣",
}  # fmt: skip
CLOSING = "已跟踪回访，生活恢复正常，监护或照料已落实，经审核同意结案。"
CASE_CATEGORIES = [("alone_unsupervised", 14), ("guardian_neglect", 20), ("domestic_violence", 6),
                   ("abuse", 8), ("injury", 10), ("dropout", 10), ("guardian_incapable", 8),
                   ("elderly_danger", 18), ("abandonment", 6)]  # fmt: skip


def id_check(body: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


class FastRandom(random.Random):
    """random.Random with the two calls the generator makes most done in one step
    (`randint` and `choice` through `random()`, slightly less uniform, much faster)."""

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def choice(self, seq):
        return seq[int(self.random() * len(seq))]


class FastCrypto:
    """Fernet tokens and blind indexes as `core.crypto` makes them, several times
    faster: AES-128-CBC chained by hand over one ECB context (the values are one or two
    blocks long) and HMAC-SHA256 from the standard library. `checked` proves on sample
    values that `core.crypto.decrypt` opens the tokens and that the indexes equal
    `core.crypto.blind_index`, and falls back to the project's functions otherwise."""

    def __init__(self):
        import base64
        import hmac

        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
        from django.conf import settings

        keys = settings.FIELD_ENCRYPTION_KEYS
        key = base64.urlsafe_b64decode(keys[0] if isinstance(keys, list | tuple) else keys)
        self.signing_key, encryption_key = key[:16], key[16:]
        self.ecb = Cipher(algorithms.AES(encryption_key), modes.ECB()).encryptor()
        self.index_key = settings.BLIND_INDEX_KEY.encode()
        self.b64, self.hmac = base64.urlsafe_b64encode, hmac.digest

    def encrypt(self, value: str) -> str:
        data = value.encode()
        pad = 16 - len(data) % 16
        data += bytes([pad]) * pad
        iv = os.urandom(16)
        previous = int.from_bytes(iv, "big")
        blocks = []
        for start in range(0, len(data), 16):
            plain = int.from_bytes(data[start : start + 16], "big") ^ previous
            block = self.ecb.update(plain.to_bytes(16, "big"))
            blocks.append(block)
            previous = int.from_bytes(block, "big")
        body = b"\x80" + int(time.time()).to_bytes(8, "big") + iv + b"".join(blocks)
        mac = self.hmac(self.signing_key, body, "sha256")
        return self.b64(body + mac).decode()

    def blind_index(self, value: str, *, purpose: str) -> str:
        message = f"{purpose}:{value}".encode()
        return self.hmac(self.index_key, message, "sha256").hex()

    @classmethod
    def checked(cls, encrypt, blind_index):
        from shouwang.core.crypto import decrypt

        try:
            fast = cls()
            samples = ["", "1", "13912345678", "35072420120304123X", "班主任电话" * 7]
            for value in samples[1:]:
                assert decrypt(fast.encrypt(value)) == value
                for purpose in ("id_number", "phone"):
                    assert fast.blind_index(value, purpose=purpose) == blind_index(
                        value, purpose=purpose
                    )
        except Exception as exc:  # a key this shortcut cannot handle: use the app's
            say(f"  fast encryption unavailable ({exc!r}): using core.crypto")
            return encrypt, blind_index
        return fast.encrypt, fast.blind_index


class Kin:
    """Someone not on file (a parent, husband or grown child), with the encrypted
    values shared by every record of them."""

    __slots__ = (
        "name", "sex", "birth", "id_token", "phone_token", "away", "province", "city",
        "employer", "months", "last_return", "returned", "living", "health", "capacity",
    )  # fmt: skip


class Generator:
    """Makes every row of a township at a time and writes them to a sink."""

    def __init__(self, *, seed, staff: Staff, rounds, contacts_total: int, people_total: int):
        from django.utils import timezone

        from shouwang.care.demo import values as care_values
        from shouwang.core.crypto import blind_index, encrypt
        from shouwang.people.demo import values as people_values
        from shouwang.people.models import EligibilityRule
        from shouwang.protection.demo import values as protection_values
        from shouwang.protection.models import CaseDeadline, RiskScale
        from shouwang.regions.models import Area

        self.seed, self.staff, self.rounds = seed, staff, rounds
        self.contacts_total, self.people_total = contacts_total, people_total
        from shouwang.protection import rubric

        self.rubric = rubric
        self.encrypt, self.blind_index = FastCrypto.checked(encrypt, blind_index)
        self.pv, self.cv, self.xv = people_values, care_values, protection_values
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.window_start = self.today - dt.timedelta(days=WINDOW_DAYS)
        self.days = [self.window_start + dt.timedelta(days=i) for i in range(WINDOW_DAYS + 1)]
        self.rules = dict(
            EligibilityRule.objects.filter(area=None, version=1).values_list("program", "pk")
        )
        scale = RiskScale.objects.get(is_default=True)
        self.scale_id = scale.pk
        self.grades = {g.rank: g for g in scale.grades.all()}
        from shouwang.protection.services.risk import thresholds

        self.thresholds = thresholds(self.grades.values())
        self.deadlines = {
            d.state: d.hours for d in CaseDeadline.objects.filter(county__isnull=True)
        }
        areas = Area.objects.in_bulk(
            [code.ljust(12, "0") for d in people_values.DESTINATIONS for code in (d[0], d[2])]
        )
        self.cities = [
            (areas[d[0].ljust(12, "0")].pk, areas[d[2].ljust(12, "0")].pk, d[3], d[2], d[5])
            for d in people_values.DESTINATIONS
        ]
        self.city_weights = [d[4] for d in people_values.DESTINATIONS]
        self.surnames = [s for s, _w in people_values.SURNAMES]
        self.surname_weights = [w for _s, w in people_values.SURNAMES]
        self.ids = defaultdict(int)
        self.pinyin: dict[str, tuple[str, str]] = {}
        self.sequences: dict[tuple[str, dt.date, str], int] = {}
        self.id_heads: dict[dt.date, tuple[str, int]] = {}  # county and birth date digits
        self.grading: dict[tuple, object] = {}
        self.phones = 0
        self.counts = defaultdict(int)
        self.contacts_written = 0
        self.people_written = 0
        self.carry = 0  # contacts a township could not take (nobody to contact)
        self.distributions: dict[tuple, tuple] = {}
        self.offset, self.stride = 0, 1  # this worker, of how many
        self.base = self.offset + 1 - self.stride
        self.label = ""

    # --- small helpers -------------------------------------------------------------

    def next_id(self, key: str) -> int:
        """The next id of a table; parallel workers interleave (worker k of n: k+1, k+1+n …)."""
        self.ids[key] += 1
        return self.ids[key] * self.stride + self.base

    def days_ago(self, low: int, high: int) -> dt.date:
        return self.today - dt.timedelta(days=self.rng.randint(low, high))

    def aware(self, day: dt.date, minutes: int = 600) -> dt.datetime:
        """A moment on `day` (local time), `minutes` after midnight, in UTC."""
        return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC) + dt.timedelta(
            minutes=minutes - 480
        )

    def birth(self, age: int) -> dt.date:
        latest = _years_before(self.today, age)
        return latest - dt.timedelta(days=self.rng.randint(0, 364))

    def surname(self) -> str:
        return self.rng.choices(self.surnames, self.surname_weights)[0]

    def given(self, sex: str, birth: dt.date) -> str:
        year = birth.year
        generation = "old" if year < 1960 else "mid" if year < 1980 else "parent" if year < 2000 \
            else "young"  # fmt: skip
        return self.rng.choice(self.pv.GIVEN_NAMES[generation][sex])

    def names(self, name: str) -> tuple[str, str]:
        found = self.pinyin.get(name)
        if found is None:
            from shouwang.people.names import name_pinyin

            found = self.pinyin[name] = name_pinyin(name)
        return found

    def at_least(self, birth: dt.date, years: int) -> dt.date:
        """`birth`, or a birth date a little over `years` years ago if it is later
        (not one shared date, which would run out of ID sequence numbers)."""
        latest = _years_before(self.today, years)
        if birth <= latest:
            return birth
        return latest - dt.timedelta(days=self.rng.randint(0, 3 * 365))

    def id_number(self, birth: dt.date, sex: str) -> str:
        """A valid number, unique in the county ("" once a birth date's 500 sequence
        numbers of that sex are used up)."""
        key = (self.county, birth, sex)
        n = self.sequences.get(key, 0)
        if n >= 500:
            return ""
        self.sequences[key] = n + 1
        sequence = f"{2 * n + (1 if sex == 'M' else 2):03d}"
        head = self.id_heads.get(birth)
        if head is None:
            text = f"{self.county[:6]}{birth:%Y%m%d}"
            weighted = sum(int(c) * w for c, w in zip(text, ID_WEIGHTS[:14], strict=True))
            head = self.id_heads[birth] = (text, weighted)
        total = head[1] + sum(int(c) * w for c, w in zip(sequence, ID_WEIGHTS[14:], strict=True))
        return head[0] + sequence + "10X98765432"[total % 11]

    def phone(self) -> str:
        self.phones += 1
        i = self.phones * self.stride + self.offset
        prefix = self.pv.MOBILE_PREFIXES[i % len(self.pv.MOBILE_PREFIXES)]
        return f"{prefix}{(i * 7919 + 12345) % 10**8:08d}"

    def pick(self, weighted):
        """One value of [(value, weight), …], drawn by weight."""
        key = tuple(weighted)
        found = self.distributions.get(key)
        if found is None:
            values = [value for value, _w in weighted]
            cumulative = list(itertools.accumulate(w for _v, w in weighted))
            found = self.distributions[key] = (values, cumulative, cumulative[-1])
        values, cumulative, total = found
        return values[bisect.bisect(cumulative, self.rng.random() * total)]

    # --- run -------------------------------------------------------------------------

    def run(self, villages: list[Village], sink, quotas: dict[str, int]) -> None:
        """Fill the townships of `villages`, each with its quota of contacts."""
        self.sink = sink
        self.w = {key: sink.writer(key) for key in TABLE_FIELDS}
        by_township: dict[str, list[Village]] = defaultdict(list)
        for village in villages:
            by_township[village.township].append(village)
        started = time.perf_counter()
        county = None
        for n, township in enumerate(sorted(by_township), start=1):
            if township[:6] != county:
                county = township[:6]
                self.sequences.clear()
                self.id_heads = {}
            self.county = township[:6].ljust(12, "0")
            self.rng = FastRandom(f"{self.seed}-{township}")
            self.township_fill(township, by_township[township], quotas[township] + self.carry)
            if n % 100 == 0 or n == len(by_township):
                seconds = time.perf_counter() - started
                rate = self.people_written / seconds
                say(f"  {self.label}{n:,}/{len(by_township):,} townships: "
                    f"{self.people_written:,} people, {self.contacts_written:,} contacts "
                    f"({seconds:.0f} s, {rate:,.0f} people/s)")  # fmt: skip

    def township_fill(self, township: str, villages: list[Village], contacts: int) -> None:
        self.township = township
        self.supervisor = self.staff.township[township]
        self.teachers: dict[tuple, tuple[str, str]] = {}
        self.village_names = {v.code: v.name for v in villages}
        people: list[dict] = []
        for village in villages:
            self.village = village
            self.worker = self.staff.village[village.code]
            here: list[dict] = []
            while len(here) < village.people:
                left = village.people - len(here)
                kind = self.pick(HOUSEHOLDS) if left > 5 else "elderly"
                here.extend(self.household(kind, single=left == 1))
            people.extend(here)
        self.people_written += len(people)
        volunteers = self.volunteers(villages, people)
        self.pairings(people, volunteers)
        self.contacts(people, contacts)
        self.support(people)
        self.stations(villages, people, volunteers)
        self.verifications(people)
        self.cases(villages, people)

    # --- households -----------------------------------------------------------------

    def household(self, kind: str, *, single: bool = False) -> list[dict]:
        rng, village = self.rng, self.village
        self.hh = self.next_id("household")
        address = f"{village.name}{rng.randint(1, 12)}组{rng.randint(1, 99)}号"
        self.address = address
        self.members: list[dict] = []
        # Filed when the family was first surveyed: 1 to 6 years ago.
        self.filed = self.days_ago(30, 6 * 365)
        if kind == "elderly":
            self._elderly(single)
        else:
            getattr(self, f"_{kind}")()
        self.w["household"]((self.hh, village.code, address, self.aware(self.filed)))
        for p in self.members:
            self.settle(p)
        return self.members

    def person(self, sex: str, birth: dt.date, surname: str, **fields) -> dict:
        rng = self.rng
        name = surname + self.given(sex, birth)
        p = {
            "id": self.next_id("person"), "name": name, "sex": sex, "birth_date": birth,
            "_programs": {}, "_ended": None, "_relations": [], "_group": "",
            "_parent": None, "_away": None, "_with_child": False, "_spouse": False,
            "_vcode": self.village.code, "_pairings": [],
        }  # fmt: skip
        p.update(fields)
        number = ""
        if not (birth.year >= self.today.year - 1 and rng.random() < 0.3):
            number = self.id_number(birth, sex)
        if number:
            p["id_number"] = self.encrypt(number)
            p["id_number_index"] = self.blind_index(number, purpose="id_number")
        elif birth.year >= self.today.year - 1:
            p["hukou_registered"] = False  # a baby not yet registered
        age = _age(birth, self.today)
        if age >= 18 and rng.random() < (0.9 if age < 70 else 0.55):
            number = self.phone()
            p["phone"] = self.encrypt(number)
            p["phone_index"] = self.blind_index(number, purpose="phone")
        p["_since"] = max(self.filed, birth + dt.timedelta(days=20))
        self.members.append(p)
        return p

    def kin(self, sex: str, birth: dt.date, surname: str, *, away: bool = True) -> Kin:
        rng = self.rng
        kin = Kin()
        kin.name, kin.sex, kin.birth = surname + self.given(sex, birth), sex, birth
        number = self.id_number(birth, sex) if rng.random() < 0.7 else ""
        kin.id_token = self.encrypt(number) if number else ""
        kin.phone_token = self.encrypt(self.phone()) if rng.random() < 0.9 else ""
        kin.away, kin.returned, kin.living = away, False, True
        kin.health, kin.capacity = "healthy", "full"
        kin.province = kin.city = kin.months = kin.last_return = None
        kin.employer = ""
        if away:
            province, city, city_name, city_code, industries = rng.choices(
                self.cities, self.city_weights
            )[0]
            kin.province, kin.city = province, city
            if rng.random() < 0.15:
                kin.employer = rng.choice(self.pv.SELF_EMPLOYED)
            else:
                place = "上海" if city_code.startswith("31") else city_name
                kin.employer = place + rng.choice(self.pv.BRANDS) + rng.choice(
                    self.pv.INDUSTRY_SUFFIXES[rng.choice(industries)])  # fmt: skip
            kin.months = self.pick(self.pv.MONTHS_AWAY)
            festival = _spring_festival(self.today.year)
            if festival > self.today - dt.timedelta(days=20):
                festival = _spring_festival(self.today.year - 1)
            kin.last_return = festival - dt.timedelta(days=rng.randint(1, 12))
        return kin

    def relate(self, p: dict, kind: str, *, kin: Kin | None = None, relative: dict | None = None,
               **flags) -> int:  # fmt: skip
        rid = self.next_id("relation")
        if relative is not None:
            row = (
                rid,
                p["id"],
                kind,
                relative["id"],
                "",
                None,
                "",
                "",
                True,
                False,
                None,
                None,
                "",
                None,
                None,
                False,
                flags.get("is_guardian", False),
                flags.get("entrusted", False),
                "healthy",
                flags.get("capacity", "full"),
                flags.get("notified_school", False),
                flags.get("notified_village", False),
                1,
            )
        else:
            row = (rid, p["id"], kind, None, kin.name, kin.birth, kin.id_token, kin.phone_token,
                   kin.living, kin.away or kin.returned, kin.province, kin.city, kin.employer,
                   kin.months, kin.last_return, kin.returned, False, False, kin.health,
                   kin.capacity, False, False, 1)  # fmt: skip
        self.w["relation"](row)
        p["_relations"].append((kind, kin, relative))
        return rid

    def child(self, surname: str, *, age: int | None = None) -> dict:
        rng = self.rng
        if age is None:
            age = self.pick(CHILD_AGES)
        birth = self.birth(age)
        sex = "M" if rng.random() < 0.53 else "F"
        p = self.person(sex, birth, surname)
        p.update(self.schooling(age))
        if rng.random() < 0.5:
            p["personality"] = rng.choice(self.pv.PERSONALITIES)
        if rng.random() < 0.6:
            p["hobbies"] = "、".join(rng.sample(self.pv.HOBBIES, rng.randint(1, 2)))
        return p

    def schooling(self, age: int) -> dict:
        rng = self.rng
        county = self.village.county_name
        township = self.village.township_name
        stem = township.removesuffix("街道").removesuffix("镇").removesuffix("乡")
        urban = township.endswith("街道")
        if age < 3 or (age < 6 and rng.random() < 0.12):
            return {"schooling": "not_in_kindergarten"}
        if age < 6:
            return {"schooling": "kindergarten",
                    "school": f"{county}实验幼儿园" if urban else f"{stem}中心幼儿园",
                    "class_name": ["小班", "中班", "大班"][age - 3]}  # fmt: skip
        if age < 12:
            level, grade = "primary", age - 6
            school = f"{county}实验小学" if urban else f"{stem}中心小学"
        elif age < 15:
            level, grade = "junior", age - 12
            school = f"{county}第二中学" if urban else f"{stem}中学"
        else:
            level = self.pick([("senior", 55), ("vocational", 30), ("not_in_school", 15)])
            if level == "not_in_school":
                return {"schooling": level}
            grade = min(age - 15, 2)
            school = f"{county}第一中学" if level == "senior" else f"{county}职业中专学校"
        class_name = f"{rng.randint(1, 4)}班"
        teacher = self.teachers.get((school, grade, class_name))
        if teacher is None:
            sex = "F" if rng.random() < 0.7 else "M"
            name = self.surname() + self.given(sex, self.birth(rng.randint(25, 55)))
            teacher = self.teachers[(school, grade, class_name)] = (
                name, self.encrypt(self.phone()))  # fmt: skip
        boarding = {"primary": 0.03, "junior": 0.35}.get(level, 0.8)
        return {"schooling": level, "school": school,
                "grade": self.pv.GRADES[level][grade], "class_name": class_name,
                "head_teacher": teacher[0], "head_teacher_phone": teacher[1],
                "boarding": rng.random() < boarding}  # fmt: skip

    def elder(self, sex: str, birth: dt.date, surname: str, *, alone: bool = False) -> dict:
        rng = self.rng
        age = _age(birth, self.today)
        p = self.person(sex, birth, surname, lives_alone=alone,
                        income_sources=["farming", "relatives"])  # fmt: skip
        roll = rng.random()
        if roll < 0.07:
            p["health"], p["illness"] = "seriously_ill", rng.choice(self.pv.ELDERLY_ILLNESSES)
            p["medical_aid"] = rng.random() < 0.5
        elif roll < 0.12:
            p["health"] = "disabled"
            p["disability_type"] = rng.choice(self.pv.DISABILITY_TYPES[:4])
            p["disability_grade"] = rng.randint(2, 4)
        semi, full = (0.22, 0.30) if age >= 80 else (0.06, 0.08)
        roll = rng.random()
        p["dependence"] = "semi" if roll < semi else "full" if roll < full else "independent"
        if rng.random() < 0.07:
            p["dibao"], p["income_sources"] = True, ["farming", "government_aid"]
        if alone and rng.random() < 0.04:
            p["tekun"] = True
        return p

    def elder_birth(self) -> dt.date:
        low, high = self.pick([((60, 69), 40), ((70, 79), 35), ((80, 89), 20), ((90, 98), 5)])
        return self.birth(self.rng.randint(low, high))

    def grown_children(self, p: dict, surname: str, first: Kin | None = None) -> list[Kin]:
        """The grown children of an elderly person on file, all away (one of them may
        be `first`, the parent of grandchildren on file)."""
        rng = self.rng
        children = [first] if first else []
        for _n in range(self.pick([(0, 20), (1, 40), (2, 28), (3, 12)]) + (0 if first else 1)):
            born = p["birth_date"] + dt.timedelta(days=rng.randint(21 * 365, 35 * 365))
            born = self.at_least(born, 19)
            children.append(self.kin(rng.choice("MF"), born, surname))
        return children

    def couple(self, surname: str, *, single: bool = False, birth: dt.date | None = None):
        rng = self.rng
        husband_birth = birth or self.elder_birth()
        if single:
            sex = "F" if rng.random() < 0.65 else "M"
            return [self.elder(sex, husband_birth, surname if sex == "M" else self.surname(),
                               alone=True)]  # fmt: skip
        wife_birth = husband_birth + dt.timedelta(days=rng.randint(0, 5 * 365))
        wife_birth = self.at_least(wife_birth, 55)
        husband = self.elder("M", husband_birth, surname)
        wife = self.elder("F", wife_birth, self.surname())
        self.relate(husband, "spouse", relative=wife)
        self.relate(wife, "spouse", relative=husband)
        husband["_spouse"] = wife["_spouse"] = True
        return [husband, wife]

    def parents(self, surname: str, oldest_child_birth: dt.date) -> tuple[Kin, Kin]:
        rng = self.rng
        father_birth = _years_before(oldest_child_birth, rng.randint(23, 36))
        mother_birth = father_birth + dt.timedelta(days=rng.randint(0, 4 * 365))
        father = self.kin("M", father_birth, surname)
        mother = self.kin("F", mother_birth, self.surname())
        return father, mother

    def kids(self, surname: str) -> list[dict]:
        n = self.pick([(1, 50), (2, 38), (3, 12)])
        return [self.child(surname) for _i in range(n)]

    def guardian(self, kid: dict, carer: dict, kind: str) -> None:
        rng = self.rng
        limited = (
            _age(carer["birth_date"], self.today) >= 78
            or carer.get("dependence", "independent") != "independent"
            or carer.get("health", "healthy") != "healthy"
            or rng.random() < 0.05
        )
        self.relate(kid, kind, relative=carer, is_guardian=True, entrusted=True,
                    capacity="limited" if limited else "full",
                    notified_school=bool(kid.get("school")) and rng.random() < 0.85,
                    notified_village=rng.random() < 0.9)  # fmt: skip
        kid["guardianship_type"] = (
            "entrusted_insufficient" if limited else self.pick([("good", 55), ("average", 45)])
        )
        kid["guardianship_assessment"] = (
            "good" if kid["guardianship_type"] == "good"
            else self.pick([("average", 80), ("poor", 20)])
        )  # fmt: skip
        carer["_with_child"] = True

    def _grandparents(self) -> None:
        """Grandparents on file caring for grandchildren whose parents work away (or the
        father away and the mother dead or unable); a few mothers came back."""
        rng = self.rng
        surname = self.surname()
        kids = self.kids(surname)
        oldest = min(k["birth_date"] for k in kids)
        father, mother = self.parents(surname, oldest)
        paternal = rng.random() < 0.75
        roll = rng.random()
        if roll < 0.06:
            mother.away, mother.living = False, False
            mother.province = mother.city = mother.months = mother.last_return = None
            mother.employer, mother.phone_token = "", ""
        elif roll < 0.1:
            mother.away = False
            mother.province = mother.city = mother.months = mother.last_return = None
            mother.employer, mother.health, mother.capacity = "", "seriously_ill", "none"
        returned = None
        if mother.away and rng.random() < 0.03:
            # The mother came home a while ago: the children's enrollment ended then.
            returned = self.days_ago(20, 500)
            mother.returned, mother.last_return, mother.months = True, returned, rng.randint(1, 5)
        grand_birth = _years_before(oldest, rng.randint(45, 60))
        grand_birth = self.at_least(grand_birth, 56)
        elders = self.couple(surname if paternal else self.surname(), single=rng.random() < 0.3,
                             birth=grand_birth)  # fmt: skip
        link = father if paternal else mother
        if link.away and not link.returned:
            for elder in elders:
                for grown in self.grown_children(elder, surname, first=link):
                    self.relate(elder, "child", kin=grown)
        kinds = ("paternal_grandfather", "paternal_grandmother") if paternal else (
            "maternal_grandfather", "maternal_grandmother")  # fmt: skip
        for kid in kids:
            father_rel = self.relate(kid, "father", kin=father)
            mother_rel = self.relate(kid, "mother", kin=mother)
            kid["_parent"] = kid["_away"] = father_rel
            if mother.away and rng.random() < 0.5:
                kid["_parent"] = mother_rel
            for i, elder in enumerate(elders):
                kind = kinds[0] if elder["sex"] == "M" else kinds[1]
                if i == 0:
                    self.guardian(kid, elder, kind)
                else:
                    self.relate(kid, kind, relative=elder)
            if rng.random() < 0.08:
                self.difficulty_flags(kid)
            if returned:
                kid["_returned"] = returned

    def _relative(self) -> None:
        """An aunt or uncle on file looks after children whose parents both work away."""
        rng = self.rng
        surname = self.surname()
        kids = self.kids(surname)
        father, mother = self.parents(surname, min(k["birth_date"] for k in kids))
        sex = rng.choice("MF")
        carer = self.person(sex, self.birth(rng.randint(30, 55)),
                            surname if sex == "M" else self.surname())  # fmt: skip
        for kid in kids:
            kid["_parent"] = kid["_away"] = self.relate(kid, "father", kin=father)
            self.relate(kid, "mother", kin=mother)
            self.guardian(kid, carer, "other_relative")

    def _woman(self) -> None:
        """A woman at home whose husband works away; some with children on file (not
        left behind: their mother is at home), some with his parents."""
        rng = self.rng
        surname = self.surname()
        woman = self.person("F", self.birth(rng.randint(22, 56)), self.surname())
        if rng.random() < 0.08:
            woman["health"], woman["illness"] = "seriously_ill", rng.choice(
                self.pv.ADULT_ILLNESSES)  # fmt: skip
        husband_birth = woman["birth_date"] - dt.timedelta(days=rng.randint(0, 5 * 365))
        husband = self.kin("M", husband_birth, surname)
        returned = rng.random() < 0.04
        if returned:
            day = self.days_ago(20, 400)
            husband.returned, husband.last_return, husband.months = True, day, rng.randint(1, 5)
            woman["_returned"] = day
        woman["_away"] = self.relate(woman, "spouse", kin=husband)
        woman["_spouse"] = True
        if returned:
            return
        if rng.random() < 0.45 and _age(woman["birth_date"], self.today) < 48:
            for _i in range(self.pick([(1, 60), (2, 40)])):
                age = rng.randint(0, min(17, _age(woman["birth_date"], self.today) - 20))
                kid = self.child(surname, age=age)
                self.relate(kid, "father", kin=husband)
                self.relate(kid, "mother", relative=woman)
        if rng.random() < 0.28:
            born = _years_before(husband_birth, rng.randint(22, 32))
            in_laws = self.couple(surname, single=rng.random() < 0.3, birth=born)
            for elder in in_laws:
                elder["_with_child"] = True
                for grown in self.grown_children(elder, surname, first=husband):
                    self.relate(elder, "child", kin=grown)

    def _elderly(self, single: bool = False) -> None:
        """An elderly couple, or someone living alone, every child away."""
        rng = self.rng
        surname = self.surname()
        elders = self.couple(surname, single=single or rng.random() < 0.42)
        children = self.grown_children(elders[0], surname)
        for elder in elders:
            for grown in children:
                self.relate(elder, "child", kin=grown)

    def _difficulty(self) -> None:
        """A child in difficulty (orphan, 事实无人抚养, disabled or poor) with a
        grandparent or relative on file; some are also left behind."""
        rng = self.rng
        surname = self.surname()
        kid = self.child(surname, age=rng.randint(0, 17))
        father, mother = self.parents(surname, kid["birth_date"])
        roll = rng.random()
        if roll < 0.25:  # orphan
            for parent in (father, mother):
                parent.away = parent.living = False
                parent.province = parent.city = parent.months = parent.last_return = None
                parent.employer, parent.phone_token = "", ""
            kid["orphan"] = True
            kid["difficulty_codes"] = ",orphan,"
        elif roll < 0.45:  # de facto unsupported: father in prison or gone, mother gone
            mother.away, mother.living = False, True
            mother.province = mother.city = mother.months = mother.last_return = None
            mother.employer, mother.capacity = "", "none"
            father.capacity = "none"
            kid["de_facto_unsupported"] = True
            kid["difficulty_codes"] = ",de_facto_unsupported,"
        else:
            self.difficulty_flags(kid)
        kid["_away"] = self.relate(kid, "father", kin=father)
        self.relate(kid, "mother", kin=mother)
        if father.away and mother.away:
            kid["_parent"] = kid["_away"]
        carer = self.elder(rng.choice("MF"), self.birth(rng.randint(58, 78)), surname)
        self.guardian(kid, carer, "paternal_grandmother" if carer["sex"] == "F"
                      else "paternal_grandfather")  # fmt: skip
        kid["guardianship_type"] = "entrusted_insufficient" if roll < 0.45 else kid[
            "guardianship_type"]  # fmt: skip

    def difficulty_flags(self, kid: dict) -> None:
        rng = self.rng
        if rng.random() < 0.55:
            kid["dibao"], kid["difficulty_codes"] = True, ",poverty,"
        else:
            kid["health"] = "disabled"
            kid["disability_type"] = rng.choice(self.pv.DISABILITY_TYPES)
            kid["disability_grade"] = rng.randint(1, 4)
            kid["difficulty_codes"] = ",disability,"

    # --- enrollments, assessments, the file ------------------------------------------------

    def settle(self, p: dict) -> None:
        """Enroll the person where the national rules say so, end what has ended, grade
        their risk and write the file."""
        rng, today = self.rng, self.today
        age = _age(p["birth_date"], today)
        rows = []  # (program, started, ended, exit reason, reason)
        relations = p["_relations"]
        parents = {kind: kin for kind, kin, _r in relations if kind in ("father", "mother")}
        if age < 18 and parents:
            rows += self._child_programs(p, age, parents)
        if p["sex"] == "F" and 20 <= age <= 59 and p["_spouse"]:
            spouse = next((kin for kind, kin, _r in relations if kind == "spouse" and kin), None)
            if spouse is not None:
                start = self.start(p, max(_birthday(p["birth_date"], 20), p["_since"]))
                reason = (
                    f"{_age(p['birth_date'], start)}周岁，在20至59周岁之间，已婚，"
                    "丈夫外出务工6个月以上"
                )
                ended = p.get("_returned")
                rows.append((WOMAN, start, ended, "other" if ended else "", reason))
        children = [kin for kind, kin, _r in relations if kind == "child"]
        if age >= 60 and children and all(k.away and not k.returned for k in children):
            start = self.start(p, max(_birthday(p["birth_date"], 60), p["_since"]))
            reason = f"年满60周岁，{len(children)}名在世子女均外出务工6个月以上"
            rows.append((ELDERLY, start, None, "", reason))
        status, changed = "active", None
        if age >= 60 and rows and rng.random() < 0.025:
            status = "deceased" if rng.random() < 0.6 else "moved_out"
            changed = self.days_ago(10, 700)
        for program, start, ended, exit_reason, reason in rows:
            if status != "active" and ended is None:
                ended, exit_reason = max(changed, start), status
            if ended is not None:
                ended = max(ended, start)
            self.w["enrollment"]((
                self.next_id("enrollment"), p["id"], program, start, ended, exit_reason, "",
                self.rules[program], reason, self.worker, self.worker if ended else None,
            ))  # fmt: skip
            if ended is None:
                p["_programs"][program] = start
            elif p["_ended"] is None or ended > p["_ended"][1]:
                p["_ended"] = (program, ended)
        p["status"], p["status_changed_on"] = status, changed
        if p["_programs"] or p["_ended"]:
            first = min([s for _p, s, *_r in rows])
            p["_since"] = min(p["_since"], first)
            p["_group"] = _group(p["_programs"] or {p["_ended"][0]: None})
            self.assess(p, age)
        created = self.aware(p["_since"], 540 + rng.randrange(480))
        self.person_write(p, created)

    def _child_programs(self, p: dict, age: int, parents: dict) -> list[tuple]:
        rows = []
        father, mother = parents.get("father"), parents.get("mother")
        fa = isinstance(father, Kin) and father.away and father.living
        mo = isinstance(mother, Kin) and mother.away and mother.living and not mother.returned
        if fa and mo:
            basis = "父母均外出务工6个月以上"
        elif fa and isinstance(mother, Kin) and (not mother.living or mother.capacity == "none"):
            basis = "父亲外出务工6个月以上，母亲" + ("已故" if not mother.living else "无监护能力")
        else:
            basis = ""
        returned = p.get("_returned")
        start = self.start(p, p["_since"])
        if returned and fa and returned - start < dt.timedelta(days=14):
            # The mother came home before the child would have been enrolled.
            earliest = max(p["_since"], dt.date(2016, 2, 14))
            latest = returned - dt.timedelta(days=14)
            start = None
            if earliest < latest:
                start = earliest + dt.timedelta(days=self.rng.randint(0, (latest - earliest).days))
        if start and (basis or (returned and fa)):
            birthday16 = _birthday(p["birth_date"], 16)
            ended, exit_reason = None, ""
            if returned:
                ended, exit_reason = returned, "parents_returned"
            elif age >= 16:
                if birthday16 > self.today - dt.timedelta(days=30) and birthday16 > start:
                    self.w["proposal"]((
                        self.next_id("proposal"), p["id"], CHILD, "exit", "已年满16周岁",
                        "age_limit", self.rules[CHILD], birthday16, "pending",
                    ))  # fmt: skip
                else:
                    ended, exit_reason = max(birthday16, start), "age_limit"
            reason = f"未满16周岁，{basis or '父母均外出务工6个月以上'}"
            rows.append((CHILD, start, ended, exit_reason, reason))
        codes = [c for c in p.get("difficulty_codes", "").split(",") if c]
        if codes:
            start = self.start(p, p["_since"])
            labels = "、".join(CATEGORY_LABELS[c] for c in CATEGORY_ORDER if c in codes)
            rows.append((DIFFICULTY, start, None, "", f"未满18周岁，属于{labels}"))
        return rows

    def start(self, p: dict, earliest: dt.date) -> dt.date:
        """An enrollment date: after the rule took effect and the person qualified,
        within six years, at least two weeks ago."""
        low = max(earliest, dt.date(2016, 2, 14), _years_before(self.today, 6))
        high = self.today - dt.timedelta(days=14)
        if low >= high:
            return min(low, self.today)
        return low + dt.timedelta(days=self.rng.randint(0, (high - low).days))

    def assess(self, p: dict, age: int) -> None:
        """The current assessment (and for some an earlier one), graded by the rubric."""
        rubric = self.rubric
        rng, xv = self.rng, self.xv
        since = max(p["_since"], min(p["_programs"].values(), default=p["_since"]))
        programs = list(p["_programs"]) or [p["_ended"][0]]
        subject = rubric.subject_of(age=age, programs=programs)
        answers = self.answers(p, subject, age)
        grading = self._grade(subject, answers, age)
        grade = self.grades[grading.rank]
        end = p["_ended"][1] if not p["_programs"] else self.today
        if rng.random() < 0.06 and p["_programs"]:
            day = end - dt.timedelta(days=grade.reassess_days + rng.randint(1, 75))
        else:
            day = end - dt.timedelta(days=rng.randint(0, grade.reassess_days - 1))
        day = max(day, since)
        rows = []
        if rng.random() < xv.TWICE:
            earlier = day - dt.timedelta(days=rng.randint(150, 420))
            if earlier >= since:
                old = dict(answers)
                for code in ("mental", "safety", "economic"):
                    if code in old and rng.random() < 0.35:
                        old[code] = self.answers(p, subject, age)[code]
                rows.append((earlier, old, False))
        rows.append((day, answers, rng.random() < xv.OVERRIDE_SHARE))
        for day, mine, override in rows:
            graded = self._grade(subject, mine, _age(p["birth_date"], day))
            computed = self.grades[graded.rank]
            final, reason = computed, ""
            if override and not graded.red_flags:
                up = graded.rank > 1 and (graded.rank == len(self.grades) or rng.random() < 0.7)
                final = self.grades[graded.rank - 1 if up else graded.rank + 1]
                reason = rng.choice(xv.OVERRIDES_UP if up else xv.OVERRIDES_DOWN)
            note = rng.choice(xv.NOTES_HIGH) if final.rank <= 2 and rng.random() < 0.6 else ""
            aid = self.next_id("assessment")
            next_due = day + dt.timedelta(days=final.reassess_days)
            self.w["assessment"]((
                aid, p["id"], self.scale_id, subject, mine,
                graded.score, list(graded.red_flags), computed.pk, final.pk, reason,
                day, next_due, note, self.worker, self.aware(day, 600 + rng.randrange(420)),
            ))  # fmt: skip
        self.w["currentrisk"]((p["id"], aid, final.pk, day, next_due))
        p["risk_level"] = final.tier
        p["_risk"] = final.tier
        p["_answers"] = answers

    def _grade(self, subject: str, answers: dict, age: int):
        rubric = self.rubric
        key = (subject, tuple(answers.values()), age < 16)
        found = self.grading.get(key)
        if found is None:
            found = self.grading[key] = rubric.grade(
                subject=subject, answers=answers, age=age, thresholds=self.thresholds
            )
        return found

    def answers(self, p: dict, subject: str, age: int) -> dict:
        """Answers read off the file where it says something, drawn where it does not
        (mood, safety), as the demo's assessments are."""
        rubric = self.rubric
        rng, xv = self.rng, self.xv
        guardianship = {"none": "none", "parent_incapable": "parent_incapable",
                        "entrusted_insufficient": "insufficient", "average": "average",
                        "good": "good"}.get(p.get("guardianship_type", ""))  # fmt: skip
        if guardianship is None:
            insufficient = p.get("orphan") or p.get("de_facto_unsupported")
            guardianship = "insufficient" if insufficient else "good"
        if p.get("lives_alone"):
            living = "alone"
        elif p.get("boarding"):
            living = "boarding"
        else:
            living = "with_relatives" if rng.random() < 0.03 else "with_guardian"
        physical = {"disabled": "disabled", "seriously_ill": "serious"}.get(p.get("health", ""))
        if physical is None:
            chronic = 0.5 if age >= 60 else 0.08 if age >= 18 else 0.04
            physical = "chronic" if rng.random() < chronic else "healthy"
        if p.get("schooling") == "dropped_out":
            schooling = "dropped_out"
        elif p.get("schooling") in ("primary", "junior", "senior", "vocational"):
            schooling = self.pick(xv.SCHOOLING)
        else:
            schooling = "normal"
        if p.get("dibao") or p.get("tekun") or p.get("orphan"):
            economic = "very_difficult"
        elif p.get("de_facto_unsupported"):
            economic = "difficult"
        else:
            economic = "difficult" if rng.random() < (0.14 if age >= 60 else 0.09) else "normal"
        if p.get("lives_alone"):
            elderly_living = "alone"
        elif p["_with_child"] or not p["_spouse"]:
            elderly_living = "with_family"
        else:
            elderly_living = "with_spouse"
        group = subject
        mood = group
        if group == "child" and guardianship in ("insufficient", "parent_incapable", "none"):
            mood = "child_weak"
        elif group == "elderly" and p.get("lives_alone"):
            mood = "elderly_alone"
        safety, mental = self.pick(xv.SAFETY[group]), self.pick(xv.MENTAL[mood])
        trouble = rng.random()
        if trouble < xv.TROUBLE["severe"]:
            safety = max(safety, self.pick(xv.TROUBLED_SAFETY), key=_SAFETY.index)
            mental = max(mental, self.pick(xv.TROUBLED_MENTAL), key=_MENTAL.index)
            economic = "difficult" if economic == "normal" else economic
        elif trouble < xv.TROUBLE["severe"] + xv.TROUBLE["moderate"]:
            mental = max(mental, "unstable", key=_MENTAL.index)
        every = {
            "guardianship": guardianship, "living": living, "safety": safety,
            "physical": physical, "mental": mental, "schooling": schooling,
            "economic": economic, "elderly_living": elderly_living,
            "dependence": p.get("dependence") or "independent",
        }  # fmt: skip
        return {item.code: every[item.code] for item in rubric.items_for(subject)}

    def person_write(self, p: dict, created: dt.datetime) -> None:
        g = p.get
        pinyin, initials = self.names(p["name"])
        income = g("income_sources")
        self.w["person"]((
            p["id"], p["name"], p["sex"], g("ethnicity", "汉族"), p["birth_date"],
            g("id_number", ""), g("id_number_index"), g("hukou_registered", True),
            g("phone", ""), g("phone_index", ""), self.village.code, self.address, self.hh,
            g("health", "healthy"), g("disability_type", ""), g("disability_grade"),
            g("illness", ""), g("lives_alone", False), g("dependence", "independent"),
            g("dibao", False), g("tekun", False), False, g("medical_aid", False), False,
            False, g("orphan", False), g("de_facto_unsupported", False),
            income or [], g("schooling", ""), g("school", ""),
            g("grade", ""), g("class_name", ""), g("head_teacher", ""),
            g("head_teacher_phone", ""), g("boarding", False), g("personality", ""),
            g("hobbies", ""), g("guardianship_type", ""), g("guardianship_assessment", ""),
            g("difficulty_codes", ""), p["status"], p["status_changed_on"], "",
            g("risk_level", ""), pinyin, initials, 1, created, created, self.worker,
        ))  # fmt: skip

    # --- care network ----------------------------------------------------------------------

    def volunteers(self, villages: list[Village], people: list[dict]) -> dict:
        """Approved volunteers where they are needed, sized to the people to pair, plus
        some applied, rejected or withdrawn. Returns {(place, kind): [[id, free]]}."""
        rng, cv = self.rng, self.cv
        need: dict[tuple[str, str], float] = defaultdict(float)
        for p in people:
            if not p["_programs"]:
                continue
            village, group = p["_vcode"], p["_group"]
            if group == "child":
                need[(village, "proxy_parent")] += 0.5
                need[(village, "caring_mother")] += 0.45
                if p.get("school"):
                    need[(self.township, "teacher")] += 0.4
            elif group == "elderly":
                for kind, share in cv.ELDERLY_MIX.items():
                    place = self.township if kind in cv.AT_TOWNSHIP else village
                    need[(place, kind)] += 0.9 * share / 100
            else:
                need[(village, "caring_mother")] += 0.2
                need[(village, "village_cadre")] += 0.12
        pools: dict[tuple[str, str], list[list[int]]] = defaultdict(list)
        statuses = [("approved", 88), ("applied", 3), ("reviewing", 2), ("rejected", 3),
                    ("withdrawn", 4)]  # fmt: skip
        organisation = {
            "proxy_parent": "women_federation", "caring_mother": "women_federation",
            "teacher": "school", "five_elders": "guangong", "volunteer": "youth_league",
            "village_cadre": "village_committee", "cadre": "party",
        }  # fmt: skip
        for (place, kind), wanted in sorted(need.items()):
            (low, high), (young, old), women = cv.PROFILE[kind]
            capacity = (low + high) / 2
            count = max(1, round(wanted / capacity * 1.12 / 0.88))
            for _i in range(count):
                vid = self.next_id("volunteer")
                status = self.pick(statuses)
                sex = "F" if rng.random() < women else "M"
                name = self.surname() + self.given(sex, self.birth(rng.randint(young, old)))
                number = self.phone()
                cap = rng.randint(low, high)
                joined = self.days_ago(60, 5 * 365)
                reviewed = status not in ("applied", "reviewing")
                reason = ""
                disqualified = []
                if status == "rejected":
                    reason, codes = rng.choice(cv.REJECTIONS)
                    disqualified = list(codes)
                elif status == "withdrawn":
                    reason = rng.choice(cv.WITHDRAWALS)
                created = self.aware(joined)
                org_name = ""
                if kind == "teacher":
                    org_name = f"{self.village.township_name}中心小学"
                self.w["volunteer"]((
                    vid, name, kind, organisation[kind], org_name, place, self.encrypt(number),
                    self.blind_index(number, purpose="phone"), cap, status,
                    status != "applied", disqualified, self.supervisor if reviewed else None,
                    self.aware(joined + dt.timedelta(days=rng.randint(3, 20))) if reviewed
                    else None, reason, "", 1, created, created, self.supervisor,
                ))  # fmt: skip
                if status == "approved":
                    pools[(place, kind)].append([vid, cap])
                elif status == "withdrawn":
                    pools[(place, "_left")].append([vid, kind])
        for pool in pools.values():
            rng.shuffle(pool)
        return pools

    def pairings(self, people: list[dict], pools: dict) -> None:
        """Nearest first within capacity: the village, then the township; a few people
        have an ended pairing before the current one."""
        rng, cv = self.rng, self.cv
        township = self.township

        def take(village: str, kinds, township_only=False):
            places = [township] if township_only else [village, township]
            for place in places:
                for kind in kinds:
                    pool = pools.get((place, kind))
                    while pool:
                        entry = pool[-1]
                        if entry[1] > 0:
                            entry[1] -= 1
                            if entry[1] == 0:
                                pool.pop()
                            return entry[0], kind
                        pool.pop()
            return None

        for p in people:
            group = p["_group"]
            exited = not p["_programs"]
            if not group or exited and p["_ended"][1] < self.window_start:
                continue
            village, risk = p["_vcode"], p.get("_risk", "")
            if group == "child":
                if rng.random() < cv.UNPAIRED["child"]:
                    continue
                kinds = rng.sample(cv.CHILD_KINDS, 2)
            elif group == "elderly":
                unpaired = cv.UNPAIRED["elderly_high" if risk == "high" else "elderly"]
                if rng.random() < unpaired:
                    continue
                kinds = rng.sample(cv.ELDERLY_KINDS, len(cv.ELDERLY_KINDS))
            else:
                if rng.random() > cv.WOMEN_PAIRED:
                    continue
                kinds = ["caring_mother", "village_cadre"]
            since = max(min(p["_programs"].values()) if p["_programs"] else p["_since"],
                        p["_since"])  # fmt: skip
            found = take(village, kinds)
            if found is None:
                continue
            vid, kind = found
            latest = self.today - dt.timedelta(days=20)
            started = since + dt.timedelta(days=rng.randint(0, max(0, (latest - since).days)))
            started = min(started, latest) if since <= latest else since
            ended, reason = None, ""
            if exited:
                ended = p["_ended"][1]
                started = min(started, ended - dt.timedelta(days=1))
                reason = "person_moved" if p["status"] != "active" else "person_exited"
                started = max(started, since)
                if started >= ended:
                    continue
            history = pools.get((township, "_left")) or pools.get((village, "_left"))
            if history and rng.random() < 0.08 and (started - since).days > 90:
                old_vid, old_kind = rng.choice(history)
                old_start = since + dt.timedelta(days=rng.randint(0, (started - since).days - 60))
                self.pairing(p, old_vid, old_kind, old_start, started,
                             rng.choice(["volunteer_left", "reassigned"]))  # fmt: skip
            self.pairing(p, vid, kind, started, ended, reason)
            if group == "child" and p.get("school") and rng.random() < 0.4:
                found = take(village, ["teacher"], township_only=True)
                if found:
                    self.pairing(p, found[0], "teacher", started, ended, reason)

    def pairing(self, p, vid, kind, started, ended, reason) -> None:
        self.w["pairing"]((
            self.next_id("pairing"), p["id"], vid, kind, started, ended, reason, "",
            self.aware(started), self.worker, self.worker if ended else None,
        ))  # fmt: skip
        start_index = (started - self.window_start).days
        end_index = (ended - self.window_start).days if ended else WINDOW_DAYS + 1
        p["_pairings"].append((vid, kind, start_index, end_index))

    def contacts(self, people: list[dict], quota: int) -> None:
        """Exactly `quota` contacts for the township's people, by weight."""
        rng, cv = self.rng, self.cv
        weights = []
        for p in people:
            group, paired = p["_group"], p["_pairings"]
            kinds = {k for _v, k, _s, _e in paired}
            if group == "child":
                w = 90 if "proxy_parent" in kinds else 40 if paired else 12
            elif group == "elderly":
                w = (55 if p.get("_risk") == "high" else 30) if paired else 10
            elif group == "woman":
                w = 10 if paired else 2
            else:
                weights.append(0)
                continue
            lo = max((p["_since"] - self.window_start).days, 0)
            hi = WINDOW_DAYS
            if not p["_programs"]:
                hi = min(hi, (p["_ended"][1] - self.window_start).days - 1)
            if hi < lo:
                w = 0
            else:
                w *= (hi - lo + 1) / (WINDOW_DAYS + 1)
            p["_span"] = (lo, hi)
            weights.append(w)
        total = sum(weights)
        self.carry = 0 if total else quota
        if not total or not quota:
            return
        shares = [quota * w / total for w in weights]
        counts = [int(s) for s in shares]
        missing = quota - sum(counts)
        if missing:
            for i in rng.choices(range(len(people)), weights=weights, k=missing):
                counts[i] += 1
        days, write, worker, supervisor = self.days, self.w["contact"], self.worker, None
        stride, base = self.stride, self.base
        notes, durations, concerns = cv.NOTES, cv.DURATIONS, cv.CONCERNS
        random_ = rng.random
        stamps = {}
        for p, count in zip(people, counts, strict=True):
            if not count:
                continue
            worker = self.staff.village[p["_vcode"]]
            supervisor = self.supervisor
            lo, hi = p["_span"]
            if random_() < 0.12 and p["_programs"]:
                hi = max(lo, hi - rng.randint(20, 90))
            step = (hi - lo + 1) / count
            group, paired, parent = p["_group"], p["_pairings"], p["_parent"]
            family_every = 8 if group == "child" and parent else 0
            staff_kinds = STAFF_KINDS[group]
            pid = p["id"]
            for k in range(count):
                d = lo + int((k + random_()) * step)
                if d > hi:
                    d = hi
                day = days[d]
                volunteer, pairing_kind, parent_id = None, "", None
                if family_every and k % family_every == family_every - 1:
                    kind, parent_id = "family_call", parent
                else:
                    carer = None
                    if paired and random_() < 0.8:
                        active = [c for c in paired if c[2] <= d < c[3]]
                        if active:
                            carer = active[0] if len(active) == 1 else rng.choice(active)
                    if carer is None:
                        kind = staff_kinds[int(random_() * len(staff_kinds))]
                    else:
                        volunteer, pairing_kind = carer[0], carer[1]
                        choices = CARER_KINDS.get(pairing_kind) or (
                            ELDER_KINDS if group == "elderly" else WOMAN_KINDS
                        )
                        kind = choices[int(random_() * len(choices))]
                low, high = durations[kind]
                minutes = low + int(random_() * (high - low + 1))
                note = ""
                if random_() < 0.25:
                    options = notes.get(kind)
                    if options:
                        note = options[int(random_() * len(options))]
                concern, resolved_at, resolved_by = False, None, None
                if random_() < 0.002:
                    concern = True
                    options = concerns.get("elderly" if group == "elderly" else "child")
                    note = options[int(random_() * len(options))]
                    if random_() < 0.7:
                        resolved = min(day + dt.timedelta(days=rng.randint(1, 10)), self.today)
                        resolved_at = min(self.aware(resolved, 900), self.now)
                        resolved_by = supervisor
                stamp = stamps.get(d)
                if stamp is None:
                    stamp = stamps[d] = self.aware(day, 660)
                self.ids["contact"] += 1
                write((
                    self.ids["contact"] * stride + base, pid, kind, day, volunteer, pairing_kind,
                    minutes, note, parent_id, concern, resolved_at, resolved_by, worker, stamp,
                ))  # fmt: skip
            self.contacts_written += count

    # --- protection: services, aid, stations, surveys, cases ----------------------------

    def support(self, people: list[dict]) -> None:
        rng, xv = self.rng, self.xv
        township = self.village.township_name
        kinds = {
            "child": [("school_aid", 30), ("health_check", 25), ("counselling", 15)],
            "woman": [("cancer_screening", 40), ("skills_training", 35),
                      ("entrepreneurship", 10), ("legal_aid", 5)],
            "elderly": [("health_check", 50), ("free_clinic", 30), ("day_care", 15)],
        }  # fmt: skip
        festival = _spring_festival(self.today.year)
        if festival > self.today:
            festival = _spring_festival(self.today.year - 1)
        for p in people:
            if not p["_programs"] or p["status"] != "active":
                continue
            group = p["_group"]
            since = max(p["_since"], min(p["_programs"].values()))
            worker = self.staff.village[p["_vcode"]]
            lo = max(since, self.today - dt.timedelta(days=364))
            if lo >= self.today:
                continue
            services = 1 if rng.random() < 0.45 else 0
            if p.get("_answers", {}).get("mental") in ("marked", "self_harm"):
                kind = "counselling"
                services += 1
            for n in range(services):
                kind = "counselling" if n else self.pick(kinds[group])
                day = lo + dt.timedelta(days=rng.randint(0, (self.today - lo).days))
                provider = rng.choice(xv.PROVIDERS[kind]).format(township=township)
                self.w["service"]((
                    self.next_id("service"), p["id"], kind, day, provider,
                    rng.choice(xv.SERVICE_FUNDS[kind]), rng.choice(xv.SERVICE_NOTES[kind]),
                    worker, self.aware(day, 900),
                ))  # fmt: skip
            if rng.random() < 0.3 and festival >= lo:
                day = festival - dt.timedelta(days=rng.randint(1, 10))
                day = max(day, lo)
                giver, fund = rng.choice(xv.ACTIVITY_GIVERS[group])
                relation = p["_away"] if rng.random() < 0.1 else None
                if rng.random() < 0.6:
                    amount = Decimal(self.pick(xv.CASH))
                    row = ("cash", amount, "", None)
                else:
                    items, value = rng.choice(xv.GOODS[group])
                    row = ("goods", None, items, Decimal(value))
                self.w["aid"]((
                    self.next_id("aid"), p["id"], relation, row[0], day, row[1], row[2], row[3],
                    giver, fund, None, worker, self.aware(day, 900),
                ))  # fmt: skip

    def stations(self, villages: list[Village], people: list[dict], pools: dict) -> None:
        rng, xv = self.rng, self.xv
        by_village: dict[str, list[dict]] = defaultdict(list)
        for p in people:
            if p["_programs"] and p["status"] == "active":
                by_village[p["_vcode"]].append(p)
        for village in villages:
            if rng.random() >= xv.STATIONS_SHARE:
                continue
            kinds = ["children_home"]
            if rng.random() < xv.SECOND_SHARE:
                kinds.append(self.pick(xv.SECOND_STATIONS))
            worker = self.staff.village[village.code]
            for kind in kinds:
                sid = self.next_id("station")
                opened = self.days_ago(400, 8 * 365)
                haves = [rng.random() < share for share in xv.HAVES.values()]
                manager = self.surname() + self.given("F", self.birth(rng.randint(30, 55)))
                self.w["station"]((
                    sid, village.code, kind, f"{village.name}{xv.STATION_NAMES[kind]}",
                    f"{village.name}{rng.choice(xv.PLACES)}", manager, opened, *haves, 1,
                    self.aware(opened),
                ))  # fmt: skip
                who = xv.STATION_FOR[kind]
                here = [p for p in by_village[village.code] if p["_group"] == who]
                helpers = [v[0] for key, vs in pools.items() if key[0] == village.code
                           and key[1] != "_left" for v in vs]  # fmt: skip
                for key, kind_, title, text, with_aid in xv.ACTIVITIES[who]:
                    if rng.random() > 0.55:
                        continue
                    day = self._recent(key)
                    if day is None or day < opened:
                        continue
                    aid = self.next_id("activity")
                    self.w["activity"]((aid, sid, day, kind_, title, text, worker,
                                        self.aware(day, 1000)))  # fmt: skip
                    joined = rng.sample(here, min(len(here), rng.randint(5, 20)))
                    for p in joined:
                        self.w["activity_people"]((self.next_id("activity_people"), aid, p["id"]))
                    for vid in rng.sample(helpers, min(len(helpers), rng.randint(0, 3))):
                        self.w["activity_volunteers"]((self.next_id("activity_volunteers"), aid,
                                                       vid))  # fmt: skip
                    if with_aid:
                        giver, fund = rng.choice(xv.ACTIVITY_GIVERS[who])
                        items, value = rng.choice(xv.GOODS[who])
                        for p in joined:
                            if day < p["_since"]:
                                continue
                            self.w["aid"]((
                                self.next_id("aid"), p["id"], None, "goods", day, None, items,
                                Decimal(value), giver, fund, aid, worker, self.aware(day, 1000),
                            ))  # fmt: skip

    def _recent(self, key: str) -> dt.date | None:
        """The last time (within a year, not in the future) of a festival or MM-DD."""
        for year in (self.today.year, self.today.year - 1):
            day = self.xv.festival_day(key, year)
            if day is not None and self.today - dt.timedelta(days=365) < day <= self.today:
                return day
        return None

    def verifications(self, people: list[dict]) -> None:
        rng = self.rng
        past, current = self.rounds[self.county]
        write = self.w["verification"]
        past_start = dt.date(self.today.year - 1, 4, 1)
        current_start = self.today - dt.timedelta(days=20)
        for p in people:
            worker = self.staff.village[p["_vcode"]]
            if p["_since"] <= past_start and rng.random() < 0.85:
                day = past_start + dt.timedelta(days=rng.randint(0, 60))
                changed = rng.random() < 0.08
                write((self.next_id("verification"), past, p["id"], worker,
                       self.aware(day, 600 + rng.randrange(480)), changed,
                       "监护人联系电话有变更" if changed else ""))  # fmt: skip
            if p["status"] == "active" and rng.random() < 0.4:
                day = current_start + dt.timedelta(days=rng.randint(0, 20))
                write((self.next_id("verification"), current, p["id"], worker,
                       self.aware(day, 600 + rng.randrange(400)), False, ""))  # fmt: skip

    def cases(self, villages: list[Village], people: list[dict]) -> None:
        """About one case per 400 people on file, in every state, with their history."""
        rng = self.rng
        expected = len(people) / 400
        count = int(expected) + (rng.random() < expected - int(expected))
        active = [p for p in people if p["_programs"] and p["status"] == "active"]
        if not active:
            return
        now = self.now
        for _n in range(count):
            category = self.pick(CASE_CATEGORIES)
            elderly = category in ("elderly_danger", "abandonment")
            pool = [p for p in active if (p["_group"] == "elderly") == elderly] or active
            subject = rng.choice(pool)
            village = subject["_vcode"]
            worker = self.staff.village[village]
            state = self.pick(CASE_STATES)
            path = CASE_PATHS[state]
            # Open cases are recent; closed ones up to a year old.
            age_hours = rng.randint(2, 24 * 360) if state == "closed" else {
                "reported": rng.randint(0, 3), "accepted": rng.randint(1, 48),
            }.get(state, rng.randint(24, 24 * 120))  # fmt: skip
            created = now - dt.timedelta(hours=age_hours, minutes=rng.randint(0, 59))
            moments = [created]
            for previous_state in path[:-1]:
                hours = self.deadlines.get(previous_state, 24)
                late = rng.random() < 0.15
                span = hours * (rng.uniform(1.0, 1.6) if late else rng.uniform(0.1, 0.9))
                moment = moments[-1] + dt.timedelta(hours=span)
                if moment >= now:
                    moment = moments[-1] + (now - moments[-1]) * rng.uniform(0.3, 0.9)
                moments.append(moment)
            since = moments[-1]
            deadline = None
            if state != "closed" and state in self.deadlines:
                deadline = since + dt.timedelta(hours=self.deadlines[state])
            cid = self.next_id("case")
            discovered = created - dt.timedelta(hours=rng.randint(1, 30))
            police = category in ("domestic_violence", "abuse", "injury") and rng.random() < 0.6
            channel = self.pick([("system", 60), ("12345", 12), ("12349", 10), ("12355", 10),
                                 ("110", 8)])  # fmt: skip
            closed = state == "closed"
            summary = self.encrypt(CLOSING) if closed else ""
            self.w["case"]((
                cid, village, category, "", self.encrypt(CASE_TEXT[category]), discovered,
                f"{self.village_name(village)}村民家中", channel,
                self.surname() + self.given("F", self.birth(rng.randint(30, 55))),
                self.encrypt(self.phone()), "村委会" if channel == "system" else "",
                self.encrypt("已电话联系监护人，村干部上门查看") if rng.random() < 0.7 else "",
                police, discovered + dt.timedelta(hours=1) if police else None, state, since,
                deadline, 0, summary, self.supervisor if closed else None,
                since if closed else None, worker, created, since, len(path),
            ))  # fmt: skip
            self.w["case_people"]((self.next_id("case_people"), cid, subject["id"]))
            self.w["case_assignees"]((self.next_id("case_assignees"), cid, worker))
            if state not in ("reported", "accepted") and rng.random() < 0.5:
                self.w["case_assignees"]((self.next_id("case_assignees"), cid, self.supervisor))
            previous = ""
            for s, moment in zip(path, moments, strict=True):
                by = worker if s == "reported" else self.supervisor
                note = self.encrypt("同意结案") if s == "closed" else ""
                self.w["case_event"]((self.next_id("case_event"), cid, previous, s, moment, by,
                                      note))  # fmt: skip
                previous = s
            for moment in moments[1:][: rng.randint(0, 3)]:
                self.w["case_note"]((
                    self.next_id("case_note"), cid,
                    self.encrypt("入户了解情况，与监护人谈话，落实临时照料措施"), worker,
                    min(moment + dt.timedelta(hours=2), now),
                ))  # fmt: skip
            if "investigating" in path and rng.random() < 0.5:
                referred = moments[path.index("investigating")].date()
                answer = rng.choice(["", "accepted", "done"])
                self.w["referral"]((
                    self.next_id("referral"), cid, rng.choice(["civil_affairs", "education",
                                                               "health", "women_federation"]),
                    referred, "请协助开展帮扶", answer, "已安排专人跟进" if answer else "",
                    referred + dt.timedelta(days=3) if answer else None, self.supervisor,
                ))  # fmt: skip
            if "intervention" in path:
                day = moments[path.index("intervention")].date()
                self.w["intervention"]((
                    self.next_id("intervention"), cid, rng.choice(["admonish", "re_entrust"]),
                    day, "约谈监护人，责令履行监护职责", self.supervisor,
                ))  # fmt: skip

    def village_name(self, code: str) -> str:
        return self.village_names.get(code, "")


_SAFETY = ["safe", "hazard", "bullying", "violence"]
_MENTAL = ["good", "unstable", "marked", "self_harm"]


def _group(programs) -> str:
    if CHILD in programs or DIFFICULTY in programs:
        return "child"
    if ELDERLY in programs:
        return "elderly"
    return "woman"


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _birthday(birth: dt.date, years: int) -> dt.date:
    return _years_before(birth, -years)


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _spring_festival(year: int) -> dt.date:
    from shouwang.people.demo.values import spring_festival

    return spring_festival(year)


# --- Users ------------------------------------------------------------------------------


def ensure_users(database_url: str) -> dict[str, tuple[str, str]]:
    """Create (once) the three logins the benchmark times pages as, with the project's
    `user_create`: a leader for the province, an administrator of the county with the
    most people, a village worker of that county's largest village. Prints and returns
    {role key: (username, area code)}; the password is PASSWORD."""
    _setup(database_url)
    from django.db.models import Count
    from django.db.models.functions import Substr

    from shouwang.accounts.models import User
    from shouwang.accounts.roles import Role
    from shouwang.accounts.services import user_create
    from shouwang.people.models import Person
    from shouwang.regions.models import Area

    existing = {u.username: u for u in User.objects.filter(username__in=LOGINS.values())}
    if len(existing) == len(LOGINS):
        county = existing[LOGINS["county"]].scope_area_id
        village = existing[LOGINS["village"]].scope_area_id
    else:
        by_county = (
            Person.objects.annotate(county=Substr("village_id", 1, 6))
            .values("county").annotate(n=Count("pk")).order_by("-n", "county").first()
        )  # fmt: skip
        county = by_county["county"].ljust(12, "0")
        village = (
            Person.objects.in_area_prefix(county[:6]).values("village_id")
            .annotate(n=Count("pk")).order_by("-n", "village_id").first()["village_id"]
        )  # fmt: skip
    province = county[:2].ljust(12, "0")
    wanted = [
        ("leader", Role.LEADER, province, "省级领导"),
        ("county", Role.COUNTY_ADMIN, county, "县级管理员"),
        ("village", Role.VILLAGE_WORKER, village, "村儿童主任"),
    ]
    result = {}
    for key, role, code, full_name in wanted:
        username = LOGINS[key]
        if username not in existing:
            user_create(username=username, password=PASSWORD, role=role,
                        scope_area=Area.objects.get(code=code), full_name=full_name)  # fmt: skip
        area = Area.objects.get(code=code)
        result[key] = (username, code)
        print(f"  {username:14s} {role.label:8s} {code} {area.name}")
    print(f"  password: {PASSWORD}")
    return result


# --- Checks -----------------------------------------------------------------------------


class Rollback(Exception):
    pass


def check_sample(*, quick: bool = False) -> None:
    """Compare, on the people of a few villages, what the load wrote with what the
    app's own functions compute (in a transaction rolled back afterwards):
    `contact_indexes_rebuild` (LastContact, ContactMonth), `current_risk_refresh`
    (CurrentRisk, Person.risk_level), `due_dates_refresh` (PersonDue), the rubric
    (each assessment's score, red flags and computed level) and `verdicts_for` (open
    enrollments against the national rules)."""
    from django.db import transaction
    from django.db.models import Count

    from shouwang.care.models import ContactMonth, LastContact, PersonDue
    from shouwang.care.services.contacts import contact_indexes_rebuild
    from shouwang.care.services.due_dates import due_dates_refresh
    from shouwang.people.models import Enrollment, Person
    from shouwang.people.services.programs import RuleBook, verdicts_for
    from shouwang.protection import rubric
    from shouwang.protection.models import Assessment, CurrentRisk
    from shouwang.protection.services.risk import current_risk_refresh, thresholds

    villages = list(
        Person.objects.values_list("village_id", flat=True).annotate(n=Count("pk"))
        .order_by("village_id")
    )  # fmt: skip
    picked = sorted({villages[0], villages[len(villages) // 2], villages[-1]})
    if not quick:
        picked += [villages[i] for i in range(1, len(villages), max(1, len(villages) // 5))]
    people = Person.objects.filter(village_id__in=picked)
    ids = list(people.values_list("pk", flat=True))

    def snapshot():
        return (
            sorted(LastContact.objects.filter(person_id__in=ids).values_list(
                "person_id", "kind", "pairing_kind", "date")),
            sorted(ContactMonth.objects.filter(person_id__in=ids).values_list(
                "person_id", "month", "kinds")),
            sorted(CurrentRisk.objects.filter(person_id__in=ids).values_list(
                "person_id", "assessment_id", "grade_id", "assessed_on", "next_due")),
            sorted(Person.objects.filter(pk__in=ids).values_list("pk", "risk_level")),
            sorted(PersonDue.objects.filter(person_id__in=ids).values_list(
                "person_id", "village", "due_on")),
        )  # fmt: skip

    before = snapshot()
    try:
        with transaction.atomic():
            contact_indexes_rebuild(people=people)
            for start in range(0, len(ids), 900):
                current_risk_refresh(person_ids=ids[start : start + 900])
            due_dates_refresh(people=people)
            after = snapshot()
            raise Rollback
    except Rollback:
        pass
    labels = ("LastContact", "ContactMonth", "CurrentRisk", "Person.risk_level", "PersonDue")
    problems = 0
    for label, ours, theirs in zip(labels, before, after, strict=True):
        same = ours == theirs
        problems += not same
        print(f"  {label}: {len(ours):,} rows, {'same' if same else 'DIFFERENT'} as the app's")

    grading_errors = 0
    grades = {}
    for a in Assessment.objects.filter(person_id__in=ids).select_related("person", "scale"):
        if a.scale_id not in grades:
            grades[a.scale_id] = {g.rank: g.pk for g in a.scale.grades.all()}
            limits = thresholds(a.scale.grades.all())
        graded = rubric.grade(subject=a.subject, answers=a.answers,
                              age=a.person.age_on(a.assessed_on), thresholds=limits)  # fmt: skip
        if (graded.score, list(graded.red_flags), grades[a.scale_id][graded.rank]) != (
            a.score,
            a.red_flags,
            a.computed_grade_id,
        ):
            grading_errors += 1
    problems += bool(grading_errors)
    print(f"  assessments graded again by the rubric: {grading_errors} differ")

    book = RuleBook()
    open_enrollments = defaultdict(set)
    for person_id, program in Enrollment.objects.filter(
        person_id__in=ids, ended_on__isnull=True
    ).values_list("person_id", "program"):
        open_enrollments[person_id].add(program)
    from shouwang.people.models import Proposal

    pending = set(Proposal.objects.filter(person_id__in=ids, status="pending").values_list(
        "person_id", flat=True))  # fmt: skip
    mismatched = []
    checked = 0
    active_ids = list(
        people.filter(status="active").exclude(pk__in=pending).values_list("pk", flat=True)
    )
    # In chunks: SQLite refuses the prefetch's IN lists of thousands (expression depth).
    chunks = [active_ids[i : i + 500] for i in range(0, len(active_ids), 500)]
    active = (
        person
        for chunk in chunks
        for person in Person.objects.filter(pk__in=chunk).prefetch_related("relations__relative")
    )
    for person in active:
        eligible = {
            verdict.program
            for verdict, _rule in verdicts_for(person, person_today(), book,
                                               list(person.relations.all()))
            if verdict.eligible
        }  # fmt: skip
        checked += 1
        if eligible != open_enrollments[person.pk]:
            mismatched.append((person.pk, sorted(eligible), sorted(open_enrollments[person.pk])))
    print(f"  eligibility (verdicts_for) of {checked:,} active files without a pending "
          f"proposal ({len(pending)} have one): "
          f"{len(mismatched)} differ from their open enrollments")  # fmt: skip
    for row in mismatched[:5]:
        print(f"    person {row[0]}: rules say {row[1]}, enrolled in {row[2]}")
    from django.db import connection

    if connection.vendor == "postgresql":
        problems += foreign_keys_sample()
    print(f"  sample: {len(ids):,} people in {len(picked)} villages; "
          f"{'all consistent' if not problems else f'{problems} problems'}")  # fmt: skip


def foreign_keys_sample() -> int:
    """The load skipped foreign-key triggers: look for dangling references in every
    foreign key of the loaded tables (all rows of small tables, a 2 % page sample of
    tables over a million rows). Returns the number of keys with a dangling value."""
    from django.db import connection

    bad = 0
    checked = 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text,"
            " r.attname, t.reltuples"
            " FROM pg_constraint c"
            " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]"
            " JOIN pg_attribute r ON r.attrelid = c.confrelid AND r.attnum = c.confkey[1]"
            " JOIN pg_class t ON t.oid = c.conrelid"
            " WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY(%s)",
            [_loaded_tables()],
        )
        for table, column, target, key, rows in cursor.fetchall():
            sample = " TABLESAMPLE SYSTEM (2)" if rows > 1_000_000 else ""
            cursor.execute(
                f'SELECT COUNT(*) FROM (SELECT "{column}" AS v FROM {table}{sample}) AS s'
                f" WHERE v IS NOT NULL AND NOT EXISTS"
                f' (SELECT 1 FROM {target} AS r WHERE r."{key}" = s.v)'
            )
            dangling = cursor.fetchone()[0]
            checked += 1
            if dangling:
                bad += 1
                print(f"  {table}.{column} → {target}: {dangling} dangling references")
    print(f"  foreign keys: {checked} checked, {bad} with dangling references")
    return bad


def person_today():
    from django.utils import timezone

    return timezone.localdate()


# --- Pages ------------------------------------------------------------------------------


def pages_smoke() -> None:
    """GET the main pages as the three logins (Django's test client, in-process) and
    print the status, time and size of each. Collects static files first if needed
    (DEBUG is off: the manifest storage needs them)."""
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from shouwang.accounts.models import User
    from shouwang.care.models import Pairing
    from shouwang.people.models import Person

    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)
    users = {key: User.objects.get(username=name) for key, name in LOGINS.items()}
    county, village = users["county"].scope_area_id, users["village"].scope_area_id
    child = (
        Pairing.objects.filter(person__village_id=village, kind="proxy_parent", ended_on=None)
        .values_list("person_id", flat=True).first()
    ) or Person.objects.filter(village_id=village).values_list("pk", flat=True).first()  # fmt: skip
    someone = Person.objects.filter(village_id=village).exclude(id_number="").first()
    plan = {
        "leader": ["/", "/care/rates/", f"/areas/{users['leader'].scope_area_id}/",
                   f"/care/rates/?area={county}"],
        "county": ["/", "/people/", f"/people/?q={someone.name_initials}",
                   f"/people/?q={someone.id_number}", f"/people/{child}/",
                   f"/protection/people/{child}/timeline/", "/care/rates/", "/care/overdue/",
                   "/care/coverage/", "/care/volunteers/", "/care/attention/",
                   "/protection/cases/", "/protection/reassessments/", "/protection/aid/",
                   "/protection/services/", "/protection/stations/", "/people/surveys/",
                   "/people/proposals/", "/people/migrants/", f"/areas/{county}/"],
        "village": ["/", "/care/", "/people/", f"/people/{child}/",
                    f"/care/people/{child}/", "/care/rates/", "/protection/reassessments/"],
    }  # fmt: skip
    failures = 0
    for key, paths in plan.items():
        client = Client()
        client.force_login(users[key], backend="shouwang.accounts.backends.ScopedModelBackend")
        print(f"  as {users[key].username} ({users[key].get_role_display()}, "
              f"{users[key].scope_area_id}):")  # fmt: skip
        for path in paths:
            start = time.perf_counter()
            response = client.get(path)
            ms = (time.perf_counter() - start) * 1000
            failures += response.status_code != 200
            size = len(response.content)
            print(f"    {response.status_code}  {ms:8.1f} ms  {size:>9,} B  {path}")
    print(f"  {failures} pages did not answer 200")
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()

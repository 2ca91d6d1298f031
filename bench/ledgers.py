"""Benchmark: importing and exporting a 100,000-row children ledger (issue 6).

    python bench/ledgers.py [--rows 100000] [--db sqlite|postgres|both] [--iex-rows 10000]

Builds a realistic 农村留守儿童信息表 (.xlsx written with XlsxWriter in
constant_memory mode): children in the villages of the demo county with valid,
unique 18-digit ID numbers, birth dates, school, and father / mother / entrusted
guardian columns for most rows, the parents working in other provinces' cities
(the national province and city lists from ../shared/data/areas when present).
Then, for each database, every measurement runs in a fresh process on a fresh
empty database prepared by another process (migrated, the areas loaded, the
county administrator created): SQLite files in a temporary directory, or
PostgreSQL databases named shouwang_bench_ledgers_* on the server in
BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432), created and
dropped by this script. Measurements:

- ours: `batch_upload` → `batch_check` → `batch_commit_start(mode="all")` →
  `batch_commit` as the county
  administrator: read (`ledgers.xlsx`, a row at a time), check (cells, rules, matching), write (bulk
  writes and audit entries), with the time of each part;
- floor (a): the same rows parsed with calamine into dicts of field values
  *before* the clock starts, then plain `bulk_create` into the same tables
  (households, people with encrypted fields and HMAC blind indexes, relations,
  enrollments) in one transaction; no validation, matching or audit;
- django-import-export (b), when installed (a benchmark-only dependency): a
  `ModelResource` for Person importing the same file (the first --iex-rows rows
  of it, extrapolated linearly when that is fewer than --rows; see the output);
- the readers alone: what reading the sheet costs in time and memory, with
  calamine (which holds the whole sheet) and with `ledgers.xlsx` (what ours uses);
- export: all children in the county through `selectors.person_rows` and
  `writing.export_xlsx` / `writing.export_csv` (separate processes).

Peak RSS is the process's high-water mark (VmHWM in /proc/self/status) at the
end, in the fresh process: it includes Django and the imports (the baseline is
printed). Prints a markdown table for docs/performance.md; writes nothing else
(the temporary directory and databases are removed unless --keep).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("SECRET_KEY", "bench")
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "YmVuY2gtb25seS1maWVsZC1rZXktMDAwMDAwMDAwMDA=")
os.environ.setdefault("BLIND_INDEX_KEY", "bench-only-blind-index-key")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouwang.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["DEBUG"] = "false"

AREAS_DIR = HERE.parent.parent / "shared" / "data" / "areas"
POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
PG_PREFIX = "shouwang_bench_ledgers_"
COUNTY = "350724000000"
MB = 1024 * 1024


# --- memory -------------------------------------------------------------------------


def _status(field: str) -> float:
    """VmHWM / VmRSS of this process in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_mb() -> float:
    return _status("VmHWM")


def rss_mb() -> float:
    return _status("VmRSS")


# --- the ledger file -----------------------------------------------------------------

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红文建国志海鹏宇"
    "浩然梓涵子轩欣怡雨桐诗琪佳豪俊博"
)
# Where parents work: (province as the ledger may spell it, [cities]).
WORK_PLACES = [
    ("浙江省", ["杭州市", "宁波市", "温州市", "金华市"]),
    ("浙江", ["宁波市", "杭州市"]),
    ("广东省", ["深圳市", "广州市", "东莞市", "佛山市"]),
    ("福建省", ["厦门市", "福州市", "泉州市"]),
    ("江苏省", ["苏州市", "南京市"]),
    ("上海市", [""]),
]
# Provinces and cities added by hand when ../shared/data/areas is missing.
FALLBACK_PLACES = {
    "33": ("浙江省", {"3301": "杭州市", "3302": "宁波市", "3303": "温州市", "3307": "金华市"}),
    "44": ("广东省", {"4401": "广州市", "4403": "深圳市", "4406": "佛山市", "4419": "东莞市"}),
    "35": ("福建省", {"3501": "福州市", "3502": "厦门市", "3505": "泉州市"}),
    "32": ("江苏省", {"3201": "南京市", "3205": "苏州市"}),
    "31": ("上海市", {}),
}
GRADES = ("一年级", "二年级", "三年级", "四年级", "五年级", "六年级")


def id_number(body: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]


class People:
    """Valid, unique ID numbers: a counter per (region, birth date, sex)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: dict[tuple[str, dt.date, str], int] = defaultdict(int)

    def id_for(self, born: dt.date, sex: str, region: str = "350724") -> str:
        k = self.used[(region, born, sex)]
        self.used[(region, born, sex)] += 1
        sequence = 2 * k + (1 if sex == "M" else 2)
        if sequence > 999:  # that day is full: the next one
            return self.id_for(born + dt.timedelta(days=1), sex, region)
        return id_number(f"{region}{born:%Y%m%d}{sequence:03d}")

    def name(self, surname: str | None = None) -> str:
        given = "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2, 2))))
        return (surname or self.rng.choice(SURNAMES)) + given

    def phone(self) -> str:
        return self.rng.choice(("13", "15", "17", "18", "19")) + f"{self.rng.randrange(10**9):09d}"


def ledger_rows(count: int, villages: list[tuple[str, str]], today: dt.date):
    """Rows of the children ledger as {column key: cell value}, deterministic."""
    rng = random.Random(20261122)
    people = People(rng)
    for n in range(count):
        code, village = villages[n % len(villages)]
        age_days = rng.randrange(365, 16 * 365 - 30)
        born = today - dt.timedelta(days=age_days)
        age = age_days // 365
        sex = rng.choice("MF")
        surname = rng.choice(SURNAMES)
        row: dict[str, object] = {
            "name": people.name(surname),
            "sex": "男" if sex == "M" else "女",
            "ethnicity": "汉族" if rng.random() < 0.97 else "畲族",
            "birth_date": born,
            "id_number": people.id_for(born, sex),
            "hukou_registered": "是",
            "village": code,
            "address": f"松溪县{village}{rng.randrange(1, 300)}号",
            "health": "健康",
        }
        if rng.random() < 0.3:
            row["phone"] = people.phone()
        if rng.random() < 0.02:
            row.update(health="残疾", disability_type="肢体", disability_grade="三级")
        if age < 3:
            row["schooling"] = "未入园"
        elif age < 6:
            row.update(schooling="在园", school=f"{village}幼儿园")
        else:
            level = "小学" if age < 12 else "初中"
            row.update(
                schooling=level,
                school=f"松溪县{village[:2]}{'中心小学' if level == '小学' else '中学'}",
                grade=GRADES[min(age - 6, 5)] if level == "小学" else f"初{min(age - 11, 3)}",
                class_name=f"{rng.randrange(1, 6)}班",
                head_teacher=people.name(),
                head_teacher_phone=people.phone(),
                boarding="是" if level == "初中" and rng.random() < 0.5 else "否",
            )
        for kind, share, parent_sex, away in (("father", 0.95, "M", 0.85),
                                              ("mother", 0.9, "F", 0.45)):  # fmt: skip
            if rng.random() >= share:
                continue
            parent_born = born - dt.timedelta(days=rng.randrange(22 * 365, 40 * 365))
            row[f"{kind}.name"] = people.name(surname if kind == "father" else None)
            row[f"{kind}.birth_date"] = parent_born
            row[f"{kind}.id_number"] = people.id_for(parent_born, parent_sex)
            row[f"{kind}.phone"] = people.phone()
            working = rng.random() < away
            row[f"{kind}.working_away"] = "是" if working else "否"
            if working:
                province, cities = rng.choice(WORK_PLACES)
                row[f"{kind}.work_province"] = province
                city = rng.choice(cities)
                if city:
                    row[f"{kind}.work_city"] = city
            row[f"{kind}.capacity"] = "有监护能力"
        if rng.random() < 0.85:
            kind = rng.choice(("祖父", "祖母", "外祖父", "外祖母", "其他亲属"))
            grand_sex = "M" if kind in ("祖父", "外祖父") else "F"
            grand_born = born - dt.timedelta(days=rng.randrange(45 * 365, 70 * 365))
            row.update({
                "guardian.name": people.name(surname if kind in ("祖父", "祖母") else None),
                "guardian.kind": kind,
                "guardian.id_number": people.id_for(grand_born, grand_sex),
                "guardian.phone": people.phone(),
                "guardian.capacity": "有监护能力" if rng.random() < 0.9 else "监护能力不足",
            })  # fmt: skip
        row["guardianship_type"] = rng.choice(("监护情况较好", "监护情况一般"))
        row["guardianship_assessment"] = rng.choice(("较好", "一般"))
        row["dibao"] = "是" if rng.random() < 0.06 else "否"
        row["medical_aid"] = "是" if rng.random() < 0.03 else "否"
        row["income_sources"] = rng.choice(("打工", "打工、种养殖", "种养殖", "打工、政府救助"))
        if rng.random() < 0.05:
            row["notes"] = "父母长期在外，由祖辈照料"
        yield row


def write_ledgers(paths: dict[Path, int], villages) -> None:
    """One pass over the rows, writing each file up to its row count."""
    import xlsxwriter
    from django.utils import timezone

    from shouwang.ledgers.columns import CHILDREN

    keys = [col.key for col in CHILDREN.columns]
    books = []
    for path, count in paths.items():
        book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        sheet = book.add_worksheet("农村留守儿童信息表")
        text = book.add_format({"num_format": "@"})
        date = book.add_format({"num_format": "yyyy-mm-dd"})
        for c, col in enumerate(CHILDREN.columns):
            sheet.write_string(0, c, str(col.header))
        books.append((book, sheet, text, date, count))
    for r, row in enumerate(ledger_rows(max(paths.values()), villages, timezone.localdate()), 1):
        for _book, sheet, text, date, count in books:
            if r > count:
                continue
            for c, key in enumerate(keys):
                value = row.get(key)
                if value is None:
                    continue
                if isinstance(value, dt.date):
                    sheet.write_datetime(r, c, value, date)
                else:
                    sheet.write_string(r, c, str(value), text)
    for book, *_rest in books:
        book.close()


def village_rows() -> list[tuple[str, str]]:
    from shouwang.core.demo import demo_area_rows
    from shouwang.regions.models import Level

    return [(row.code, row.name) for row in demo_area_rows() if row.level == Level.VILLAGE]


# --- databases -----------------------------------------------------------------------


def _pg(sql_text: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL(sql_text).format(sql.Identifier(name)))


def database_url(db: str, label: str, work: Path) -> str:
    """A fresh, empty database for one measurement."""
    if db == "postgres":
        name = PG_PREFIX + label
        _pg("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)
        _pg("CREATE DATABASE {}", name)
        return f"{POSTGRES}/{name}"
    path = work / f"{label}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def drop_database(db: str, label: str) -> None:
    if db == "postgres":
        _pg("DROP DATABASE IF EXISTS {} WITH (FORCE)", PG_PREFIX + label)


# --- the measurements (each in a child process) --------------------------------------


def child_prepare(args) -> dict:
    """Migrate, load the areas (national provinces and cities for work places, the
    demo county's tree) and create the county administrator."""
    from django.core.management import call_command

    from shouwang.accounts.roles import Role
    from shouwang.accounts.services import user_create
    from shouwang.core.demo import demo_area_rows
    from shouwang.regions.models import Area, Level
    from shouwang.regions.services import AreaRow, areas_load, areas_upsert, full_code

    start = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    files = [AREAS_DIR / "provinces.csv", AREAS_DIR / "cities.csv"]
    if all(path.is_file() for path in files):
        areas_load(paths=files)
        places = "../shared/data/areas provinces.csv + cities.csv"
    else:
        rows = []
        for code, (name, cities) in FALLBACK_PLACES.items():
            rows.append(AreaRow(full_code(code), name, Level.PROVINCE, None, "bench", 0))
            rows += [AreaRow(full_code(c), n, Level.CITY, full_code(code), "bench", 0)
                     for c, n in cities.items()]  # fmt: skip
        areas_upsert(rows=rows, source="bench")
        places = "a few provinces and cities added by hand"
    areas_upsert(rows=demo_area_rows(), source="bench")
    user_create(username="county", password="bench-only-password", role=Role.COUNTY_ADMIN,
                scope_area=Area.objects.get(code=COUNTY), full_name="黄建华")  # fmt: skip
    return {"seconds": time.perf_counter() - start, "areas": Area.objects.count(),
            "places": places}  # fmt: skip


def _timed(timers: dict, name: str, function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            timers[name] += time.perf_counter() - start

    return wrapper


def _timed_generator(timers: dict, name: str, function):
    """Time spent producing each item of a generator (not consuming it)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        items = function(*args, **kwargs)
        while True:
            start = time.perf_counter()
            try:
                item = next(items)
            except StopIteration:
                return
            finally:
                timers[name] += time.perf_counter() - start
            yield item

    return wrapper


def _timers() -> dict[str, float]:
    """Time spent reading the file, checking rows, writing and auditing."""
    from shouwang.audit import services as audit_services
    from shouwang.ledgers import importing, services

    timers: dict[str, float] = defaultdict(float)
    services._sheet = _timed(timers, "read", services._sheet)
    services._chunks = _timed_generator(timers, "read", services._chunks)
    importing.Checker.check_chunk = _timed(timers, "check", importing.Checker.check_chunk)
    importing.write = _timed(timers, "write", importing.write)
    audit_services.audit_bulk = _timed(timers, "audit", audit_services.audit_bulk)
    return timers


def _profiled(args, function):
    if not args.profile:
        return function()
    import cProfile

    profiler = cProfile.Profile()
    try:
        return profiler.runcall(function)
    finally:
        _print_profile(profiler)


def child_check(args) -> dict:
    """Upload and check, as the worker checks an uploaded file (`batch_check`)."""
    from shouwang.accounts.models import User
    from shouwang.ledgers import services

    timers = _timers()
    user = User.objects.get(username="county")
    data = Path(args.file).read_bytes()
    baseline = rss_mb()

    def run():
        start = time.perf_counter()
        batch = services.batch_upload(user=user, ledger_key="children",
                                      file_name=Path(args.file).name, data=data)  # fmt: skip
        uploaded = time.perf_counter()
        batch = services.batch_check(batch_id=batch.pk)
        return batch, uploaded - start, time.perf_counter() - uploaded

    batch, upload, check = _profiled(args, run)
    assert batch.status == "checked", (batch.status, batch.message)
    counts = dict(batch.counts)
    if counts.get("error"):
        issues = list(batch.issues.values_list("row", "column", "message")[:10])
        raise SystemExit(f"rows with errors: {counts}; first issues: {issues}")
    return {"batch": batch.pk, "rows": batch.total_rows, "counts": counts, "upload": upload,
            "seconds": check, "timers": dict(timers), "baseline": baseline}  # fmt: skip


def child_commit(args) -> dict:
    """Commit everything (`batch_commit_start(mode="all")`, then the worker's
    `batch_commit`), as on the user's confirmation: the rows are read and checked
    again, a chunk at a time, and each chunk written as it is checked."""
    from shouwang.accounts.models import User
    from shouwang.ledgers import services
    from shouwang.ledgers.models import ImportBatch
    from shouwang.people.models import Enrollment, Household, Person, Relation

    timers = _timers()
    user = User.objects.get(username="county")
    batch = ImportBatch.objects.defer("data").get(pk=args.batch)
    baseline = rss_mb()

    def run():
        start = time.perf_counter()
        started = services.batch_commit_start(user=user, batch=batch, mode="all")
        done = services.batch_commit(batch_id=started.pk)
        return done, time.perf_counter() - start

    batch, seconds = _profiled(args, run)
    return {
        "written": batch.written,
        "seconds": seconds,
        "timers": dict(timers),
        "baseline": baseline,
        "tables": {
            "people": Person.objects.count(),
            "households": Household.objects.count(),
            "relations": Relation.objects.count(),
            "enrollments": Enrollment.objects.count(),
            "audit": _audit_count(),
        },
    }


def run_ours(url: str, env: dict, file: Path, profile: bool) -> dict:
    """Check in one process (the worker), commit in another (the web request)."""
    check = run_child("check", url, env, file=file, profile=profile)
    commit = run_child("commit", url, env, batch=check["batch"], profile=profile)
    timers = {k: check["timers"].get(k, 0) + commit["timers"].get(k, 0)
              for k in ("read", "check", "write", "audit")}  # fmt: skip
    return {
        "rows": check["rows"],
        "counts": check["counts"],
        "written": commit["written"],
        "tables": commit["tables"],
        "upload": check["upload"],
        "check_phase": check["seconds"],
        "commit_phase": commit["seconds"],
        "seconds": check["upload"] + check["seconds"] + commit["seconds"],
        "timers": timers,
        "commit_timers": commit["timers"],
        "peak_check": check["peak"],
        "peak_commit": commit["peak"],
        "peak": max(check["peak"], commit["peak"]),
        "baseline": check["baseline"],
        "baseline_commit": commit["baseline"],
    }


def _audit_count() -> int:
    from shouwang.audit.models import AuditEntry

    return AuditEntry.objects.count()


def _print_profile(profiler) -> None:
    import io
    import pstats

    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(30)
        print(f"--- profile by {order} ---", file=sys.stderr)
        print(out.getvalue(), file=sys.stderr)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_callees(r"importing.py:\d+\((write|_read|_validate|_existing|_compare_all)\)")
    print("--- callees ---", file=sys.stderr)
    print(out.getvalue(), file=sys.stderr)


def _parsed_rows(path: str) -> list[dict]:
    """The file's rows as field values, as a plain loader would have them: calamine,
    then labels mapped to stored values by dict look-up."""
    import python_calamine

    from shouwang.ledgers.columns import BOOL, CHILDREN, CHOICE, MULTI
    from shouwang.people.names import name_pinyin
    from shouwang.regions.models import Area, Level

    by_header = {str(col.header): col for col in CHILDREN.columns}
    sheet = python_calamine.load_workbook(path).get_sheet_by_index(0)
    rows = iter(sheet.iter_rows())
    columns = [by_header.get(str(h)) for h in next(rows)]
    labels = {col.key: {str(label): value for value, label in col.choices}
              for col in CHILDREN.columns if col.kind in (CHOICE, MULTI)}  # fmt: skip
    places = {name: code for code, name in Area.objects.filter(
        level__in=(Level.PROVINCE, Level.CITY)).values_list("code", "name")}  # fmt: skip
    places |= {name.removesuffix("省"): code for name, code in places.items()}
    parsed = []
    for row in rows:
        person: dict = {}
        relations: dict[str, dict] = {}
        for col, cell in zip(columns, row, strict=False):
            if col is None or cell == "" or cell is None:
                continue
            value = cell.date() if isinstance(cell, dt.datetime) else cell
            if col.kind == CHOICE:
                value = labels[col.key][cell]
            elif col.kind == MULTI:
                value = [labels[col.key][part] for part in cell.split("、")]
            elif col.kind == BOOL:
                value = cell == "是"
            owner, _dot, name = col.key.rpartition(".")
            if name in ("work_province", "work_city"):
                name, value = f"{name}_id", places[value]
            (relations.setdefault(owner, {}) if owner else person)[name] = value
        if "disability_grade" in person:
            person["disability_grade"] = int(person["disability_grade"])
        person["village_id"] = person.pop("village")
        person["name_pinyin"], person["name_initials"] = name_pinyin(person["name"])
        parsed.append((person, relations))
    return parsed


def child_floor(args) -> dict:
    """(a): plain bulk_create of the rows parsed before the clock starts."""
    import hashlib
    import hmac

    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from shouwang.accounts.models import User
    from shouwang.people import choices as pc
    from shouwang.people.models import Enrollment, Household, Person, Relation

    user = User.objects.get(username="county")
    baseline = rss_mb()
    parse_start = time.perf_counter()
    parsed = _parsed_rows(args.file)
    parse_seconds = time.perf_counter() - parse_start
    parsed_rss = rss_mb()
    key = settings.BLIND_INDEX_KEY.encode()
    kinds = {"father": pc.RelationKind.FATHER, "mother": pc.RelationKind.MOTHER}
    today = timezone.localdate()

    def index(value: str, purpose: str) -> str:  # the cheap way: one HMAC
        return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

    start = time.perf_counter()
    with transaction.atomic():
        for at in range(0, len(parsed), 2000):
            chunk = parsed[at : at + 2000]
            households = Household.objects.bulk_create(
                Household(village_id=p["village_id"], address=p.get("address", ""))
                for p, _r in chunk
            )
            people = []
            for (fields, _r), household in zip(chunk, households, strict=True):
                person = Person(household=household, created_by=user, **fields)
                person.id_number_index = index(person.id_number, "id_number")
                person.phone_index = index(person.phone, "phone") if person.phone else ""
                people.append(person)
            Person.objects.bulk_create(people, batch_size=500)
            Enrollment.objects.bulk_create(
                (Enrollment(person=p, program="left_behind_child", started_on=today,
                            reason="台账导入", confirmed_by=user) for p in people),
                batch_size=500,
            )  # fmt: skip
            relations = []
            for person, (_fields, owners) in zip(people, chunk, strict=True):
                for owner, values in owners.items():
                    extra = ({"kind": kinds[owner]} if owner in kinds
                             else {"is_guardian": True, "entrusted": True})  # fmt: skip
                    relations.append(Relation(person=person, **{**values, **extra}))
            Relation.objects.bulk_create(relations, batch_size=500)
    seconds = time.perf_counter() - start
    return {
        "rows": len(parsed),
        "seconds": seconds,
        "parse_seconds": parse_seconds,
        "baseline": baseline,
        "parsed_rss": parsed_rss,
        "tables": {
            "people": Person.objects.count(),
            "households": Household.objects.count(),
            "relations": Relation.objects.count(),
            "enrollments": Enrollment.objects.count(),
        },
    }


def _iex_resource(user):
    """A ModelResource for Person: every person column of the ledger (not the
    father's, mother's or guardian's), matched on the ID number's blind index."""
    from import_export import fields, resources, widgets

    from shouwang.ledgers.columns import BOOL, CHILDREN, CHOICE, DATE, MULTI
    from shouwang.people.forms import id_index
    from shouwang.people.models import Person
    from shouwang.people.services.persons import apply_data
    from shouwang.regions.models import Area

    class Choice(widgets.Widget):
        def __init__(self, choices, many=False, integer=False):
            super().__init__()
            self.map = {str(label): int(v) if integer else v for v, label in choices}
            self.many = many
            self.empty = None if integer else ""

        def clean(self, value, row=None, **kwargs):
            if value in (None, ""):
                return [] if self.many else self.empty
            if self.many:
                return [self.map[part] for part in str(value).split("、")]
            return self.map.get(str(value), value)

    class YesNo(widgets.BooleanWidget):
        TRUE_VALUES = ["是", "1", 1, True]
        FALSE_VALUES = ["否", "0", 0, False]

        def clean(self, value, row=None, **kwargs):
            return value in self.TRUE_VALUES

    declared = {}
    for col in CHILDREN.columns:
        if "." in col.key:
            continue
        header = str(col.header)
        if col.key == "village":
            field = fields.Field("village", header, widgets.ForeignKeyWidget(Area, "code"))
        elif col.kind == DATE:
            field = fields.Field(col.key, header, widgets.DateWidget())
        elif col.kind == BOOL:
            field = fields.Field(col.key, header, YesNo())
        elif col.kind == CHOICE:
            integer = col.key == "disability_grade"  # a number stored, its label shown
            field = fields.Field(col.key, header, Choice(col.choices, integer=integer))
        elif col.kind == MULTI:
            field = fields.Field(col.key, header, Choice(col.choices, many=True))
        else:
            field = fields.Field(col.key, header, widgets.CharWidget())
        declared[col.key] = field
    declared["id_number_index"] = fields.Field("id_number_index", "id_number_index")

    class Meta:
        model = Person
        fields = tuple(declared)
        import_id_fields = ("id_number_index",)

    def before_import(self, dataset, **kwargs):
        # Match on the blind index of the ID number (the number itself is encrypted).
        ids = dataset.get_col(dataset.headers.index(str(CHILDREN.column("id_number").header)))
        dataset.append_col([id_index(str(i)) if i else None for i in ids],
                           header="id_number_index")  # fmt: skip

    def before_save_instance(self, instance, row, **kwargs):
        apply_data(instance, {})  # pinyin and blind indexes, as the services do
        instance.created_by = user

    attributes = {"Meta": Meta, "before_import": before_import,
                  "before_save_instance": before_save_instance, **declared}  # fmt: skip
    return type("PersonResource", (resources.ModelResource,), attributes)()


def child_iex(args) -> dict:
    """(b): django-import-export, defaults (row by row, with its per-row diff)."""
    import tablib

    from shouwang.accounts.models import User
    from shouwang.audit.context import acting_as
    from shouwang.people.models import Person

    user = User.objects.get(username="county")
    baseline = rss_mb()
    start = time.perf_counter()
    with open(args.file, "rb") as handle:
        dataset = tablib.Dataset().load(handle.read(), format="xlsx")
    read = time.perf_counter()
    resource = _iex_resource(user)
    with acting_as(user):
        result = resource.import_data(dataset, dry_run=False, raise_errors=True,
                                      use_transactions=True)  # fmt: skip
    done = time.perf_counter()
    return {
        "rows": len(dataset),
        "seconds": done - start,
        "read_seconds": read - start,
        "baseline": baseline,
        "totals": {k: v for k, v in result.totals.items() if v},
        "people": Person.objects.count(),
        "audit": _audit_count(),
    }


def child_calamine(args) -> dict:
    """What calamine holds: the whole sheet, then every row as Python lists."""
    import python_calamine

    baseline = rss_mb()
    start = time.perf_counter()
    workbook = python_calamine.load_workbook(args.file)
    sheet = workbook.get_sheet_by_index(0)
    loaded = time.perf_counter()
    sheet_rss = rss_mb()
    rows = sum(1 for _row in sheet.iter_rows())
    done = time.perf_counter()
    return {"rows": rows, "baseline": baseline, "sheet_rss": sheet_rss,
            "load_seconds": loaded - start, "iterate_seconds": done - loaded}  # fmt: skip


def child_reader(args) -> dict:
    """What `ledgers.xlsx`, the import's reader, holds: every row as Python lists."""
    from shouwang.ledgers.xlsx import read_xlsx

    data = Path(args.file).read_bytes()
    baseline = rss_mb()
    start = time.perf_counter()
    sheet = read_xlsx(data)
    surveyed = time.perf_counter()
    rows = sum(1 for _row in sheet.rows)
    done = time.perf_counter()
    return {"rows": rows, "baseline": baseline, "survey_seconds": surveyed - start,
            "iterate_seconds": done - surveyed}  # fmt: skip


def child_export(args) -> dict:
    """All children in the county, as the export page writes them (reveal=True)."""
    from shouwang.accounts.models import User
    from shouwang.ledgers.columns import CHILDREN
    from shouwang.ledgers.selectors import ledger_rows as export_rows
    from shouwang.ledgers.writing import export_csv, export_xlsx
    from shouwang.people.models import Person
    from shouwang.people.selectors import person_filter

    user = User.objects.get(username="county")
    baseline = rss_mb()
    people = person_filter(Person.objects.visible_to(user), program=CHILDREN.program)
    writer = export_xlsx if args.format == "xlsx" else export_csv
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        rows = export_rows(CHILDREN, people, relatives=Person.objects.visible_to(user))
        count = writer(rows, CHILDREN, out, reveal=True)
        seconds = time.perf_counter() - start
        size = out.tell()
    return {"rows": count, "seconds": seconds, "bytes": size, "baseline": baseline}


CHILDREN_STEPS = {"prepare": child_prepare, "check": child_check, "commit": child_commit,
                  "floor": child_floor,
                  "iex": child_iex, "calamine": child_calamine, "reader": child_reader,
                  "export": child_export}  # fmt: skip


def run_child(step: str, url: str, env_extra: dict, **options) -> dict:
    command = [sys.executable, __file__, "--child", step]
    for name, value in options.items():
        if value is True:
            command.append(f"--{name}")
        elif value not in (None, False):
            command += [f"--{name}", str(value)]
    env = {**os.environ, **env_extra, "DATABASE_URL": url}
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-6000:])
        raise SystemExit(f"{step} failed ({done.returncode})")
    if done.stderr.strip():
        sys.stderr.write(done.stderr)
    line = next(x for x in reversed(done.stdout.splitlines()) if x.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    result["wall"] = time.perf_counter() - start
    return result


def child_main(args) -> None:
    import django

    django.setup()
    result = CHILDREN_STEPS[args.child](args)
    result["peak"] = peak_mb()
    print("RESULT " + json.dumps(result, default=str), flush=True)


# --- orchestration -------------------------------------------------------------------


def iex_installed() -> bool:
    try:
        import import_export  # noqa: F401
        import tablib  # noqa: F401
        from openpyxl import load_workbook  # noqa: F401
    except ImportError:
        return False
    return True


def measure_database(db: str, work: Path, files: dict[str, Path], args, env: dict) -> dict:
    results: dict[str, dict] = {}
    labels = []

    def fresh(label: str) -> str:
        labels.append(label)
        url = database_url(db, label, work)
        prepared = run_child("prepare", url, env)
        print(f"  [{db}] {label}: database ready ({prepared['areas']:,} areas, "
              f"{prepared['places']}, {prepared['seconds']:.0f} s)", flush=True)  # fmt: skip
        return url

    try:
        url = fresh("ours")
        results["ours"] = run_ours(url, env, files["full"], args.profile)
        print(f"  [{db}] ours: {results['ours']['seconds']:.1f} s", flush=True)
        for kind in ("xlsx", "csv"):
            results[f"export_{kind}"] = run_child("export", url, env, format=kind)
            print(f"  [{db}] export {kind}: {results[f'export_{kind}']['seconds']:.1f} s",
                  flush=True)  # fmt: skip
        drop_database(db, "ours")
        url = fresh("floor")
        results["floor"] = run_child("floor", url, env, file=files["full"])
        print(f"  [{db}] floor: {results['floor']['seconds']:.1f} s", flush=True)
        drop_database(db, "floor")
        if files.get("iex") is None:
            print(
                f"  [{db}] django-import-export: not installed — (b) skipped "
                "(pip install django-import-export 'tablib[xlsx]' in the venv, bench only)"
            )
        else:
            url = fresh("iex")
            iex = run_child("iex", url, env, file=files["iex"])
            iex["extrapolated"] = False
            estimate = iex["seconds"] * args.rows / iex["rows"]
            if iex["rows"] < args.rows and estimate <= 600 and not args.iex_rows_fixed:
                print(f"  [{db}] django-import-export: {iex['rows']:,} rows in "
                      f"{iex['seconds']:.0f} s, {args.rows:,} estimated at {estimate:.0f} s: "
                      "measuring them all", flush=True)  # fmt: skip
                url = fresh("iex")
                iex = run_child("iex", url, env, file=files["full"])
                iex["extrapolated"] = False
            elif iex["rows"] < args.rows:
                iex["extrapolated"] = True
                iex["measured_seconds"] = iex["seconds"]
                iex["measured_rows"] = iex["rows"]
                iex["seconds"] = estimate
            results["iex"] = iex
            print(f"  [{db}] django-import-export: {iex['seconds']:.0f} s"
                  + (" (extrapolated)" if iex["extrapolated"] else ""), flush=True)  # fmt: skip
            drop_database(db, "iex")
    finally:
        if not args.keep:
            for label in labels:
                drop_database(db, label)
    return results


def report(all_results: dict[str, dict], args, meta: dict) -> None:
    print()
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{meta['servers']}; file: {meta['file']}")  # fmt: skip
    print()
    print("| measure | database | rows | seconds | rows/s | peak RSS | vs floor | vs (b) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for db, results in all_results.items():
        ours, floor, iex = results.get("ours"), results.get("floor"), results.get("iex")

        def line(label, r, ratio_floor="", ratio_iex="", note="", db=db):
            extrapolated = r.get("extrapolated")
            rate = (args.rows if extrapolated else r["rows"]) / r["seconds"]
            rows = f"{r['rows']:,}" + (f" → {args.rows:,}" if extrapolated else "")
            peak = f"{r['peak']:.0f} MB" + (f" ({r['rows']:,} rows)" if extrapolated else "")
            print(f"| {label}{note} | {db} | {rows} | {r['seconds']:.1f} | {rate:,.0f} | "
                  f"{peak} | {ratio_floor} | {ratio_iex} |")  # fmt: skip

        vs_floor = f"{ours['seconds'] / floor['seconds']:.1f}×" if floor else ""
        vs_iex = f"{iex['seconds'] / ours['seconds']:.1f}× faster" if iex else "skipped"
        line("ours: upload → check → commit", ours, vs_floor, vs_iex)
        line("(a) floor: bulk_create of parsed rows", floor)
        if iex:
            note = " (extrapolated)" if iex["extrapolated"] else ""
            line("(b) django-import-export, Person only", iex, note=note)
        for kind in ("xlsx", "csv"):
            line(f"export {kind}", results[f"export_{kind}"])
    print()
    for db, results in all_results.items():
        ours = results["ours"]
        t = ours["timers"]
        c = ours["commit_timers"]
        print(f"[{db}] ours: upload {ours['upload']:.1f} s; check (worker process) "
              f"{ours['check_phase']:.1f} s, peak RSS {ours['peak_check']:.0f} MB (baseline "
              f"{ours['baseline']:.0f} MB); commit (web process) {ours['commit_phase']:.1f} s = "
              f"read {c.get('read', 0):.1f} + check {c.get('check', 0):.1f} + write "
              f"{c.get('write', 0):.1f} s (of it audit {c.get('audit', 0):.1f} s), peak RSS "
              f"{ours['peak_commit']:.0f} MB (baseline {ours['baseline_commit']:.0f} MB); both "
              f"passes: read {t['read']:.1f} s, check {t['check']:.1f} s, write "
              f"{t['write']:.1f} s")  # fmt: skip
        print(f"[{db}] ours: counts {ours['counts']}, written {ours['written']}, tables "
              f"{ours['tables']}")  # fmt: skip
        floor = results["floor"]
        print(
            f"[{db}] floor: parsed beforehand in {floor['parse_seconds']:.1f} s (RSS "
            f"{floor['parsed_rss']:.0f} MB with the parsed rows), tables {floor['tables']}"
        )
        iex = results.get("iex")
        if iex:
            measured = "measured on all rows"
            if iex["extrapolated"]:
                measured = (f"measured on {iex['measured_rows']:,} rows in "
                            f"{iex['measured_seconds']:.1f} s and extrapolated linearly to "
                            f"{args.rows:,}")  # fmt: skip
            print(f"[{db}] django-import-export: {measured}; reading the file (tablib/openpyxl) "
                  f"{iex['read_seconds']:.1f} s; totals {iex['totals']}; people {iex['people']:,}"
                  f", audit entries {iex['audit']:,}; peak RSS {iex['peak']:.0f} MB")  # fmt: skip
        for kind in ("xlsx", "csv"):
            e = results[f"export_{kind}"]
            print(f"[{db}] export {kind}: {e['rows']:,} rows, {e['bytes'] / MB:.1f} MB file, "
                  f"{e['seconds']:.1f} s, peak RSS {e['peak']:.0f} MB (baseline "
                  f"{e['baseline']:.0f} MB)")  # fmt: skip
    calamine = meta.get("calamine")
    if calamine:
        print(f"calamine alone: sheet loaded in {calamine['load_seconds']:.1f} s, RSS "
              f"{calamine['baseline']:.0f} → {calamine['sheet_rss']:.0f} MB; iterating "
              f"{calamine['rows']:,} rows {calamine['iterate_seconds']:.1f} s; peak "
              f"{calamine['peak']:.0f} MB")  # fmt: skip
    reader = meta.get("reader")
    if reader:
        print(f"ledgers.xlsx alone (the import's reader): first pass (row count, merges) "
              f"{reader['survey_seconds']:.1f} s; {reader['rows']:,} rows "
              f"{reader['iterate_seconds']:.1f} s; RSS {reader['baseline']:.0f} MB at start, "
              f"peak {reader['peak']:.0f} MB")  # fmt: skip
    print()
    print("targets:")
    for db, results in all_results.items():
        ours, floor, iex = results["ours"], results["floor"], results.get("iex")
        checks = [
            ("within 3× of the floor", ours["seconds"] / floor["seconds"] <= 3,
             f"{ours['seconds'] / floor['seconds']:.1f}×"),
            ("≥ 10× faster than django-import-export",
             None if iex is None else iex["seconds"] / ours["seconds"] >= 10,
             "skipped" if iex is None else f"{iex['seconds'] / ours['seconds']:.1f}×"),
            ("import peak RSS < 400 MB", ours["peak"] < 400, f"{ours['peak']:.0f} MB"),
        ]  # fmt: skip
        for kind in ("xlsx", "csv"):
            e = results[f"export_{kind}"]
            checks.append((f"export {kind} < 30 s", e["seconds"] < 30, f"{e['seconds']:.1f} s"))
            checks.append((f"export {kind} peak RSS < 100 MB", e["peak"] < 100,
                           f"{e['peak']:.0f} MB"))  # fmt: skip
            growth = e["peak"] - e["baseline"]
            figure = f"{growth:.0f} MB over {e['baseline']:.0f} MB"
            checks.append((f"export {kind}: growth over the process at start < 100 MB",
                           growth < 100, figure))  # fmt: skip
        for label, met, figure in checks:
            verdict = "skipped" if met is None else ("met" if met else "MISSED")
            print(f"  [{db}] {label}: {verdict} ({figure})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--iex-rows", type=int, default=None,
                        help="rows for django-import-export (default: 10,000, then all of "
                             "them if that extrapolates to at most 10 minutes)")  # fmt: skip
    parser.add_argument("--profile", action="store_true", help="cProfile our import (stderr)")
    parser.add_argument("--keep", action="store_true", help="keep the files and databases")
    # Internal: one measurement in a child process.
    parser.add_argument("--child", choices=tuple(CHILDREN_STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--format", default="xlsx", help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args)
        return
    args.iex_rows_fixed = args.iex_rows is not None
    iex_rows = min(args.iex_rows or 10_000, args.rows)

    work = Path(tempfile.mkdtemp(prefix="shouwang-bench-ledgers-"))
    env = {"SHOUWANG_VAR_DIR": str(work)}
    os.environ["SHOUWANG_VAR_DIR"] = str(work)
    try:
        import django

        django.setup()
        from shouwang.ledgers.columns import CHILDREN

        files = {"full": work / f"children_{args.rows}.xlsx"}
        wanted = {files["full"]: args.rows}
        if iex_installed():
            files["iex"] = work / f"children_{iex_rows}.xlsx"
            wanted[files["iex"]] = iex_rows
        else:
            files["iex"] = None
            print("django-import-export (with tablib[xlsx]) is not installed: (b) is skipped")
        start = time.perf_counter()
        write_ledgers(wanted, village_rows())
        size = files["full"].stat().st_size
        print(f"ledger file: {args.rows:,} rows × {len(CHILDREN.columns)} columns, "
              f"{size / MB:.1f} MB, written in "
              f"{time.perf_counter() - start:.0f} s", flush=True)  # fmt: skip
        if size > 20 * MB:
            # The upload limit (LEDGER_IMPORT_MAX_MB, default 20) is raised for the file.
            env["LEDGER_IMPORT_MAX_MB"] = str(int(size / MB) + 1)
            print(f"  LEDGER_IMPORT_MAX_MB={env['LEDGER_IMPORT_MAX_MB']} for this file")
        meta = {"file": f"{args.rows:,} rows, {size / MB:.1f} MB xlsx"}
        meta["calamine"] = run_child("calamine", "sqlite:///" + str(work / "none.sqlite3"), env,
                                     file=files["full"])  # fmt: skip
        meta["reader"] = run_child("reader", "sqlite:///" + str(work / "none.sqlite3"), env,
                                     file=files["full"])  # fmt: skip
        dbs = ("sqlite", "postgres") if args.db == "both" else (args.db,)
        servers = []
        all_results = {}
        for db in dbs:
            all_results[db] = measure_database(db, work, files, args, env)
            servers.append(_server(db, work))
        meta["servers"] = ", ".join(servers)
        report(all_results, args, meta)
    finally:
        if args.keep:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def _server(db: str, work: Path) -> str:
    if db == "postgres":
        import psycopg

        with psycopg.connect(f"{POSTGRES}/postgres") as conn:
            return "PostgreSQL " + conn.execute("SHOW server_version").fetchone()[0].split()[0]
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


if __name__ == "__main__":
    main()

"""Time the dashboard (统计概览) on a database made by bench/overview_data.py.

    python bench/overview.py --database-url postgres://postgres@127.0.0.1:5432/shouwang_bench_overview
    python bench/overview.py --database-url sqlite:////tmp/overview50k.sqlite3 --runs 5 --explain

Server time, in this process, no network, DEBUG off (static files collected for the
manifest storage): for the province (as the provincial leader), the county with the
most people (its administrator), its largest township and village (the
administrator, `?area=`), after one warm-up request (none with `--no-warmup`),
`--runs` timed runs each (`--slow-runs` when the first page took over `--slow` s):

- **page**: `Client.get("/dashboard/?area=…")` — middleware, session, the view,
  `Measures` and the 12-month trend, template rendering;
- **Measures**: `Measures.of(area)` and every indicator of `INDICATORS`
  (`by_area` and `total`), with the time of each source query (demography, files,
  rates, overdue, risk, cases, aid) — the figures the page, the township ranking
  and the quarterly report read;
- **trend**: `rate_trend` (12 × `care.rates.rates`), which the page adds.

Each run is timed twice: wall time, and CPU time — this process plus its
PostgreSQL backend (read from /proc; SQLite runs in this process; parallel query
workers are not counted) — since the machine is shared and other load inflates
wall time; the load average is printed with every scope. The last run of each
also counts the queries and their SQL time. With `--explain`, the slowest
queries of `--explain-scope`'s `Measures` are run again under `EXPLAIN (ANALYZE,
BUFFERS)` (SQLite: `EXPLAIN QUERY PLAN`) and written to `--explain-file`.
The quarterly report is timed when `shouwang.reports` is importable (skipped and
said otherwise). Prints a Markdown table and, with `--json`, writes the figures.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import overview_data  # noqa: E402  (sets the bench keys and the var dir)

TARGETS_MS = {"page": 300.0, "measures": 300.0, "report": 5000.0}
SOURCES = ("demography", "files", "rates", "overdue", "risk", "cases", "aid")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--only", default="", help="comma-separated: province,county,township,village,report"
    )
    parser.add_argument(
        "--explain", action="store_true", help="EXPLAIN ANALYZE the slowest queries"
    )
    parser.add_argument("--explain-scope", default="province")
    parser.add_argument("--timeout", type=float, default=0,
                        help="PostgreSQL statement_timeout in seconds (0: none)")  # fmt: skip
    parser.add_argument("--work-mem", default="",
                        help="PostgreSQL work_mem, e.g. 64MB (default: the server's)")  # fmt: skip
    parser.add_argument("--explain-file", default="/tmp/ovbench/explain.txt")
    parser.add_argument("--slow", type=float, default=30.0,
                        help="a scope whose warm-up (or first) page takes longer (s) "
                             "gets --slow-runs runs")  # fmt: skip
    parser.add_argument("--slow-runs", type=int, default=3)
    parser.add_argument("--no-warmup", dest="warmup", action="store_false",
                        help="no untimed warm-up runs (for pages that take minutes)")  # fmt: skip
    parser.add_argument("--no-nightly", dest="nightly", action="store_false",
                        help="do not time the nightly summaries_refresh first")  # fmt: skip
    parser.add_argument("--json", default="", help="write the figures to this file")
    args = parser.parse_args()
    overview_data._setup(args.database_url)
    result = measure(args)
    report(result)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")


def scopes() -> list[tuple[str, str, str]]:
    """(label, login key, area code) of the areas timed."""
    from django.db.models import Count
    from django.db.models.functions import Substr

    from shouwang.accounts.models import User
    from shouwang.people.models import Person

    users = {key: User.objects.get(username=name) for key, name in overview_data.LOGINS.items()}
    county = users["county"].scope_area_id
    township = (
        Person.objects.in_area_prefix(county[:6]).annotate(t=Substr("village_id", 1, 9))
        .values("t").annotate(n=Count("pk")).order_by("-n", "t").first()["t"]
    )  # fmt: skip
    return [
        ("province", "leader", users["leader"].scope_area_id),
        ("county", "county", county),
        ("township", "county", township.ljust(12, "0")),
        ("village", "county", users["village"].scope_area_id),
    ]


def _stats(values: list[float], cpu: list[float] | None = None) -> dict:
    stats = {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "runs": [round(v, 1) for v in values],
    }
    if cpu and None not in cpu:
        stats["cpu_median"] = statistics.median(cpu)
        stats["cpu_runs"] = [round(v) for v in cpu]
    return stats


def loadavg() -> str:
    """The 1-, 5- and 15-minute load averages (the machine is shared)."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


_TICK = 0.0


def _backend_cpu() -> tuple[int, float] | None:
    """(pid, CPU seconds used so far) of this connection's PostgreSQL backend, read
    from /proc (the server runs on this machine); None when it cannot be read.
    Parallel workers the backend starts are not included (the app runs without)."""
    global _TICK
    from django.db import connection

    if connection.vendor != "postgresql":
        return (0, 0.0)
    import os

    try:
        connection.ensure_connection()
        pid = connection.connection.info.backend_pid
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        _TICK = _TICK or os.sysconf("SC_CLK_TCK")
        return (pid, (int(fields[11]) + int(fields[12])) / _TICK)
    except (OSError, ValueError, AttributeError):
        return None


def cpu_clock() -> tuple[int, float] | None:
    """(backend pid, CPU seconds of this process plus its PostgreSQL backend) —
    SQLite runs in this process: the work a request costs, which the other load on
    a shared machine does not inflate as much as it inflates wall time."""
    backend = _backend_cpu()
    return None if backend is None else (backend[0], time.process_time() + backend[1])


def _cpu_ms(before, after) -> float | None:
    """CPU ms between two `cpu_clock()` readings; None when either is unknown or the
    connection changed in between (its backend's time is lost with it)."""
    if before is None or after is None or before[0] != after[0]:
        return None
    return (after[1] - before[1]) * 1000


def measures_run(area, month, today) -> tuple[float, dict[str, float]]:
    """One `Measures` of `area` with every indicator: (total ms, {source: ms})."""
    from shouwang.dashboard.indicators import INDICATORS, Measures

    start = time.perf_counter()
    m = Measures.of(area, month=month, today=today)
    parts = {}
    for source in SOURCES:
        t = time.perf_counter()
        getattr(m, source)()
        parts[source] = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    for key in INDICATORS:
        m.by_area(key)
        m.total(key)
    parts["compute"] = (time.perf_counter() - t) * 1000
    return (time.perf_counter() - start) * 1000, parts


def session_settings(args) -> list[str]:
    """PostgreSQL session settings of the run (every connection, via
    connection_created): `--timeout` as statement_timeout, `--work-mem`."""
    settings = []
    if args.timeout:
        settings.append(f"SET statement_timeout = '{int(args.timeout * 1000)}ms'")
    if args.work_mem:
        settings.append(f"SET work_mem = '{args.work_mem}'")
    return settings


def measure(args) -> dict:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import OperationalError, connection
    from django.db.backends.signals import connection_created
    from django.utils import timezone

    from shouwang.care.rates import Month
    from shouwang.people.models import Person

    statements = session_settings(args) if connection.vendor == "postgresql" else []

    def configure(sender, connection, **kwargs):
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    connection_created.connect(configure, weak=False)
    connection.close()
    call_command("collectstatic", interactive=False, verbosity=0)  # the manifest storage
    today = timezone.localdate()
    month = Month.of(today)
    only = set(filter(None, args.only.split(",")))
    result = {
        "database": connection.vendor,
        "server": _server(),
        "machine": f"{__import__('os').cpu_count()} cores, Python {platform.python_version()}",
        "load_start": loadavg(),
        "people": Person.objects.count(),
        "month": str(month),
        "session": statements,
        "scopes": {},
    }
    from shouwang.care.models import Contact

    result["contacts"] = Contact.objects.count()
    order = [x for x in args.only.split(",") if x]
    todo = [s for s in scopes() if not order or s[0] in order]
    todo.sort(key=lambda s: order.index(s[0]) if order else 0)
    if settings.DASHBOARD_SUMMARIES and args.nightly:
        result["nightly"] = nightly()
    for label, login, code in todo:
        row = {}
        try:
            scope_measure(args, row, label, login, code, month, today)
        except OperationalError as exc:  # statement_timeout (--timeout)
            row["timeout"] = f"cancelled after {args.timeout:.0f} s in {row['phase']}"
            print(f"  {row['timeout']} ({str(exc).strip().splitlines()[0]})", flush=True)
            connection.close()  # a fresh connection for the next scope
        result["scopes"][label] = row
    if not only or "report" in only:
        try:
            result["report"] = quarterly_report(args)
        except OperationalError as exc:
            first = str(exc).strip().splitlines()[0]
            result["report"] = {"skipped": f"cancelled after {args.timeout:.0f} s ({first})"}
            print(f"quarterly report: {result['report']['skipped']}", flush=True)
    else:
        result["report"] = {"skipped": "not asked for (--only)"}
    return result


def nightly() -> dict:
    """Time the nightly re-derivation of the stored summaries (`summaries_refresh`):
    every township of the province counted from the records for today and the
    trend's months, and every sum above them."""
    from shouwang.dashboard.indicators import summaries_refresh

    print("nightly summaries_refresh …", flush=True)
    cpu = cpu_clock()
    start = time.perf_counter()
    kept = summaries_refresh()
    figures = {
        "seconds": round(time.perf_counter() - start, 1),
        "cpu_seconds": round((_cpu_ms(cpu, cpu_clock()) or 0) / 1000, 1),
        "summaries": kept,
        "load": loadavg(),
    }
    print(f"  {figures['seconds']} s ({figures['cpu_seconds']} s CPU), {kept:,} summaries "
          f"(load {figures['load']})", flush=True)  # fmt: skip
    return figures


def after_write(client, path: str, village: str, month, model: str, runs: int) -> dict:
    """The page right after a write to a record of `model` in `village` of `month`
    (None: every month): its township is counted again for what the write
    concerns (`areas_changed` is what every audited write calls), the rest read
    stored."""
    from shouwang.audit.models import areas_changed

    times, cpus = [], []
    for _run in range(runs):
        areas_changed({(village, month, model)})
        cpu = cpu_clock()
        start = time.perf_counter()
        assert client.get(path).status_code == 200
        times.append((time.perf_counter() - start) * 1000)
        cpus.append(_cpu_ms(cpu, cpu_clock()))
    return _stats(times, cpus)


def scope_measure(args, row, label, login, code, month, today) -> None:
    """Time the page, `Measures` and the trend of one area into `row`."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from shouwang.accounts.models import User
    from shouwang.audit.models import PERSON_FIELDS
    from shouwang.dashboard.indicators import rate_trend
    from shouwang.people.models import Person
    from shouwang.regions.models import Area

    area = Area.objects.get(code=code)
    user = User.objects.get(username=overview_data.LOGINS[login])
    client = Client()
    client.force_login(user, backend="shouwang.accounts.backends.ScopedModelBackend")
    path = f"/dashboard/?area={code}"
    row.update(
        area=f"{code} {area.name}",
        login=user.username,
        people=Person.objects.in_area_prefix(area.prefix).count(),
        phase="page",
    )
    print(f"{label}: {row['area']} ({row['people']:,} people on file) as {user.username}",
          flush=True)  # fmt: skip

    runs = args.runs
    if args.warmup:
        start = time.perf_counter()
        response = client.get(path)  # warm-up
        warm = time.perf_counter() - start
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code}")
        if warm > args.slow:
            runs = min(args.runs, args.slow_runs)
            print(f"  warm-up took {warm:.0f} s: {runs} runs instead of {args.runs}",
                  flush=True)  # fmt: skip
    row["load_before"] = loadavg()
    pages, pages_cpu, page_queries, runs = _timed_pages(client, path, runs, args)
    row["page"] = _stats(pages, pages_cpu)
    print(f"  page: median {row['page']['median']:.0f} ms {row['page']['runs']}, "
          f"CPU {row['page'].get('cpu_runs', '?')} ms (load {row['load_before']})",
          flush=True)  # fmt: skip

    if settings.DASHBOARD_SUMMARIES:
        row["phase"] = "after a write"
        people = Person.objects.in_area_prefix(area.prefix)
        village = people.values_list("village_id", flat=True).first()
        for key, what, concerns, model in (
            ("after_edit", "an exit or a move", None, "people.person"),
            ("after_fields", "an edit of a file's fields", None, PERSON_FIELDS),
            ("after_relation", "a relation", None, "people.relation"),
            ("after_contact", "a contact", month.first, "care.contact"),
        ):
            row[key] = after_write(client, path, village, concerns, model, min(runs, 3))
            print(f"  page after {what} in {village}: median {row[key]['median']:.0f} ms "
                  f"{row[key]['runs']}", flush=True)  # fmt: skip

    row["phase"] = "Measures"
    if args.warmup:
        measures_run(area, month, today)
    totals, parts, totals_cpu = [], [], []
    for _run in range(runs):
        cpu = cpu_clock()
        with CaptureQueriesContext(connection) as seen:
            total, part = measures_run(area, month, today)
        totals_cpu.append(_cpu_ms(cpu, cpu_clock()))
        totals.append(total)
        parts.append(part)
    row["measures"] = _stats(totals, totals_cpu)
    measure_queries = seen.captured_queries
    row["sources"] = {k: statistics.median(p[k] for p in parts) for k in parts[0]}
    sources = {k: round(v) for k, v in row["sources"].items()}
    print(f"  Measures: median {row['measures']['median']:.0f} ms "
          f"{row['measures']['runs']}, CPU {row['measures'].get('cpu_runs', '?')} ms; "
          f"sources {sources}", flush=True)  # fmt: skip

    row["phase"] = "trend"
    trends, trends_cpu = [], []
    for _run in range(min(runs, 3)):
        cpu = cpu_clock()
        start = time.perf_counter()
        rate_trend(area.prefix, until=month, today=today)
        trends.append((time.perf_counter() - start) * 1000)
        trends_cpu.append(_cpu_ms(cpu, cpu_clock()))
    row["trend"] = _stats(trends, trends_cpu)
    row["load_after"] = loadavg()
    print(f"  trend (12 months of rates): median {row['trend']['median']:.0f} ms, "
          f"CPU {row['trend'].get('cpu_runs', '?')} ms (load {row['load_after']})",
          flush=True)  # fmt: skip

    row["page_queries"] = len(page_queries)
    row["page_sql_ms"] = sum(float(q["time"]) for q in page_queries) * 1000
    row["measures_queries"] = len(measure_queries)
    slow = sorted(measure_queries, key=lambda q: -float(q["time"]))
    row["slowest"] = [(round(float(q["time"]) * 1000), q["sql"]) for q in slow[:6]]
    print(f"  {row['page_queries']} page queries ({row['page_sql_ms']:,.0f} ms SQL), "
          f"{row['measures_queries']} in Measures, the slowest "
          f"{[ms for ms, _sql in row['slowest']]} ms", flush=True)  # fmt: skip
    if args.explain and label == args.explain_scope:
        explain(row["slowest"], args.explain_file)


def explain(slowest, path: str) -> None:
    from django.db import connection

    out = []
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        for ms, sql in slowest[:4]:
            if postgres:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = "\n".join(r[0] for r in cursor.fetchall())
            else:  # SQLite: the plan only (no ANALYZE); the time is the run's
                cursor.execute("EXPLAIN QUERY PLAN " + sql)
                plan = "\n".join(f"{r[0]:>5} {r[1]:>5} {r[-1]}" for r in cursor.fetchall())
            out.append(f"-- {ms} ms in the run\n{sql}\n\n{plan}\n")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("\n\n".join(out), encoding="utf-8")
    print(f"  plans of the {len(out)} slowest queries: {path}", flush=True)


def quarterly_report(args) -> dict:
    """The county's quarterly report for the current quarter as of today: live
    figures, counted on every request (`reports.figures.area_figures`), as the page
    (`/reports/quarterly/?area=`) and alone."""
    if importlib.util.find_spec("shouwang.reports") is None:
        print("quarterly report: shouwang.reports is not importable — skipped", flush=True)
        return {"skipped": "shouwang.reports is not importable"}
    try:
        from shouwang.reports.figures import area_figures
    except Exception as exc:  # noqa: BLE001 — reported, not hidden
        print(f"quarterly report: importing shouwang.reports failed ({exc!r}) — skipped")
        return {"skipped": f"import failed: {exc!r}"}
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from shouwang.accounts.models import User
    from shouwang.regions.models import Area

    today = timezone.localdate()
    user = User.objects.get(username=overview_data.LOGINS["county"])
    county = Area.objects.get(code=user.scope_area_id)
    client = Client()
    client.force_login(user, backend="shouwang.accounts.backends.ScopedModelBackend")
    path = f"/reports/quarterly/?area={county.code}"
    runs = args.runs
    if args.warmup:
        start = time.perf_counter()
        response = client.get(path)  # warm-up
        if response.status_code != 200:
            print(f"quarterly report: {path} answered {response.status_code} — skipped")
            return {"skipped": f"{path} answered {response.status_code}"}
        if time.perf_counter() - start > args.slow:
            runs = min(args.runs, args.slow_runs)
    load_before = loadavg()
    pages, pages_cpu, _queries, runs = _timed_pages(client, path, runs, args)
    alone, alone_cpu = [], []
    for _run in range(runs):
        cpu = cpu_clock()
        start = time.perf_counter()
        with CaptureQueriesContext(connection) as seen:
            area_figures(county, as_of=today, today=today)
        alone.append((time.perf_counter() - start) * 1000)
        alone_cpu.append(_cpu_ms(cpu, cpu_clock()))
    queries = seen.captured_queries
    slow = sorted(queries, key=lambda q: -float(q["time"]))
    row = {"area": f"{county.code} {county.name}", "page": _stats(pages, pages_cpu),
           "figures": _stats(alone, alone_cpu), "queries": len(queries),
           "sql_ms": sum(float(q["time"]) for q in queries) * 1000,
           "slowest": [(round(float(q["time"]) * 1000), q["sql"]) for q in slow[:6]],
           "load_before": load_before, "load_after": loadavg()}  # fmt: skip
    print(f"quarterly report {row['area']}: page median {row['page']['median']:.0f} ms "
          f"{row['page']['runs']}, area_figures median {row['figures']['median']:.0f} ms "
          f"{row['figures']['runs']}, {row['queries']} queries "
          f"(load {load_before} → {row['load_after']})", flush=True)  # fmt: skip
    return row


def _timed_pages(client, path: str, runs: int, args) -> tuple[list, list, list, int]:
    """GET `path` `runs` times: wall ms, CPU ms, the last run's queries, and the
    runs made (fewer when the first run was slow and there was no warm-up). Every
    run records its queries (the debug cursor costs microseconds)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pages, pages_cpu = [], []
    run = 0
    while run < runs:  # `runs` may drop after the first run (--no-warmup)
        cpu = cpu_clock()
        start = time.perf_counter()
        with CaptureQueriesContext(connection) as seen:
            response = client.get(path)
        pages.append((time.perf_counter() - start) * 1000)
        pages_cpu.append(_cpu_ms(cpu, cpu_clock()))
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code}")
        if not args.warmup and run == 0 and pages[0] > args.slow * 1000:
            runs = min(args.runs, args.slow_runs)
        run += 1
    return pages, pages_cpu, seen.captured_queries, runs


def _server() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return "PostgreSQL " + cursor.fetchone()[0].split()[0]
        cursor.execute("SELECT sqlite_version()")
        return "SQLite " + cursor.fetchone()[0]


def _verdict(ms: float, target: float) -> str:
    return "met" if ms <= target else "**MISSED**"


def report(result: dict) -> None:
    print()
    print(f"{result['server']}, {result['machine']}; {result['people']:,} people, "
          f"{result['contacts']:,} contacts; month {result['month']}; session settings "
          f"{result['session'] or 'none'}; load at start {result['load_start']}")  # fmt: skip
    if nightly := result.get("nightly"):
        print(f"\nnightly summaries_refresh: {nightly['seconds']:,} s "
              f"({nightly['cpu_seconds']:,} s CPU), {nightly['summaries']:,} summaries "
              f"(load {nightly['load']})")  # fmt: skip
    print()
    print("| scope | people | measure | runs | median | min | max | CPU median | queries "
          "| load | target |")  # fmt: skip
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---|---|")
    for label, row in result["scopes"].items():
        if "timeout" in row:
            print(f"| {label} {row['area']} | {row['people']:,} | {row['phase']} | – | "
                  f"**{row['timeout']}** | | | | | | ≤ 300 ms: **MISSED** |")  # fmt: skip
            continue
        for kind, name, queries in (
            ("page", "page (Client)", f"{row['page_queries']} ({row['page_sql_ms']:.0f} ms SQL)"),
            ("after_edit", "page after an exit or a move", ""),
            ("after_fields", "page after a file's fields", ""),
            ("after_relation", "page after a relation", ""),
            ("after_contact", "page after a contact", ""),
            ("measures", "Measures alone", str(row["measures_queries"])),
            ("trend", "12-month trend", "12"),
        ):
            if kind not in row:
                continue
            s = row[kind]
            target = TARGETS_MS.get(kind)
            verdict = f"≤ {target:.0f} ms: {_verdict(s['median'], target)}" if target else ""
            cpu = f"{s['cpu_median']:,.0f} ms" if "cpu_median" in s else "?"
            load = f"{row.get('load_before', '?')} → {row.get('load_after', '?')}"
            print(f"| {label} {row['area']} | {row['people']:,} | {name} | {len(s['runs'])} | "
                  f"{s['median']:,.0f} ms |"
                  f" {s['min']:,.0f} | {s['max']:,.0f} | {cpu} | {queries} | {load} |"
                  f" {verdict} |")  # fmt: skip
    print()
    print("| scope | " + " | ".join(SOURCES) + " | compute |")
    print("|---|" + "---:|" * (len(SOURCES) + 1))
    for label, row in result["scopes"].items():
        if "sources" not in row:
            continue
        cells = " | ".join(f"{row['sources'][k]:,.0f}" for k in (*SOURCES, "compute"))
        print(f"| {label} | {cells} |")
    print()
    r = result["report"]
    if "skipped" in r:
        print(f"quarterly report: skipped ({r['skipped']})")
    else:
        print("| quarterly report | runs | median | min | max | CPU median | queries | load "
              "| target |")  # fmt: skip
        print("|---|---:|---:|---:|---:|---:|---:|---|---|")
        for kind, name in (("page", "page (Client)"), ("figures", "area_figures alone")):
            s = r[kind]
            verdict = _verdict(s["median"], TARGETS_MS["report"])
            cpu = f"{s['cpu_median']:,.0f} ms" if "cpu_median" in s else "?"
            queries = f"{r['queries']} ({r['sql_ms']:,.0f} ms SQL)" if kind == "figures" else ""
            print(
                f"| {r['area']} {name} | {len(s['runs'])} | {s['median']:,.0f} ms | "
                f"{s['min']:,.0f} | {s['max']:,.0f} | {cpu} | {queries} | "
                f"{r['load_before']} → {r['load_after']} | ≤ 5 s: {verdict} |"
            )
        print("\nslowest queries of area_figures (ms): "
              + ", ".join(str(ms) for ms, _sql in r["slowest"]))  # fmt: skip


if __name__ == "__main__":
    main()

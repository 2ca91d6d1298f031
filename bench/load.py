"""Load test: village workers opening their worklists and logging contacts, against
`shouwang serve` on PostgreSQL with the demo county.

    pip install -e ".[bench]"   # locust
    python bench/load.py [--users 200] [--seconds 60] [--spawn-rate 4] [--wait 1 3]
                         [--workers 2] [--threads 8] [--connection-close]
    python bench/load.py --keep-data   # reuse a database this script prepared

Runs on 127.0.0.1 only and is bounded in time: the server and locust are stopped
at the end, also when something fails (locust is killed --login-timeout +
--seconds + 120 s after it started). Steps:

1. The PostgreSQL database in DATABASE_URL (default
   postgres://postgres@127.0.0.1:5432/shouwang_bench_load; its name must contain
   "bench", as it is dropped and created again): migrated and loaded with the demo
   county as `shouwang demo --no-serve` does it (`demo_load`), static files
   collected (DEBUG is off), VACUUM ANALYZE. --keep-data only migrates when the
   database already holds the demo county (contacts of earlier runs stay).
2. --users village-worker logins: the demo's `village`, then `load001`, `load002`…
   made with `accounts.services.user_create` in the county's 109 villages in turn
   (two to a village, or one), password `shouwang-demo`.
3. `python -m shouwang serve` on 127.0.0.1:--port with DEBUG=false, --workers and
   --threads; its log in var/bench-load/serve.log.
4. The contacts in the database are counted. Locust (FastHttpUser, headless, in a
   subprocess of this script) starts --users users at --spawn-rate a second.
   Login phase (until every user is in, or --login-timeout): each user logs in
   with its own username (login page, login with the form's CSRF token, home).
   Run (--seconds, every user at once), in a loop with a think time of --wait
   seconds (uniform) before each step: the worklist 我的待办 (/care/) and its
   reassessment panel (the htmx request the page makes on load); the contact form
   of one of its items (the 记录 link) or, when nothing is due, of someone from
   the village's list (/people/); the form posted as a browser posts it (CSRF
   token, prefilled fields, a short note). A save counts when the answer is the
   redirect to the worklist. Requests wait at most --timeout seconds.
   --connection-close sends every request on a new connection, as a reverse
   proxy without upstream keep-alive does; by default each user keeps its
   connection, as a browser talking to the server directly does.
5. The server is stopped (requests under way finish first) and the contacts are
   counted again: after − before must be the saves acknowledged, plus at most the
   saves the end of the run cut off (no contact lost, none made twice).

Prints `uptime` before and after, the settings and, for each phase, a markdown
table for docs/performance.md — per request: count, requests/s, p50, p95, p99
and max (ms; locust's rounding: 2 significant figures above 100 ms), failures —
the failures by kind, the requests still unanswered at its end, and the CPU
seconds used by the server, PostgreSQL's backends of the bench database, locust
and the whole machine (what else runs on it is the difference). Exits 1 on any
failure, a lost contact or a request unanswered for over 10 s. Locust runs on the
same machine and takes CPU from the server: on two cores the figures are a floor.
"""

import argparse
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VAR = ROOT / "var" / "bench-load"
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/shouwang_bench_load"
HOST = "127.0.0.1"
PASSWORD = "shouwang-demo"  # shouwang.core.demo.DEMO_PASSWORD
LOGIN_PREFIX = "load"
# A request still unanswered this long when the run ends counts as stuck (an error).
STUCK_SECONDS = 10
SERVER_ERROR = re.compile(r"Traceback|ERROR|Error|exception|Forbidden")

BENCH_ENV = {
    "SECRET_KEY": "bench",
    "FIELD_ENCRYPTION_KEYS": "YmVuY2gtb25seS1maWVsZC1rZXktMDAwMDAwMDAwMDA=",
    "BLIND_INDEX_KEY": "bench-only-blind-index-key",
    "SHOUWANG_VAR_DIR": str(VAR),
    "DJANGO_SETTINGS_MODULE": "shouwang.settings",
    "LOG_LEVEL": "WARNING",
    "DATABASE_URL": DEFAULT_DATABASE,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=200, help="concurrent village workers")
    parser.add_argument("--seconds", type=int, default=60, help="length of the run")
    parser.add_argument("--spawn-rate", type=float, default=4, help="users started per second")
    parser.add_argument("--wait", type=float, nargs=2, default=(1.0, 3.0), metavar=("MIN", "MAX"),
                        help="think time between steps, seconds (uniform)")  # fmt: skip
    parser.add_argument("--workers", type=int, default=2, help="shouwang serve: processes")
    parser.add_argument("--threads", type=int, default=8, help="shouwang serve: threads each")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--timeout", type=float, default=60, help="locust: seconds per request")
    parser.add_argument("--login-timeout", type=float, default=300,
                        help="longest wait for every user to be logged in, seconds")  # fmt: skip
    parser.add_argument("--connection-close", action="store_true",
                        help="a connection per request (a proxy without keep-alive)")  # fmt: skip
    parser.add_argument("--keep-data", action="store_true", help="reuse a prepared database")
    parser.add_argument("--locust", metavar="JSON", help=argparse.SUPPRESS)
    args = parser.parse_args()
    for name, value in BENCH_ENV.items():
        os.environ.setdefault(name, value)
    os.environ["DEBUG"] = "false"
    if args.locust:
        run_locust(args, Path(args.locust))
        return
    if args.users < 1 or args.seconds < 1:
        parser.error("--users and --seconds must be positive")
    url = os.environ["DATABASE_URL"]
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("DATABASE_URL must be a postgres:// URL (this load test is for PostgreSQL)")
    VAR.mkdir(parents=True, exist_ok=True)
    run(args, url)


# --- The database and the logins -------------------------------------------------------


def prepare(url: str, keep: bool) -> None:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(HERE))
    kept = keep and _demo_in(url)
    if not kept:
        from people import recreate_postgres_database

        recreate_postgres_database(url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from shouwang.core.demo import demo_load

    start = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    if kept and (VAR / "static" / "staticfiles.json").exists():
        print("database: kept (--keep-data), with the demo county", flush=True)
        return
    demo = demo_load()  # as `shouwang demo --no-serve`: areas, logins, people, care, protection
    call_command("collectstatic", interactive=False, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(
        f"database: PostgreSQL {connection.pg_version // 10000}, demo county: "
        f"{demo.people['people']:,} people, {demo.care.get('contacts', 0):,} contacts on file"
        f"; prepared in {time.perf_counter() - start:.0f} s",
        flush=True,
    )


def _demo_in(url: str) -> bool:
    """Whether the database exists and holds the demo county (for --keep-data)."""
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            row = conn.execute("SELECT to_regclass('care_contact') IS NOT NULL").fetchone()
            if not row[0]:
                return False
            return conn.execute("SELECT count(*) FROM people_person").fetchone()[0] > 0
    except psycopg.OperationalError:
        return False


def village_logins(count: int) -> list[str]:
    """`count` usernames of active village workers: the demo's `village`, then
    `load001`… made as needed in the county's villages in turn."""
    from shouwang.accounts.models import User
    from shouwang.accounts.roles import Role
    from shouwang.accounts.services import user_create
    from shouwang.core.demo import COUNTY_CODE
    from shouwang.regions.models import Area, Level

    workers = User.objects.filter(role=Role.VILLAGE_WORKER, is_active=True)
    names = list(workers.filter(username="village").values_list("username", flat=True))
    names += list(
        workers.filter(username__startswith=LOGIN_PREFIX)
        .order_by("username")
        .values_list("username", flat=True)
    )
    villages = list(
        Area.objects.filter(level=Level.VILLAGE, code__startswith=COUNTY_CODE).order_by("code")
    )
    made, number = 0, 0
    while len(names) < count:
        number += 1
        username = f"{LOGIN_PREFIX}{number:03d}"
        if username in names:
            continue
        user_create(
            username=username,
            password=PASSWORD,
            role=Role.VILLAGE_WORKER,
            scope_area=villages[number % len(villages)],
            full_name=f"测试{number:03d}",
        )
        names.append(username)
        made += 1
    print(f"village-worker logins: {count} used ({made} made now)", flush=True)
    return names[:count]


def contacts_count() -> int:
    from django.db import connection

    from shouwang.care.models import Contact

    connection.close()  # a fresh connection: no snapshot or cache from before
    return Contact.objects.count()


# --- The run ---------------------------------------------------------------------------


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((HOST, port)) != 0


def wait_until_up(port: int, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"shouwang serve exited ({server.returncode}): see {VAR}/serve.log")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/accounts/login/", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"shouwang serve did not answer within {seconds:.0f} s")


def stop(process: subprocess.Popen | None, grace: float = 15) -> None:
    """Stop a process started here in its own session, with its children (granian's
    workers): SIGTERM to its process group, SIGKILL after `grace` seconds."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def run(args, url: str) -> None:
    if not port_free(args.port):
        sys.exit(f"port {args.port} is in use on {HOST}")
    prepare(url, args.keep_data)
    logins = village_logins(args.users)
    env = os.environ | {"PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                        os.environ.get("PYTHONPATH", "")]))}  # fmt: skip
    env |= {"DEBUG": "false", "LOG_LEVEL": "WARNING"}
    before_uptime = uptime()
    server = runner = None
    log = open(VAR / "serve.log", "w")  # noqa: SIM115 (closed in finally)
    results = VAR / "locust.json"
    results.unlink(missing_ok=True)
    try:
        command = [sys.executable, "-m", "shouwang", "serve", "--host", HOST,
                   "--port", str(args.port), "--workers", str(args.workers),
                   "--threads", str(args.threads)]  # fmt: skip
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        wait_until_up(args.port, server)
        before = contacts_count()
        spec = {
            "host": f"http://{HOST}:{args.port}",
            "logins": logins,
            "password": PASSWORD,
            "users": args.users,
            "seconds": args.seconds,
            "spawn_rate": args.spawn_rate,
            "wait": list(args.wait),
            "timeout": args.timeout,
            "login_timeout": args.login_timeout,
            "close": args.connection_close,
            "server_pid": server.pid,
        }
        results.write_text(json.dumps(spec), encoding="utf-8")
        print(f"{before_uptime}\nrunning {args.users} users for {args.seconds} s …", flush=True)
        runner = subprocess.Popen(
            [sys.executable, __file__, "--locust", str(results)], env=env, start_new_session=True
        )
        runner.wait(timeout=args.login_timeout + args.seconds + 120)
        after_uptime = uptime()
    finally:
        stop(runner, grace=5)
        stop(server)  # graceful: requests under way finish (and commit) first
        log.close()
    after = contacts_count()
    outcome = json.loads(results.read_text(encoding="utf-8"))
    if "run" not in outcome:
        sys.exit(f"locust wrote no results (exit {runner.returncode})")
    report(args, outcome, before, after, before_uptime, after_uptime)


def report(args, outcome, before, after, before_uptime, after_uptime) -> None:
    import platform

    from django.db import connection

    print(f"uptime before: {before_uptime}\nuptime after:  {after_uptime}")
    print(
        f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"PostgreSQL {connection.pg_version // 10000}, locust {outcome['locust']} on the same "
        f"machine; shouwang serve: {args.workers} workers × {args.threads} threads, DEBUG off"
    )
    print(
        f"load: {args.users} village workers (one login each), spawned at {args.spawn_rate:g}/s; "
        f"think time {args.wait[0]:g}–{args.wait[1]:g} s; "
        + ("one connection per request" if args.connection_close else "keep-alive connections")
    )
    login, run = outcome["login"], outcome["run"]
    print(
        f"\nlogin phase: {outcome['logged_in']:,} of {outcome['spawned']:,} users logged in "
        f"({outcome['login_failed']:,} refused or timed out), {outcome['ready']:,} had their "
        f"home page, in {login['seconds']:.1f} s"
    )
    table(login)
    print(f"\nrun: {run['seconds']:.1f} s, every logged-in user working")
    table(run)
    posted, open_saves, made = outcome["posted"], run["saves_unanswered"], after - before
    # Every acknowledged contact must be there, and nothing else but the saves the
    # run's end cut off (answered by the server after locust stopped listening).
    lost = max(0, posted - made)
    extra = max(0, made - posted - open_saves)
    print(
        f"\ncontacts: {before:,} before, {after:,} after (+{made:,}, counted once the server "
        f"had stopped); saves acknowledged {posted:,}, cut off by the end of the run "
        f"{open_saves:,}; lost {lost:,}, unexplained extra {extra:,}"
    )
    print(f"worklists without an item to log: {outcome['empty_worklists']:,}")
    logged = (VAR / "serve.log").read_text(encoding="utf-8", errors="replace").splitlines()
    problems = [line for line in logged if SERVER_ERROR.search(line)]
    print(f"server log: {len(logged)} lines, {len(problems)} error lines ({VAR}/serve.log)")
    for line in problems[:20]:
        print(f"  {line[:200]}")
    stuck = login["stuck"] + run["stuck"]
    if login["failures"] or run["failures"] or stuck or lost or extra or outcome["login_failed"]:
        sys.exit(1)


def table(phase: dict) -> None:
    cpu = phase["cpu"]
    print(
        f"CPU seconds over {phase['seconds']:.1f} s (2 cores = {2 * phase['seconds']:.0f}): "
        f"server {cpu['server']:.1f}, PostgreSQL (bench database) {cpu['database']:.1f}, "
        f"locust {cpu['locust']:.1f}, whole machine {cpu['machine']:.1f}"
    )
    print("| request | count | req/s | p50 ms | p95 ms | p99 ms | max ms | failures |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in phase["stats"]:
        if not row["count"]:
            continue  # a request of the other phase
        print(
            f"| {row['name']} | {row['count']:,} | {row['rps']:.1f} | {row['p50']:.0f} | "
            f"{row['p95']:.0f} | {row['p99']:.0f} | {row['max']:.0f} | {row['failures']:,} |"
        )
    for error in phase["errors"]:
        print(f"  failures: {error['occurrences']:>6}  {error['name']}: {error['error']}")
    print(
        f"unanswered at the end: {phase['unanswered']:,}, {phase['stuck']:,} of them waiting "
        f"over {STUCK_SECONDS} s (the oldest {phase['oldest_unanswered']:.1f} s)"
    )


# --- Locust (in a subprocess: gevent patches the standard library) ---------------------


def run_locust(args, path: Path) -> None:
    import gevent
    import gevent.event
    import locust
    from locust import FastHttpUser, events, task
    from locust.env import Environment
    from locust.exception import StopUser

    spec = json.loads(path.read_text(encoding="utf-8"))
    logins = list(reversed(spec["logins"]))
    low, high = spec["wait"]
    counters = {"posted": 0, "empty_worklists": 0, "logged_in": 0, "login_failed": 0, "ready": 0}
    pending: dict[int, tuple[float, str]] = {}  # user → its unanswered request: when, what
    gate = gevent.event.Event()

    class VillageWorker(FastHttpUser):
        host = spec["host"]
        network_timeout = spec["timeout"]
        connection_timeout = spec["timeout"]

        def wait_time(self):
            return random.uniform(low, high)

        def request(self, method, path, **kwargs):
            if spec["close"]:
                # As a proxy without upstream keep-alive: one connection per request.
                kwargs["headers"] = kwargs.get("headers", {}) | {"Connection": "close"}
            pending[id(self)] = (time.monotonic(), kwargs.get("name", path))
            try:
                return self.client.request(method, path, **kwargs)
            finally:
                pending.pop(id(self), None)

        def on_start(self):
            self.seen: list[str] = []
            self.refused = not logins
            if self.refused:
                return
            username = logins.pop()
            page = self.request("GET", "/accounts/login/", name="login page")
            token = _csrf(page.text or "")
            with self.request(
                "POST",
                "/accounts/login/",
                data={
                    "csrfmiddlewaretoken": token,
                    "username": username,
                    "password": spec["password"],
                    "next": "",
                },
                name="login",
                allow_redirects=False,
                catch_response=True,
            ) as answer:
                if answer.status_code != 302:
                    answer.failure(f"login refused: HTTP {answer.status_code}")
                    counters["login_failed"] += 1
                    self.refused = True  # stops at its first task (quietly, unlike here)
                    return
            counters["logged_in"] += 1
            self.request("GET", "/", name="home")
            counters["ready"] += 1

        @task
        def log_a_contact(self):
            if self.refused:
                raise StopUser
            if not gate.is_set():
                gate.wait()
                gevent.sleep(random.uniform(0, high))  # not all at the same instant
            page = self.request("GET", "/care/", name="worklist")
            text = page.text or ""
            if "protection/reassessments/?panel=1" in text:
                self.request(
                    "GET",
                    "/protection/reassessments/?panel=1",
                    headers={"HX-Request": "true"},
                    name="worklist: reassessments panel",
                )
            links = [_unescape(link) for link in WORKLIST_LINK.findall(text)]
            if links:
                self.seen = links
            else:
                counters["empty_worklists"] += 1
                links = self.seen
            if not links:
                # Nothing due: find someone in the village's list and log a visit.
                gevent.sleep(random.uniform(low, high))
                page = self.request("GET", "/people/", name="people list")
                people = sorted(set(PERSON_LINK.findall(page.text or "")))
                links = [f"/care/people/{pk}/log/?next=%2Fcare%2F" for pk in people]
            if not links:
                return
            link = random.choice(links)
            gevent.sleep(random.uniform(low, high))
            form = self.request("GET", link, name="contact form")
            fields = _form_fields(form.text or "")
            if "csrfmiddlewaretoken" not in dict(fields):
                return  # the failure (not a form) is already counted by its status
            fields = [
                (k, "家中一切正常，已提醒注意安全。" if k == "notes" else v) for k, v in fields
            ]
            gevent.sleep(random.uniform(low, high))
            with self.request(
                "POST",
                link,
                data=_urlencode(fields),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                name="contact save",
                allow_redirects=False,
                catch_response=True,
            ) as answer:
                if answer.status_code == 302 and "/care/" in answer.headers.get("Location", ""):
                    counters["posted"] += 1
                    answer.success()
                else:
                    answer.failure(f"not saved: HTTP {answer.status_code}")

    env = Environment(user_classes=[VillageWorker], events=events)
    runner = env.create_local_runner()
    cpu = CpuTimes(spec["server_pid"])
    begun = time.monotonic()
    runner.start(spec["users"], spawn_rate=spec["spawn_rate"])
    # Phase 1, not timed as the run: every user logs in; their tasks wait at the gate.
    deadline = begun + spec["login_timeout"]
    while counters["ready"] + counters["login_failed"] < spec["users"]:
        if time.monotonic() > deadline:
            break
        gevent.sleep(0.1)
    login = phase(env.stats, time.monotonic() - begun, pending) | cpu.lap()
    # Phase 2, the run: --seconds of worklists and contacts, every user at once.
    env.stats.reset_all()
    begun = time.monotonic()
    gate.set()
    gevent.sleep(spec["seconds"])
    run = phase(env.stats, time.monotonic() - begun, pending) | cpu.lap()
    counted = dict(counters)  # now: greenlets may still run while they are stopped
    runner.quit()
    outcome = {"locust": locust.__version__, "login": login, "run": run,
               "spawned": spec["users"], **counted}  # fmt: skip
    path.write_text(json.dumps(outcome, ensure_ascii=False), encoding="utf-8")


class CpuTimes:
    """CPU seconds used since the last lap: by the server (its process group), by
    PostgreSQL's backends of the bench database, by this locust process, and by the
    whole machine (all cores; what else runs on it is the rest)."""

    def __init__(self, server_pid: int):
        import psutil

        self.psutil, self.server_pid = psutil, server_pid
        self.last = self.now()

    def now(self) -> dict[str, float]:
        psutil = self.psutil
        server = database = 0.0
        for process in psutil.process_iter(["pid", "cmdline"]):
            try:
                times = process.cpu_times()
                used = times.user + times.system
                if os.getpgid(process.info["pid"]) == self.server_pid:
                    server += used
                elif "shouwang_bench_load" in " ".join(process.info["cmdline"] or ()):
                    database += used
            except (psutil.Error, OSError):
                continue
        mine = psutil.Process().cpu_times()
        machine = psutil.cpu_times()
        busy = machine.user + machine.nice + machine.system + machine.irq + machine.softirq
        return {"server": server, "database": database, "locust": mine.user + mine.system,
                "machine": busy}  # fmt: skip

    def lap(self) -> dict[str, dict[str, float]]:
        now = self.now()
        used = {key: now[key] - self.last[key] for key in now}
        self.last = now
        return {"cpu": used}


ORDER = ("login page", "login", "home", "worklist", "worklist: reassessments panel",
         "people list", "contact form", "contact save")  # fmt: skip


def phase(stats, seconds: float, pending: dict[int, tuple[float, str]]) -> dict:
    """A phase's figures from locust's stats: per request, total, failures by kind,
    and the requests still unanswered at its end."""

    def row(entry, name):
        return {
            "name": name,
            "count": entry.num_requests,
            "rps": entry.num_requests / seconds if seconds else 0.0,
            "p50": entry.get_response_time_percentile(0.50) or 0,
            "p95": entry.get_response_time_percentile(0.95) or 0,
            "p99": entry.get_response_time_percentile(0.99) or 0,
            "max": entry.max_response_time or 0,
            "failures": entry.num_failures,
        }

    def rank(entry):
        return ORDER.index(entry.name) if entry.name in ORDER else len(ORDER)

    now = time.monotonic()
    waiting = [now - sent for sent, _name in pending.values()]
    entries = sorted(stats.entries.values(), key=rank)
    return {
        "seconds": seconds,
        "stats": [row(e, f"{e.method} {e.name}") for e in entries]
        + [row(stats.total, "all requests")],
        "failures": stats.total.num_failures,
        "errors": [
            {"name": f"{e.method} {e.name}", "error": str(e.error), "occurrences": e.occurrences}
            for e in stats.errors.values()
        ],
        "unanswered": len(waiting),
        "stuck": sum(age > STUCK_SECONDS for age in waiting),
        "oldest_unanswered": max(waiting, default=0.0),
        "saves_unanswered": sum(name == "contact save" for _sent, name in pending.values()),
    }


WORKLIST_LINK = re.compile(r'class="btn wl-log" href="([^"]+)"')
PERSON_LINK = re.compile(r'href="/people/([0-9]+)/"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _csrf(text: str) -> str:
    match = CSRF.search(text)
    return match.group(1) if match else ""


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


def _urlencode(fields) -> str:
    from urllib.parse import urlencode

    return urlencode(fields)


def _form_fields(text: str) -> list[tuple[str, str]]:
    """What a browser submits from the page's POST form, untouched: each named input
    (a checkbox only when checked), each select's selected option (else its first),
    each textarea's text."""
    from html.parser import HTMLParser

    class Form(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.fields: list[tuple[str, str]] = []
            self.inside = False
            self.select: dict | None = None
            self.textarea: list | None = None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "form" and (a.get("method") or "").lower() == "post":
                self.inside = True
            if not self.inside:
                return
            if tag == "input" and a.get("name"):
                kind = (a.get("type") or "text").lower()
                if kind in ("checkbox", "radio") and "checked" not in a:
                    return
                if kind not in ("submit", "button"):
                    self.fields.append((a["name"], a.get("value") or ""))
            elif tag == "select" and a.get("name"):
                self.select = {"name": a["name"], "first": None, "chosen": None}
            elif tag == "option" and self.select is not None:
                value = a.get("value") or ""
                if self.select["first"] is None:
                    self.select["first"] = value
                if "selected" in a:
                    self.select["chosen"] = value
            elif tag == "textarea" and a.get("name"):
                self.textarea = [a["name"]]

        def handle_data(self, data):
            if self.textarea is not None:
                self.textarea.append(data)

        def handle_endtag(self, tag):
            if tag == "form":
                self.inside = False
            elif tag == "select" and self.select is not None:
                s = self.select
                self.fields.append((s["name"], s["chosen"] or s["first"] or ""))
                self.select = None
            elif tag == "textarea" and self.textarea is not None:
                name, *text = self.textarea
                self.fields.append((name, "".join(text).removeprefix("\n")))
                self.textarea = None

    form = Form()
    form.feed(text)
    return form.fields


if __name__ == "__main__":
    main()

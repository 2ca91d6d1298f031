"""Shared fixtures: the demo county and one named actor per role.

Actors (all in 松溪县, 350724):
- county_admin     黄建华, 县级管理员 of the county
- supervisor       吴丽萍, 乡镇督导员 of 郑墩镇 (350724101)
- village_worker   张桂兰, 村级工作人员 of the first village of 郑墩镇 (350724101200)
- neighbour        村级工作人员 of the second village of 郑墩镇 (350724101201)
- outsider         乡镇督导员 of the next township, 渭田镇 (350724102) — should see
                   nothing of 郑墩镇
- unscoped         村级工作人员 with no scope area — should see nothing at all
- auditor, sysadmin, security_admin, leader, volunteer — the other roles, scoped to the county
  (the volunteer to the first village)
"""

import os
from pathlib import Path

import pytest

from shouwang.accounts.roles import Role
from shouwang.accounts.services import user_create
from shouwang.core.demo import demo_area_rows
from shouwang.regions.models import Area
from shouwang.regions.services import areas_upsert

REPO_ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"
COUNTY = "350724000000"
ZHENGDUN = "350724101000"  # 郑墩镇
WEITIAN = "350724102000"  # 渭田镇
VILLAGE = "350724101200"
NEIGHBOUR_VILLAGE = "350724101201"


# What the data migrations seed; a committed (transactional) test's flush empties
# these tables, so such tests get them back (`_seeded_defaults`).
DATA_MIGRATIONS = [
    ("shouwang.people.migrations.0002_default_rules", "create"),
    ("shouwang.care.migrations.0002_default_rules", "add_defaults"),
    ("shouwang.protection.migrations.0002_default_scales_and_deadlines", "add_defaults"),
]


@pytest.fixture(autouse=True)
def _seeded_defaults(request):
    """Before a committed test, the rows the data migrations wrote are put back if
    an earlier committed test's flush removed them (they are get_or_create)."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not (marker.kwargs.get("transaction") or "transaction" in marker.args):
        return
    import importlib

    from django.apps import apps

    request.getfixturevalue("transactional_db")
    for module, function in DATA_MIGRATIONS:
        getattr(importlib.import_module(module), function)(apps, None)


@pytest.fixture
def demo_areas(db):
    areas_upsert(rows=demo_area_rows(), source="test")
    return Area.objects


def _make(username, role, scope_code, full_name=""):
    return user_create(
        username=username,
        password=PASSWORD,
        role=role,
        scope_area=Area.objects.get(code=scope_code) if scope_code else None,
        full_name=full_name,
    )


@pytest.fixture
def county_admin(demo_areas):
    return _make("county", Role.COUNTY_ADMIN, COUNTY, "黄建华")


@pytest.fixture
def supervisor(demo_areas):
    return _make("supervisor", Role.TOWNSHIP_SUPERVISOR, ZHENGDUN, "吴丽萍")


@pytest.fixture
def village_worker(demo_areas):
    return _make("village", Role.VILLAGE_WORKER, VILLAGE, "张桂兰")


@pytest.fixture
def neighbour(demo_areas):
    return _make("neighbour", Role.VILLAGE_WORKER, NEIGHBOUR_VILLAGE, "李美华")


@pytest.fixture
def outsider(demo_areas):
    return _make("outsider", Role.TOWNSHIP_SUPERVISOR, WEITIAN, "周明")


@pytest.fixture
def unscoped(demo_areas):
    return _make("unscoped", Role.VILLAGE_WORKER, None, "王芳")


@pytest.fixture
def auditor(demo_areas):
    return _make("auditor", Role.AUDIT_ADMIN, COUNTY, "林秀英")


@pytest.fixture
def sysadmin(demo_areas):
    return _make("sysadmin", Role.SYSTEM_ADMIN, COUNTY, "陈志强")


@pytest.fixture
def security_admin(demo_areas):
    return _make("security", Role.SECURITY_ADMIN, COUNTY, "周明辉")


@pytest.fixture
def leader(demo_areas):
    return _make("leader", Role.LEADER, COUNTY, "郑国平")


@pytest.fixture
def volunteer(demo_areas):
    return _make("volunteer", Role.VOLUNTEER, VILLAGE, "刘晓燕")


@pytest.fixture
def login(client):
    """login(user) -> the test client logged in as `user` through the real login form."""

    def _login(user):
        client.force_login(user, backend="shouwang.accounts.backends.ScopedModelBackend")
        return client

    return _login


def _require(flag: str) -> bool:
    return os.environ.get(flag, "") in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def areas_data_dir() -> Path:
    """The national division lists (../shared/data/areas), which are not part of the
    project. Looked up in $SHOUWANG_AREAS_DATA, then next to the checkout. Tests that
    need them skip when absent — unless SHOUWANG_REQUIRE_AREAS_DATA=1 (set by CI)."""
    candidates = [
        os.environ.get("SHOUWANG_AREAS_DATA", ""),
        str(REPO_ROOT.parent / "shared" / "data" / "areas"),
        "/work/shared/data/areas",
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "streets.csv").is_file():
            return Path(candidate)
    message = "../shared/data/areas not found; set SHOUWANG_AREAS_DATA"
    if _require("SHOUWANG_REQUIRE_AREAS_DATA"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _default_language():
    """LocaleMiddleware leaves the last request's language active in the thread;
    every test starts in the default language."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _browser_needs_chromium(request):
    """Tests marked `browser` skip without Debian's Chromium, unless
    SHOUWANG_REQUIRE_BROWSER=1 (set by CI): then they fail."""
    if request.node.get_closest_marker("browser") is None:
        return
    from shouwang.core.browser import CHROMIUM

    if CHROMIUM.is_file():
        return
    message = f"{CHROMIUM} not found; install it with `apt-get install chromium`"
    if _require("SHOUWANG_REQUIRE_BROWSER"):
        pytest.fail(message)
    pytest.skip(message)

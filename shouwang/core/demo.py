"""The demo county: 松溪县 (Fujian), its nine real township-level units and 109
synthetic villages, one login per role, and families on file shaped like the
county's own figures (`shouwang.people.demo`). Deterministic: the same call on the
same day always produces the same codes, names, users and people."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from django.db import transaction

from shouwang.accounts.models import User
from shouwang.accounts.roles import Role
from shouwang.accounts.services import user_create
from shouwang.care.demo import care_demo_load
from shouwang.dashboard.demo import survey_demo_load
from shouwang.dashboard.summaries import summaries_forget
from shouwang.people.demo import people_demo_load
from shouwang.protection.demo import protection_demo_load
from shouwang.regions.models import Area, Level
from shouwang.regions.services import AreaRow, areas_upsert, full_code

DEMO_PASSWORD = "shouwang-demo"
COUNTY_CODE = "350724"

# Public facts: NBS 2023 codes (../shared/data/areas/streets.csv), and how many
# synthetic villages each gets (109 in all, as the county reports).
TOWNSHIPS = [
    ("350724001", "松源街道", 10),
    ("350724101", "郑墩镇", 17),
    ("350724102", "渭田镇", 15),
    ("350724200", "河东乡", 10),
    ("350724201", "茶平乡", 12),
    ("350724202", "旧县乡", 11),
    ("350724203", "溪东乡", 10),
    ("350724204", "花桥乡", 12),
    ("350724205", "祖墩乡", 12),
]
_FIRST = "上下东西南北大小新前后中高长石竹梅杉溪岭坑洋坪源墩厝山湖塘"
_SECOND = "洋坑源坪岭墩溪田山峰口头坊尾里湖塘垄厝林"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: Role
    full_name: str
    scope_code: str


@dataclass(frozen=True)
class Demo:
    """What `demo_load` left in place: the logins, the county's files as counted
    by `people_demo_counts` (people, households, enrollments per program…), its
    care network as counted by `care_demo_counts` (volunteers by kind and review
    status, pairings, contacts, open concerns) and its protection work as counted
    by `protection_demo_counts` (assessments by level, cases, stations, aid)."""

    logins: list[DemoLogin]
    people: dict[str, int]
    care: dict[str, int] = field(default_factory=dict)
    protection: dict[str, int] = field(default_factory=dict)


DEMO_LOGINS = [
    DemoLogin("sysadmin", Role.SYSTEM_ADMIN, "陈志强", full_code(COUNTY_CODE)),
    DemoLogin("security", Role.SECURITY_ADMIN, "周明辉", full_code(COUNTY_CODE)),
    DemoLogin("auditor", Role.AUDIT_ADMIN, "林秀英", full_code(COUNTY_CODE)),
    DemoLogin("county", Role.COUNTY_ADMIN, "黄建华", full_code(COUNTY_CODE)),
    DemoLogin("supervisor", Role.TOWNSHIP_SUPERVISOR, "吴丽萍", full_code("350724101")),
    DemoLogin("village", Role.VILLAGE_WORKER, "张桂兰", "350724101200"),
    DemoLogin("volunteer", Role.VOLUNTEER, "刘晓燕", "350724101200"),
    DemoLogin("leader", Role.LEADER, "郑国平", full_code(COUNTY_CODE)),
]


def demo_area_rows() -> list[AreaRow]:
    rng = random.Random(350724)
    rows = [
        AreaRow(full_code("35"), "福建省", Level.PROVINCE, None, "demo", 0),
        AreaRow(full_code("3507"), "南平市", Level.CITY, full_code("35"), "demo", 0),
        AreaRow(full_code(COUNTY_CODE), "松溪县", Level.COUNTY, full_code("3507"), "demo", 0),
    ]
    for township_code, township_name, villages in TOWNSHIPS:
        township = full_code(township_code)
        rows.append(
            AreaRow(township, township_name, Level.TOWNSHIP, full_code("350724"), "demo", 0)
        )
        is_street = township_name.endswith("街道")
        names: set[str] = set()
        while len(names) < villages:
            names.add(rng.choice(_FIRST) + rng.choice(_SECOND))
        for i, stem in enumerate(sorted(names)):
            # 001-199 are communities (居委会), 200-399 villages (村委会).
            suffix = f"{i + 1:03d}" if is_street else f"{200 + i:03d}"
            name = f"{stem}社区" if is_street else f"{stem}村"
            rows.append(AreaRow(township_code + suffix, name, Level.VILLAGE, township, "demo", 0))
    return rows


@transaction.atomic
def demo_load(*, care: bool = True, protection: bool = True) -> Demo:
    """Create (or refresh) the demo area tree and the demo logins, then fill the
    villages with families once (a county that has people on file is left alone),
    give them a care network once (a county with volunteers is left alone) and
    their protection work once (a county with assessments is left alone)."""
    areas_upsert(rows=demo_area_rows(), source="demo")
    for login in DEMO_LOGINS:
        if not User.objects.filter(username=login.username).exists():
            user_create(
                username=login.username,
                password=DEMO_PASSWORD,
                role=login.role,
                scope_area=Area.objects.get(code=login.scope_code),
                full_name=login.full_name,
            )
    people = people_demo_load(county_code=COUNTY_CODE)
    network = care_demo_load(county_code=COUNTY_CODE) if care else {}
    work = protection_demo_load(county_code=COUNTY_CODE) if protection else {}
    survey_demo_load(county_code=COUNTY_CODE)  # a survey round under way (本轮核实率)
    # The seed writes in bulk, past the audit log: stored summaries are counted anew.
    summaries_forget()
    return Demo(logins=DEMO_LOGINS, people=people, care=network, protection=work)

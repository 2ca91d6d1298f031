"""The hand-counted county of the dashboard tests, read on Sunday 22 November 2026.

Two townships of 松溪县 (the project's actors, shouwang/conftest.py, are scoped in
it): 郑墩镇 with the village worker's village (A, 350724101200) and the next one
(B, 350724101201), and 渭田镇 (village C, 350724102200). Everyone is on file
since 2024 and enrolled since then unless said otherwise.

  name  village  sex born        program(s)               file        round  risk
  子一  A        M   2020-09-01  留守儿童                 complete    yes    五级
  子二  A        F   2021-03-01  留守儿童                 no school.  —      —
  子三  A        M   2011-01-10  留守儿童 + 困境儿童      complete    —      一级
  妇一  A        F   1990-06-01  留守妇女                 complete    yes    —
  老一  A        M   1950-03-01  留守老年人               complete    yes    —
  老二  A        F   1940-02-02  留守老年人               no child    —      —
  丁    A        M   1948-05-05  留守老年人 until 11-10   (exited: counted in October only)
  迁    A        F   2015-05-05  留守儿童                 (moved out: never counted)
  老三  B        M   1960-01-01  留守老年人               no address  —      —
  子四  C        F   2009-11-23  困境儿童                 no guardian old r. 三级
  妇二  C        F   1985-05-05  留守妇女                 no phone    yes    —

Survey rounds: the county's from 2026-10-01 (verified 子一 妇一 老一 子四), and
渭田镇's own from 2026-11-01 (verified 妇二), current for village C from then on.
Care: 子一 and 子三 have a 代理家长, 老一 a 五老; 子一 had the five of "六个一"
on 11-08, a call on 11-20 and a 亲情通话 on 11-04; 子三 four of the five on 11-09;
子二 a 亲情通话 on 11-04; 老一 a home visit on 11-03, 老三 a phone call on 11-05.
Overdue today: 子三 (teacher talk and family call: 2) and 老二 (the quarterly visit).
Cases: in A one reported on 11-20 past its deadline, one in 帮扶 since September,
one closed (reported 11-05); in C one accepted in October. Aid: 子一 200 yuan cash
(11-03), 老一 goods worth 150.50 (11-10), 妇二 100 yuan cash (10-20).
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from shouwang.accounts.roles import Role
from shouwang.care.choices import CarerKind, ContactKind
from shouwang.care.rates import Month
from shouwang.care.tests.factories import contact, enroll, make_person, make_volunteer, pair
from shouwang.conftest import COUNTY, NEIGHBOUR_VILLAGE, VILLAGE, WEITIAN, ZHENGDUN, _make
from shouwang.people.choices import PersonStatus, RelationKind
from shouwang.people.eligibility import Program
from shouwang.people.models import Person, Relation, SurveyRound, Verification
from shouwang.protection.choices import AidKind, CaseCategory, CaseState, Fund
from shouwang.protection.models import Aid, ProtectionCase, RiskGrade
from shouwang.protection.services.risk import assessment_record
from shouwang.protection.tests.conftest import CHILD_OK
from shouwang.regions.models import Area, Level
from shouwang.regions.services import AreaRow, areas_upsert

D = dt.date
SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = D(2026, 11, 22)
NOW = dt.datetime(2026, 11, 22, 10, tzinfo=SHANGHAI)
NOV, OCT = Month(2026, 11), Month(2026, 10)
VILLAGE_C = "350724102200"
P = Program
K = ContactKind
CHILD = {"schooling": "kindergarten", "guardianship_type": "good",
         "guardianship_assessment": "good", "hukou_registered": False}  # fmt: skip


def _at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def _relations(person: Person, *kinds: str, guardian: bool = False) -> None:
    for kind in kinds:
        Relation.objects.create(person=person, kind=kind, name=f"{person.name}的{kind}")
    if guardian:
        Relation.objects.create(
            person=person, kind=RelationKind.PATERNAL_GRANDMOTHER, name="奶奶", is_guardian=True
        )


def _grade(person: Person, rank: int) -> None:
    grade = RiskGrade.objects.get(scale__is_default=True, rank=rank)
    assessment_record(
        user=None, person=person, answers=CHILD_OK, override_grade=grade,
        override_reason="测试", assessed_on=D(2026, 6, 1),
    )  # fmt: skip


@pytest.fixture
def county(demo_areas):
    """The people of the table above, by name."""
    addr = {"address": "某路1号"}
    people = {}
    people["子一"] = make_person("子一", VILLAGE, birth=D(2020, 9, 1), **CHILD, **addr)
    people["子二"] = make_person(
        "子二", VILLAGE, birth=D(2021, 3, 1), sex="F", **{**CHILD, "schooling": ""}, **addr
    )
    people["子三"] = make_person(
        "子三", VILLAGE, birth=D(2011, 1, 10), **{**CHILD, "schooling": "junior"},
        school="郑墩中学", health="disabled", disability_type="肢体", disability_grade=3, **addr,
    )  # fmt: skip
    enroll(people["子三"], P.CHILD_IN_DIFFICULTY, D(2024, 1, 1))
    people["妇一"] = make_person(
        "妇一", VILLAGE, birth=D(1990, 6, 1), sex="F", program=P.LEFT_BEHIND_WOMAN,
        id_number="350724199006010021", phone="13800000001", **addr,
    )  # fmt: skip
    people["老一"] = make_person(
        "老一", VILLAGE, birth=D(1950, 3, 1), program=P.LEFT_BEHIND_ELDERLY,
        id_number="350724195003010011", **addr,
    )  # fmt: skip
    people["老二"] = make_person(
        "老二", VILLAGE, birth=D(1940, 2, 2), sex="F", program=P.LEFT_BEHIND_ELDERLY,
        id_number="350724194002020022", **addr,
    )  # fmt: skip
    people["丁"] = make_person(
        "丁", VILLAGE, birth=D(1948, 5, 5), program=None, id_number="350724194805050031", **addr
    )
    enroll(people["丁"], P.LEFT_BEHIND_ELDERLY, D(2024, 1, 1), ended_on=D(2026, 11, 10))
    people["迁"] = make_person("迁", VILLAGE, birth=D(2015, 5, 5), sex="F", **CHILD, **addr)
    Person.objects.filter(pk=people["迁"].pk).update(status=PersonStatus.MOVED_OUT)
    people["老三"] = make_person(
        "老三", NEIGHBOUR_VILLAGE, birth=D(1960, 1, 1), program=P.LEFT_BEHIND_ELDERLY,
        id_number="350724196001010051",
    )  # fmt: skip
    people["子四"] = make_person(
        "子四", VILLAGE_C, birth=D(2009, 11, 23), sex="F", program=P.CHILD_IN_DIFFICULTY,
        **CHILD, **addr,
    )  # fmt: skip
    people["妇二"] = make_person(
        "妇二", VILLAGE_C, birth=D(1985, 5, 5), sex="F", program=P.LEFT_BEHIND_WOMAN,
        id_number="350724198505050042", **addr,
    )  # fmt: skip

    for name in ("子一", "子二", "子三", "迁"):
        _relations(people[name], RelationKind.FATHER, RelationKind.MOTHER, guardian=True)
    _relations(people["子四"], RelationKind.FATHER, RelationKind.MOTHER)
    _relations(people["妇一"], RelationKind.SPOUSE)
    _relations(people["妇二"], RelationKind.SPOUSE)
    _relations(people["老一"], RelationKind.CHILD)
    _relations(people["老三"], RelationKind.CHILD)
    _relations(people["丁"], RelationKind.CHILD)

    county_round = SurveyRound.objects.create(
        title="四季度摸底", area=Area.objects.get(code=COUNTY),
        starts_on=D(2026, 10, 1), ends_on=D(2026, 12, 15),
    )  # fmt: skip
    weitian_round = SurveyRound.objects.create(
        title="渭田镇摸底", area=Area.objects.get(code=WEITIAN),
        starts_on=D(2026, 11, 1), ends_on=D(2026, 11, 30),
    )  # fmt: skip
    for name in ("子一", "妇一", "老一", "子四"):
        Verification.objects.create(round=county_round, person=people[name])
    Verification.objects.create(round=weitian_round, person=people["妇二"])

    proxy = make_volunteer("代理家长", VILLAGE, capacity=5)
    elder_carer = make_volunteer("五老", VILLAGE, kind=CarerKind.FIVE_ELDERS)
    pair(people["子一"], proxy)
    pair(people["子三"], proxy)
    pair(people["老一"], elder_carer)
    for kind in (K.TALK, K.HOMEWORK_CHECK, K.TUTORING, K.HOME_VISIT, K.FAMILY_MEAL):
        contact(people["子一"], kind, D(2026, 11, 8), volunteer=proxy)
        if kind != K.FAMILY_MEAL:
            contact(people["子三"], kind, D(2026, 11, 9), volunteer=proxy)
    contact(people["子一"], K.PHONE, D(2026, 11, 20), volunteer=proxy)
    contact(people["子一"], K.FAMILY_CALL, D(2026, 11, 4))
    contact(people["子二"], K.FAMILY_CALL, D(2026, 11, 4))
    contact(people["老一"], K.HOME_VISIT, D(2026, 11, 3), volunteer=elder_carer)
    contact(people["老三"], K.PHONE, D(2026, 11, 5))

    _grade(people["子一"], 5)
    _grade(people["子三"], 1)
    _grade(people["子四"], 3)

    village_a, village_c = Area.objects.get(code=VILLAGE), Area.objects.get(code=VILLAGE_C)
    for village, state, created, deadline in [
        (village_a, CaseState.REPORTED, D(2026, 11, 20), NOW - dt.timedelta(hours=5)),
        (village_a, CaseState.SUPPORT, D(2026, 9, 1), NOW + dt.timedelta(days=10)),
        (village_a, CaseState.CLOSED, D(2026, 11, 5), None),
        (village_c, CaseState.ACCEPTED, D(2026, 10, 1), None),
    ]:
        case = ProtectionCase.objects.create(
            village=village, category=CaseCategory.GUARDIAN_NEGLECT, description="测试",
            discovered_at=_at(created), discovered_place="家中", reporter_name="报告人甲",
            state=state, state_since=_at(created), deadline_at=deadline, created_at=_at(created),
        )  # fmt: skip
        case.people.set([people["子二"]])
    for name, kind, day, money in [
        ("子一", AidKind.CASH, D(2026, 11, 3), Decimal("200")),
        ("老一", AidKind.GOODS, D(2026, 11, 10), Decimal("150.50")),
        ("妇二", AidKind.CASH, D(2026, 10, 20), Decimal("100")),
    ]:
        Aid.objects.create(
            person=people[name], kind=kind, date=day, giver="县民政局", fund=Fund.FISCAL,
            amount=money if kind == AidKind.CASH else None,
            items="米面油" if kind == AidKind.GOODS else "",
            value=money if kind == AidKind.GOODS else None,
        )  # fmt: skip
    return people


@pytest.fixture
def stranger(db):
    """The county administrator of 顺昌县 (350721), another county of 南平市."""
    areas_upsert(
        rows=[
            AreaRow("350000000000", "福建省", Level.PROVINCE, None, "test", 0),
            AreaRow("350700000000", "南平市", Level.CITY, "350000000000", "test", 0),
            AreaRow("350721000000", "顺昌县", Level.COUNTY, "350700000000", "test", 0),
        ],
        source="test",
    )
    return _make("stranger", Role.COUNTY_ADMIN, "350721000000", "孙立")


__all__ = ["COUNTY", "NOV", "OCT", "TODAY", "VILLAGE_C", "WEITIAN", "ZHENGDUN"]

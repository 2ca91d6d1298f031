"""The directory of relatives working away (外出务工人员 / 农民工台账).

郑墩镇: 张小明 (village worker's village) has a father in 深圳 (away) and a mother
back from 杭州; 赵小红 (the neighbour's village) a father in 东莞. 渭田镇: 孙小军's
father works in 南京 — a province no one in 郑墩镇 has relatives in.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shouwang.conftest import NEIGHBOUR_VILLAGE, VILLAGE
from shouwang.people import choices as c
from shouwang.people.models import Person
from shouwang.people.selectors import migrant_directory
from shouwang.people.services.persons import person_create, relation_save
from shouwang.regions.models import Area, Level

WEITIAN_VILLAGE = "350724102200"
GUANGDONG, SHENZHEN, DONGGUAN = "440000000000", "440300000000", "441900000000"
ZHEJIANG, HANGZHOU = "330000000000", "330100000000"
JIANGSU, NANJING = "320000000000", "320100000000"
PLACES = [
    (GUANGDONG, "广东省", Level.PROVINCE, None),
    (SHENZHEN, "深圳市", Level.CITY, GUANGDONG),
    (DONGGUAN, "东莞市", Level.CITY, GUANGDONG),
    (ZHEJIANG, "浙江省", Level.PROVINCE, None),
    (HANGZHOU, "杭州市", Level.CITY, ZHEJIANG),
    (JIANGSU, "江苏省", Level.PROVINCE, None),
    (NANJING, "南京市", Level.CITY, JIANGSU),
]


def make_person(name, village, *, birth=dt.date(2014, 5, 6)):
    data = {"name": name, "sex": "M", "birth_date": birth,
            "village": Area.objects.get(code=village)}  # fmt: skip
    return person_create(user=None, data=data)


def away(person, kind, name, city, *, returned=False, **extra):
    city = Area.objects.get(code=city)
    data = {"kind": kind, "name": name, "working_away": True, "work_province_id": city.parent_id,
            "work_city": city, "returned": returned, **extra}  # fmt: skip
    return relation_save(person=person, data=data)


@pytest.fixture
def directory(demo_areas):
    for code, name, level, parent in PLACES:
        Area.objects.create(code=code, name=name, level=level, parent_id=parent)
    ming = make_person("张小明", VILLAGE)
    away(ming, c.RelationKind.FATHER, "张大山", SHENZHEN, employer="富士康", months_away_12=11)
    away(ming, c.RelationKind.MOTHER, "李秀梅", HANGZHOU, returned=True,
         last_return_date=dt.date(2026, 10, 1), months_away_12=6)  # fmt: skip
    relation_save(person=ming, data={"kind": c.RelationKind.PATERNAL_GRANDMOTHER, "name": "王奶奶"})
    hong = make_person("赵小红", NEIGHBOUR_VILLAGE)
    away(hong, c.RelationKind.FATHER, "赵建国", DONGGUAN)
    jun = make_person("孙小军", WEITIAN_VILLAGE)
    away(jun, c.RelationKind.FATHER, "孙志强", NANJING)
    return {"ming": ming, "hong": hong, "jun": jun}


def page(client, **params):
    return client.get("/people/migrants/", params)


def names(user, **filters):
    return sorted(r.display_name for r in migrant_directory(user=user, **filters))


# --- Scope -----------------------------------------------------------------------------


def test_the_supervisor_sees_the_relatives_working_away_in_the_township(directory, supervisor):
    assert names(supervisor) == sorted(["张大山", "李秀梅", "赵建国"])


def test_the_village_worker_sees_only_their_village(login, directory, village_worker):
    body = page(login(village_worker)).content.decode()

    assert "张大山" in body and "李秀梅" in body
    assert "赵建国" not in body and "孙志强" not in body
    assert "王奶奶" not in body  # not working away


def test_the_outsider_sees_only_the_next_township(login, directory, outsider):
    body = page(login(outsider)).content.decode()

    assert "孙志强" in body
    assert "张大山" not in body and "赵建国" not in body


def test_the_unscoped_user_sees_an_empty_directory(login, directory, unscoped):
    body = page(login(unscoped)).content.decode()

    assert "没有符合条件的外出务工人员。" in body
    assert "张大山" not in body


@pytest.mark.parametrize("actor", ["leader", "volunteer", "auditor"])
def test_roles_without_the_registry_may_not_open_the_directory(login, directory, actor, request):
    assert page(login(request.getfixturevalue(actor))).status_code == 403


def test_the_menu_offers_the_directory(login, village_worker):
    body = page(login(village_worker)).content.decode()

    assert 'href="/people/migrants/" aria-current="page">外出务工</a>' in body


# --- Columns and filters ---------------------------------------------------------------


def test_a_row_shows_the_person_relation_place_employer_months_and_return(
    login, directory, village_worker
):
    body = page(login(village_worker), returned="yes").content.decode()

    ming = directory["ming"]
    assert f'<a href="/people/{ming.pk}/">张小明</a>' in body
    assert Area.objects.get(code=VILLAGE).name in body
    assert '<td data-label="关系">母亲</td>' in body
    assert '<td data-label="外出人员">李秀梅</td>' in body
    assert '<td data-label="务工地">浙江省 杭州市</td>' in body
    assert '<td data-label="近12个月外出" class="num">6 个月</td>' in body
    assert '<td data-label="最近返乡">2026-10-01</td>' in body
    assert '<span class="tag">已返乡</span>' in body


def test_a_relative_on_file_is_shown_by_the_name_in_their_file(directory, village_worker):
    grandfather = make_person("张老汉", VILLAGE, birth=dt.date(1950, 3, 3))
    relation_save(person=directory["ming"], data={"kind": c.RelationKind.PATERNAL_GRANDFATHER,
                  "relative": grandfather, "working_away": True,
                  "work_province_id": GUANGDONG})  # fmt: skip

    assert "张老汉" in names(village_worker)


def test_filter_by_work_province(directory, supervisor):
    assert names(supervisor, province=GUANGDONG) == ["张大山", "赵建国"]


def test_filter_by_work_city(login, directory, supervisor):
    body = page(login(supervisor), city=DONGGUAN).content.decode()

    assert "赵建国" in body
    assert "张大山" not in body and "李秀梅" not in body


@pytest.mark.parametrize(("returned", "expected"), [
    ("yes", ["李秀梅"]), ("no", ["张大山", "赵建国"]), ("", ["张大山", "李秀梅", "赵建国"]),
])  # fmt: skip
def test_filter_by_returned(login, directory, supervisor, returned, expected):
    body = page(login(supervisor), returned=returned).content.decode()

    shown = [name for name in ("张大山", "李秀梅", "赵建国") if name in body]
    assert shown == expected


def test_the_selects_offer_only_places_in_the_users_directory(login, directory, supervisor):
    body = page(login(supervisor)).content.decode()

    assert f'<option value="{GUANGDONG}">广东省</option>' in body
    assert f'<option value="{ZHEJIANG}">浙江省</option>' in body
    assert f'<option value="{DONGGUAN}">东莞市</option>' in body
    assert "江苏省" not in body and "南京市" not in body  # only 渭田镇 has relatives there


def test_the_city_select_follows_the_chosen_province(login, directory, supervisor):
    body = page(login(supervisor), province=ZHEJIANG).content.decode()

    assert f'<option value="{HANGZHOU}">杭州市</option>' in body
    assert "深圳市" not in body and "东莞市" not in body


def test_a_city_of_another_province_is_dropped_when_the_province_changes(
    login, directory, supervisor
):
    body = page(login(supervisor), province=ZHEJIANG, city=SHENZHEN).content.decode()

    assert "李秀梅" in body
    assert "field-error" not in body


def test_a_place_outside_the_directory_is_an_error_in_chinese(login, directory, supervisor):
    body = page(login(supervisor), province=JIANGSU).content.decode()

    assert "选择一个有效的选项" in body


def test_htmx_gets_the_filters_and_rows_without_the_page(login, directory, supervisor):
    response = login(supervisor).get(
        "/people/migrants/", {"province": ZHEJIANG}, HTTP_HX_REQUEST="true"
    )

    body = response.content.decode()
    assert "<html" not in body
    assert body.startswith("<form")
    assert "李秀梅" in body and "张大山" not in body


def test_moved_out_files_and_deceased_relatives_leave_the_directory(directory, supervisor):
    Person.objects.filter(pk=directory["hong"].pk).update(status=c.PersonStatus.MOVED_OUT)
    father = directory["ming"].relations.get(kind=c.RelationKind.FATHER)
    relation_save(person=directory["ming"], relation=father, data={"living": False})

    assert names(supervisor) == ["李秀梅"]


def test_the_directory_queries_do_not_grow_with_the_rows(login, directory, supervisor):
    client = login(supervisor)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert page(client).status_code == 200
        return len(captured)

    few = queries()
    grandfather = make_person("刘老汉", VILLAGE, birth=dt.date(1950, 3, 3))
    for i in range(10):
        child = make_person(f"孩子{i}", NEIGHBOUR_VILLAGE)
        away(child, c.RelationKind.FATHER, f"父亲{i}", SHENZHEN if i % 2 else HANGZHOU)
        relation_save(person=child, data={"kind": c.RelationKind.OTHER_RELATIVE,
                      "relative": grandfather, "working_away": True,
                      "work_province_id": JIANGSU, "work_city_id": NANJING})  # fmt: skip
    assert queries() == few

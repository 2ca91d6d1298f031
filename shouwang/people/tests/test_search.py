"""Finding people: by name, pinyin or initials (with the surnames pypinyin misreads),
by ID number, and the list filters — always inside the user's scope.

The supervisor 吴丽萍 sees both villages of 郑墩镇; the village worker 张桂兰 only
her own; the people of 渭田镇 are the outsider's and never show up for them.
"""

import datetime as dt

import pytest
from django.utils import timezone
from stdnum.cn import ric

from shouwang.conftest import NEIGHBOUR_VILLAGE, VILLAGE
from shouwang.people.models import Person
from shouwang.people.services.persons import person_create
from shouwang.people.services.programs import enrollment_end, enrollment_start
from shouwang.regions.models import Area

WEITIAN_VILLAGE = "350724102200"


def id_for(birth: str = "20140506", *, region: str = "350724", sequence: str = "123") -> str:
    body = region + birth + sequence
    return body + ric.calc_check_digit(body + "0")


def full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if ch.isdigit() else ch for ch in text)


def a_person(name: str, *, village: str = VILLAGE, **fields) -> Person:
    data = {
        "name": name,
        "sex": "M",
        "birth_date": dt.date(2014, 5, 6),
        "village": Area.objects.get(code=village),
        **fields,
    }
    return person_create(user=None, data=data)


def years_ago(years: int, *, days: int = 0) -> dt.date:
    today = timezone.localdate()
    try:
        day = today.replace(year=today.year - years)
    except ValueError:  # today is 29 February
        day = today.replace(year=today.year - years, day=28)
    return day + dt.timedelta(days=days)


def page_names(client, query: str) -> set[str]:
    response = client.get("/people/", {"q": query} if isinstance(query, str) else query)
    assert response.status_code == 200
    return {person.name for person in response.context["page"]}


def api_names(client, params: dict) -> set[str]:
    response = client.get("/api/v1/people", params)
    assert response.status_code == 200
    return {item["name"] for item in response.json()["items"]}


def listed(client, **params) -> set[str]:
    return page_names(client, params)


# --- names and pinyin ------------------------------------------------------------


@pytest.fixture
def zeng_xiaohua(demo_areas):
    return a_person("曾小华")


@pytest.mark.parametrize(
    "query",
    ["曾小华", "小华", "曾", "华", "zengxiaohua", "zeng", "zengx", "ZengXiaoHua", "zeng xiao hua",
     "zxh", "zx", "z", "ZXH"],
)  # fmt: skip
def test_zeng_xiaohua_is_found_by_characters_full_pinyin_and_initials(
    login, village_worker, zeng_xiaohua, query
):
    assert page_names(login(village_worker), query) == {"曾小华"}


@pytest.mark.parametrize("query", ["cxh", "cengxiaohua", "xiaohua", "xh", "张", "zxm", "曾小明"])
def test_zeng_xiaohua_is_not_found_by_a_misreading_or_the_middle_of_the_name(
    login, village_worker, zeng_xiaohua, query
):
    assert page_names(login(village_worker), query) == set()


@pytest.mark.parametrize(
    ("name", "full", "initials", "misread"),
    [
        ("单小明", "shanxiaoming", "sxm", "danxiaoming"),
        ("曾小明", "zengxiaoming", "zxm", "cengxiaoming"),
        ("解小明", "xiexiaoming", "xxm", "jiexiaoming"),
        ("区小明", "ouxiaoming", "oxm", "quxiaoming"),
        ("仇小明", "qiuxiaoming", "qxm", "chouxiaoming"),
        ("查小明", "zhaxiaoming", "zxm", "chaxiaoming"),
        ("朴小明", "piaoxiaoming", "pxm", "puxiaoming"),
    ],
)
def test_surnames_with_a_special_reading_are_found_by_that_reading_only(
    login, village_worker, name, full, initials, misread
):
    a_person(name)
    client = login(village_worker)

    assert page_names(client, full) == {name}
    assert page_names(client, initials) == {name}
    assert page_names(client, misread) == set()
    assert page_names(client, misread[0] + initials[1:]) == (
        {name} if misread[0] == initials[0] else set()
    )


@pytest.mark.parametrize(("query", "found"), [("zxh", True), ("zengxiaohua", True),
                                              ("小华", True), ("cxh", False)])  # fmt: skip
def test_the_api_searches_like_the_list_page(login, village_worker, zeng_xiaohua, query, found):
    assert api_names(login(village_worker), {"q": query}) == ({"曾小华"} if found else set())


def test_a_search_never_finds_people_outside_the_scope(login, village_worker):
    a_person("曾小华")
    a_person("曾小华", village=NEIGHBOUR_VILLAGE)
    a_person("曾小华", village=WEITIAN_VILLAGE)
    client = login(village_worker)

    for query in ("曾小华", "zxh", "zengxiaohua"):
        response = client.get("/people/", {"q": query})
        assert [p.village_id for p in response.context["page"]] == [VILLAGE]


def test_an_api_search_never_finds_people_outside_the_scope(login, village_worker):
    a_person("曾小华")
    a_person("曾小华", village=WEITIAN_VILLAGE)

    response = login(village_worker).get("/api/v1/people", {"q": "zxh"})

    assert [item["village_code"] for item in response.json()["items"]] == [VILLAGE]


# --- ID numbers ------------------------------------------------------------------


@pytest.fixture
def with_x(demo_areas):
    number = id_for(sequence="103")
    assert number.endswith("X")
    return a_person("李小明", id_number=number)


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param(lambda n: n, id="as stored"),
        pytest.param(lambda n: n[:-1] + "x", id="lowercase x"),
        pytest.param(lambda n: full_width(n[:-1]) + "ｘ", id="full-width"),
        pytest.param(lambda n: f"{n[:6]} {n[6:14]} {n[14:]}", id="with spaces"),
    ],
)
def test_a_person_is_found_by_the_exact_id_number_however_it_is_typed(
    login, village_worker, with_x, typed
):
    assert page_names(login(village_worker), typed(with_x.id_number)) == {"李小明"}


def test_an_id_number_that_differs_in_one_digit_finds_nobody(login, village_worker, with_x):
    other = id_for(sequence="113")

    assert page_names(login(village_worker), other) == set()
    assert page_names(login(village_worker), with_x.id_number[:-1]) == set()


def test_the_api_finds_a_person_by_the_id_number_typed_with_lowercase_x(
    login, village_worker, with_x
):
    assert api_names(login(village_worker), {"q": with_x.id_number.lower()}) == {"李小明"}


def test_an_id_number_of_a_file_outside_the_scope_finds_nothing(login, village_worker):
    a_person("李小明", village=NEIGHBOUR_VILLAGE, id_number=id_for())

    assert page_names(login(village_worker), id_for()) == set()


# --- filters ---------------------------------------------------------------------


@pytest.fixture
def township(demo_areas):
    """One person in each village of 郑墩镇 and one in 渭田镇."""
    a_person("张村一", village=VILLAGE)
    a_person("李村二", village=NEIGHBOUR_VILLAGE)
    a_person("王渭田", village=WEITIAN_VILLAGE)


def test_a_supervisor_drills_down_from_the_township_to_a_village(login, supervisor, township):
    client = login(supervisor)

    assert listed(client) == {"张村一", "李村二"}
    assert listed(client, area="350724101") == {"张村一", "李村二"}
    assert listed(client, area=NEIGHBOUR_VILLAGE) == {"李村二"}
    assert listed(client, area=VILLAGE) == {"张村一"}


def test_a_county_admin_filters_by_township(login, county_admin, township):
    client = login(county_admin)

    assert listed(client) == {"张村一", "李村二", "王渭田"}
    assert listed(client, area="350724102") == {"王渭田"}
    assert listed(client, area="350724101") == {"张村一", "李村二"}


def test_filtering_by_an_area_outside_the_scope_shows_nothing_outside_it(
    login, supervisor, township
):
    response = login(supervisor).get("/people/", {"area": "350724102"})

    assert "王渭田" not in response.content.decode()
    assert {p.village_id[:9] for p in response.context["page"]} <= {"350724101"}


def test_the_program_filter_lists_only_open_enrollments(login, village_worker):
    enrolled = a_person("孤儿甲", orphan=True)
    left = a_person("孤儿乙", orphan=True)
    a_person("未纳入")
    enrollment_start(user=village_worker, person=enrolled, program="child_in_difficulty",
                     on=dt.date(2024, 1, 1))  # fmt: skip
    ended = enrollment_start(user=village_worker, person=left, program="child_in_difficulty",
                             on=dt.date(2024, 1, 1))  # fmt: skip
    enrollment_end(user=village_worker, enrollment=ended, on=dt.date(2025, 1, 1),
                   exit_reason="moved_out")  # fmt: skip

    client = login(village_worker)

    assert listed(client, program="child_in_difficulty") == {"孤儿甲"}
    assert listed(client, program="left_behind_child") == set()


def test_the_status_filter(login, village_worker):
    a_person("在册甲")
    a_person("迁出乙", status="moved_out")
    client = login(village_worker)

    assert listed(client, status="moved_out") == {"迁出乙"}
    assert listed(client, status="active") == {"在册甲"}
    assert listed(client) == {"在册甲", "迁出乙"}


@pytest.mark.parametrize(
    ("born", "in_band", "out_of_band"),
    [
        pytest.param(years_ago(6), "6-13", "0-5", id="6th birthday today"),
        pytest.param(years_ago(6, days=1), "0-5", "6-13", id="6th birthday tomorrow"),
        pytest.param(years_ago(14, days=1), "6-13", "14-15", id="14th birthday tomorrow"),
        pytest.param(years_ago(14), "14-15", "6-13", id="14th birthday today"),
        pytest.param(years_ago(16), "16-17", "14-15", id="16th birthday today"),
        pytest.param(years_ago(60), "60-79", "18-59", id="60th birthday today"),
        pytest.param(years_ago(60, days=1), "18-59", "60-79", id="60th birthday tomorrow"),
        pytest.param(years_ago(80), "80+", "60-79", id="80th birthday today"),
        pytest.param(timezone.localdate(), "0-5", "6-13", id="born today"),
    ],
)
def test_age_bands_change_on_the_birthday(login, village_worker, born, in_band, out_of_band):
    a_person("李某", birth_date=born)
    client = login(village_worker)

    assert listed(client, age_band=in_band) == {"李某"}
    assert listed(client, age_band=out_of_band) == set()


def test_the_school_filter_matches_part_of_the_school_name(login, village_worker):
    a_person("小学生", school="郑墩中心小学")
    a_person("中学生", school="松溪一中")
    client = login(village_worker)

    assert listed(client, school="郑墩") == {"小学生"}
    assert listed(client, school="中心小学") == {"小学生"}
    assert listed(client, school="一中") == {"中学生"}


def test_filters_combine_with_the_search(login, supervisor, township):
    a_person("张村三", village=NEIGHBOUR_VILLAGE, school="郑墩中心小学")
    client = login(supervisor)

    assert listed(client, q="zc", area=NEIGHBOUR_VILLAGE) == {"张村三"}
    assert listed(client, q="zc") == {"张村一", "张村三"}
    assert listed(client, q="zc", school="中心") == {"张村三"}


def test_the_api_applies_the_same_filters(login, supervisor, township):
    client = login(supervisor)

    assert api_names(client, {"area": NEIGHBOUR_VILLAGE}) == {"李村二"}
    assert api_names(client, {"area": "350724101"}) == {"张村一", "李村二"}


def test_the_htmx_request_gets_only_the_rows(login, village_worker):
    a_person("曾小华")

    response = login(village_worker).get("/people/", {"q": "zxh"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert "曾小华" in html
    assert "<form" not in html

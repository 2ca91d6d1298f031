"""The dashboard page for each actor: scope and 404s, drill-down, the figures
against the lists they link to, the leaders' aggregates-only view, charts
without inline scripts, and a number of queries that does not grow with the
number of townships."""

import html
import json
import re
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shouwang.care.tests.factories import make_elder, make_person
from shouwang.conftest import NEIGHBOUR_VILLAGE, VILLAGE
from shouwang.dashboard.tests.conftest import NOW, VILLAGE_C
from shouwang.people.models import Person
from shouwang.regions.models import Area

COUNTY, ZHENGDUN, WEITIAN = "350724000000", "350724101000", "350724102000"
LINK = re.compile(r'<a href="([^"]+)"[^>]*>([^<]+)</a>')


@pytest.fixture
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


def board(client, **params):
    """The board of the page (without the menu, which links to every list)."""
    page = client.get("/dashboard/", params)
    assert page.status_code == 200
    return page.content.decode().split('<div id="board">', 1)[1].split("<footer", 1)[0]


def links_to(text: str, path: str) -> list[tuple[str, str]]:
    return [
        (html.unescape(url), label) for url, label in LINK.findall(text) if url.startswith(path)
    ]


@pytest.mark.usefixtures("travel")
def test_the_county_admin_sees_the_county_by_township(login, county_admin, county):
    text = board(login(county_admin))
    assert "统计概览 · 松溪县" in text
    assert "各乡镇情况" in text
    assert f'href="/dashboard/?area={ZHENGDUN}&amp;month=2026-11"' in text
    assert f'hx-get="/dashboard/?area={ZHENGDUN}&amp;month=2026-11"' in text
    assert "在办保护案件" in text and "超过办理时限" in text


@pytest.mark.usefixtures("travel")
def test_a_township_row_leads_to_the_townships_own_board(login, county_admin, county):
    text = board(login(county_admin), area=ZHENGDUN)
    assert "统计概览 · 郑墩镇" in text and "各村情况" in text
    crumbs = text.split('<nav class="crumbs"', 1)[1].split("</nav>", 1)[0]
    assert f"area={COUNTY}" in crumbs and '<span aria-current="page">郑墩镇</span>' in crumbs


@pytest.mark.usefixtures("travel")
def test_an_htmx_request_gets_the_board_without_the_page(login, county_admin, county):
    page = login(county_admin).get("/dashboard/", {"area": ZHENGDUN}, HTTP_HX_REQUEST="true")
    text = page.content.decode()
    assert "<html" not in text and "统计概览 · 郑墩镇" in text


@pytest.mark.usefixtures("travel")
def test_the_supervisor_and_the_village_worker_see_their_own_area(
    login, supervisor, village_worker, county
):
    assert "统计概览 · 郑墩镇" in board(login(supervisor))
    village = board(login(village_worker))
    assert "统计概览 · " + Area.objects.get(code=VILLAGE).name in village
    assert "各村情况" not in village  # a village has no areas below it
    assert "在办保护案件" not in village  # cases are counted only for those who oversee them


@pytest.mark.usefixtures("travel")
def test_an_area_outside_the_scope_is_404(
    login, supervisor, village_worker, outsider, stranger, unscoped, county
):
    assert login(outsider).get("/dashboard/", {"area": ZHENGDUN}).status_code == 404
    assert login(outsider).get("/dashboard/", {"area": WEITIAN}).status_code == 200
    assert login(supervisor).get("/dashboard/", {"area": COUNTY}).status_code == 404
    assert login(village_worker).get("/dashboard/", {"area": NEIGHBOUR_VILLAGE}).status_code == 404
    assert login(stranger).get("/dashboard/", {"area": COUNTY}).status_code == 404
    assert login(stranger).get("/dashboard/", {"area": "nonsense"}).status_code == 404
    assert login(unscoped).get("/dashboard/").status_code == 404


def test_roles_without_the_dashboard_are_refused(login, volunteer, auditor, sysadmin, client):
    for user in (volunteer, auditor, sysadmin):
        assert login(user).get("/dashboard/").status_code == 403
    client.logout()
    assert client.get("/dashboard/").status_code == 302


@pytest.mark.usefixtures("travel")
def test_a_future_or_unreadable_month_shows_this_month(login, county_admin, county):
    for month in ("2027-01", "2026-13", "junk"):
        assert 'value="2026-11" selected' in board(login(county_admin), month=month)
    assert 'value="2026-10" selected' in board(login(county_admin), month="2026-10")


@pytest.mark.usefixtures("travel")
def test_the_tiles_show_the_hand_counted_figures(login, county_admin, county):
    text = board(login(county_admin))
    tiles = text.split('<div class="dash-tiles">', 1)[1].split("</div>", 1)[0]
    assert ">9</a><small>人</small>" in tiles  # 在册关爱对象
    assert "44.4%" in tiles  # 档案完整率 4/9
    assert "4 / 9 人" in tiles
    assert "66.7%" in tiles and "2 / 3 人" in tiles  # 月探访率
    assert "50.0%" in tiles and "1 / 2 人" in tiles  # 六个一
    assert ">2</a><small>人</small>" in tiles  # 逾期未联系
    assert ">3</a><small>件</small>" in tiles  # 在办保护案件
    assert ">350.50</a><small>元</small>" in tiles


@pytest.mark.usefixtures("travel")
@pytest.mark.parametrize("area", [COUNTY, ZHENGDUN, VILLAGE])
def test_every_figure_links_to_a_list_of_exactly_as_many_people(login, county_admin, county, area):
    """Follow every link to the people list: it lists as many people as the figure
    shows, and only people of the area."""
    client = login(county_admin)
    text = board(client, area=area)
    followed = 0
    for url, label in links_to(text, "/people/"):
        page = client.get(url)
        assert page.status_code == 200, url
        listed = page.context["page"].paginator.count
        if "%" in label:  # a share links to the people who meet it: checked below
            assert "indicator=" in url and ".met" in url
        else:
            assert listed == int(label.replace(",", "")), (url, label)
        prefix = Area.objects.get(code=area).prefix
        assert all(p.village_id.startswith(prefix) for p in page.context["page"].object_list)
        followed += 1
    assert followed > 20


@pytest.mark.usefixtures("travel")
def test_a_share_links_to_the_people_who_meet_it_and_to_those_who_do_not(
    login, county_admin, county
):
    client = login(county_admin)
    text = board(client)
    tiles = text.split('<div class="dash-tiles">', 1)[1].split("</div>", 1)[0]
    links = {url.split("indicator=")[1].split("&")[0]: (url, label)
             for url, label in links_to(tiles, "/people/")}  # fmt: skip
    url, label = links["monthly_visit.met"]
    assert label == "66.7%" and client.get(url).context["page"].paginator.count == 2
    url, label = links["monthly_visit.unmet"]
    page = client.get(url)
    assert label == "1"
    assert [p.name for p in page.context["page"]] == ["老二"]
    assert "统计口径：月探访率 · 未达标（2026-11）" in page.content.decode()


@pytest.mark.usefixtures("travel")
def test_the_case_figures_link_to_the_case_list_only_for_the_whole_scope(
    login, county_admin, county
):
    client = login(county_admin)
    county_text = board(client)
    cases = links_to(county_text, "/protection/cases/")
    assert ("/protection/cases/?state=open", "3") in cases
    assert client.get("/protection/cases/?state=open").context["page"].paginator.count == 3
    assert client.get("/protection/cases/?state=overdue").context["page"].paginator.count == 1
    township_text = board(client, area=ZHENGDUN)
    assert not links_to(township_text, "/protection/cases/")  # the list is not by area


@pytest.mark.usefixtures("travel")
def test_the_aid_figure_links_to_the_aid_list_of_the_same_month_and_area(
    login, county_admin, county
):
    client = login(county_admin)
    text = board(client, area=ZHENGDUN)
    url = next(url for url, label in links_to(text, "/protection/aid/") if label == "350.50")
    assert "area=350724101" in url and "start=2026-11-01" in url and "end=2026-11-22" in url
    assert str(client.get(url).context["totals"].total) == "350.50"


@pytest.mark.usefixtures("travel")
def test_a_leader_sees_the_same_figures_but_no_personal_data(login, leader, county):
    client = login(leader)
    for area in (COUNTY, ZHENGDUN, VILLAGE, VILLAGE_C):
        text = board(client, area=area)
        for person in Person.objects.all():
            assert person.name not in text, (area, person.name)
            assert not person.id_number or person.id_number[-4:] not in text
        assert "****" not in text  # no masked ID or phone either
        assert not links_to(text, "/people/")
        assert not links_to(text, "/protection/")
        assert "/care/people/" not in text
        assert "本页只显示汇总数字" in text
    county_text = board(client)
    assert "44.4%" in county_text and "在办保护案件" in county_text  # aggregates, cases too
    assert client.get("/people/?indicator=people.all").status_code == 403


@pytest.mark.usefixtures("travel")
def test_the_page_has_no_inline_script_and_every_chart_has_its_data_and_a_table(
    login, county_admin, county
):
    text = board(login(county_admin))
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", text, re.S)
    for attrs, _body in scripts:
        assert 'src="' in attrs or 'type="application/json"' in attrs, attrs
    data = {
        m.group(1): json.loads(m.group(2))
        for m in re.finditer(r'<script id="([^"]+)" type="application/json">(.*?)</script>', text)
    }
    charts = re.findall(r'data-chart="([^"]+)"', text)
    assert sorted(charts) == sorted(data) and len(charts) >= 6
    assert text.count('class="chart"') == text.count('<caption class="sr-only">')
    programs = data["chart-programs"]
    assert programs["categories"] == ["农村留守儿童", "困境儿童", "留守妇女", "留守老年人"]
    # 男: 子一 子三 | 子三 | — | 老一 老三; 女: 子二 | 子四 | 妇一 妇二 | 老二
    assert [s["data"] for s in programs["series"]] == [[2, 1, 0, 2], [1, 1, 2, 1]]


def test_echarts_is_vendored_with_its_licence(login, county_admin):
    page = login(county_admin).get("/dashboard/")
    assert "dashboard/echarts/echarts.common.min.js" in page.content.decode()
    root = Path(__file__).resolve().parents[1] / "static" / "dashboard"
    assert (root / "echarts" / "echarts.common.min.js").stat().st_size > 500_000
    assert "Apache License" in (root / "echarts" / "LICENSE").read_text()
    assert "Apache ECharts" in (root / "echarts" / "NOTICE").read_text()
    assert "htmx:load" in (root / "dashboard.js").read_text()


def _populate(townships: list[str]) -> None:
    """Two people in one village of each township."""
    for township in townships:
        village = Area.objects.filter(parent_id=township).order_by("code").first()
        make_person(f"子{township}", village.code)
        make_elder(f"老{township}", village.code)


# The county's board: session, user, the user's permissions, the area, its
# townships (5); people, files, rates by township, overdue (5: people,
# enrollments, pairings, rules, last contacts), cases, aid, risk levels (11) —
# and the grades' labels when anyone is assessed (none here); the rates of each of
# 12 months (12) and the aid by month (1); the unread reminders of the menu (1).
# A township's board adds its breadcrumb (the county).
COUNTY_QUERIES, TOWNSHIP_QUERIES = 18, 19  # the second read: from stored summaries


def _queries(client, **params) -> int:
    client.get("/dashboard/", params)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/dashboard/", params).status_code == 200
    return len(queries)


@pytest.mark.parametrize("count", [2, 5])
def test_the_county_board_takes_the_same_queries_with_2_or_5_townships(
    login, county_admin, demo_areas, count
):
    townships = Area.objects.filter(parent_id=COUNTY).order_by("code")[:count]
    _populate([t.code for t in townships])
    assert _queries(login(county_admin)) == COUNTY_QUERIES


@pytest.mark.parametrize("count", [1, 5])
def test_a_township_board_takes_the_same_queries_with_1_or_5_villages(
    login, county_admin, demo_areas, count
):
    for village in Area.objects.filter(parent_id=ZHENGDUN).order_by("code")[:count]:
        make_elder(f"老{village.code}", village.code)
    assert _queries(login(county_admin), area=ZHENGDUN) == TOWNSHIP_QUERIES


def test_the_people_list_refuses_an_unknown_indicator(login, county_admin, county):
    page = login(county_admin).get("/people/", {"indicator": "nothing.at.all"})
    assert "统计口径无效" in page.content.decode()


@pytest.mark.usefixtures("travel")
def test_the_people_list_exports_the_people_behind_a_figure(login, county_admin, county):
    """The drill-through list goes to the ledger export through the same filters."""
    page = login(county_admin).get("/people/", {"indicator": "overdue", "month": "2026-11"})
    assert [p.name for p in page.context["page"]] == ["老二", "子三"]  # village, pinyin order
    exports = re.findall(r'href="(/ledgers/[^"]*export/[^"]+)"', page.content.decode())
    assert exports and all("indicator=overdue" in html.unescape(url) for url in exports)

"""绩效考核 against the hand-counted county (conftest.py): the scores worked out by
hand, ranks and ties, the weights and their checks, indicators nobody is counted
for, scope, the leaders' view, the export, the number of queries, and the same
figures as the dashboard.

The figures of November (read on the 22nd), by township — 郑墩镇 (villages A and
B: 子一 子二 子三 妇一 老一 老二 老三) and 渭田镇 (village C: 子四 妇二):

  indicator          weight  郑墩镇        渭田镇
  档案完整率          15      4/7 57.14%    0/2 0%
  本轮核实率          10      3/7 42.86%    1/2 50% (its own round: 妇二)
  结对覆盖率          20      3/7 42.86%    0/2 0%
  月探访率            20      2/3 66.67%    — (no elderly)
  "六个一"完成率      15      1/2 50%       — (no child with a 代理家长)
  亲情通话覆盖率      10      2/3 66.67%    — (no left-behind child)
  逾期未联系          10      2/7 → 71.43   0/2 → 100

  郑墩镇 (15·400/7 + 10·300/7 + 20·300/7 + 20·200/3 + 15·50 + 10·200/3 + 10·500/7) / 100
        = 56.07 → 56.1
  渭田镇 (15·0 + 10·50 + 20·0 + 10·100) / (15 + 10 + 20 + 10) = 1500 / 55 = 27.27 → 27.3

Villages of 郑墩镇: A (6 people) 4/6, 3/6, 3/6, 1/2, 1/2, 2/3, overdue 2/6 →
(1000 + 500 + 1000 + 1000 + 750 + 666.67 + 666.67) / 100 = 55.8; B (老三 alone, no
address, not verified, not paired, phoned on 11-05, not overdue) → (20·100 + 10·100)
/ (15 + 10 + 20 + 20 + 10) = 40.0.
"""

import datetime as dt
import html
import io
import re
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from python_calamine import CalamineWorkbook

from shouwang.care.choices import ContactKind
from shouwang.care.tests.factories import contact, make_elder, make_person
from shouwang.conftest import NEIGHBOUR_VILLAGE, VILLAGE
from shouwang.dashboard.evaluation import Entry, Row, Weight, evaluation, ranked, weights
from shouwang.dashboard.indicators import Figure, Measures
from shouwang.dashboard.tests.conftest import NOV, NOW, TODAY, VILLAGE_C
from shouwang.people.models import Person
from shouwang.regions.models import Area

COUNTY, ZHENGDUN, WEITIAN = "350724000000", "350724101000", "350724102000"
URL = "/dashboard/evaluation/"
D = dt.date


@pytest.fixture
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


def rank(code: str = COUNTY, month=NOV):
    return evaluation(Area.objects.get(code=code), month=month, today=TODAY)


def by_name(ranking) -> dict[str, tuple]:
    return {row.area.name: (row.rank, row.score) for row in ranking.rows}


def entries(row) -> dict[str, Entry]:
    return {e.weight.key: e for e in row.entries}


def page_rows(text: str) -> list[dict[str, str]]:
    """The ranking table as the page shows it: {column: text} per row."""
    body = text.split('<table class="cards dash-areas eval-ranking">', 1)[1].split("</table>")[0]
    body = body.split("<tbody>", 1)[1]
    rows = []
    for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = re.findall(r'<t[dh][^>]*data-label="([^"]+)"[^>]*>(.*?)</t[dh]>', tr, re.S)
        rows.append(
            {
                label: " ".join(html.unescape(re.sub(r"<[^>]+>", " ", v)).split())
                for label, v in cells
            }
        )
    return rows


# --- the score --------------------------------------------------------------------------


def test_the_townships_score_as_counted_by_hand(county):
    ranking = rank()
    assert by_name(ranking)["郑墩镇"] == (1, Decimal("56.1"))
    assert by_name(ranking)["渭田镇"] == (2, Decimal("27.3"))
    assert [row.area.name for row in ranking.rows[:2]] == ["郑墩镇", "渭田镇"]
    # The other townships have nobody on file: no score, no rank, last, in code order.
    rest = ranking.rows[2:]
    assert len(rest) == 7 and all(r.score is None and r.rank is None for r in rest)
    assert [r.area.code for r in rest] == sorted(r.area.code for r in rest)
    zhengdun = entries(ranking.rows[0])
    assert (zhengdun["complete"].figure.value, zhengdun["complete"].figure.total) == (4, 7)
    assert (zhengdun["overdue"].figure.value, zhengdun["overdue"].figure.total) == (2, 7)
    assert zhengdun["overdue"].percent == 28.6  # shown as the share overdue …
    assert round(float(zhengdun["overdue"].points), 2) == 71.43  # … scored as 100 − it


def test_the_villages_of_a_township_score_as_counted_by_hand(county):
    ranking = rank(ZHENGDUN)
    assert ranking.level.label == "村"
    first, second = ranking.rows[:2]
    assert (first.area.code, first.rank, first.score) == (VILLAGE, 1, Decimal("55.8"))
    assert (second.area.code, second.rank, second.score) == (NEIGHBOUR_VILLAGE, 2, Decimal("40.0"))
    assert all(r.score is None for r in ranking.rows[2:])


def test_an_indicator_with_nobody_to_count_is_left_out_of_the_score(county):
    """渭田镇 has no elderly and no left-behind child: 月探访率, 六个一 and 亲情通话
    are "—" and their weights are not in its denominator (1500 / 55, not / 100)."""
    weitian = entries(next(r for r in rank().rows if r.area.code == WEITIAN))
    for key in ("monthly_visit", "six_ones", "family_call"):
        assert weitian[key].points is None and weitian[key].percent is None, key
    assert weitian["verified"].points == 50 and weitian["overdue"].points == 100


@pytest.mark.usefixtures("travel")
def test_the_page_shows_the_hand_counted_scores(login, county_admin, county):
    page = login(county_admin).get(URL)
    assert page.status_code == 200
    text = page.content.decode()
    assert "绩效考核 · 松溪县" in text and "各乡镇排名" in text
    rows = page_rows(text)
    assert [(r["排名"], r["地区"], r["综合得分"]) for r in rows[:2]] == [
        ("1", "郑墩镇", "56.1"),
        ("2", "渭田镇", "27.3"),
    ]
    assert rows[0]["档案完整率"] == "57.1% 4/7"
    assert rows[0]["逾期未联系"] == "28.6% 2/7"
    assert rows[1]["月探访率"] == "—"
    assert rows[2]["排名"] == "—" and rows[2]["综合得分"] == "—"
    # The weights are in the header and above the table.
    assert "权重 15" in text and "越低越好" in text
    assert "档案完整率 <b>15</b>" in text and "逾期未联系 <b>10</b>" in text


@pytest.mark.usefixtures("travel")
def test_a_township_row_leads_to_the_ranking_of_its_villages(login, county_admin, county):
    client = login(county_admin)
    text = client.get(URL).content.decode()
    assert f'href="{URL}?area={ZHENGDUN}&amp;month=2026-11"' in text
    township = client.get(URL, {"area": ZHENGDUN}).content.decode()
    assert "绩效考核 · 郑墩镇" in township and "各村排名" in township
    assert f'href="{URL}?area={COUNTY}&amp;month=2026-11"' in township  # the breadcrumb
    village_name = Area.objects.get(code=VILLAGE).name
    assert page_rows(township)[0]["地区"] == village_name
    assert f"area={VILLAGE}" not in township  # villages are not ranked further


@pytest.mark.usefixtures("travel")
def test_the_dashboard_links_to_the_ranking(login, county_admin, county):
    text = login(county_admin).get("/dashboard/").content.decode()
    assert f'href="{URL}?area={COUNTY}&amp;month=2026-11"' in text
    assert "各乡镇绩效考核排名" in text


# --- ranks and ties -------------------------------------------------------------------------


def _row(code: str, score: str | None) -> Row:
    return Row(Area(code=code, name=code, level=4), [], None if score is None else Decimal(score))


def test_ties_share_a_rank_in_code_order():
    rows = ranked([_row("3", "80.0"), _row("2", "90.5"), _row("1", "90.5"), _row("0", None),
                   _row("4", "70.0"), _row("5", "80.0")])  # fmt: skip
    assert [(r.area.code, r.rank) for r in rows] == [
        ("1", 1), ("2", 1), ("3", 3), ("5", 3), ("4", 5), ("0", None),
    ]  # fmt: skip


def test_townships_with_the_same_score_share_a_rank(county, settings):
    """Scored on 月探访率 alone: 郑墩镇 2/3; 河东乡 and 茶平乡 one elder each, visited
    (100); 旧县乡 three elders, two visited (2/3, like 郑墩镇) → 1, 1, 3, 3."""
    settings.EVALUATION_WEIGHTS = {"monthly_visit": 1}
    for township, elders, visited in [("350724200", 1, 1), ("350724201", 1, 1),
                                      ("350724202", 3, 2)]:  # fmt: skip
        for i in range(elders):
            elder = make_elder(f"老{township}{i}", f"{township}200")
            if i < visited:
                contact(elder, ContactKind.HOME_VISIT, D(2026, 11, 3))
    ranking = rank()
    assert [(r.area.name, r.rank, r.score) for r in ranking.rows[:4]] == [
        ("河东乡", 1, Decimal("100.0")),
        ("茶平乡", 1, Decimal("100.0")),
        ("郑墩镇", 3, Decimal("66.7")),
        ("旧县乡", 3, Decimal("66.7")),
    ]
    assert ranking.rows[4].rank is None  # 渭田镇: no elderly, nothing to score


# --- the weights ---------------------------------------------------------------------------


def test_the_default_weights_are_those_of_the_settings(settings):
    assert {w.key: w.weight for w in weights()} == {
        "complete": 15, "verified": 10, "pairing_coverage": 20, "monthly_visit": 20,
        "six_ones": 15, "family_call": 10, "overdue": 10,
    }  # fmt: skip
    assert sum(settings.EVALUATION_WEIGHTS.values()) == 100


def test_weights_from_the_settings_change_the_score_and_the_columns(county, settings):
    """Scored on overdue contacts alone: 渭田镇 (nobody overdue, 100) comes before
    郑墩镇 (2 of 7 overdue: 71.4). Weights may be written as in the environment
    ("10", "2.5")."""
    settings.EVALUATION_WEIGHTS = {"overdue": "10"}
    ranking = rank()
    assert by_name(ranking)["渭田镇"] == (1, Decimal("100.0"))
    assert by_name(ranking)["郑墩镇"] == (2, Decimal("71.4"))
    assert [w.key for w in ranking.weights] == ["overdue"]
    settings.EVALUATION_WEIGHTS = {"complete": "2.5", "verified": 1}
    zhengdun = by_name(rank())["郑墩镇"]
    assert zhengdun[1] == Decimal("53.1")  # (2.5 · 400/7 + 300/7) / 3.5 = 53.06


def test_a_zero_weight_shows_the_indicator_but_does_not_score_it(county, settings):
    settings.EVALUATION_WEIGHTS = {"verified": 0, "overdue": 1}
    ranking = rank()
    assert by_name(ranking)["郑墩镇"][1] == Decimal("71.4")
    assert [w.text for w in ranking.weights] == ["0", "1"]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"nonsense": 10}, "unknown indicator 'nonsense'"),
        ({"risk": 10}, "'risk' cannot be weighted"),
        ({"cases": 10}, "'cases' cannot be weighted"),
        ({"complete": -5}, "weight of 'complete' must not be negative"),
        ({"complete": "many"}, "weight of 'complete' must be a number"),
        ({"complete": ""}, "weight of 'complete' must be a number"),
        ({"complete": True}, "weight of 'complete' must be a number"),
        ({"complete": float("nan")}, "weight of 'complete' must be a number"),
        ({"complete": 0}, "at least one weight must be above 0"),
        ({}, "must be a non-empty dict"),
        ([("complete", 1)], "must be a non-empty dict"),
    ],
)
def test_bad_weights_stop_with_a_message_naming_the_setting(settings, config, message):
    settings.EVALUATION_WEIGHTS = config
    with pytest.raises(ImproperlyConfigured, match="EVALUATION_WEIGHTS") as error:
        weights()
    assert message in str(error.value)


def test_bad_weights_stop_the_ranking(county, settings):
    settings.EVALUATION_WEIGHTS = {"complete": -1}
    with pytest.raises(ImproperlyConfigured):
        rank()


def test_an_entry_without_people_has_no_points():
    weight = Weight("complete", "档案完整率", Decimal(1))
    assert Entry(weight, None).points is None
    assert Entry(weight, Figure("档案完整", 0, 0)).points is None
    assert Entry(weight, Figure("档案完整", 0, 3)).points == 0


# --- scope and roles ------------------------------------------------------------------------


@pytest.mark.usefixtures("travel")
def test_an_area_outside_the_scope_is_404(login, outsider, supervisor, stranger, unscoped, county):
    assert login(outsider).get(URL, {"area": ZHENGDUN}).status_code == 404
    assert login(outsider).get(URL, {"area": COUNTY}).status_code == 404
    assert login(outsider).get(URL, {"area": ZHENGDUN, "format": "xlsx"}).status_code == 404
    assert login(outsider).get(URL).status_code == 200  # 渭田镇's villages
    assert login(supervisor).get(URL, {"area": COUNTY}).status_code == 404
    assert login(stranger).get(URL, {"area": COUNTY}).status_code == 404
    assert login(stranger).get(URL, {"area": "nonsense"}).status_code == 404
    assert login(unscoped).get(URL).status_code == 404


def test_roles_without_the_dashboard_are_refused(login, volunteer, auditor, sysadmin, client):
    for user in (volunteer, auditor, sysadmin):
        assert login(user).get(URL).status_code == 403
    client.logout()
    assert client.get(URL).status_code == 302


@pytest.mark.usefixtures("travel")
def test_a_village_worker_is_told_a_ranking_needs_a_township_or_a_county(
    login, village_worker, county
):
    page = login(village_worker).get(URL)
    assert page.status_code == 200
    text = page.content.decode()
    assert "绩效考核排名需要县级或乡镇级范围" in text
    assert "eval-ranking" not in text and "format=xlsx" not in text
    export = login(village_worker).get(URL, {"format": "xlsx"})
    assert export["Content-Type"].startswith("text/html")


@pytest.mark.usefixtures("travel")
def test_the_supervisor_ranks_the_villages_of_the_township(login, supervisor, county):
    text = login(supervisor).get(URL).content.decode()
    assert "绩效考核 · 郑墩镇" in text and page_rows(text)[0]["综合得分"] == "55.8"


@pytest.mark.usefixtures("travel")
def test_a_leader_sees_the_ranking_but_no_personal_data(login, leader, county):
    client = login(leader)
    for area in (COUNTY, ZHENGDUN):
        page = client.get(URL, {"area": area})
        assert page.status_code == 200
        text = page.content.decode().split('<main class="page">', 1)[1]
        for person in Person.objects.all():
            assert person.name not in text, (area, person.name)
        assert "/people/" not in text and "/protection/" not in text and "/care/" not in text
    assert "56.1" in client.get(URL).content.decode()


# --- the export ---------------------------------------------------------------------------


def _sheet(response) -> list[list]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    return book.get_sheet_by_index(0).to_python()


@pytest.mark.usefixtures("travel")
def test_the_export_holds_the_figures_of_the_page(login, county_admin, county):
    client = login(county_admin)
    page = client.get(URL)
    response = client.get(URL, {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment") and disposition.endswith(".xlsx")
    sheet = _sheet(response)
    assert sheet[0][0] == "乡镇绩效考核 · 松溪县 · 2026-11"
    assert sheet[1][0] == "地区：松溪县（350724000000）"
    assert sheet[2][0].startswith("月份：2026-11，统计至 2026-11-22")
    assert sheet[3][0].startswith("权重：档案完整率 15、本轮核实率 10、结对覆盖率 20")
    assert sheet[4][0].startswith("计分：")
    head = next(i for i, row in enumerate(sheet) if row[0] == "排名")
    header, data = sheet[head], sheet[head + 1 :]
    assert header[:4] == ["排名", "地区", "区划代码", "综合得分"]
    assert header[4:7] == ["档案完整率（%）", "档案完整率（达标人数）", "档案完整率（统计人数）"]
    assert header[-3:] == ["逾期未联系（%）", "逾期未联系（逾期人数）", "逾期未联系（统计人数）"]

    shown = page_rows(page.content.decode())
    ranking = page.context["ranking"]
    assert len(data) == len(shown) == len(ranking.rows) == 9
    for line, row, cells in zip(data, ranking.rows, shown, strict=True):
        assert line[1] == row.area.name == cells["地区"]
        assert line[2] == row.area.code
        assert line[0] == (row.rank if row.rank is not None else "—")
        assert str(line[0]).replace(".0", "") == cells["排名"]
        score = "—" if line[3] == "—" else f"{line[3]:.1f}"
        assert score == cells["综合得分"]
        for index, entry in enumerate(row.entries):
            percent, value, total = line[4 + 3 * index : 7 + 3 * index]
            label = entry.weight.label
            if entry.percent is None:
                assert percent == "—" and cells[label] == "—"
                continue
            assert (percent, value, total) == (
                entry.percent, entry.figure.value, entry.figure.total
            )  # fmt: skip
            assert cells[label] == f"{percent}% {int(value)}/{int(total)}"


@pytest.mark.usefixtures("travel")
def test_the_export_neutralises_text_a_spreadsheet_could_take_for_a_formula(
    login, county_admin, county
):
    Area.objects.filter(code=WEITIAN).update(name="=HYPERLINK(1)")
    sheet = _sheet(login(county_admin).get(URL, {"format": "xlsx"}))
    assert "'=HYPERLINK(1)" in [row[1] for row in sheet]


@pytest.mark.usefixtures("travel")
def test_the_export_of_aggregates_writes_no_audit_entry(login, county_admin, county):
    """Like the dashboard, the ranking holds no person: unlike a ledger export, it
    is not an access to files and is not audited."""
    from shouwang.audit.models import AuditEntry

    client = login(county_admin)
    before = AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS).count()
    assert client.get(URL, {"format": "xlsx"}).status_code == 200
    assert AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS).count() == before


# --- one definition, and the queries --------------------------------------------------------


@pytest.mark.usefixtures("travel")
@pytest.mark.parametrize("area", [COUNTY, ZHENGDUN])
def test_the_figures_are_the_dashboards_for_the_same_area_and_month(
    login, county_admin, county, area
):
    """Every figure of the ranking is the one the dashboard's table of areas shows
    for the same area (and `Measures` gives for the rest)."""
    client = login(county_admin)
    board = client.get("/dashboard/", {"area": area, "month": "2026-11"}).context
    ranking = client.get(URL, {"area": area, "month": "2026-11"}).context["ranking"]
    shown = {
        row["area"].code: {label: cell.figure for label, cell in row["cells"]}
        for row in board["children"]["rows"]
    }
    area_obj = Area.objects.get(code=area)
    m = Measures.of(area_obj, month=NOV)
    compared = 0
    for row in ranking.rows:
        for entry in row.entries:
            figure = shown[row.area.code].get(entry.weight.label)
            if figure is not None and entry.figure is not None:
                assert entry.figure == figure, (row.area.code, entry.weight.key)
                compared += 1
            prefix = row.area.code[: m.digits]
            part = "people" if entry.weight.key == "overdue" else "met"
            assert entry.figure == m.by_area(entry.weight.key).get(prefix, {}).get(part)
    assert compared >= 6


def _populate(townships: list[Area]) -> None:
    """A child and an elder in one village of each township."""
    for township in townships:
        village = Area.objects.filter(parent=township).order_by("code").first()
        make_person(f"子{township.code}", village.code)
        make_elder(f"老{township.code}", village.code)


# One ranking from stored summaries: the areas ranked, the changes, and the
# summary of each source it reads (people, files, rates, overdue) — 6, whatever
# the number of areas. Counting them first costs more (test_summaries).
EVALUATION_QUERIES = 6
# The page adds session, user, permissions, the area and the menu's reminder count
# (and the breadcrumb below the user's scope); the export has no menu.
PAGE_QUERIES = {"": 11, "xlsx": 10}


@pytest.mark.parametrize("count", [2, 5])
def test_a_ranking_takes_the_same_queries_with_2_or_5_townships(
    login, county_admin, demo_areas, django_assert_num_queries, count
):
    _populate(list(Area.objects.filter(parent_id=COUNTY).order_by("code")[:count]))
    county_area = Area.objects.get(code=COUNTY)
    evaluation(county_area, month=NOV)  # counts the summaries
    with django_assert_num_queries(EVALUATION_QUERIES):
        ranking = evaluation(county_area, month=NOV)
    assert sum(r.score is not None for r in ranking.rows) == count
    client = login(county_admin)
    client.get(URL)
    for kind, expected in PAGE_QUERIES.items():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL, {"format": kind} if kind else {}).status_code == 200
        assert len(queries) == expected, [q["sql"][:80] for q in queries]


def test_the_village_c_figures_come_from_the_same_measures(county):
    """A township grouped by village gives village C the figures it has alone."""
    alone = Measures(VILLAGE_C, digits=12, month=NOV, today=TODAY)
    weitian = entries(rank(WEITIAN).rows[0])
    assert weitian["complete"].figure == alone.by_area("complete")[VILLAGE_C]["met"]

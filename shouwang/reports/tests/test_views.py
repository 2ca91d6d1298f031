"""The report page and its download for each actor: scope and 404s, leaders'
aggregates, a download refused with the broken checks named, bad periods, the
audit entry, and the xlsx read back equal to the page."""

import datetime as dt
import io
import re

import pytest
from python_calamine import CalamineWorkbook

from shouwang.accounts.roles import Role
from shouwang.audit.models import AuditEntry
from shouwang.conftest import VILLAGE, _make
from shouwang.people.models import Person
from shouwang.regions.models import Area
from shouwang.reports import figures as report_figures_module
from shouwang.reports.figures import LAYOUT, TOTAL, area_figures, table_rows
from shouwang.reports.xlsx import FIRST_DATA_ROW, FIRST_FIGURE_COLUMN, sheet_title

COUNTY, ZHENGDUN, WEITIAN = "350724000000", "350724101000", "350724102000"
URL = "/reports/quarterly/"
TODAY = dt.date(2026, 11, 22)

pytestmark = pytest.mark.usefixtures("travel")


def page(client, status=200, **params):
    response = client.get(URL, params)
    assert response.status_code == status, response.content.decode()[:500]
    return response.content.decode()


def main(text: str) -> str:
    """The page without the menu and footer."""
    return text.split("<h1>", 1)[1].split("<footer", 1)[0]


def test_the_county_admin_sees_the_countys_report_with_every_table(
    login, county_admin, report_county
):
    text = main(page(login(county_admin)))
    assert "季度统计报表 · 松溪县" in text
    assert "区划代码：350724000000" in text
    assert "报告期：2026年第4季度（2026-10-01 至 2026-11-22）" in text
    assert "统计日期：2026-11-22" in text and "生成时间：" in text
    for table in LAYOUT:
        assert str(table.title) in text
    assert "郑墩镇" in text and "合计" in text
    assert "今天的数据为实时统计" in text
    assert "下载 Excel 报表" in text and "format=xlsx" in text


def test_a_township_supervisor_gets_the_townships_report_by_village(
    login, supervisor, report_county
):
    text = main(page(login(supervisor)))
    assert "季度统计报表 · 郑墩镇" in text
    assert "各行为下一级村" in text


def test_an_area_outside_the_scope_is_a_404(login, outsider, stranger, report_county):
    assert login(outsider).get(URL, {"area": ZHENGDUN}).status_code == 404
    assert login(outsider).get(URL, {"area": COUNTY}).status_code == 404
    assert login(stranger).get(URL, {"area": COUNTY, "format": "xlsx"}).status_code == 404


def test_a_village_worker_may_not_open_the_report(login, village_worker, report_county):
    assert login(village_worker).get(URL).status_code == 403


def test_a_city_leader_is_asked_to_choose_a_county(login, report_county):
    city_leader = _make("city", Role.LEADER, "350700000000", "市领导")
    text = main(page(login(city_leader)))
    assert "请选择一个县（市、区）" in text
    assert f'href="/reports/quarterly/?area={COUNTY}"' in text
    assert "表1" not in text
    assert "表1 留守儿童基本情况" in main(page(login(city_leader), area=COUNTY))


def test_a_village_has_no_report_of_its_own(login, supervisor, report_county):
    text = main(page(login(supervisor), area=VILLAGE))
    assert "村（社区）没有单独的报表" in text and "表1" not in text


def test_a_leader_downloads_aggregates_and_sees_no_names(login, leader, report_county):
    client = login(leader)
    text = main(page(client))
    for person in Person.objects.all():
        assert person.name not in text, person.name
    assert "/people/" not in text and "****" not in text
    response = client.get(URL, {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    cells = " ".join(
        str(value) for name in book.sheet_names for row in book.get_sheet_by_name(name).to_python()
        for value in row
    )  # fmt: skip
    for person in Person.objects.all():
        assert person.name not in cells, person.name


def test_the_xlsx_read_back_equals_the_page(login, county_admin, report_county):
    client = login(county_admin)
    response = client.get(URL, {"quarter": "2026Q4", "format": "xlsx"})
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    figures = area_figures(Area.objects.get(code=COUNTY), as_of=TODAY)
    text = main(page(client, quarter="2026Q4"))
    assert book.sheet_names == [sheet_title(t) for t in LAYOUT]
    for table in LAYOUT:
        sheet = book.get_sheet_by_name(sheet_title(table)).to_python()
        assert sheet[0][0] == "松溪县 季度统计报表"
        assert sheet[1][0] == "区划代码：350724000000"
        assert "统计日期：2026-11-22" in sheet[2][0]
        rows = table_rows(figures, table)
        body = sheet[FIRST_DATA_ROW : FIRST_DATA_ROW + len(rows)]
        for line, cells in zip(rows, body, strict=True):
            assert cells[0] == line.name
            assert cells[1] == ("" if line.is_total else line.code)
            assert [int(v) for v in cells[FIRST_FIGURE_COLUMN:][: len(line.values)]] == line.values
        # the page shows the same numbers, row by row
        section = text.split(f'id="report-{table.key}"', 1)[1].split("</table>", 1)[0]
        shown = re.findall(
            r"<tr[^>]*>\s*<th scope=\"row\"[^>]*>([^<]*)</th>(.*?)</tr>", section, re.S
        )
        assert [name for name, _cells in shown] == [line.name for line in rows]
        for (name, cells), line in zip(shown, rows, strict=True):
            assert [int(v) for v in re.findall(r">(\d+)</td>", cells)] == line.values, name


def test_the_download_is_written_to_the_audit_log(login, leader, report_county):
    login(leader).get(URL, {"as_of": "2026-11-22", "format": "xlsx"})
    entry = AuditEntry.objects.get(object_pk="quarterly_report")
    assert entry.actor.username == "leader"
    assert entry.additional_data["area"] == COUNTY
    assert entry.additional_data["as_of"] == "2026-11-22"
    assert entry.additional_data["rows"] == 10
    assert "松溪县" in entry.object_repr


def test_a_report_that_does_not_add_up_is_refused_with_the_broken_checks(
    login, county_admin, report_county, monkeypatch
):
    real = report_figures_module.area_figures

    def broken(area, **kwargs):
        figures = real(area, **kwargs)
        figures["tables"]["t1"][TOTAL]["F"] += 1
        return figures

    monkeypatch.setattr("shouwang.reports.services.area_figures", broken)
    client = login(county_admin)
    text = main(page(client, status=409, format="xlsx"))
    assert "报表未通过逻辑校验，不能导出" in text
    assert "表1 留守儿童基本情况 · 合计：性别·男 2 + 性别·女 2 = 4，不等于总数 3" in text
    assert "表1 留守儿童基本情况 · 合计 · 性别·女：合计为 2，各行之和为 1" in text
    assert "下载 Excel 报表" not in text
    assert not AuditEntry.objects.filter(object_pk="quarterly_report").exists()
    assert "修正前不能导出" in main(page(client))  # the page says so before any download


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"quarter": "2026Q5"}, "季度“2026Q5”无法识别"),
        ({"quarter": "2027Q1"}, "2027年第1季度尚未开始"),
        ({"as_of": "2026-13-01"}, "统计日期“2026-13-01”无法识别"),
        ({"as_of": "2026-11-23"}, "统计日期不能晚于今天（2026-11-22）"),
        ({"as_of": "1999-12-31"}, "统计日期不能早于 2000 年"),
    ],
)
def test_a_bad_quarter_or_day_gets_a_message(login, county_admin, report_county, params, message):
    text = page(login(county_admin), status=400, **params)
    assert message in text


def test_a_past_quarter_stands_on_its_last_day(login, county_admin, report_county):
    text = main(page(login(county_admin), quarter="2026Q3"))
    assert "报告期：2026年第3季度（2026-07-01 至 2026-09-30）" in text
    assert "已于" in text and "固定（快照）" in text  # a past day is kept


def test_the_dashboard_links_to_the_report(login, county_admin, report_county):
    text = login(county_admin).get("/dashboard/").content.decode()
    assert 'href="/reports/quarterly/"' in text


def test_a_trait_of_the_report_lists_its_people_on_the_people_list(
    login, county_admin, report_county
):
    text = (
        login(county_admin)
        .get(
            "/people/",
            {"indicator": "profile.left_behind_child.assistance.dibao", "month": "2026-11"},
        )
        .content.decode()
    )
    assert "档案情况 · 农村留守儿童 · 低保（2026-11）" in text
    assert "子一" in text and "子二" not in text and "子三" not in text

"""End-to-end at phone size: a village worker files a mandatory report from a
child's page; the township supervisor accepts it (已受理). Same set-up as
core/tests/test_browser.py: all ORM calls happen before the browser opens or
after it closes."""

from pathlib import Path

import pytest
from django.conf import settings

from shouwang.care.tests.factories import make_person
from shouwang.conftest import PASSWORD, VILLAGE
from shouwang.core.browser import PHONE
from shouwang.core.tests.browser import log_in, phone_page
from shouwang.protection.models import ProtectionCase

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_report_is_filed_on_a_phone_and_accepted_by_the_supervisor(
    live_server, village_worker, supervisor
):
    from playwright.sync_api import expect

    child = make_person("王小明", VILLAGE)
    screenshots = Path(settings.VAR_DIR) / "screenshots"
    screenshots.mkdir(parents=True, exist_ok=True)

    with phone_page(live_server.url) as page:
        log_in(page, "village", PASSWORD)
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"/people/{child.pk}/")
        page.locator("#risk-panel").get_by_role("link", name="强制报告").tap()
        expect(page.locator("h1")).to_contain_text("强制报告")
        expect(page.get_by_label("王小明")).to_be_checked()  # started from his page
        page.get_by_label("报告情形").select_option(label="独自居住、无人监护")
        page.get_by_label("发现的情况").fill("孩子独自在家三天，祖母住院，父母在外务工")
        page.get_by_label("发现地点").fill("家中")
        page.get_by_label("已采取的措施").fill("已将孩子送到邻居家暂住")
        page.screenshot(path=str(screenshots / "report-phone.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]
        page.get_by_role("button", name="提交报告").tap()

        expect(page.locator(".notice-success")).to_contain_text("已上报，案件编号 BH")
        expect(page.get_by_test_id("case-state")).to_have_text("已报告")
        page.get_by_role("button", name="退出").tap()
        page.wait_for_load_state()
        expect(page.get_by_role("button", name="登录")).to_be_visible()

        log_in(page, "supervisor", PASSWORD)
        page.wait_for_url(f"{live_server.url}/")
        page.get_by_role("link", name="保护案件").first.tap()
        cases = page.get_by_test_id("cases")
        expect(cases).to_contain_text("独自居住、无人监护")
        cases.get_by_role("link").first.tap()
        expect(page.get_by_test_id("case-state")).to_have_text("已报告")
        page.get_by_label("下一步").select_option(label="已受理")
        page.get_by_role("button", name="确认").tap()
        expect(page.locator(".notice-success")).to_contain_text("已更新案件状态")
        expect(page.get_by_test_id("case-state")).to_have_text("已受理")
        page.screenshot(path=str(screenshots / "case-phone.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]

    case = ProtectionCase.objects.get()
    assert case.state == "accepted"
    assert list(case.people.all()) == [child]
    assert list(case.events.values_list("to_state", "by__username")) == [
        ("reported", "village"),
        ("accepted", "supervisor"),
    ]

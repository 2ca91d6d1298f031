"""End-to-end at phone size: the county administrator opens 统计概览 from the menu,
drills into a township and then a village by tapping their names, and follows the
village's headcount to the list of the same people — with nothing refused by the
Content Security Policy. Same set-up as
core/tests/test_browser.py: all ORM calls happen before the browser opens.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings

from shouwang.conftest import PASSWORD, VILLAGE, ZHENGDUN
from shouwang.core.browser import PHONE
from shouwang.core.tests.browser import log_in, phone_page
from shouwang.regions.models import Area

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_county_admin_drills_from_the_county_to_a_township_and_a_village(
    live_server, county_admin, county
):
    from playwright.sync_api import expect

    township, village = (Area.objects.get(code=code).name for code in (ZHENGDUN, VILLAGE))
    screenshots = Path(settings.VAR_DIR) / "screenshots"
    screenshots.mkdir(parents=True, exist_ok=True)

    with phone_page(live_server.url) as page:
        refused = []  # what the Content Security Policy blocked, as the console says
        page.on("console", lambda m: "Content Security Policy" in m.text and refused.append(m.text))
        log_in(page, "county", PASSWORD)
        page.wait_for_url(f"{live_server.url}/")
        page.get_by_role("navigation", name="主菜单").get_by_role("link", name="统计概览").tap()

        heading = page.locator("#board h1")
        expect(heading).to_have_text("统计概览 · 松溪县")
        expect(page.locator(".chart canvas").first).to_be_visible()  # ECharts drew
        areas = page.locator("table.dash-areas")
        expect(areas).to_contain_text(township)

        areas.get_by_role("link", name=township).tap()  # an htmx swap of the board
        expect(heading).to_have_text(f"统计概览 · {township}")
        expect(page).to_have_url(re.compile(f"area={ZHENGDUN}"))
        expect(page.locator("nav.crumbs")).to_contain_text("松溪县")
        expect(page.locator(".chart canvas").first).to_be_visible()  # drawn again

        page.locator("table.dash-areas").get_by_role("link", name=village).tap()
        expect(heading).to_have_text(f"统计概览 · {village}")
        expect(page).to_have_url(re.compile(f"area={VILLAGE}"))
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(screenshots / "dashboard-village-phone.png"), full_page=True)

        # 子一 子二 子三 妇一 老一 老二: 丁 has left the program, 迁 has moved out.
        headcount = page.locator(".dash-tile").first.locator(".dash-value a")
        expect(headcount).to_have_text("6")
        headcount.tap()
        expect(page.locator("#rows")).to_contain_text("共 6 人")
        for name in ("子一", "子二", "子三", "妇一", "老一", "老二"):
            expect(page.locator("#rows")).to_contain_text(name)
        expect(page.locator("#rows")).not_to_contain_text("老三")  # the next village
    assert not refused  # charts, htmx swaps and the menu work under the policy

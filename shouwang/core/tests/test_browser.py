"""End-to-end: log in through the real form in headless Chromium at phone size.

Uses Debian's Chromium (/usr/bin/chromium, `apt-get install chromium`), driven by
Playwright's sync API; Playwright's own browser downloads are not needed. Without
Chromium the tests skip, unless SHOUWANG_REQUIRE_BROWSER=1 (set by CI): then they fail
(shouwang/conftest.py). Shared helpers: core/tests/browser.py.

Playwright's sync API runs an asyncio loop in the test's thread, and Django refuses
ORM calls while a loop runs there (SynchronousOnlyOperation). So each test reads the
database first and only then opens the browser, and closes it before returning.
The live server answers from its own thread, where no loop runs.

Live-server tests commit for real (the server thread must see the data), and the
database is emptied after each test.
"""

from pathlib import Path

import pytest
from django.conf import settings

from shouwang.conftest import PASSWORD, VILLAGE
from shouwang.core.tests.browser import LOGIN, log_in, phone_page
from shouwang.regions.models import Area

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_village_worker_logs_in_on_a_phone_and_sees_name_role_and_village(
    live_server, village_worker
):
    from playwright.sync_api import expect

    village_name = Area.objects.get(code=VILLAGE).name
    screenshots = Path(settings.VAR_DIR) / "screenshots"
    screenshots.mkdir(parents=True, exist_ok=True)

    with phone_page(live_server.url) as page:
        log_in(page, "village", PASSWORD)

        page.wait_for_url(f"{live_server.url}/")
        expect(page.get_by_test_id("user-name")).to_have_text("张桂兰")
        expect(page.get_by_test_id("user-role")).to_have_text("村级工作人员")
        expect(page.get_by_test_id("user-scope")).to_contain_text(village_name)
        page.screenshot(path=str(screenshots / "home-phone.png"), full_page=True)


def test_a_wrong_password_shows_the_chinese_error_on_the_login_page(live_server, village_worker):
    from playwright.sync_api import expect

    with phone_page(live_server.url) as page:
        log_in(page, "village", "not the password")

        page.wait_for_load_state()
        expect(page).to_have_url(f"{live_server.url}{LOGIN}")
        expect(page.get_by_role("alert")).to_contain_text("请输入一个正确的用户名和密码")
        expect(page.locator("#id_username")).to_have_value("village")
        expect(page.locator("#id_password")).to_have_value("")


def test_a_village_worker_creates_a_file_and_finds_it_by_initials(live_server, village_worker):
    from playwright.sync_api import expect
    from stdnum.cn import ric

    from shouwang.people.models import Person

    body = "350724" + "20150308" + "124"  # even sequence: a girl
    id_number = body + ric.calc_check_digit(body + "0")
    screenshots = Path(settings.VAR_DIR) / "screenshots"
    screenshots.mkdir(parents=True, exist_ok=True)

    with phone_page(live_server.url) as page:
        log_in(page, "village", PASSWORD)
        page.wait_for_url(f"{live_server.url}/")
        page.get_by_role("link", name="人员档案").click()
        page.get_by_role("link", name="新建档案").click()
        page.locator("#id_name").fill("曾小华")
        page.locator("#id_id_number").fill(id_number)  # birth date and sex come from it
        page.locator("#id_village").select_option(VILLAGE)
        page.get_by_role("button", name="保存").click()
        expect(page.locator("h1")).to_contain_text("曾小华")
        expect(page.locator(".facts")).to_contain_text("2015-03-08")
        expect(page.locator(".facts")).not_to_contain_text(id_number)  # masked
        page.screenshot(path=str(screenshots / "person-phone.png"), full_page=True)

        page.get_by_role("link", name="人员档案").first.click()
        page.locator("#id_q").fill("zxh")  # 曾 reads zeng as a surname
        expect(page.locator("#rows")).to_contain_text("曾小华")
        page.screenshot(path=str(screenshots / "search-phone.png"), full_page=True)

    person = Person.objects.get(name="曾小华")
    assert person.sex == "F"
    assert person.name_initials == "zxh"

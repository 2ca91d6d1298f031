"""End-to-end at phone size: a village worker logs a visit in two taps from the
worklist. Same set-up as core/tests/test_browser.py: all ORM calls happen before
the browser opens or after it closes.
"""

from pathlib import Path

import pytest
from django.conf import settings

from shouwang.care.models import Contact
from shouwang.care.tests.factories import make_elder
from shouwang.conftest import PASSWORD, VILLAGE
from shouwang.core.browser import PHONE
from shouwang.core.tests.browser import log_in, phone_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_village_worker_logs_an_overdue_visit_in_two_taps_on_a_phone(live_server, village_worker):
    from playwright.sync_api import expect

    elder = make_elder("林婆婆", VILLAGE, risk_level="general")  # on file since 2024, never visited
    screenshots = Path(settings.VAR_DIR) / "screenshots"
    screenshots.mkdir(parents=True, exist_ok=True)

    with phone_page(live_server.url) as page:
        log_in(page, "village", PASSWORD)
        page.wait_for_url(f"{live_server.url}/")

        page.get_by_role("link", name="我的待办").click()
        overdue = page.get_by_test_id("worklist-overdue")
        expect(overdue).to_contain_text("林婆婆")
        expect(overdue).to_contain_text("逾期")
        expect(page.get_by_test_id("count-overdue")).to_contain_text("1")
        page.screenshot(path=str(screenshots / "worklist-phone.png"), full_page=True)

        overdue.get_by_role("link", name="记录 林婆婆").tap()  # tap 1
        expect(page.locator("h1")).to_contain_text("林婆婆")
        page.screenshot(path=str(screenshots / "contact-log-phone.png"), full_page=True)
        page.get_by_role("button", name="保存").tap()  # tap 2

        page.wait_for_url(f"{live_server.url}/care/")
        expect(page.locator(".notice-success")).to_contain_text("已记录：林婆婆")
        expect(page.get_by_test_id("worklist-overdue")).not_to_contain_text("林婆婆")
        expect(page.get_by_test_id("count-overdue")).to_contain_text("0")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]  # nothing wider than the phone

    saved = Contact.objects.get()
    assert (saved.person_id, saved.kind, saved.recorded_by) == (elder.pk, "home_visit",
                                                                 village_worker)  # fmt: skip

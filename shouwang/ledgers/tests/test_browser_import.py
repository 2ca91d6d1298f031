"""End-to-end at phone size: a village worker uploads a small children's ledger and
sees the preview with one row in error, then imports the valid rows. Same set-up as
core/tests/test_browser.py: all ORM calls happen before the browser opens or after
it closes. (In the tests the check runs inline, so the page shows the preview at
once; the progress fragment is tested in test_importing.py.)"""

from pathlib import Path

import pytest
from django.conf import settings

from shouwang.conftest import PASSWORD
from shouwang.core.browser import PHONE
from shouwang.core.tests.browser import log_in, phone_page
from shouwang.ledgers.tests.test_importing import GIRL, child, workbook
from shouwang.people.models import Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_ledger_is_uploaded_checked_and_imported_on_a_phone(live_server, village_worker,
                                                               tmp_path):  # fmt: skip
    from playwright.sync_api import expect

    ledger = tmp_path / "上厝村留守儿童.xlsx"
    ledger.write_bytes(workbook([child(), child("李小红", GIRL, sex="女"),
                                 child("错号", "350724201405060")]))  # fmt: skip
    screenshots = Path(settings.VAR_DIR) / "screenshots"
    screenshots.mkdir(parents=True, exist_ok=True)

    with phone_page(live_server.url) as page:
        log_in(page, "village", PASSWORD)
        page.wait_for_url(f"{live_server.url}/")
        page.get_by_role("link", name="台账导入").tap()
        page.get_by_label("台账").select_option(label="农村留守儿童信息表")
        page.get_by_label("文件").set_input_files(str(ledger))
        page.get_by_role("button", name="上传并检查").tap()

        counts = page.get_by_test_id("import-counts")
        expect(counts).to_contain_text("2 新建")
        expect(counts).to_contain_text("1 有错误")
        issues = page.get_by_test_id("import-issues")
        expect(issues).to_contain_text("第 4 行")
        expect(issues).to_contain_text("身份证号码")
        expect(page.get_by_role("button", name="全部导入")).to_be_disabled()
        page.screenshot(path=str(screenshots / "import-preview-phone.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        page.get_by_role("button", name="只导入无误的行（跳过 1 行）").tap()
        expect(page.locator(".notice-success").first).to_contain_text("新建 2 份档案")

    assert sorted(Person.objects.values_list("name", flat=True)) == ["李小红", "王小明"]

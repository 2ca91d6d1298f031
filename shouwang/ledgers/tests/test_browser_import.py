"""End-to-end at phone size: a village worker uploads a children's ledger, watches
the check's progress, sees the preview with one row in error, then imports the
valid rows and watches that too. The jobs run in a worker thread, as
`shouwang worker` runs them. Same set-up as core/tests/test_browser.py: all ORM
calls happen before the browser opens or after it closes."""

import re
from pathlib import Path

import pytest

from shouwang.conftest import PASSWORD
from shouwang.core.browser import PHONE
from shouwang.core.tests.browser import background_worker, log_in, phone_page
from shouwang.ledgers.tests.test_importing import GIRL, child, workbook
from shouwang.people.models import Person

ROWS = 6000

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_ledger_is_uploaded_checked_and_imported_on_a_phone(live_server, village_worker,
                                                               tmp_path, settings):  # fmt: skip
    from playwright.sync_api import expect

    ledger = tmp_path / "上厝村留守儿童.xlsx"
    # Enough rows, in small chunks, for the commit to take several polls of the page.
    settings.LEDGER_IMPORT_CHUNK_ROWS = 1000
    many = [child(f"儿童{i:04d}", "", birth_date="2014-05-06") for i in range(ROWS - 3)]
    ledger.write_bytes(workbook([child(), child("李小红", GIRL, sex="女"),
                                 child("错号", "350724201405060"), *many]))  # fmt: skip
    screenshots = Path(settings.VAR_DIR) / "screenshots"
    midway = re.compile(rf"已导入 [1-9][0-9]* / {ROWS} 行")
    screenshots.mkdir(parents=True, exist_ok=True)

    with background_worker(), phone_page(live_server.url) as page:
        log_in(page, "village", PASSWORD)
        page.wait_for_url(f"{live_server.url}/")
        page.get_by_role("link", name="台账导入").tap()
        page.get_by_label("台账").select_option(label="农村留守儿童信息表")
        page.get_by_label("文件").set_input_files(str(ledger))
        page.get_by_role("button", name="上传并检查").tap()
        expect(page.get_by_test_id("import-progress")).to_be_visible()

        counts = page.get_by_test_id("import-counts")
        expect(counts).to_contain_text(f"{ROWS - 1} 新建", timeout=60_000)
        expect(counts).to_contain_text("1 有错误")
        issues = page.get_by_test_id("import-issues")
        expect(issues).to_contain_text("第 4 行")
        expect(issues).to_contain_text("身份证号码")
        expect(page.get_by_role("button", name="全部导入")).to_be_disabled()
        page.screenshot(path=str(screenshots / "import-preview-phone.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        page.get_by_role("button", name="只导入无误的行（跳过 1 行）").tap()
        # The bar moves while the worker writes: a count between none and all.
        progress = page.get_by_test_id("import-progress")
        expect(progress).to_contain_text("导入中")
        expect(progress).to_contain_text(midway, timeout=60_000)
        page.screenshot(path=str(screenshots / "import-progress-phone.png"), full_page=True)
        done = page.locator(".notice-success").first
        expect(done).to_contain_text(f"新建 {ROWS - 1} 份", timeout=60_000)
        expect(done).to_contain_text("跳过 1 行")

    assert Person.objects.count() == ROWS - 1
    assert not Person.objects.filter(name="错号").exists()

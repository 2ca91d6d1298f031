"""Helpers of the browser tests (see core/tests/test_browser.py for why every ORM
call happens before the browser opens or after it closes)."""

from collections.abc import Iterator
from contextlib import contextmanager

from shouwang.core.browser import PHONE, launch

TIMEOUT_MS = 15_000
LOGIN = "/accounts/login/"


@contextmanager
def phone_page(base_url: str) -> Iterator:
    """A Chromium page at phone size that asks for Chinese, relative URLs resolved
    against `base_url`. No ORM calls inside the `with` block."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            context = browser.new_context(
                viewport=PHONE,
                device_scale_factor=2,
                is_mobile=True,
                has_touch=True,
                # Chromium would send Accept-Language: en-US and get English.
                locale="zh-CN",
                base_url=base_url,
            )
            context.set_default_timeout(TIMEOUT_MS)
            yield context.new_page()
            context.close()
        finally:
            browser.close()


def log_in(page, username: str, password: str) -> None:
    """Log in through the real form."""
    page.goto(LOGIN)
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name="登录").click()


@contextmanager
def background_worker() -> Iterator:
    """Tasks run by a worker thread, as `shouwang worker` runs them, instead of
    inline at `enqueue` (the tests' default): the page sees a job while it runs."""
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = False
    consumer = HUEY.create_consumer(workers=1, periodic=False, initial_delay=0.05,
                                    max_delay=0.2, check_worker_health=False)  # fmt: skip
    consumer.start()
    try:
        yield consumer
    finally:
        consumer.stop(graceful=True)
        HUEY.immediate = True

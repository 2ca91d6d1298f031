"""Screenshots of Shouwang's pages at phone and desktop width, for review and docs.

Usage: python scripts/screenshots.py [BASE_URL] [OUT_DIR] [PERSON_ID] [PAGE_NAME…]
Needs a running demo (`shouwang demo`) and Debian's chromium at /usr/bin/chromium.
Each entry logs in as a demo user and captures one page.
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from shouwang.core.browser import DESKTOP, PHONE, launch

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(sys.argv[2] if len(sys.argv) > 2 else "var/screenshots")
PASSWORD = "shouwang-demo"
PERSON = sys.argv[3] if len(sys.argv) > 3 else "1"  # a file in the village worker's village
ONLY = set(sys.argv[4:])  # capture only these pages (all when empty)
# (name, user or None, path)
PAGES = [
    ("login", None, "/accounts/login/"),
    ("home-village", "village", "/"),
    ("home-county", "county", "/"),
    ("areas-county", "county", "/areas/350724000000/"),
    ("areas-township", "supervisor", "/areas/350724101000/"),
    ("users", "county", "/accounts/users/"),
    ("audit", "auditor", "/audit/"),
    ("outsider-404", "supervisor", "/areas/350724102000/"),
    ("people", "village", "/people/"),
    ("people-search", "supervisor", "/people/?q=zeng"),
    ("person", "village", "/people/{person}/"),
    ("person-edit", "village", "/people/{person}/edit/"),
    ("person-card", "village", "/people/{person}/card/"),
    ("person-new", "village", "/people/new/"),
    ("proposals", "county", "/people/proposals/"),
    ("rules", "county", "/people/rules/"),
    ("surveys", "supervisor", "/people/surveys/"),
    ("migrants", "supervisor", "/people/migrants/"),
    ("duplicates", "county", "/people/duplicates/"),
    ("worklist-village", "village", "/care/"),
    ("worklist-volunteer", "volunteer", "/care/"),
    ("my-people", "volunteer", "/care/my-people/"),
    ("contact-log", "village", "/care/people/{person}/log/?kind=home_visit"),
    ("pair", "village", "/care/people/{person}/pair/"),
    ("overdue-township", "supervisor", "/care/overdue/"),
    ("attention", "supervisor", "/care/attention/"),
    ("volunteers", "supervisor", "/care/volunteers/"),
    ("volunteer-new", "village", "/care/volunteers/new/"),
    ("coverage", "village", "/care/coverage/"),
    ("care-rules", "county", "/care/rules/"),
    ("rates-county", "county", "/care/rates/"),
    ("rates-leader", "leader", "/care/rates/"),
    ("notifications", "volunteer", "/care/notifications/"),
    ("report", "village", "/protection/report/?person={person}"),
    ("assess", "village", "/protection/people/{person}/assess/"),
    ("reassessments", "village", "/protection/reassessments/"),
    ("scales", "county", "/protection/scales/"),
    ("cases-township", "supervisor", "/protection/cases/"),
    ("deadlines", "county", "/protection/deadlines/"),
    ("aid-county", "county", "/protection/aid/"),
    ("services-county", "county", "/protection/services/"),
    ("stations-township", "supervisor", "/protection/stations/"),
    ("import", "village", "/ledgers/import/"),
    ("dashboard-county", "county", "/dashboard/"),
    ("dashboard-village", "village", "/dashboard/"),
    ("dashboard-leader", "leader", "/dashboard/?area=350724101000"),
    ("security", "village", "/accounts/security/"),
    ("otp-enrol", "village", "/accounts/2fa/setup/"),
    ("users-security", "security", "/accounts/users/"),
]
VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = launch(p)
        for label, viewport in VIEWPORTS.items():
            for name, user, path in PAGES:
                if ONLY and name not in ONLY:
                    continue
                context = browser.new_context(viewport=viewport, locale="zh-CN")
                page = context.new_page()
                if user:
                    page.goto(BASE + "/accounts/login/")
                    page.fill("#id_username", user)
                    page.fill("#id_password", PASSWORD)
                    page.click("button[type=submit].btn")
                    page.wait_for_load_state()
                response = page.goto(BASE + path.format(person=PERSON))
                target = OUT / f"{name}-{label}.png"
                page.screenshot(path=str(target), full_page=True)
                print(f"{response.status} {path} as {user or '-'} -> {target}")
                context.close()
        browser.close()


if __name__ == "__main__":
    main()

"""HTTP hardening (issue 8): a Content Security Policy with no inline script, no
template that would need one, the usual headers, secure cookies behind TLS, and
`manage.py check --deploy` clean with production settings."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

from shouwang.conftest import REPO_ROOT

TEMPLATES = sorted(Path(settings.BASE_DIR, "templates").rglob("*.html"))
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)


def _directives(header: str) -> dict[str, list[str]]:
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


def test_every_page_carries_a_policy_with_no_inline_script(login, county_admin, client):
    for response in (client.get("/accounts/login/"), login(county_admin).get("/dashboard/")):
        policy = _directives(response["Content-Security-Policy"])
        assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
        assert policy["style-src"] == ["'self'"]  # <style> elements refused
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_no_template_holds_an_inline_script_or_event_handler(template):
    text = template.read_text(encoding="utf-8")
    assert not INLINE_SCRIPT.findall(text), "move the script to a static file"
    assert not HANDLER.findall(text), "use a data- attribute and static/shouwang/app.js"
    assert "<style" not in text, "styles belong in a static stylesheet"


def test_the_month_picker_submits_by_the_static_script_not_an_attribute(login, county_admin):
    page = login(county_admin).get("/care/rates/").content.decode()
    assert "data-submit-on-change" in page and "onchange" not in page
    assert "/static/shouwang/app.js" in page


def test_the_deployment_check_is_clean_with_production_settings(tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "SECRET_KEY": secrets.token_urlsafe(60),
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "BLIND_INDEX_KEY": secrets.token_hex(32),
        "DEBUG": "false",
        "HTTPS": "true",
        "ALLOWED_HOSTS": "shouwang.example.org",
        "SHOUWANG_VAR_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_behind_tls_the_cookies_are_secure_and_hsts_is_sent(client, settings, county_admin):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = client.get("/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "includeSubDomains" in response["Strict-Transport-Security"]
    csrf = response.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"

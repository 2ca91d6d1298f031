import datetime as dt

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from shouwang.conftest import PASSWORD

LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def _fresh_axes(db):
    from axes.models import AccessAttempt

    AccessAttempt.objects.all().delete()


def _post_login(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def test_it_logs_in_with_the_right_password_and_shows_the_home_page(client, village_worker):
    response = _post_login(client, "village", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    home = client.get("/").content.decode()
    assert "张桂兰" in home
    assert "村级工作人员" in home


def test_a_wrong_password_gets_a_chinese_message_and_no_session(client, village_worker):
    response = _post_login(client, "village", "wrong password")
    assert response.status_code == 200
    body = response.content.decode()
    assert "请输入一个正确的" in body  # Django's zh-hans message for bad credentials
    assert "_auth_user_id" not in client.session


def test_it_locks_the_username_after_repeated_failures(client, village_worker):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        assert _post_login(client, "village", "wrong password").status_code == 200
    locked = _post_login(client, "village", "wrong password")
    assert locked.status_code == 429
    assert "账号已锁定" in locked.content.decode()
    # Even the right password is refused while locked.
    again = _post_login(client, "village", PASSWORD)
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session


def test_one_failure_short_of_the_limit_does_not_lock(client, village_worker):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _post_login(client, "village", "wrong password")
    assert _post_login(client, "village", PASSWORD).status_code == 302


def test_locking_one_username_does_not_lock_a_colleague(client, village_worker, neighbour):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _post_login(client, "village", "wrong password")
    assert _post_login(client, "neighbour", PASSWORD).status_code == 302


def test_the_login_page_states_the_lockout_policy(client, db):
    body = client.get(LOGIN).content.decode()
    assert f"连续输错密码 {settings.AXES_FAILURE_LIMIT} 次" in body


def test_a_session_expires_after_the_idle_time(client, village_worker):
    _post_login(client, "village", PASSWORD)
    assert client.session.get_expiry_age() == settings.SESSION_IDLE_MINUTES * 60
    assert client.get("/").status_code == 200
    # Each request renews the session; once idle past the limit it is gone.
    key = client.session.session_key
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def _session_row(client):
    return Session.objects.get(session_key=client.session.session_key)


def test_a_request_after_a_minute_pushes_the_session_expiry_forward(client, village_worker):
    _post_login(client, "village", PASSWORD)
    soon = timezone.now() + dt.timedelta(minutes=1)
    Session.objects.filter(session_key=client.session.session_key).update(expire_date=soon)
    session = client.session
    session["_last_touch"] -= settings.SESSION_TOUCH_SECONDS  # the last touch a minute ago
    session.save()
    client.get("/")
    renewed = _session_row(client).expire_date
    assert renewed > soon + dt.timedelta(minutes=settings.SESSION_IDLE_MINUTES - 2)


def test_requests_within_a_minute_do_not_write_the_session(client, village_worker):
    _post_login(client, "village", PASSWORD)
    client.get("/")
    before = _session_row(client).expire_date
    client.get("/")
    assert _session_row(client).expire_date == before


def test_passwords_are_hashed_with_argon2_in_production_settings():
    from shouwang import settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_logout_ends_the_session(client, village_worker):
    _post_login(client, "village", PASSWORD)
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302


def test_the_language_switcher_turns_the_interface_to_english(login, village_worker):
    client = login(village_worker)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    body = client.get("/").content.decode()
    assert 'lang="en"' in body
    assert "Village worker" in body

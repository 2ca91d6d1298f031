"""登录记录: every login step of a user, for themself and the system administrator."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings

from shouwang.accounts.models import LoginEvent
from shouwang.accounts.roles import Role
from shouwang.accounts.services import user_create
from shouwang.conftest import PASSWORD
from shouwang.regions.models import Area, Level
from shouwang.regions.services import AreaRow, areas_upsert, full_code

LOGIN = "/accounts/login/"
PHONE_BROWSER = "Mozilla/5.0 (Linux; Android 14) Mobile Safari"


@pytest.fixture(autouse=True)
def _fresh_axes(db):
    AccessAttempt.objects.all().delete()


def _post_login(client, username, password):
    return client.post(
        LOGIN,
        {"username": username, "password": password},
        headers={"User-Agent": PHONE_BROWSER},
        REMOTE_ADDR="10.1.2.3",
    )


def test_a_right_and_a_wrong_password_are_recorded_with_address_and_browser(client, village_worker):
    _post_login(client, "village", "wrong password")
    _post_login(client, "village", PASSWORD)
    client.post("/accounts/logout/")
    events = list(LoginEvent.objects.filter(user=village_worker).order_by("pk"))
    assert [e.kind for e in events] == ["password_failed", "password_ok", "logout"]
    assert events[0].ip_address == "10.1.2.3"
    assert events[0].user_agent == PHONE_BROWSER
    assert not events[0].succeeded
    assert events[1].succeeded


def test_a_lockout_and_an_unknown_username_are_recorded(client, village_worker):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _post_login(client, "village", "wrong password")
    assert LoginEvent.objects.filter(user=village_worker, kind="locked_out").exists()
    _post_login(client, "nobody", "wrong password")
    stranger = LoginEvent.objects.get(username="nobody")
    assert stranger.user is None
    assert stranger.kind == "password_failed"


def test_a_user_sees_their_own_history_and_no_colleagues(client, village_worker, neighbour):
    _post_login(client, "neighbour", "wrong password")
    _post_login(client, "village", "wrong password")
    _post_login(client, "village", PASSWORD)
    page = client.get("/accounts/security/")
    body = page.content.decode()
    assert "登录记录" in body
    assert "密码错误" in body
    assert "10.1.2.3" in body
    assert {e.user for e in page.context["page"]} == {village_worker}


def test_the_system_admin_reads_a_users_history_from_the_user_list(login, sysadmin, village_worker):
    LoginEvent.objects.create(user=village_worker, username="village", kind="password_failed")
    client = login(sysadmin)
    users = client.get("/accounts/users/").content.decode()
    assert f"/accounts/users/{village_worker.pk}/logins/" in users
    response = client.get(f"/accounts/users/{village_worker.pk}/logins/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "张桂兰的登录记录" in body
    assert "密码错误" in body


def test_a_county_admin_lists_users_but_reads_no_login_history(login, county_admin, village_worker):
    client = login(county_admin)
    assert "/logins/" not in client.get("/accounts/users/").content.decode()
    assert client.get(f"/accounts/users/{village_worker.pk}/logins/").status_code == 403


def test_a_system_admin_of_another_county_gets_404(login, demo_areas, village_worker):
    areas_upsert(
        rows=[
            AreaRow(full_code("350725"), "政和县", Level.COUNTY, full_code("3507"), "test", 0),
        ],
        source="test",
    )
    elsewhere = user_create(
        username="sysadmin2",
        password=PASSWORD,
        role=Role.SYSTEM_ADMIN,
        scope_area=Area.objects.get(code=full_code("350725")),
    )
    response = login(elsewhere).get(f"/accounts/users/{village_worker.pk}/logins/")
    assert response.status_code == 404


@pytest.mark.parametrize("who", ["village_worker", "volunteer", "leader", "auditor"])
def test_every_login_finds_its_account_security_in_the_menu(login, request, who):
    body = login(request.getfixturevalue(who)).get("/").content.decode()
    assert 'href="/accounts/security/"' in body

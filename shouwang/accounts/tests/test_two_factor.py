"""Two-factor login: the county administrator 黄建华 must use an authenticator app;
the volunteer 刘晓燕 may. Codes come from the device's own secret, as the app's."""

import time

import pytest
import time_machine
from axes.models import AccessAttempt
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from shouwang.accounts import services
from shouwang.accounts.models import LoginEvent
from shouwang.conftest import PASSWORD

LOGIN = "/accounts/login/"
VERIFY = "/accounts/2fa/"
ENROL = "/accounts/2fa/setup/"


@pytest.fixture(autouse=True)
def _two_factor_on(settings, db):
    settings.TWO_FACTOR_REQUIRED = True
    settings.OTP_TOTP_SYNC = False  # keeps the drift at 0, so _code knows the step
    AccessAttempt.objects.all().delete()


def _code(device, at=None) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = at if at is not None else time.time()
    return f"{totp.token():0{device.digits}d}"


def _enrolled(user) -> tuple[TOTPDevice, list[str]]:
    device = services.otp_enrolment_start(user=user)
    # The previous step's code (still accepted), so that the login uses the current one.
    earlier = _code(device, at=time.time() - device.step)
    codes = services.otp_enrolment_confirm(user=user, device=device, code=earlier)
    device.refresh_from_db()
    return device, codes


def _password_login(client, username):
    return client.post(LOGIN, {"username": username, "password": PASSWORD})


def test_a_county_admin_without_an_app_is_sent_to_enrol_after_the_password(client, county_admin):
    assert _password_login(client, "county")["Location"] == "/"
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == ENROL
    assert client.get("/people/")["Location"] == ENROL + "?next=%2Fpeople%2F"


def test_until_enrolled_only_the_two_factor_pages_and_logout_open(client, county_admin):
    _password_login(client, "county")
    assert client.get("/accounts/users/").status_code == 302
    assert client.get("/accounts/security/").status_code == 302
    assert client.get(ENROL).status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_enrolment_page_shows_the_qr_code_as_inline_svg_and_the_uri(client, county_admin):
    _password_login(client, "county")
    body = client.get(ENROL).content.decode()
    assert "<svg" in body
    assert "otpauth://totp/" in body
    assert "issuer=%E5%AE%88%E6%9C%9B" in body  # 守望
    assert "<script" not in body.split("<body", 1)[1].split("</header>")[-1]
    # Reloading keeps the secret that was scanned.
    device = TOTPDevice.objects.get(user=county_admin)
    assert device.config_url in client.get(ENROL).content.decode().replace("&amp;", "&")


def test_confirming_with_the_apps_code_shows_ten_backup_codes_once_and_verifies(
    client, county_admin
):
    _password_login(client, "county")
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=county_admin)
    response = client.post(ENROL, {"code": _code(device), "next": "/people/"})
    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == 10
    body = response.content.decode()
    assert all(code in body for code in codes)
    assert 'href="/people/"' in body
    assert client.get("/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    assert LoginEvent.objects.filter(user=county_admin, kind="otp_enrolled").exists()


def test_a_wrong_code_does_not_enrol(client, county_admin):
    _password_login(client, "county")
    client.get(ENROL)
    response = client.post(ENROL, {"code": "000000"})
    assert "验证码不正确" in response.content.decode()
    assert not TOTPDevice.objects.get(user=county_admin).confirmed
    assert client.get("/").status_code == 302


def test_an_enrolled_user_gives_the_apps_code_after_the_password(client, county_admin):
    device, _codes = _enrolled(county_admin)
    _password_login(client, "county")
    assert client.get("/")["Location"] == VERIFY
    response = client.post(VERIFY, {"code": _code(device), "next": "/people/"})
    assert response["Location"] == "/people/"
    assert client.get("/").status_code == 200
    assert LoginEvent.objects.filter(user=county_admin, kind="otp_ok").exists()


def test_a_backup_code_works_once(client, county_admin):
    _device, codes = _enrolled(county_admin)
    _password_login(client, "county")
    assert client.post(VERIFY, {"code": codes[0].upper()})["Location"] == "/"
    assert LoginEvent.objects.filter(user=county_admin, kind="backup_code_ok").exists()
    client.post("/accounts/logout/")
    _password_login(client, "county")
    with time_machine.travel(time.time() + 5):  # past the wait after a wrong code
        response = client.post(VERIFY, {"code": codes[0]})
    assert "验证码不正确" in response.content.decode()
    assert client.get("/").status_code == 302


def test_repeated_wrong_codes_lock_the_username_as_wrong_passwords_do(
    client, county_admin, settings
):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the lockout alone, without the waits
    _enrolled(county_admin)
    _password_login(client, "county")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert "验证码不正确" in client.post(VERIFY, {"code": "000000"}).content.decode()
    locked = client.post(VERIFY, {"code": "000000"})
    assert locked.status_code == 429
    assert "账号已锁定" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert _password_login(client, "county").status_code == 429
    assert LoginEvent.objects.filter(user=county_admin, kind="otp_failed").count() == (
        settings.AXES_FAILURE_LIMIT
    )
    attempt = AccessAttempt.objects.get(username="county")
    assert "000000" not in attempt.post_data


def test_wrong_codes_make_the_next_try_wait_even_after_logging_in_again(client, county_admin):
    device, _codes = _enrolled(county_admin)
    _password_login(client, "county")
    client.post(VERIFY, {"code": "000000"})
    client.post(VERIFY, {"code": "000000"})  # too soon: not even tried
    client.post("/accounts/logout/")
    _password_login(client, "county")  # a right password resets axes, not the device
    response = client.post(VERIFY, {"code": _code(device)})
    assert "秒后再试" in response.content.decode()
    assert client.get("/").status_code == 302
    with time_machine.travel(time.time() + 3):
        assert client.post(VERIFY, {"code": _code(device)})["Location"] == "/"


def test_a_volunteer_may_log_in_without_an_app(client, volunteer):
    _password_login(client, "volunteer")
    assert client.get("/").status_code == 200


def test_a_volunteer_who_enrolled_gives_a_code_too(client, volunteer, settings):
    settings.TWO_FACTOR_REQUIRED = False  # not even the obligation
    device, _codes = _enrolled(volunteer)
    _password_login(client, "volunteer")
    assert client.get("/care/")["Location"] == VERIFY + "?next=%2Fcare%2F"
    assert client.post(VERIFY, {"code": _code(device)})["Location"] == "/"
    assert client.get("/care/").status_code == 200


def test_a_volunteer_can_enrol_from_the_security_page(login, volunteer):
    client = login(volunteer)
    assert "启用两步验证" in client.get("/accounts/security/").content.decode()
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=volunteer)
    assert len(client.post(ENROL, {"code": _code(device)}).context["codes"]) == 10
    body = client.get("/accounts/security/").content.decode()
    assert "已启用" in body
    assert "剩余 10 个备用码" in body


def test_htmx_requests_are_redirected_by_header_and_the_api_refused(client, county_admin):
    _password_login(client, "county")
    fragment = client.get("/people/", headers={"HX-Request": "true"})
    assert fragment["HX-Redirect"].startswith(ENROL)
    assert client.get("/api/v1/me").status_code == 403


def test_a_verified_user_renews_the_backup_codes(client, county_admin):
    device, old = _enrolled(county_admin)
    _password_login(client, "county")
    client.post(VERIFY, {"code": _code(device)})
    new = client.post("/accounts/2fa/backup-codes/").context["codes"]
    assert len(new) == 10
    assert not set(old) & set(new)
    assert services.otp_backup_device(county_admin).token_set.count() == 10


def test_the_system_admin_resets_a_lost_phone_and_the_user_enrols_again(
    client, county_admin, sysadmin
):
    _enrolled(county_admin)
    device, _codes = _enrolled(sysadmin)
    _password_login(client, "sysadmin")
    client.post(VERIFY, {"code": _code(device)})
    response = client.post(f"/accounts/users/{county_admin.pk}/reset-2fa/")
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=county_admin).exists()
    client.post("/accounts/logout/")
    _password_login(client, "county")
    assert client.get("/")["Location"] == ENROL


def test_a_county_admin_may_not_reset_anyones_second_factor(
    login, county_admin, supervisor, settings
):
    settings.TWO_FACTOR_REQUIRED = False
    _enrolled(supervisor)
    response = login(county_admin).post(f"/accounts/users/{supervisor.pk}/reset-2fa/")
    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=supervisor).exists()


def test_the_login_page_flow_works_with_the_required_setting_off(client, county_admin, settings):
    settings.TWO_FACTOR_REQUIRED = False
    _password_login(client, "county")
    assert client.get("/").status_code == 200
    assert settings.TWO_FACTOR_ROLES == [
        "system_admin",
        "security_admin",
        "audit_admin",
        "county_admin",
    ]

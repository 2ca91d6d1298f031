"""Password policy: length, character classes and age (PASSWORD_* settings)."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils import timezone

from shouwang.accounts.models import LoginEvent, User
from shouwang.accounts.validators import CharacterClassesValidator, character_classes
from shouwang.conftest import PASSWORD

CHANGE = "/accounts/password/"
NEW = "Vier-Jahreszeiten-2026"


@pytest.fixture(autouse=True)
def _fresh_axes(db):
    AccessAttempt.objects.all().delete()


def _expire(user, days=91):
    User.objects.filter(pk=user.pk).update(
        password_changed_at=timezone.now() - dt.timedelta(days=days)
    )


@pytest.mark.parametrize(
    ("password", "classes"),
    [("abc", 1), ("abcABC", 2), ("abcABC123", 3), ("abcABC123!", 4), ("守望abc", 2), ("a b", 2)],
)
def test_it_counts_lower_upper_digit_and_symbol(password, classes):
    assert character_classes(password) == classes


def test_the_default_policy_wants_twelve_characters_of_three_classes(db):
    with pytest.raises(ValidationError, match="密码长度太短"):
        validate_password("Ab1!short")
    with pytest.raises(ValidationError, match="中的 3 类"):
        validate_password("only lower case words")
    validate_password("Only lower case words")  # upper, lower, symbol
    validate_password(NEW)


def test_the_number_of_classes_is_configurable():
    CharacterClassesValidator(min_classes=4).validate("abcABC123!")
    with pytest.raises(ValidationError):
        CharacterClassesValidator(min_classes=4).validate("abcABC123")
    with pytest.raises(ImproperlyConfigured):
        CharacterClassesValidator(min_classes=5)


def test_setting_a_password_records_when(village_worker):
    before = village_worker.password_changed_at
    village_worker.set_password(NEW)
    village_worker.save()
    village_worker.refresh_from_db()
    assert village_worker.password_changed_at > before


def test_an_expired_password_must_be_changed_before_anything_else(client, village_worker):
    _expire(village_worker)
    client.post("/accounts/login/", {"username": "village", "password": PASSWORD})
    response = client.get("/people/")
    assert response["Location"] == CHANGE + "?next=%2Fpeople%2F"
    page = client.get(CHANGE).content.decode()
    assert "密码已超过 90 天未修改" in page
    response = client.post(
        CHANGE, {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}
    )
    assert response.status_code == 302
    assert client.get("/people/").status_code == 200  # still logged in
    assert LoginEvent.objects.filter(user=village_worker, kind="password_changed").exists()


def test_the_new_password_must_follow_the_policy_and_differ(login, village_worker):
    client = login(village_worker)
    same = {"old_password": PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD}
    body = client.post(CHANGE, same).content.decode()
    assert "新密码不能与当前密码相同" in body
    weak = {"old_password": PASSWORD, "new_password1": "abc", "new_password2": "abc"}
    assert "密码长度太短" in client.post(CHANGE, weak).content.decode()
    village_worker.refresh_from_db()
    assert village_worker.check_password(PASSWORD)


def test_a_password_younger_than_the_limit_is_not_expired(login, village_worker):
    _expire(village_worker, days=89)
    assert login(village_worker).get("/").status_code == 200


def test_a_max_age_of_zero_never_expires(login, village_worker, settings):
    settings.PASSWORD_MAX_AGE_DAYS = 0
    _expire(village_worker, days=3650)
    assert login(village_worker).get("/").status_code == 200


def test_the_second_factor_comes_before_the_password_change(client, county_admin, settings):
    settings.TWO_FACTOR_REQUIRED = True
    _expire(county_admin)
    client.post("/accounts/login/", {"username": "county", "password": PASSWORD})
    assert client.get("/")["Location"] == "/accounts/2fa/setup/"
    assert client.get(CHANGE).status_code == 302

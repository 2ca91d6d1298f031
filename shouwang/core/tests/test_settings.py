import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from shouwang.conf import env_bool, env_db, env_int, env_list, env_str


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("On", True), ("0", False)])
def test_booleans_accept_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("X_FLAG", raw)
    assert env_bool("X_FLAG") is expected


def test_a_misspelt_boolean_stops_with_the_variable_name(monkeypatch):
    monkeypatch.setenv("X_FLAG", "ture")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        env_bool("X_FLAG", False)


def test_an_integer_below_its_minimum_is_refused(monkeypatch):
    monkeypatch.setenv("X_MINUTES", "0")
    with pytest.raises(ImproperlyConfigured, match="X_MINUTES=0 must be at least 1"):
        env_int("X_MINUTES", 30, minimum=1)
    monkeypatch.setenv("X_MINUTES", "1")
    assert env_int("X_MINUTES", 30, minimum=1) == 1


def test_a_missing_required_value_names_the_variable(monkeypatch):
    monkeypatch.delenv("X_REQUIRED", raising=False)
    with pytest.raises(ImproperlyConfigured, match="Required setting X_REQUIRED"):
        env_str("X_REQUIRED")


def test_an_empty_value_counts_as_missing(monkeypatch):
    monkeypatch.setenv("X_REQUIRED", "")
    with pytest.raises(ImproperlyConfigured):
        env_str("X_REQUIRED")


def test_lists_are_comma_separated_and_trimmed(monkeypatch):
    monkeypatch.setenv("X_HOSTS", " a.example , b.example,")
    assert env_list("X_HOSTS") == ["a.example", "b.example"]


def test_database_urls_pick_the_engine(monkeypatch):
    monkeypatch.setenv("X_DB", "postgres://postgres@127.0.0.1:5432/shouwang")
    assert env_db("X_DB", "")["ENGINE"] == "django.db.backends.postgresql"
    monkeypatch.setenv("X_DB", "sqlite:////tmp/x.sqlite3")
    assert env_db("X_DB", "")["ENGINE"] == "django.db.backends.sqlite3"
    monkeypatch.setenv("X_DB", "mysql://root@localhost/x")
    with pytest.raises(ImproperlyConfigured, match="X_DB"):
        env_db("X_DB", "")


def test_the_embedded_database_waits_for_locks_and_takes_them_early(settings, db):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    assert settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 5000


def _start(tmp_path, **env):
    """Run `shouwang check` as a fresh process in an empty directory (no .env)."""
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DATABASE_URL"}}
    clean.update(env, DJANGO_SETTINGS_MODULE="shouwang.settings")
    return subprocess.run(
        [sys.executable, "-m", "shouwang", "check"],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "SECRET_KEY"),
        ({"SECRET_KEY": "k", "DEBUG": "maybe"}, "DEBUG"),
        ({"SECRET_KEY": "k", "DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
        ({"SECRET_KEY": "k", "SESSION_IDLE_MINUTES": "half"}, "SESSION_IDLE_MINUTES"),
        ({"SECRET_KEY": "k", "TASK_QUEUE_URL": "amqp://x"}, "TASK_QUEUE_URL"),
        ({"SECRET_KEY": "k", "LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
    ],
)
def test_a_bad_setting_stops_start_up_with_a_message_naming_it(tmp_path, env, named):
    result = _start(tmp_path, **env)
    assert result.returncode == 2
    assert named in result.stderr
    assert "Traceback" not in result.stderr


def test_a_dot_env_file_is_read(tmp_path):
    (tmp_path / ".env").write_text("SECRET_KEY=from-dot-env\n", encoding="utf-8")
    result = _start(tmp_path)
    assert result.returncode == 0, result.stderr

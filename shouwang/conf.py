"""Typed settings helpers over django-environ that fail loudly.

django-environ reads the process environment and an optional `.env` file. Its own
`bool()` quietly turns a typo into False and `int()` raises a ValueError that does
not name the variable, so every helper here validates and raises
ImproperlyConfigured with the variable's name.
"""

from __future__ import annotations

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_MISSING = object()


def read_env_file(path: Path) -> None:
    """Load KEY=value lines from `path` into the environment (real env vars win)."""
    if path.is_file():
        environ.Env.read_env(str(path), overwrite=False)


def _raw(name: str, default: object) -> str | object:
    value = os.environ.get(name)
    if value is None or value == "":
        if default is _MISSING:
            raise ImproperlyConfigured(f"Required setting {name} is not set (environment or .env).")
        return default
    return value


def env_str(name: str, default: object = _MISSING) -> str:
    return _raw(name, default)  # type: ignore[return-value]


def env_bool(name: str, default: object = _MISSING) -> bool:
    value = _raw(name, default)
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"Setting {name}={value!r} is not a boolean (use true or false).")


def env_int(name: str, default: object = _MISSING, *, minimum: int | None = None) -> int:
    value = _raw(name, default)
    try:
        number = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ImproperlyConfigured(f"Setting {name}={value!r} is not an integer.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"Setting {name}={number} must be at least {minimum}.")
    return number


def env_list(name: str, default: object = _MISSING) -> list[str]:
    value = _raw(name, default)
    if isinstance(value, list):
        return value
    return [item.strip() for item in str(value).split(",") if item.strip()]


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env_str(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"Setting {name}={value!r} must be one of {', '.join(choices)}.")
    return value


def env_db(name: str, default: str) -> dict:
    """Parse a database URL; only sqlite:// and postgres:// are supported."""
    url = env_str(name, default)
    scheme = url.split(":", 1)[0].lower()
    if scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(
            f"Setting {name}={url!r}: unsupported database scheme {scheme!r} "
            "(use sqlite:///path or postgres://user@host:port/name)."
        )
    try:
        config = environ.Env.db_url_config(url)
    except Exception as exc:  # django-environ raises several kinds
        raise ImproperlyConfigured(f"Setting {name}={url!r} is not a valid URL: {exc}") from None
    if not config.get("NAME"):
        raise ImproperlyConfigured(f"Setting {name}={url!r} names no database.")
    return config

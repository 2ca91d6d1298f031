"""The `shouwang` console command: Django's manage.py with Shouwang's settings.

`shouwang demo`, `shouwang serve`, `shouwang areas load FILE…` and every Django
command (`shouwang migrate`, …) run through here. A missing or malformed setting
stops start-up with one line naming the variable instead of a traceback.
"""

import os
import secrets
import sys
from pathlib import Path


def _demo_secret_key() -> None:
    """`shouwang demo` must run on a fresh clone without configuration: keep a
    generated key in ./var so sessions survive a restart. Never used otherwise."""
    if os.environ.get("SECRET_KEY"):
        return
    env_file = Path.cwd() / ".env"
    if env_file.is_file() and "SECRET_KEY" in env_file.read_text(encoding="utf-8"):
        return
    var = Path(os.environ.get("SHOUWANG_VAR_DIR", Path.cwd() / "var"))
    var.mkdir(parents=True, exist_ok=True)
    key_file = var / "demo-secret-key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50), encoding="utf-8")
    os.environ["SECRET_KEY"] = key_file.read_text(encoding="utf-8").strip()


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouwang.settings")
    if len(argv) > 1 and argv[1] == "demo":
        _demo_secret_key()

    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(argv)
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"配置错误 (configuration error): {exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()

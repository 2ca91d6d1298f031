"""The `shouwang` console command: Django's manage.py with Shouwang's settings.

`shouwang demo`, `shouwang serve`, `shouwang areas load FILE…` and every Django
command (`shouwang migrate`, …) run through here. A missing or malformed setting
stops start-up with one line naming the variable instead of a traceback.
"""

import base64
import os
import secrets
import sys
from pathlib import Path

DEMO_KEYS = {
    "SECRET_KEY": lambda: secrets.token_urlsafe(50),
    "FIELD_ENCRYPTION_KEYS": lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    "BLIND_INDEX_KEY": lambda: secrets.token_urlsafe(32),
}


def _demo_keys() -> None:
    """`shouwang demo` must run on a fresh clone without configuration: generate the
    keys once and keep them in ./var, so data and sessions survive a restart. Keys
    set in the environment or .env win. Never used by any other command."""
    env_file = Path.cwd() / ".env"
    dot_env = env_file.read_text(encoding="utf-8") if env_file.is_file() else ""
    var = Path(os.environ.get("SHOUWANG_VAR_DIR", Path.cwd() / "var"))
    for name, make in DEMO_KEYS.items():
        if os.environ.get(name) or f"{name}=" in dot_env:
            continue
        var.mkdir(parents=True, exist_ok=True)
        key_file = var / f"demo-{name.lower().replace('_', '-')}"
        if not key_file.exists():
            key_file.write_text(make(), encoding="utf-8")
        os.environ[name] = key_file.read_text(encoding="utf-8").strip()


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouwang.settings")
    if len(argv) > 1 and argv[1] == "demo":
        _demo_keys()
        # Any demo login opens at once; 账号安全 still enrols an authenticator app,
        # and TWO_FACTOR_REQUIRED=true shows the enforced enrolment.
        os.environ.setdefault("TWO_FACTOR_REQUIRED", "false")

    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(argv)
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"配置错误 (configuration error): {exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()

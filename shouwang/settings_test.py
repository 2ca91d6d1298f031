"""Settings for the test suite: the real settings with a throwaway key and fast hashing."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-not-secret")
os.environ.setdefault("TASK_QUEUE_URL", "immediate")
# Fixed test keys (valid Fernet keys: 32 url-safe base64 bytes).
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "dGVzdC1vbmx5LWZpZWxkLWtleS0wMDAwMDAwMDAwMDA=")
os.environ.setdefault("BLIND_INDEX_KEY", "test-only-blind-index-key")
os.environ.setdefault("TWO_FACTOR_REQUIRED", "false")  # accounts tests turn it on

from shouwang.settings import *  # noqa: E402,F403

# Argon2 is deliberately slow; tests hash many passwords. Production keeps Argon2 first.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

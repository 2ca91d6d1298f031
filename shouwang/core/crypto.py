"""Field encryption (Fernet) and blind indexes (HMAC-SHA256) for sensitive values.

settings.FIELD_ENCRYPTION_KEYS lists Fernet keys: the first encrypts, every key
decrypts. To rotate, put a new key first, run `rotate` over stored tokens, then
drop the old key. Fernet tokens are random each time, so an encrypted column can
be neither filtered nor ordered: store `blind_index(normalised value, purpose=...)`
in a second column for exact lookups and uniqueness.
"""

from __future__ import annotations

import functools
import hashlib
import hmac

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


def generate_key() -> str:
    """A new random Fernet key (32 url-safe base64 bytes) for FIELD_ENCRYPTION_KEYS."""
    return Fernet.generate_key().decode()


def encrypt(value: str) -> str:
    """A Fernet token for `value` under the first key; different on every call."""
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    """The plaintext of a token made under any configured key.

    Raises cryptography.fernet.InvalidToken when no key opens it (a removed key
    or a damaged value): that is a configuration or data fault, never hidden.
    """
    return _fernet().decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    """The same plaintext re-encrypted under the first key (decrypted with any key)."""
    return _fernet().rotate(token.encode()).decode()


def blind_index(value: str, *, purpose: str) -> str:
    """64 hex characters: HMAC-SHA256 of f"{purpose}:{value}" under settings.BLIND_INDEX_KEY.

    Deterministic for equal inputs, so it can be filtered on and made unique.
    `purpose` (e.g. "id_number", "phone") keeps equal strings in different fields
    apart and must not contain ":" (which would let two pairs collide). Normalise
    `value` first: "13812345678" and "138 1234 5678" index differently.
    """
    if not purpose or ":" in purpose:
        raise ValueError(f"blind_index purpose must be non-empty without ':', got {purpose!r}")
    key = getattr(settings, "BLIND_INDEX_KEY", "")
    if not key:
        raise ImproperlyConfigured("Setting BLIND_INDEX_KEY: a non-empty secret is required.")
    key_bytes = key if isinstance(key, bytes) else key.encode()
    message = f"{purpose}:{value}".encode()
    return hmac.new(key_bytes, message, hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """A text column holding a Fernet token; model instances see the plaintext.

    Non-empty strings are encrypted on the way to the database and decrypted on
    the way back; None and "" are stored as they are. The stored value differs
    every time, so the column cannot be filtered (`filter(field=...)` silently
    matches nothing), ordered, searched or made unique: use a blind-index column
    for that. Values are re-encrypted under the first key whenever they are saved.
    """

    description = "Text encrypted with Fernet (not filterable; pair with a blind index)"

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)


def _fernet() -> MultiFernet:
    keys = getattr(settings, "FIELD_ENCRYPTION_KEYS", None)
    if isinstance(keys, str):
        keys = [keys]
    return _multifernet(tuple(keys or ()))


@functools.lru_cache(maxsize=8)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured(
            "Setting FIELD_ENCRYPTION_KEYS: list at least one Fernet key "
            "(generate one with shouwang.core.crypto.generate_key())."
        )
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError) as exc:
            raise ImproperlyConfigured(
                f"Setting FIELD_ENCRYPTION_KEYS: key {position} is not a Fernet key "
                "(32 url-safe base64-encoded bytes)."
            ) from exc
    return MultiFernet(fernets)

import hashlib
import hmac
import re

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import ImproperlyConfigured

from shouwang.core.crypto import (
    EncryptedTextField,
    blind_index,
    decrypt,
    encrypt,
    generate_key,
    rotate,
)

PLAINTEXT = "11010519491231002X"
OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


@pytest.fixture
def old_key_only(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    return settings


# --- encryption -----------------------------------------------------------------


@pytest.mark.parametrize("value", [PLAINTEXT, "张桂兰", "", "13812345678"])
def test_decrypt_returns_what_encrypt_was_given(value):
    assert decrypt(encrypt(value)) == value


def test_the_same_value_encrypts_differently_every_time():
    assert encrypt(PLAINTEXT) != encrypt(PLAINTEXT)


def test_the_token_does_not_contain_the_plaintext():
    token = encrypt(PLAINTEXT)
    assert PLAINTEXT not in token
    assert PLAINTEXT.lower() not in token.lower()


def test_a_token_made_under_the_old_key_decrypts_after_a_new_key_is_prepended(old_key_only):
    token = encrypt(PLAINTEXT)
    old_key_only.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    assert decrypt(token) == PLAINTEXT


def test_new_values_are_encrypted_under_the_first_key(old_key_only):
    old_key_only.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    token = encrypt(PLAINTEXT)
    assert Fernet(NEW_KEY).decrypt(token.encode()).decode() == PLAINTEXT
    with pytest.raises(InvalidToken):
        Fernet(OLD_KEY).decrypt(token.encode())


def test_rotate_re_encrypts_under_the_new_key_so_the_old_key_can_go(old_key_only):
    token = encrypt(PLAINTEXT)
    old_key_only.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    rotated = rotate(token)
    old_key_only.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    assert decrypt(rotated) == PLAINTEXT
    with pytest.raises(InvalidToken):
        decrypt(token)


def test_a_token_from_a_removed_key_is_an_error_not_garbage(old_key_only):
    token = encrypt(PLAINTEXT)
    old_key_only.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    with pytest.raises(InvalidToken):
        decrypt(token)


@pytest.mark.parametrize("keys", [[], None, ["not-a-fernet-key"], [NEW_KEY, "short"]])
def test_a_missing_or_malformed_key_names_the_setting(settings, keys):
    settings.FIELD_ENCRYPTION_KEYS = keys
    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEYS"):
        encrypt(PLAINTEXT)


def test_a_generated_key_is_a_working_key(settings):
    settings.FIELD_ENCRYPTION_KEYS = [generate_key()]
    assert decrypt(encrypt(PLAINTEXT)) == PLAINTEXT
    assert generate_key() != generate_key()


# --- blind index ----------------------------------------------------------------


def test_the_blind_index_is_64_hex_characters_and_deterministic():
    index = blind_index(PLAINTEXT, purpose="id_number")
    assert re.fullmatch(r"[0-9a-f]{64}", index)
    assert blind_index(PLAINTEXT, purpose="id_number") == index


def test_the_blind_index_is_hmac_sha256_of_purpose_and_value(settings):
    settings.BLIND_INDEX_KEY = "k"
    expected = hmac.new(b"k", b"phone:13812345678", hashlib.sha256).hexdigest()
    assert blind_index("13812345678", purpose="phone") == expected


def test_equal_values_in_different_fields_get_different_indexes():
    assert blind_index("13812345678", purpose="phone") != blind_index(
        "13812345678", purpose="id_number"
    )


def test_different_values_get_different_indexes():
    assert blind_index("13812345678", purpose="phone") != blind_index(
        "13812345679", purpose="phone"
    )


def test_the_blind_index_depends_on_the_key(settings):
    settings.BLIND_INDEX_KEY = "first-key"
    first = blind_index(PLAINTEXT, purpose="id_number")
    settings.BLIND_INDEX_KEY = "second-key"
    assert blind_index(PLAINTEXT, purpose="id_number") != first


@pytest.mark.parametrize("purpose", ["", "id:number"])
def test_a_purpose_that_could_collide_is_refused(purpose):
    with pytest.raises(ValueError, match="purpose"):
        blind_index(PLAINTEXT, purpose=purpose)


def test_an_empty_blind_index_key_names_the_setting(settings):
    settings.BLIND_INDEX_KEY = ""
    with pytest.raises(ImproperlyConfigured, match="BLIND_INDEX_KEY"):
        blind_index(PLAINTEXT, purpose="id_number")


# --- EncryptedTextField -----------------------------------------------------------


def test_the_field_stores_a_token_and_reads_back_the_plaintext():
    field = EncryptedTextField()
    stored = field.get_prep_value(PLAINTEXT)
    assert stored != PLAINTEXT
    assert PLAINTEXT not in stored
    assert field.from_db_value(stored, None, None) == PLAINTEXT


@pytest.mark.parametrize("value", [None, ""])
def test_the_field_passes_none_and_empty_through_unencrypted(value):
    field = EncryptedTextField(null=True, blank=True)
    assert field.get_prep_value(value) == value
    assert field.from_db_value(value, None, None) == value


def test_the_field_reads_values_written_under_an_old_key(old_key_only):
    stored = EncryptedTextField().get_prep_value(PLAINTEXT)
    old_key_only.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    assert EncryptedTextField().from_db_value(stored, None, None) == PLAINTEXT


def test_the_field_deconstructs_for_migrations():
    name, path, args, kwargs = EncryptedTextField(blank=True, verbose_name="身份证号").deconstruct()
    assert path == "shouwang.core.crypto.EncryptedTextField"
    assert kwargs == {"blank": True, "verbose_name": "身份证号"}
    rebuilt = EncryptedTextField(*args, **kwargs)
    assert rebuilt.blank is True
    assert rebuilt.verbose_name == "身份证号"

"""Field encryption (AES-256-GCM with key ids) and blind indexes (HMAC-SHA256)."""

import base64

import pytest
from django.core.exceptions import ImproperlyConfigured

from ihospital.core import crypto

OLD = crypto.new_key_entry("old")
NEW = crypto.new_key_entry("new")


@pytest.fixture
def keys(settings):
    settings.FIELD_ENCRYPTION_KEYS = OLD
    settings.BLIND_INDEX_KEY = "b" * 40
    return settings


def test_a_value_round_trips_and_its_ciphertext_names_the_key_but_not_the_value(keys):
    token = crypto.encrypt("13800000001", kind=crypto.PHONE)
    assert token.startswith("enc1$old$") and "13800000001" not in token
    assert crypto.decrypt(token, kind=crypto.PHONE) == "13800000001"


def test_equal_values_encrypt_differently(keys):
    assert crypto.encrypt("13800000001", kind=crypto.PHONE) != crypto.encrypt("13800000001", kind=crypto.PHONE)


def test_a_tampered_ciphertext_is_refused(keys):
    token = crypto.encrypt("110105194912310021", kind=crypto.ID_NUMBER)
    raw = bytearray(base64.urlsafe_b64decode(token.rsplit("$", 1)[1]))
    raw[-1] ^= 1
    tampered = token.rsplit("$", 1)[0] + "$" + base64.urlsafe_b64encode(bytes(raw)).decode()
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(tampered, kind=crypto.ID_NUMBER)


def test_a_ciphertext_moved_to_a_column_of_another_kind_is_refused(keys):
    token = crypto.encrypt("13800000001", kind=crypto.PHONE)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token, kind=crypto.ID_NUMBER)


def test_plaintext_where_a_ciphertext_belongs_is_refused(keys):
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt("13800000001", kind=crypto.PHONE)


def test_after_a_new_key_is_put_first_old_values_still_decrypt_and_new_ones_use_it(keys):
    old_token = crypto.encrypt("13800000001", kind=crypto.PHONE)
    keys.FIELD_ENCRYPTION_KEYS = f"{NEW},{OLD}"
    assert crypto.decrypt(old_token, kind=crypto.PHONE) == "13800000001"
    assert crypto.key_id_of(crypto.encrypt("13800000001", kind=crypto.PHONE)) == "new"


def test_a_value_sealed_with_a_key_no_longer_configured_is_refused(keys):
    token = crypto.encrypt("13800000001", kind=crypto.PHONE)
    keys.FIELD_ENCRYPTION_KEYS = NEW
    with pytest.raises(crypto.DecryptionError, match="no key 'old'"):
        crypto.decrypt(token, kind=crypto.PHONE)


@pytest.mark.parametrize("bad", ["", "k1:short", "k 1:" + OLD.split(":")[1], f"{OLD},{OLD}", "no-colon"])
def test_a_malformed_key_setting_is_refused(keys, bad):
    keys.FIELD_ENCRYPTION_KEYS = bad
    with pytest.raises(ImproperlyConfigured):
        crypto.encrypt("x", kind=crypto.PHONE)


def test_the_blind_index_ignores_formatting_but_not_the_number(keys):
    index = crypto.blind_index(crypto.PHONE, "13800000001")
    assert crypto.blind_index(crypto.PHONE, "+86 138-0000-0001") == index
    assert crypto.blind_index(crypto.PHONE, "13800000002") != index
    assert crypto.blind_index(crypto.ID_NUMBER, "11010519491231002x") == crypto.blind_index(
        crypto.ID_NUMBER, "11010519491231002X"
    )


def test_the_blind_index_depends_on_its_key_and_the_kind(keys):
    index = crypto.blind_index(crypto.PHONE, "13800000001")
    assert crypto.blind_index(crypto.ID_NUMBER, "13800000001") != index
    keys.BLIND_INDEX_KEY = "c" * 40
    assert crypto.blind_index(crypto.PHONE, "13800000001") != index


def test_a_short_blind_index_key_is_refused(keys):
    keys.BLIND_INDEX_KEY = "short"
    with pytest.raises(ImproperlyConfigured):
        crypto.blind_index(crypto.PHONE, "13800000001")


def test_masking_keeps_only_the_ends():
    assert crypto.mask("13800001234", keep_start=3, keep_end=4) == "138****1234"
    assert crypto.mask("320505198804121224", keep_start=6, keep_end=4) == "320505********1224"
    assert crypto.mask("123", keep_start=3, keep_end=4) == "***"

"""``ihospital manage rotate_keys``: after a new key is put first, every stored identity is re-encrypted
with it and still reads the same; the old key can then be removed."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

from ihospital.audit.models import AuditEvent
from ihospital.core import crypto

pytestmark = pytest.mark.django_db
User = get_user_model()
OLD = crypto.new_key_entry("old")
NEW = crypto.new_key_entry("new")


def stored_phone(user: User) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT phone FROM {User._meta.db_table} WHERE id = %s", [user.pk])
        return cursor.fetchone()[0]


@pytest.fixture
def old_key(settings):
    """Requested before the personas, so they are stored under "old"."""
    settings.FIELD_ENCRYPTION_KEYS = OLD
    return settings


def rotate(*args: str) -> str:
    out = StringIO()
    call_command("rotate_keys", *args, stdout=out)
    return out.getvalue()


def test_rotation_reencrypts_with_the_new_key_and_the_values_still_decrypt(old_key, alice, mallory):
    settings = old_key
    before = stored_phone(alice)
    assert crypto.key_id_of(before) == "old"

    settings.FIELD_ENCRYPTION_KEYS = f"{NEW},{OLD}"
    output = rotate()
    assert "re-encrypted 2 values with key new" in output
    assert crypto.key_id_of(stored_phone(alice)) == "new" and stored_phone(alice) != before

    settings.FIELD_ENCRYPTION_KEYS = NEW  # the old key retired
    assert User.objects.get(pk=alice.pk).phone == "13800000001"
    assert User.objects.matching(phone="13800000002").get() == mallory
    assert AuditEvent.objects.filter(action="security.keys_rotated", target_id="new").exists()


def test_a_second_rotation_has_nothing_left_to_do(old_key, alice):
    settings = old_key
    settings.FIELD_ENCRYPTION_KEYS = f"{NEW},{OLD}"
    rotate()
    assert "re-encrypted 0 values" in rotate()
    assert "accounts.User: values by key — new: 1" in rotate("--status")


def test_rotation_stops_at_a_value_that_does_not_decrypt(old_key, alice):
    settings = old_key
    from django.core.management.base import CommandError

    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {User._meta.db_table} SET phone = %s WHERE id = %s", ["enc1$old$AAAA", alice.pk])
    settings.FIELD_ENCRYPTION_KEYS = f"{NEW},{OLD}"
    with pytest.raises(CommandError, match="accounts.User"):
        rotate()


def test_a_new_key_entry_is_printed_for_the_operator_to_put_first():
    entry = rotate("--new-key-id", "k2027").strip()
    assert entry.startswith("k2027:")
    crypto._parse_keyring(entry)  # a valid setting by itself

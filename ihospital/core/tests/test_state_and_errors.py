import pytest
from django.test import override_settings

from ihospital.core.checks import developer_pages_check, production_settings_check
from ihospital.core.errors import CoreError, DomainError, ErrorCode, FieldErrors
from ihospital.core.models import OutboxMessage
from ihospital.core.state import transition
from ihospital.core.time import now

# The outbox's statuses serve as a real table to move through a declared machine.
MACHINE = {"sent": {"pending"}, "dead": {"pending"}, "pending": {"dead"}}


@pytest.fixture
def message(db):
    return OutboxMessage.objects.create(topic="t", payload={}, idempotency_key="s", next_attempt_at=now())


def test_transition_moves_a_row_from_an_allowed_state(message):
    assert transition(OutboxMessage, pk=message.pk, to="sent", transitions=MACHINE) == "pending"
    message.refresh_from_db()
    assert message.status == "sent"


def test_illegal_transition_is_refused_with_a_code_and_changes_nothing(message):
    transition(OutboxMessage, pk=message.pk, to="sent", transitions=MACHINE)
    with pytest.raises(DomainError) as refused:
        transition(OutboxMessage, pk=message.pk, to="dead", transitions=MACHINE, last_error="x")
    assert refused.value.code == "core.illegal_transition"
    assert refused.value.status == 409
    assert "sent" in refused.value.message
    message.refresh_from_db()
    assert (message.status, message.last_error) == ("sent", "")


def test_transition_to_an_undeclared_state_is_a_programming_error(message):
    with pytest.raises(ValueError):
        transition(OutboxMessage, pk=message.pk, to="acknowledged", transitions=MACHINE)


def test_domain_error_renders_code_message_and_fields():
    error = DomainError(ErrorCode("demo.too_many", "At most %(limit)s."), fields={"n": "too big"}, limit=5)
    assert error.as_dict() == {"code": "demo.too_many", "message": "At most 5.", "fields": {"n": "too big"}}


def test_domain_error_messages_are_translated():
    from django.utils import translation

    with translation.override("zh-hans"):
        chinese = DomainError(CoreError.NOT_AUTHENTICATED).message
    with translation.override("en"):
        english = DomainError(CoreError.NOT_AUTHENTICATED).message
    assert english == "Please sign in."
    assert chinese != english


def test_field_errors_keep_the_first_message_per_field():
    problems = FieldErrors()
    problems.add("phone", "first")
    problems.add("phone", "second")
    with pytest.raises(DomainError) as raised:
        problems.raise_if_any(CoreError.INVALID_REQUEST)
    assert raised.value.fields == {"phone": "first"}


SAFE = {
    "DEBUG": False,
    "DATABASE_URL": "",
    "SECRET_KEY": "k" * 50,
    "ALLOWED_HOSTS": ["hospital.example.cn"],
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "SECURE_HSTS_SECONDS": 31536000,
    "FIELD_ENCRYPTION_KEYS_FROM_ENV": True,
    "BLIND_INDEX_KEY_FROM_ENV": True,
    "DEMO": False,
    "DEV_INBOX_ENABLED": False,
}


def test_production_settings_pass_the_deploy_check():
    with override_settings(**SAFE):
        assert production_settings_check() == []


def test_a_shared_database_needs_the_identity_keys_set_for_every_host():
    shared = {**SAFE, "DATABASE_URL": "postgres://db.hospital.internal/ihospital", "SECRET_KEY_FROM_ENV": True}
    with override_settings(**{**shared, "FIELD_ENCRYPTION_KEYS_FROM_ENV": False}):
        assert [error.id for error in production_settings_check()] == ["ihospital.E006"]
    with override_settings(**{**shared, "BLIND_INDEX_KEY_FROM_ENV": False}):
        assert [error.id for error in production_settings_check()] == ["ihospital.E006"]


@pytest.mark.parametrize(
    ("override", "error_id"),
    [
        ({"SECRET_KEY": "change-me"}, "ihospital.E001"),
        ({"SECRET_KEY": "django-insecure-abcdefghijklmnopqrstuvwxyz0123456789"}, "ihospital.E001"),
        ({"ALLOWED_HOSTS": ["*"]}, "ihospital.E002"),
        ({"SESSION_COOKIE_SECURE": False}, "ihospital.E003"),
        ({"SECURE_HSTS_SECONDS": 0}, "ihospital.E003"),
    ],
)
def test_production_refuses_unsafe_settings(override, error_id):
    with override_settings(**{**SAFE, **override}):
        assert [error.id for error in production_settings_check()] == [error_id]


def test_the_developer_pages_are_refused_in_production():
    with override_settings(**{**SAFE, "DEV_INBOX_ENABLED": True}):
        assert [error.id for error in developer_pages_check()] == ["ihospital.E007"]
    with override_settings(**{**SAFE, "DEV_INBOX_ENABLED": True, "DEMO": True}):
        assert developer_pages_check() == []


def test_the_demo_may_serve_plain_http_but_is_held_to_the_other_rules():
    plain_http = {"SESSION_COOKIE_SECURE": False, "CSRF_COOKIE_SECURE": False, "SECURE_HSTS_SECONDS": 0}
    with override_settings(**{**SAFE, **plain_http, "DEMO": True}):
        assert production_settings_check() == []
    with override_settings(**{**SAFE, **plain_http, "DEMO": True, "ALLOWED_HOSTS": ["*"], "SECRET_KEY": "dev"}):
        assert [error.id for error in production_settings_check()] == ["ihospital.E001", "ihospital.E002"]


def test_debug_mode_is_not_held_to_production_rules():
    with override_settings(**{**SAFE, "DEBUG": True, "ALLOWED_HOSTS": ["*"], "SECRET_KEY": "change-me"}):
        assert production_settings_check() == []


def test_serve_refuses_to_start_on_unsafe_settings(tmp_path):
    """The real command, in a subprocess: DEBUG off, no HTTPS settings → exits before serving."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "DEBUG": "0", "IHOSPITAL_VAR_DIR": str(tmp_path), "ALLOWED_HOSTS": "*"}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "ihospital.cli", "serve", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "ihospital.E002" in result.stderr and "ihospital.E003" in result.stderr


def test_a_shared_database_needs_a_secret_key_set_for_every_host():
    shared = "postgres://db.hospital.internal/ihospital"
    with override_settings(**{**SAFE, "DATABASE_URL": shared, "SECRET_KEY_FROM_ENV": False}):
        assert [error.id for error in production_settings_check()] == ["ihospital.E004"]
    with override_settings(**{**SAFE, "DATABASE_URL": shared, "SECRET_KEY_FROM_ENV": True}):
        assert production_settings_check() == []

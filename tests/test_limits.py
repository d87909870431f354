"""Limits that don't hand attackers a weapon (issue 10, item 3). Each is hit from one address and checked
from another: a limit reached on one address must not refuse the other (except the global ones, which
exist for a crowd of addresses)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from ihospital.accounts.services import api_token_issue
from ihospital.accounts.tests.totp import code, enrol
from ihospital.appointments.tests.factories import SYSTEM
from ihospital.audit.models import AuditEvent
from ihospital.core.testing.personas import PASSWORD
from ihospital.notifications.models import Notification
from ihospital.payments.models import PaymentNotification

pytestmark = pytest.mark.django_db

A, B, C, D = "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"
STAFF_TOKEN = "/api/staff/v1/auth/token"
SMS_CODE = "/api/patient/v1/auth/sms-code"
NOTIFY = "/payments/notify/sandbox/"


def from_(address: str, **headers) -> Client:
    return Client(REMOTE_ADDR=address, headers=headers)


def staff_sign_in(address: str, password: str, username: str = "dr_bob", otp_code: str = ""):
    body = {"username": username, "password": password, "otp_code": otp_code}
    return from_(address).post(STAFF_TOKEN, body, content_type="application/json")


# --- staff lockout -----------------------------------------------------------------------------------


def test_guessing_a_doctors_password_from_one_address_does_not_lock_the_doctor_out_elsewhere(dr_bob):
    enrol(dr_bob)  # doctors sign in with an authenticator code too
    for _ in range(4):
        assert staff_sign_in(A, "wrong-password").status_code == 401
    assert staff_sign_in(A, "wrong-password").status_code == 429  # the failure one too many
    locked = staff_sign_in(A, PASSWORD)
    assert locked.status_code == 429 and locked.json()["code"] == "account.staff_locked"
    assert "Retry-After" in locked
    assert staff_sign_in(B, PASSWORD, otp_code=code(dr_bob)).status_code == 201


def test_the_web_sign_in_locks_the_same_way_per_address(dr_bob):
    for _ in range(5):
        from_(A).post("/staff/sign-in/", {"username": "dr_bob", "password": "wrong-password"})
    refused = from_(A).post("/staff/sign-in/", {"username": "dr_bob", "password": PASSWORD})
    assert "_auth_user_id" not in refused.client.session
    signed_in = from_(B).post("/staff/sign-in/", {"username": "dr_bob", "password": PASSWORD})
    assert signed_in.status_code == 302 and signed_in.url == "/staff/sign-in/verify/"  # on to the second step


def test_guessing_from_many_addresses_hits_a_slower_global_limit_and_alerts_the_security_admin(
    settings, dr_bob, secadmin, django_capture_on_commit_callbacks
):
    settings.STAFF_SIGN_IN_GLOBAL_FAILURES = 6
    for address in (A, B, C):
        for _ in range(2):
            assert staff_sign_in(address, "wrong-password").status_code == 401
    assert not Notification.objects.filter(user=secadmin).exists()
    with django_capture_on_commit_callbacks(execute=True):  # the alert leaves through the outbox
        tripped = staff_sign_in(D, "wrong-password")
    assert tripped.status_code == 429 and tripped.json()["code"] == "account.staff_locked"
    assert staff_sign_in("10.0.0.9", PASSWORD).status_code == 429  # a slower limit, for every address
    alert = Notification.objects.get(user=secadmin)
    assert alert.kind == "security.staff_sign_in_attack" and "dr_bob" in f"{alert.title} {alert.body}"
    assert not Notification.objects.filter(user=dr_bob).exists()
    assert AuditEvent.objects.filter(action="account.staff_sign_in.global_limit").count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        staff_sign_in(D, "wrong-password")
    assert Notification.objects.filter(user=secadmin).count() == 1  # one alert per window


# --- SMS sign-in codes -------------------------------------------------------------------------------


def ask_code(address: str, phone: str):
    return from_(address).post(SMS_CODE, {"phone": phone}, content_type="application/json")


def test_sms_codes_are_limited_per_address_and_refusals_audited(settings, db):
    settings.SMS_MAX_PER_ADDRESS_PER_HOUR = 2
    assert ask_code(A, "13800000011").status_code == 202
    assert ask_code(A, "13800000012").status_code == 202
    refused = ask_code(A, "13800000013")
    assert refused.status_code == 429 and refused.json()["code"] == "account.sms_address_limit"
    assert "Retry-After" in refused
    assert ask_code(B, "13800000013").status_code == 202
    refusal = AuditEvent.objects.get(action="account.sms_code_send.refused")
    assert refusal.details["code"] == "account.sms_address_limit" and refusal.ip == A


def test_sms_codes_are_limited_per_number_whatever_the_address(db):
    assert ask_code(A, "13800000011").status_code == 202
    again = ask_code(B, "13800000011")
    assert again.status_code == 429 and again.json()["code"] == "account.sms_resend_too_soon"


def test_sms_codes_are_limited_for_the_whole_site_per_minute(settings, db):
    settings.SMS_MAX_PER_MINUTE = 3
    for n, address in enumerate((A, B, C)):
        assert ask_code(address, f"1380000002{n}").status_code == 202
    refused = ask_code(D, "13800000029")
    assert refused.status_code == 429 and refused.json()["code"] == "account.sms_busy"
    assert AuditEvent.objects.get(action="account.sms_code_send.refused").details["code"] == "account.sms_busy"


# --- payment notifications ---------------------------------------------------------------------------


def test_payment_notifications_are_limited_per_address_and_the_refused_are_not_stored(settings):
    settings.PAYMENT_NOTIFY_PER_ADDRESS_PER_MINUTE = 2
    forged = json.dumps({"id": "forged"}).encode()
    for _ in range(2):
        assert from_(A).post(NOTIFY, forged, content_type="application/json").status_code == 401
    refused = from_(A).post(NOTIFY, forged, content_type="application/json")
    assert refused.status_code == 429 and "Retry-After" in refused
    assert refused.json()["code"] == "core.rate_limited"
    assert PaymentNotification.objects.count() == 2
    assert from_(B).post(NOTIFY, forged, content_type="application/json").status_code == 401


def test_a_payment_notification_over_the_size_cap_is_refused_unread_and_unstored(db):
    huge = b'{"id": "' + b"x" * (64 * 1024) + b'"}'
    refused = from_(A).post(NOTIFY, huge, content_type="application/json")
    assert refused.status_code == 413
    assert not PaymentNotification.objects.exists()


def test_an_unverifiable_notification_is_kept_only_truncated_with_its_digest(db):
    body = json.dumps({"id": "forged", "padding": "y" * 20_000}).encode()
    from_(A).post(NOTIFY, body, content_type="application/json")
    kept = PaymentNotification.objects.get().body
    assert len(kept) < 2200 and f"{len(body)} bytes" in kept and "sha256" in kept


# --- the APIs' general limits -----------------------------------------------------------------------


def token_client(user, address: str) -> Client:
    return from_(address, Authorization=f"Bearer {api_token_issue(user=user, actor=SYSTEM)[0]}")


def test_the_api_limits_each_user_with_429_and_retry_after(settings, alice, mallory):
    settings.API_RATE_LIMITS = {"user": "3/min", "address": "100/min"}
    alice_at_a = token_client(alice, A)
    for _ in range(3):
        assert alice_at_a.get("/api/patient/v1/me").status_code == 200
    limited = alice_at_a.get("/api/patient/v1/me")
    assert limited.status_code == 429 and limited.json()["code"] == "core.rate_limited"
    assert int(limited["Retry-After"]) >= 1
    assert token_client(mallory, A).get("/api/patient/v1/me").status_code == 200


def test_the_api_limits_each_address(settings, alice, mallory):
    settings.API_RATE_LIMITS = {"user": "100/min", "address": "3/min"}
    for _ in range(3):
        assert token_client(alice, A).get("/api/patient/v1/me").status_code == 200
    assert token_client(mallory, A).get("/api/patient/v1/me").status_code == 429
    assert token_client(mallory, B).get("/api/patient/v1/me").status_code == 200


def test_a_forwarded_for_header_does_not_make_a_new_address(settings, alice):
    settings.API_RATE_LIMITS = {"user": "100/min", "address": "2/min"}
    for n in range(2):
        token_client(alice, A).get("/api/patient/v1/me", headers={"X-Forwarded-For": f"192.0.2.{n}"})
    spoofed = token_client(alice, A).get("/api/patient/v1/me", headers={"X-Forwarded-For": "192.0.2.99"})
    assert spoofed.status_code == 429

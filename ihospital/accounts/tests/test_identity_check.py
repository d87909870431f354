"""Before each consultation a doctor re-confirms their identity (password or authenticator code) within the
last 10 minutes; staff set up the authenticator (TOTP) on their security page. Issue 4 point 7."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from ihospital.accounts import identity, services
from ihospital.accounts.guards import identity_check_required
from ihospital.accounts.models import IdentityCheckThrottle, IdentityConfirmation
from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.core.testing.personas import PASSWORD
from ihospital.core.time import now

CONFIRM = "/staff/confirm-identity/"
SECURITY = "/staff/security/"
API = "/api/staff/v1/identity/confirm"


def code_for(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code the phone shows now (or ``steps_ahead`` 30-second steps later: the device accepts ±1)."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=steps_ahead):06d}"


def active_device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def refused(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


def confirm(user, **secret) -> IdentityConfirmation:
    return identity.staff_identity_confirm(user=user, actor=Actor.of(user), **secret)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- the service and the selector -------------------------------------------------------------------


def test_password_confirmation_is_recorded_and_audited(dr_bob):
    confirmation = confirm(dr_bob, password=PASSWORD)
    assert (confirmation.user, confirmation.method) == (dr_bob, "password")
    assert confirmation.valid_until - confirmation.confirmed_at == timedelta(minutes=10)
    event = AuditEvent.objects.get(action="account.identity_confirmed")
    assert (event.actor_name, event.target_id, event.details) == (
        "dr_bob",
        str(dr_bob.public_id),
        {"method": "password"},
    )
    assert identity.identity_confirmed_within(dr_bob) == confirmation


def test_wrong_password_is_refused_with_the_code_and_audited(dr_bob):
    error = refused(lambda: confirm(dr_bob, password="wrong-password"))
    assert error.code == "account.identity_check_failed" and error.params == {"remaining": 4}
    assert "password" in error.fields
    assert not IdentityConfirmation.objects.exists()
    event = AuditEvent.objects.get(action="account.identity_check_failed")
    assert event.details == {"method": "password", "code": "account.identity_check_failed"}
    assert identity.identity_confirmed_within(dr_bob) is None


def test_exactly_one_secret_is_required(dr_bob):
    assert refused(lambda: confirm(dr_bob)).code == "account.identity_check_input"
    both = refused(lambda: confirm(dr_bob, password=PASSWORD, totp_code="123456"))
    assert both.code == "account.identity_check_input"


def test_five_failures_in_a_row_lock_re_checks_for_15_minutes(dr_bob):
    codes = [refused(lambda: confirm(dr_bob, password="wrong-password")).code for _ in range(5)]
    assert codes == ["account.identity_check_failed"] * 4 + ["account.identity_check_locked"]
    locked = refused(lambda: confirm(dr_bob, password=PASSWORD))  # even the right password
    assert (locked.code, locked.status, locked.params) == ("account.identity_check_locked", 429, {"minutes": 15})
    assert not IdentityConfirmation.objects.exists()
    assert AuditEvent.objects.filter(action="account.identity_check_failed").count() == 6

    IdentityCheckThrottle.objects.update(locked_until=now() - timedelta(seconds=1))  # 15 minutes later
    assert confirm(dr_bob, password=PASSWORD).method == "password"


def test_a_success_resets_the_failure_count(dr_bob):
    for _ in range(4):
        refused(lambda: confirm(dr_bob, password="wrong-password"))
    confirm(dr_bob, password=PASSWORD)
    assert refused(lambda: confirm(dr_bob, password="wrong-password")).params == {"remaining": 4}


def test_totp_confirmation_with_the_code_the_phone_shows(dr_bob):
    device = active_device(dr_bob)
    confirmation = confirm(dr_bob, totp_code=code_for(device))
    assert confirmation.method == "totp"
    assert AuditEvent.objects.get(action="account.identity_confirmed").details == {"method": "totp"}


def test_a_totp_code_cannot_be_replayed(dr_bob):
    device = active_device(dr_bob)
    code = code_for(device)
    confirm(dr_bob, totp_code=code)
    replay = refused(lambda: confirm(dr_bob, totp_code=code))
    assert replay.code == "account.identity_check_failed" and "totp_code" in replay.fields
    assert IdentityConfirmation.objects.count() == 1
    assert AuditEvent.objects.get(action="account.identity_check_failed").details["method"] == "totp"


def test_a_wrong_totp_code_counts_and_django_otp_backs_off(dr_bob):
    device = active_device(dr_bob)
    wrong = f"{(int(code_for(device)) + 1) % 10**6:06d}"
    assert refused(lambda: confirm(dr_bob, totp_code=wrong)).code == "account.identity_check_failed"
    hurried = refused(lambda: confirm(dr_bob, totp_code=code_for(device)))  # within django-otp's 1 s back-off
    assert hurried.code == "account.totp_wait"
    TOTPDevice.objects.update(throttling_failure_timestamp=now() - timedelta(minutes=1))
    assert confirm(dr_bob, totp_code=code_for(device)).method == "totp"


def test_totp_without_an_active_authenticator_is_refused(dr_bob):
    pending = TOTPDevice.objects.create(user=dr_bob, name="authenticator", confirmed=False)
    error = refused(lambda: confirm(dr_bob, totp_code=code_for(pending)))
    assert error.code == "account.totp_not_enrolled"


def test_the_confirmation_counts_for_ten_minutes(dr_bob, settings):
    confirmation = confirm(dr_bob, password=PASSWORD)
    IdentityConfirmation.objects.update(confirmed_at=now() - timedelta(minutes=9, seconds=50))
    assert identity.identity_confirmed_within(dr_bob) == confirmation
    IdentityConfirmation.objects.update(confirmed_at=now() - timedelta(minutes=10, seconds=1))
    assert identity.identity_confirmed_within(dr_bob) is None
    assert identity.identity_confirmed_within(dr_bob, seconds=15 * 60) == confirmation
    assert refused(lambda: identity.require_identity_confirmed(dr_bob)).code == "account.identity_check_required"
    settings.STAFF_IDENTITY_CHECK_SECONDS = 20 * 60
    assert identity.identity_confirmed_within(dr_bob) == confirmation


def test_another_users_confirmation_does_not_count(dr_bob, dr_erin):
    confirm(dr_bob, password=PASSWORD)
    assert identity.identity_confirmed_within(dr_erin) is None


def test_non_staff_cannot_confirm_or_enrol(alice):
    assert refused(lambda: confirm(alice, password=PASSWORD)).code == "core.forbidden"
    actor = Actor.of(alice)
    assert refused(lambda: identity.totp_enrolment_begin(user=alice, actor=actor)).code == "core.forbidden"


# --- authenticator enrolment ------------------------------------------------------------------------


def test_an_authenticator_is_active_only_after_a_valid_code(dr_bob):
    actor = Actor.of(dr_bob)
    no_password = refused(lambda: identity.totp_enrolment_begin(user=dr_bob, actor=actor))
    assert no_password.code == "account.totp_password_required"  # enrolment needs the password
    device = identity.totp_enrolment_begin(user=dr_bob, password=PASSWORD, actor=actor)
    assert not device.confirmed
    assert refused(lambda: confirm(dr_bob, totp_code=code_for(device))).code == "account.totp_not_enrolled"

    wrong = f"{(int(code_for(device)) + 1) % 10**6:06d}"
    error = refused(lambda: identity.totp_device_confirm(user=dr_bob, code=wrong, actor=actor))
    assert error.code == "account.totp_code_wrong"
    assert identity.totp_device_of(dr_bob, confirmed=True) is None
    TOTPDevice.objects.update(throttling_failure_timestamp=now() - timedelta(minutes=1))

    identity.totp_device_confirm(user=dr_bob, code=code_for(device), actor=actor)
    assert identity.totp_device_of(dr_bob, confirmed=True).pk == device.pk
    actions = list(AuditEvent.objects.filter(action__startswith="account.totp").values_list("action", flat=True))
    assert actions == [
        "account.totp_enrolment_begin",
        "account.totp_device_confirm.refused",
        "account.totp_device_confirmed",
    ]
    # The enrolment code is used up; the next step's code confirms an identity.
    assert refused(lambda: confirm(dr_bob, totp_code=code_for(device))).code == "account.identity_check_failed"
    TOTPDevice.objects.update(throttling_failure_timestamp=now() - timedelta(minutes=1))
    assert confirm(dr_bob, totp_code=code_for(device, steps_ahead=1)).method == "totp"


def test_confirming_without_starting_is_refused(dr_bob):
    error = refused(lambda: identity.totp_device_confirm(user=dr_bob, code="123456", actor=Actor.of(dr_bob)))
    assert error.code == "account.totp_enrolment_not_started"


def test_replacing_needs_the_password_and_keeps_the_old_app_until_the_new_one_is_confirmed(dr_bob):
    actor = Actor.of(dr_bob)
    old = active_device(dr_bob)
    no_password = refused(lambda: identity.totp_enrolment_begin(user=dr_bob, actor=actor))
    assert no_password.code == "account.totp_password_required"
    wrong = refused(lambda: identity.totp_enrolment_begin(user=dr_bob, password="wrong-password", actor=actor))
    assert wrong.code == "account.identity_check_failed"
    assert TOTPDevice.objects.count() == 1

    new = identity.totp_enrolment_begin(user=dr_bob, password=PASSWORD, actor=actor)
    assert new.key != old.key
    assert identity.totp_device_of(dr_bob, confirmed=True).pk == old.pk  # still works meanwhile
    identity.totp_device_confirm(user=dr_bob, code=code_for(new), actor=actor)
    assert list(TOTPDevice.objects.values_list("pk", "confirmed")) == [(new.pk, True)]
    assert AuditEvent.objects.get(action="account.totp_device_confirmed").details == {"replaced": True}


def test_the_security_page_walks_through_enrolment(dr_bob):
    client = signed_in(dr_bob)
    page = client.get(SECURITY)
    assert page.status_code == 200 and 'data-testid="totp-begin"' in page.content.decode()
    assert client.post(SECURITY, {"action": "begin"}).context["password_form"].errors["password"]
    assert client.post(SECURITY, {"action": "begin", "password": PASSWORD}).status_code == 302

    page = client.get(SECURITY).content.decode()
    device = TOTPDevice.objects.get(user=dr_bob, confirmed=False)
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', page).group(1)
    assert secret == identity.totp_secret(device) and len(secret.replace(" ", "")) == 32
    assert "<svg" in page and "otpauth://totp/" in page
    qr = page.split('data-testid="totp-qr">')[1].split("</div>")[0]
    assert qr.startswith("<svg") and "<script" not in qr  # drawn on the server, inline

    bad = client.post(SECURITY, {"action": "confirm", "code": "000000" if code_for(device) != "000000" else "111111"})
    assert bad.status_code == 200 and bad.context["code_form"].errors["code"]
    TOTPDevice.objects.update(throttling_failure_timestamp=now() - timedelta(minutes=1))
    assert client.post(SECURITY, {"action": "confirm", "code": code_for(device)}).status_code == 302
    codes = client.get(SECURITY).content.decode()  # recovery codes, shown once
    assert codes.count('data-testid="recovery-code"') == 10
    page = client.get(SECURITY).content.decode()
    assert 'data-testid="totp-active"' in page and 'data-testid="totp-replace"' in page
    assert 'data-testid="totp-secret"' not in page  # the key is shown only while setting up

    refusal = client.post(SECURITY, {"action": "replace", "password": "wrong-password"})
    assert refusal.status_code == 200 and refusal.context["password_form"].errors["password"]
    assert client.post(SECURITY, {"action": "replace", "password": PASSWORD}).status_code == 302
    assert TOTPDevice.objects.filter(user=dr_bob, confirmed=False).exists()


def test_the_staff_home_links_to_the_security_page(dr_bob):
    assert SECURITY in signed_in(dr_bob).get("/staff/").content.decode()


def test_the_security_page_is_for_staff_only(alice, admin):
    assert signed_in(alice).get(SECURITY).status_code == 403
    assert Client().get(SECURITY).status_code == 302
    assert signed_in(admin).get(SECURITY).status_code == 200  # back-office staff protect their accounts too


def test_the_back_office_never_shows_an_authenticator_key(secadmin, dr_bob):
    device = active_device(dr_bob)
    secadmin.is_superuser = True  # as made by createsuperuser: django-otp's own admin would show keys to it
    secadmin.save()
    client = signed_in(secadmin)
    listing = client.get("/admin/accounts/authenticator/")
    assert listing.status_code == 200 and "dr_bob" in listing.content.decode()
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404  # django-otp's own admin is gone
    detail = client.get(f"/admin/accounts/authenticator/{device.pk}/change/").content.decode()
    assert device.key not in detail and "otpauth" not in detail
    django_otp_qr_page = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/", follow=True)
    assert device.key not in django_otp_qr_page.content.decode()


# --- the confirmation page --------------------------------------------------------------------------


def test_the_page_says_why_and_offers_the_authenticator_when_there_is_one(dr_bob):
    client = signed_in(dr_bob)
    page = client.get(CONFIRM, {"next": "/staff/"}).content.decode()
    assert "每次接诊前须在10分钟内核验身份" in page
    assert 'data-testid="form-password"' in page and 'data-testid="form-totp"' not in page
    active_device(dr_bob)
    page = client.get(CONFIRM, {"next": "/staff/"}).content.decode()
    assert 'data-testid="form-totp"' in page and 'data-testid="tab-password"' in page


def test_the_page_confirms_and_returns_to_a_local_next_only(dr_bob):
    client = signed_in(dr_bob)
    back = client.post(f"{CONFIRM}?next=/consultations/42/", {"method": "password", "password": PASSWORD})
    assert (back.status_code, back.url) == (302, "/consultations/42/")
    assert identity.identity_confirmed_within(dr_bob) is not None
    for unsafe in ("https://evil.example/steal", "//evil.example/", "javascript:alert(1)"):
        response = client.post(CONFIRM, {"method": "password", "password": PASSWORD, "next": unsafe})
        assert (response.status_code, response.url) == (302, "/staff/"), unsafe


def test_the_page_shows_coded_errors(dr_bob):
    client = signed_in(dr_bob)
    response = client.post(
        CONFIRM, {"method": "password", "password": "wrong-password"}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 200
    assert "tries left" in response.context["form"].errors["password"][0]
    assert AuditEvent.objects.filter(action="account.identity_check_failed").count() == 1
    active_device(dr_bob)
    by_code = client.post(CONFIRM, {"method": "totp", "totp_code": "12"})
    assert by_code.status_code == 200 and by_code.context["form"].errors["totp_code"]


def test_the_page_confirms_with_an_authenticator_code(dr_bob):
    device = active_device(dr_bob)
    response = signed_in(dr_bob).post(CONFIRM, {"method": "totp", "totp_code": code_for(device), "next": "/staff/"})
    assert response.status_code == 302
    assert IdentityConfirmation.objects.get().method == "totp"


def test_the_page_is_for_clinical_staff_only(alice, admin, db):
    anonymous = Client().get(CONFIRM)
    assert anonymous.status_code == 302 and "sign-in" in anonymous.url
    for client in (signed_in(alice), signed_in(admin)):
        assert client.get(CONFIRM).status_code == 403  # signed in, but not clinical staff
    for client in (Client(), signed_in(alice), signed_in(admin)):
        client.post(CONFIRM, {"method": "password", "password": PASSWORD})
    assert not IdentityConfirmation.objects.exists()


# --- the guard other apps use -----------------------------------------------------------------------


def _guarded(user, method: str = "get", **headers):
    view = identity_check_required(lambda request: HttpResponse("consultation started"))
    request = getattr(RequestFactory(), method)("/consultations/42/start/?x=1", headers=headers)
    request.user = user
    return view(request)


def test_the_guard_sends_the_doctor_to_confirm_and_back(dr_bob):
    response = _guarded(dr_bob)
    assert response.status_code == 302
    assert response.url == "/staff/confirm-identity/?next=%2Fconsultations%2F42%2Fstart%2F%3Fx%3D1"
    after_post = _guarded(dr_bob, "post", Referer="http://testserver/consultations/42/?tab=chat")
    assert after_post.url == "/staff/confirm-identity/?next=%2Fconsultations%2F42%2F%3Ftab%3Dchat"
    elsewhere = _guarded(dr_bob, "post", Referer="https://evil.example/")
    assert elsewhere.url == "/staff/confirm-identity/?next=%2Fconsultations%2F42%2Fstart%2F"
    htmx = _guarded(dr_bob, "post", **{"HX-Request": "true"})
    assert htmx["HX-Redirect"].startswith("/staff/confirm-identity/")

    confirm(dr_bob, password=PASSWORD)
    assert _guarded(dr_bob).content == b"consultation started"
    IdentityConfirmation.objects.update(confirmed_at=now() - timedelta(minutes=11))
    assert _guarded(dr_bob).status_code == 302


def test_the_guard_refuses_patients(alice):
    assert _guarded(alice).status_code == 403
    anonymous = _guarded(AnonymousUser())
    assert anonymous.status_code == 302 and "sign-in" in anonymous.url


# --- the staff API ----------------------------------------------------------------------------------


def _api_client(user) -> Client:
    secret, _token = services.api_token_issue(user=user, actor=Actor.system())
    return Client(headers={"Authorization": f"Bearer {secret}"})


def test_the_api_confirms_and_says_until_when(dr_bob):
    client = _api_client(dr_bob)
    response = client.post(API, {"password": PASSWORD}, content_type="application/json")
    assert response.status_code == 201
    body = response.json()
    assert body["method"] == "password" and body["valid_until"] > body["confirmed_at"]
    assert identity.identity_confirmed_within(dr_bob) is not None

    device = active_device(dr_bob)
    by_code = client.post(API, {"totp_code": code_for(device)}, content_type="application/json")
    assert (by_code.status_code, by_code.json()["method"]) == (201, "totp")


def test_the_api_refuses_with_codes(dr_bob, alice):
    client = _api_client(dr_bob)
    wrong = client.post(API, {"password": "wrong-password"}, content_type="application/json")
    assert (wrong.status_code, wrong.json()["code"]) == (400, "account.identity_check_failed")
    assert "password" in wrong.json()["fields"]
    empty = client.post(API, {}, content_type="application/json")
    assert (empty.status_code, empty.json()["code"]) == (422, "account.identity_check_input")
    patient = _api_client(alice).post(API, {"password": PASSWORD}, content_type="application/json")
    assert (patient.status_code, patient.json()["code"]) == (401, "core.not_authenticated")
    assert not IdentityConfirmation.objects.exists()

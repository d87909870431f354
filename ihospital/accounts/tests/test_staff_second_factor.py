"""The staff second factor (issue 10 point 5): the roles of STAFF_TOTP_ROLES sign in with a password and an
authenticator code, on the web and on the staff API; a first sign-in sets the authenticator up (the password
just typed allows it) and hands out recovery codes, each usable once; a security administrator resets it."""

import re

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from ihospital.accounts import backoffice, identity
from ihospital.accounts.tests.totp import code, enrol
from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.core.testing.personas import PASSWORD

VERIFY = "/staff/sign-in/verify/"
TOKEN = "/api/staff/v1/auth/token"
TOTP_PERSONAS = ["dr_bob", "carol", "admin", "secadmin", "auditor"]  # doctor, pharmacist, the back office


def password_step(client: Client, username: str, next_url: str = ""):
    url = f"/staff/sign-in/?next={next_url}" if next_url else "/staff/sign-in/"
    return client.post(url, {"username": username, "password": PASSWORD})


def signed_in_as(client: Client):
    return client.session.get("_auth_user_id")


@pytest.mark.parametrize("persona", TOTP_PERSONAS)
def test_each_role_that_needs_it_is_not_signed_in_by_its_password_alone(persona, request):
    user = request.getfixturevalue(persona)
    enrol(user)
    client = Client()
    assert password_step(client, persona).url == VERIFY
    assert signed_in_as(client) is None
    assert client.get("/staff/").status_code == 302  # still outside
    wrong = client.post(VERIFY, {"code": f"{(int(code(user)) + 5) % 10**6:06d}"})
    assert wrong.status_code == 200 and signed_in_as(client) is None
    TOTPDevice.objects.update(throttling_failure_timestamp=None, throttling_failure_count=0)
    assert client.post(VERIFY, {"code": code(user)}).status_code == 302
    assert signed_in_as(client) == str(user.pk)
    assert AuditEvent.objects.filter(action="account.second_factor_verified", actor_name=persona).exists()
    assert AuditEvent.objects.filter(action="account.second_factor_refused", actor_name=persona).exists()


def test_a_nurse_signs_in_with_the_password_alone(nina):
    client = Client()
    response = password_step(client, "nina")
    assert response.url == "/staff/" and signed_in_as(client) == str(nina.pk)


def test_the_first_sign_in_sets_up_the_authenticator_and_hands_out_recovery_codes_once(dr_bob):
    client = Client()
    assert password_step(client, "dr_bob", "/staff/desk/").url == VERIFY
    page = client.get(VERIFY).content.decode()
    assert 'data-testid="totp-enrol"' in page and "<svg" in page
    device = TOTPDevice.objects.get(user=dr_bob, confirmed=False)  # begun with the password just typed
    shown = client.post(VERIFY, {"code": _code(device)})
    codes = re.findall(r'data-testid="recovery-code">([a-z0-9-]+)<', shown.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    assert signed_in_as(client) is None  # not until they continue
    assert client.get(VERIFY).url == "/staff/desk/"
    assert signed_in_as(client) == str(dr_bob.pk)
    assert identity.recovery_codes_left(dr_bob) == 10


def _code(device) -> str:
    from django_otp.oath import TOTP

    from ihospital.core.time import now

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = now().timestamp()
    return f"{totp.token():06d}"


def test_a_recovery_code_signs_in_once(dr_bob):
    enrol(dr_bob)
    codes = identity.recovery_codes_generate(user=dr_bob, actor=Actor.of(dr_bob))
    first = Client()
    password_step(first, "dr_bob")
    assert first.post(VERIFY, {"code": codes[0].upper()}).status_code == 302  # typed in capitals: fine
    assert signed_in_as(first) == str(dr_bob.pk)
    assert identity.recovery_codes_left(dr_bob) == 9
    again = Client()
    password_step(again, "dr_bob")
    reused = again.post(VERIFY, {"code": codes[0]})
    assert reused.status_code == 200 and signed_in_as(again) is None
    assert reused.context["form"].errors["code"]
    entry = AuditEvent.objects.filter(action="account.second_factor_verified").get()
    assert entry.details == {"method": "recovery_code", "recovery_codes_left": 9}


def test_the_second_step_expires(dr_bob, clock, settings):
    enrol(dr_bob)
    client = Client()
    password_step(client, "dr_bob")
    totp_code = code(dr_bob)
    clock.move(seconds=settings.STAFF_SIGN_IN_STEP_SECONDS + 1)
    assert client.post(VERIFY, {"code": totp_code}).url == "/staff/sign-in/"
    assert signed_in_as(client) is None


@pytest.mark.parametrize("persona", ["dr_bob", "carol"])
def test_the_staff_api_needs_the_authenticator_code_of_doctors_and_pharmacists(persona, request):
    user = request.getfixturevalue(persona)
    body = {"username": persona, "password": PASSWORD}
    not_set_up = Client().post(TOKEN, body, content_type="application/json")
    assert (not_set_up.status_code, not_set_up.json()["code"]) == (403, "account.second_factor_not_set_up")
    enrol(user)
    missing = Client().post(TOKEN, body, content_type="application/json")
    assert (missing.status_code, missing.json()["code"]) == (401, "account.second_factor_required")
    assert "otp_code" in missing.json()["fields"]
    wrong = Client().post(TOKEN, {**body, "otp_code": "12345x"}, content_type="application/json")
    assert (wrong.status_code, wrong.json()["code"]) == (401, "account.second_factor_wrong")
    ok = Client().post(TOKEN, {**body, "otp_code": code(user)}, content_type="application/json")
    assert ok.status_code == 201 and ok.json()["token"]


def test_the_staff_api_lets_a_nurse_in_with_the_password(nina):
    response = Client().post(TOKEN, {"username": "nina", "password": PASSWORD}, content_type="application/json")
    assert response.status_code == 201


def test_the_back_office_has_no_password_only_sign_in(admin):
    response = Client().get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response.url.startswith("/staff/sign-in/?next=%2Fadmin%2F")
    posted = Client().post("/admin/login/", {"username": "admin", "password": PASSWORD})
    assert posted.status_code == 302 and "_auth_user_id" not in posted.client.session


def test_a_security_administrator_resets_a_staff_members_second_factor(dr_bob, secadmin):
    enrol(dr_bob)
    identity.recovery_codes_generate(user=dr_bob, actor=Actor.of(dr_bob))
    bob = Client()
    password_step(bob, "dr_bob")
    bob.post(VERIFY, {"code": code(dr_bob)})
    assert signed_in_as(bob)

    with pytest.raises(DomainError) as own:
        backoffice.staff_second_factor_reset(user=secadmin, actor=Actor.of(secadmin))
    assert own.value.code == "account.own_account"

    office = Client()
    office.force_login(secadmin)
    page = office.get(f"/admin/accounts/user/{dr_bob.pk}/second-factor/")
    assert page.status_code == 200 and 'data-testid="reset-second-factor"' in page.content.decode()
    assert office.post(f"/admin/accounts/user/{dr_bob.pk}/second-factor/").status_code == 302

    assert not TOTPDevice.objects.filter(user=dr_bob).exists() and identity.recovery_codes_left(dr_bob) == 0
    assert bob.get("/staff/").status_code == 302  # signed out everywhere
    entry = AuditEvent.objects.get(action="account.second_factor_reset")
    assert entry.actor_name == "secadmin" and entry.details["authenticators"] == 1 and entry.details["recovery_codes"]
    # The next sign-in sets up a new authenticator.
    again = Client()
    password_step(again, "dr_bob")
    assert 'data-testid="totp-enrol"' in again.get(VERIFY).content.decode()


def test_only_security_administrators_reach_the_reset_page(dr_bob, admin):
    office = Client()
    office.force_login(admin)
    assert office.post(f"/admin/accounts/user/{dr_bob.pk}/second-factor/").status_code == 403

"""Staff sign in with user name and password; five failures lock the account for 15 minutes (django-axes)."""

import pytest
from django.test import Client

from ihospital.accounts.tests.totp import code, enrol
from ihospital.audit.models import AuditEvent
from ihospital.core.testing.personas import PASSWORD


def sign_in(client: Client, username: str, password: str):
    return client.post("/staff/sign-in/", {"username": username, "password": password})


def test_staff_sign_in_lands_on_the_workstation_of_their_role(dr_bob, carol):
    enrol(dr_bob)
    enrol(carol)
    client = Client()
    response = sign_in(client, "dr_bob", PASSWORD)
    assert response.status_code == 302 and response.url == "/staff/sign-in/verify/"
    response = client.post("/staff/sign-in/verify/", {"code": code(dr_bob)})
    assert response.status_code == 302 and response.url == "/staff/"
    page = client.get("/staff/", headers={"Accept-Language": "en"}).content.decode()
    assert "Online clinic" in page and "Prescription review" not in page
    pharmacist = Client()
    sign_in(pharmacist, "carol", PASSWORD)
    pharmacist.post("/staff/sign-in/verify/", {"code": code(carol)})
    page = pharmacist.get("/staff/", headers={"Accept-Language": "en"}).content.decode()
    assert "Open the message centre" in page and "Online clinic" not in page
    assert AuditEvent.objects.filter(action="account.staff_sign_in", actor_name="dr_bob").exists()


def test_wrong_password_is_refused_and_audited(dr_bob):
    response = sign_in(Client(), "dr_bob", "wrong-password")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert AuditEvent.objects.filter(action="account.staff_sign_in.refused").count() == 1


def test_five_failures_lock_the_account_even_for_the_right_password(dr_bob):
    for _ in range(5):
        sign_in(Client(), "dr_bob", "wrong-password")
    locked = sign_in(Client(), "dr_bob", PASSWORD)
    assert locked.status_code == 200
    assert "_auth_user_id" not in locked.client.session
    refusals = AuditEvent.objects.filter(action="account.staff_sign_in.refused")
    assert [e.details["code"] for e in refusals][-2:] == ["account.staff_locked", "account.staff_locked"]


def test_patients_cannot_use_the_staff_sign_in(alice):
    alice.set_password(PASSWORD)
    alice.save()
    response = sign_in(Client(), alice.username, PASSWORD)
    assert response.status_code == 200 and "_auth_user_id" not in response.client.session


@pytest.mark.parametrize("path", ["/staff/", "/p/", "/p/visit-persons/new/"])
def test_pages_require_signing_in(path, db):
    response = Client().get(path)
    assert response.status_code == 302 and "sign-in" in response.url


def test_createsuperuser_makes_a_security_administrator(db):
    from ihospital.accounts.models import User

    user = User.objects.create_superuser("root", password="Root-Pass-2026-x")
    assert (user.role, user.is_staff) == ("security_admin", True)

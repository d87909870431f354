"""The signing-PIN page: doctors and pharmacists see their certificate, set their first PIN, change it."""

from __future__ import annotations

import pytest
from django.test import Client

from ihospital.audit.services import Actor
from ihospital.signatures import services
from ihospital.signatures.models import SigningCredential
from ihospital.signatures.tests.conftest import PIN, sign


@pytest.fixture
def issued(db, dr_bob, settings):
    services.ca_setup(actor=Actor.system())
    client = Client()
    client.force_login(dr_bob)
    return client


def test_a_doctor_sets_the_first_pin_and_can_then_sign(issued, dr_bob):
    page = issued.get("/staff/signing-pin/")
    assert page.status_code == 200
    html = page.content.decode()
    assert SigningCredential.objects.get(holder=dr_bob).certificate.serial in html
    assert 'name="current_pin"' not in html
    response = issued.post("/staff/signing-pin/", {"new_pin": PIN, "new_pin_again": PIN})
    assert response.status_code == 302
    assert sign(dr_bob).pk


def test_the_page_refuses_a_weak_or_mistyped_pin(issued):
    weak = issued.post("/staff/signing-pin/", {"new_pin": "123456", "new_pin_again": "123456"})
    assert weak.status_code == 200 and "6 到 12 位数字" in weak.content.decode()
    mistyped = issued.post("/staff/signing-pin/", {"new_pin": PIN, "new_pin_again": "246811"})
    assert mistyped.status_code == 200 and 'data-testid="error-new_pin_again"' in mistyped.content.decode()
    assert SigningCredential.objects.get(holder__username="dr_bob").pin_set_at is None


def test_changing_the_pin_asks_for_the_current_one(issued, dr_bob):
    issued.post("/staff/signing-pin/", {"new_pin": PIN, "new_pin_again": PIN})
    assert 'name="current_pin"' in issued.get("/staff/signing-pin/").content.decode()
    wrong = issued.post(
        "/staff/signing-pin/", {"current_pin": "000001", "new_pin": "975310", "new_pin_again": "975310"}
    )
    assert "签名 PIN 码不正确" in wrong.content.decode()
    issued.post("/staff/signing-pin/", {"current_pin": PIN, "new_pin": "975310", "new_pin_again": "975310"})
    assert sign(dr_bob, pin="975310").pk


def test_without_a_certificate_the_page_says_so(db, carol):
    client = Client()
    client.force_login(carol)
    assert 'data-testid="no-certificate"' in client.get("/staff/signing-pin/").content.decode()


def test_the_security_administrator_revokes_a_certificate_in_the_back_office(issued, dr_bob, admin_client_for):
    certificate = SigningCredential.objects.get(holder=dr_bob).certificate
    client = admin_client_for("security_admin")
    assert client.get("/admin/signatures/certificate/").status_code == 200
    response = client.post(
        "/admin/signatures/certificate/",
        {"action": "revoke", "_selected_action": [certificate.pk], "reason": "left the hospital"},
    )
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.revoked_at is not None and certificate.revocation_reason == "left the hospital"


def test_auditors_read_signatures_but_cannot_revoke(issued, admin_client_for):
    client = admin_client_for("auditor")
    assert client.get("/admin/signatures/signature/").status_code == 200
    page = client.get("/admin/signatures/certificate/").content.decode()
    assert 'value="revoke"' not in page

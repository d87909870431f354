"""``manage verify_signature``, ``manage ca_init`` and the staff endpoint that checks a signature."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from ihospital.audit.models import AuditEvent
from ihospital.signatures.models import Signature
from ihospital.signatures.tests.conftest import sign


def test_verify_signature_reports_every_check(ready, capsys):
    signature = sign(ready)
    call_command("verify_signature", str(signature.public_id))
    out = capsys.readouterr().out
    assert "signature.valid" in out
    for check in ("digest", "signature", "chain", "valid_at_signing", "not_revoked_at_signing"):
        assert f"ok   {check}" in out
    assert signature.certificate.serial in out


def test_verify_signature_fails_on_a_tampered_document_and_on_another_document(ready, tmp_path):
    signature = sign(ready, payload={"a": "1"})
    (tmp_path / "current.json").write_text(json.dumps({"a": "2"}))
    with pytest.raises(CommandError, match="signature.document_changed"):
        call_command("verify_signature", str(signature.public_id), "--document", str(tmp_path / "current.json"))
    Signature.objects.filter(pk=signature.pk).update(document='{"a":"3"}')
    with pytest.raises(CommandError, match="signature.digest_mismatch"):
        call_command("verify_signature", str(signature.public_id))
    with pytest.raises(CommandError, match="no signature"):
        call_command("verify_signature", "not-an-id")


def test_ca_init_command_is_idempotent(db, dr_bob, carol, capsys, settings):
    settings.SIGNATURE_ALGORITHM = "sm2-sm3"
    call_command("ca_init")
    first = capsys.readouterr().out
    assert "CA (sm2-sm3)" in first and "hospital seal: issued" in first and "carol, dr_bob" in first
    call_command("ca_init")
    assert "already has a valid certificate" in capsys.readouterr().out


def test_staff_check_a_signature_through_the_api(ready, carol, nina):
    signature = sign(ready)
    for person in (carol, nina):  # any clinical member of staff may check it
        client = Client()
        client.force_login(person)
        response = client.get(f"/api/staff/v1/signatures/{signature.public_id}/verification")
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["valid"], body["code"], body["signer"]) == (True, "signature.valid", "dr_bob")
        assert body["certificate_serial"] == signature.certificate.serial
        assert body["checks"]["chain"] is True


def test_the_api_reports_and_audits_a_tampered_signature(ready, carol):
    signature = sign(ready)
    value = bytearray(bytes(signature.value))
    value[-1] ^= 0xFF
    Signature.objects.filter(pk=signature.pk).update(value=bytes(value))
    client = Client()
    client.force_login(carol)
    body = client.get(f"/api/staff/v1/signatures/{signature.public_id}/verification").json()
    assert (body["valid"], body["code"]) == (False, "signature.invalid")
    assert body["message"]
    event = AuditEvent.objects.get(action="signature.verify.failed")
    assert event.actor_name == "carol" and event.details["code"] == "signature.invalid"


def test_patients_cannot_check_signatures_through_the_staff_api(ready, alice):
    signature = sign(ready)
    client = Client()
    client.force_login(alice)
    assert client.get(f"/api/staff/v1/signatures/{signature.public_id}/verification").status_code == 401

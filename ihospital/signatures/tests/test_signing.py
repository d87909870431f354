"""Signing and verifying documents, for both algorithms (ECDSA P-256/SHA-256 and SM2/SM3)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction

from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.core.time import now
from ihospital.integrations.ca import algorithms
from ihospital.signatures import selectors, services
from ihospital.signatures.models import Certificate, Signature, SigningCredential
from ihospital.signatures.tests.conftest import sign


def _refusals(code: str) -> int:
    return AuditEvent.objects.filter(action__endswith=".refused", details__code=code).count()


def test_a_signed_document_verifies_with_its_algorithm_certificate_and_digest(ready, algorithm):
    signature = sign(ready)
    assert signature.algorithm == algorithm
    assert signature.signer == ready
    assert signature.certificate.credential.holder == ready
    assert signature.document == '{"chief_complaint":"头痛三天","diagnoses":["G44.2"]}'
    assert signature.digest == algorithms.digest(algorithm, signature.document.encode())
    result = selectors.signature_verify(signature=signature)
    assert result.valid, result.code
    assert result.checks == {
        "digest": True,
        "algorithm": True,
        "signature": True,
        "chain": True,
        "valid_at_signing": True,
        "not_revoked_at_signing": True,
    }
    assert len(result.chain) == 2  # the doctor's certificate, then the CA's root
    assert AuditEvent.objects.filter(action="signature.sign", target_id=str(signature.document_id)).count() == 1


def test_the_signed_document_is_checked_against_the_current_one(ready):
    payload = {"chief_complaint": "头痛三天", "diagnoses": ["G44.2"]}
    signature = sign(ready, payload=payload)
    assert selectors.signature_verify(signature=signature, payload=dict(reversed(payload.items()))).valid
    changed = selectors.signature_verify(signature=signature, payload={**payload, "diagnoses": ["G43.9"]})
    assert (changed.valid, changed.code) == (False, "signature.document_changed")


@pytest.mark.parametrize("position", [0, 10, -2])
def test_one_changed_byte_of_the_document_fails_verification(ready, position):
    signature = sign(ready)
    document = bytearray(signature.document.encode())
    document[position] ^= 0x01
    Signature.objects.filter(pk=signature.pk).update(document=document.decode())
    tampered = Signature.objects.get(pk=signature.pk)
    assert selectors.signature_verify(signature=tampered).code == "signature.digest_mismatch"
    # Even with its digest recomputed to match, the signature itself no longer does.
    Signature.objects.filter(pk=signature.pk).update(digest=algorithms.digest(signature.algorithm, bytes(document)))
    assert selectors.signature_verify(signature=Signature.objects.get(pk=signature.pk)).code == "signature.invalid"


def test_one_changed_byte_of_the_signature_fails_verification(ready):
    signature = sign(ready)
    value = bytearray(bytes(signature.value))
    value[-3] ^= 0x01
    Signature.objects.filter(pk=signature.pk).update(value=bytes(value))
    result = selectors.signature_verify(signature=Signature.objects.get(pk=signature.pk))
    assert (result.valid, result.code) == (False, "signature.invalid")


def test_a_failed_verification_is_audited(ready):
    signature = sign(ready)
    Signature.objects.filter(pk=signature.pk).update(document=signature.document.replace("G44.2", "G44.3"))
    result = services.signature_check(signature=Signature.objects.get(pk=signature.pk), actor=Actor.system())
    assert not result.valid
    assert AuditEvent.objects.filter(action="signature.verify.failed", details__code=result.code).count() == 1


def test_signing_never_happens_without_the_pin(ready):
    for pin in (None, ""):
        with pytest.raises(DomainError) as refused:
            sign(ready, pin=pin)
        assert refused.value.code == "signature.pin_required"
    assert not Signature.objects.exists()
    assert _refusals("signature.pin_required") == 2


def test_a_pin_must_be_set_before_the_first_signing(db, carol, algorithm):
    services.ca_setup(actor=Actor.system())
    with pytest.raises(DomainError) as refused:
        sign(carol, pin="135790")
    assert refused.value.code == "signature.pin_not_set"
    assert _refusals("signature.pin_not_set") == 1


def test_wrong_pins_are_counted_audited_and_lock_signing(ready, settings):
    settings.SIGNING_PIN_MAX_WRONG = 3
    for remaining in (2, 1):
        with pytest.raises(DomainError) as refused:
            sign(ready, pin="999999")
        assert (refused.value.code, refused.value.params) == ("signature.pin_wrong", {"remaining": remaining})
    with pytest.raises(DomainError) as refused:
        sign(ready, pin="999999")
    assert refused.value.code == "signature.pin_locked"
    with pytest.raises(DomainError) as refused:  # locked: even the right PIN is refused
        sign(ready)
    assert refused.value.code == "signature.pin_locked"
    assert _refusals("signature.pin_wrong") == 2
    assert _refusals("signature.pin_locked") == 2
    assert not Signature.objects.exists()
    # The lock ends; the right PIN signs and clears the count.
    SigningCredential.objects.filter(holder=ready).update(locked_until=now() - timedelta(seconds=1))
    with pytest.raises(DomainError):
        sign(ready, pin="999999")
    assert sign(ready).pk
    assert SigningCredential.objects.get(holder=ready).pin_failures == 0


def test_a_revoked_certificate_cannot_sign_and_earlier_signatures_stay_valid(ready):
    earlier = sign(ready)
    certificate = earlier.certificate
    services.certificate_revoke(certificate=certificate, reason="key compromise", actor=Actor.system())
    with pytest.raises(DomainError) as refused:
        sign(ready, version=2)
    assert refused.value.code == "signature.certificate_revoked"
    assert _refusals("signature.certificate_revoked") == 1
    assert selectors.signature_verify(signature=Signature.objects.get(pk=earlier.pk)).valid
    # Revoked before the signing time: the signature no longer counts.
    Certificate.objects.filter(pk=certificate.pk).update(revoked_at=earlier.signed_at - timedelta(seconds=1))
    result = selectors.signature_verify(signature=Signature.objects.get(pk=earlier.pk))
    assert result.code == "signature.certificate_revoked_at_signing"


def test_the_ca_refuses_a_key_whose_certificate_it_revoked(ready):
    """Even if the hospital's copy missed the revocation, the CA itself no longer signs with the key."""
    from ihospital.integrations.ca.sandbox import BuiltinCa

    certificate = SigningCredential.objects.get(holder=ready).certificate
    BuiltinCa().revoke(certificate_serial=certificate.serial, reason="lost token")
    with pytest.raises(DomainError) as refused:
        sign(ready)
    assert refused.value.code == "signature.certificate_revoked"


def test_an_expired_or_not_yet_valid_certificate_cannot_sign(ready):
    credential = SigningCredential.objects.get(holder=ready)
    Certificate.objects.filter(pk=credential.certificate_id).update(not_after=now() - timedelta(minutes=1))
    with pytest.raises(DomainError) as refused:
        sign(ready)
    assert refused.value.code == "signature.certificate_expired"
    Certificate.objects.filter(pk=credential.certificate_id).update(
        not_before=now() + timedelta(days=1), not_after=now() + timedelta(days=2)
    )
    with pytest.raises(DomainError) as refused:
        sign(ready)
    assert refused.value.code == "signature.certificate_expired"
    assert _refusals("signature.certificate_expired") == 2


def test_a_signature_made_outside_the_certificates_validity_does_not_verify(ready):
    signature = sign(ready)
    Signature.objects.filter(pk=signature.pk).update(signed_at=now() + timedelta(days=4000))
    result = selectors.signature_verify(signature=Signature.objects.get(pk=signature.pk))
    assert result.valid is False
    assert result.checks["valid_at_signing"] is False


def test_the_chain_must_end_at_a_trusted_root(ready):
    signature = sign(ready)
    Certificate.objects.filter(kind=Certificate.Kind.AUTHORITY).update(trusted=False)
    assert selectors.signature_verify(signature=signature).code == "signature.chain_invalid"


def test_a_certificate_from_another_ca_with_the_same_name_does_not_chain(ready, algorithm):
    """A forged root with the same subject as the real one (but another key) is no issuer."""
    from ihospital.integrations.models import SandboxCaAuthority

    SandboxCaAuthority.objects.all().delete()  # the sandbox CA starts over with a new root key
    services.ca_setup(actor=Actor.system())
    Certificate.objects.filter(kind=Certificate.Kind.AUTHORITY).exclude(
        fingerprint=algorithms.read_certificate(SandboxCaAuthority.objects.get().certificate_pem).fingerprint
    ).update(trusted=False)
    signature = sign(ready)
    result = selectors.signature_verify(signature=signature)
    assert result.code == "signature.chain_invalid"


def test_each_version_is_signed_once(ready):
    sign(ready, version=1)
    with pytest.raises(DomainError) as refused:
        sign(ready, version=1, payload={"chief_complaint": "changed"})
    assert refused.value.code == "signature.already_signed"
    assert sign(ready, version=2).version == 2


def test_two_signatures_of_the_same_message_differ(ready):
    """A fresh random nonce each time: SM2 (and ECDSA) never reuse one, which would give the key away."""
    first, second = sign(ready, version=1), sign(ready, version=2)
    assert first.document == second.document
    assert bytes(first.value) != bytes(second.value)
    key = algorithms.generate_private_key(first.algorithm)
    values = {algorithms.sign(first.algorithm, key, b"the same message") for _ in range(20)}
    assert len(values) == 20


def test_only_what_has_a_canonical_form_can_be_signed(ready):
    with pytest.raises(DomainError) as refused:
        sign(ready, payload={"dose": 0.5})
    assert refused.value.code == "signature.payload_invalid"
    with pytest.raises(DomainError):
        sign(ready, payload={1: "not a text key"})
    assert _refusals("signature.payload_invalid") == 2


def test_only_doctors_and_pharmacists_sign(db, nina, algorithm):
    services.ca_setup(actor=Actor.system())
    with pytest.raises(DomainError) as refused:
        sign(nina)
    assert refused.value.code == "signature.signer_not_allowed"


def test_signing_runs_outside_any_transaction(ready):
    """The CA may be remote, and a wrong PIN must stay counted: a caller's transaction is refused."""
    with pytest.raises(RuntimeError), transaction.atomic():
        sign(ready)


def test_the_hospital_seal_signs_without_a_person(ready):
    signature = services.seal_sign(
        document_type="platform_message",
        document_id="9d1d2c55-86c0-4b9e-8a3c-2b7f1f0f4e21",
        payload={"a": 1},
        actor=Actor.system(),
    )
    assert signature.signer is None
    assert signature.certificate.kind == Certificate.Kind.SEAL
    assert selectors.signature_verify(signature=signature).valid


def test_ca_init_issues_the_seal_and_every_signer_once(db, dr_bob, dr_erin, carol, nina, algorithm):
    first = services.ca_setup(actor=Actor.system())
    assert first.seal_issued is True
    assert sorted(first.issued_to) == ["carol", "dr_bob", "dr_erin"]
    again = services.ca_setup(actor=Actor.system())
    assert (again.seal_issued, again.issued_to) == (False, [])
    assert not SigningCredential.objects.filter(holder=nina).exists()
    roots = Certificate.objects.filter(kind=Certificate.Kind.AUTHORITY, trusted=True, algorithm=algorithm)
    assert roots.count() == 1


def test_a_revoked_certificate_is_replaced_by_ca_init(ready):
    old = SigningCredential.objects.get(holder=ready).certificate
    services.certificate_revoke(certificate=old, reason="left the hospital", actor=Actor.system())
    setup = services.ca_setup(actor=Actor.system())
    assert setup.issued_to == ["dr_bob"]
    with pytest.raises(DomainError) as refused:  # the new key waits for its own PIN
        sign(ready)
    assert refused.value.code == "signature.pin_not_set"

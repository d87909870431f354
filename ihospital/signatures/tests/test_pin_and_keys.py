"""The signing PIN (set on first use, changed with the current one, limited like a password) and the keys at
rest (encrypted under it), and the built-in CA behaving like a remote-signing service (delays, outages)."""

from __future__ import annotations

import json

import pytest

from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.integrations.ca import algorithms, keystore, sandbox
from ihospital.integrations.ca.base import CaError, PinChange, SignRequest
from ihospital.signatures import services
from ihospital.signatures.models import Signature, SigningCredential
from ihospital.signatures.tests.conftest import PIN, sign


def _set(user, new_pin, current=None):
    services.signing_pin_set(holder=user, current_pin=current, new_pin=new_pin, actor=Actor.of(user))


@pytest.mark.parametrize("weak", ["12345", "111111", "123456", "987654", "12ab56", "1234567890123"])
def test_a_weak_pin_is_refused(db, dr_bob, algorithm, weak):
    services.ca_setup(actor=Actor.system())
    with pytest.raises(DomainError) as refused:
        _set(dr_bob, weak)
    assert refused.value.code == "signature.pin_weak"
    assert AuditEvent.objects.filter(action="signature.pin_set.refused", details__code="signature.pin_weak").exists()


def test_a_pin_needs_a_certificate(db, dr_bob, settings):
    with pytest.raises(DomainError) as refused:
        _set(dr_bob, PIN)
    assert refused.value.code == "signature.no_certificate"


def test_changing_the_pin_needs_the_current_one(ready):
    with pytest.raises(DomainError) as refused:
        _set(ready, "975310")
    assert refused.value.code == "signature.pin_already_set"
    with pytest.raises(DomainError) as refused:
        _set(ready, "975310", current="000001")
    assert (refused.value.code, refused.value.params) == ("signature.pin_wrong", {"remaining": 4})
    _set(ready, "975310", current=PIN)
    with pytest.raises(DomainError) as refused:
        sign(ready)  # the old PIN no longer opens the key
    assert refused.value.code == "signature.pin_wrong"
    assert sign(ready, pin="975310").pk
    assert AuditEvent.objects.filter(action="signature.pin_set", target_id=str(ready.public_id)).count() == 2


def test_wrong_current_pins_share_the_signing_lock(ready, settings):
    settings.SIGNING_PIN_MAX_WRONG = 2
    with pytest.raises(DomainError):
        _set(ready, "975310", current="000001")
    with pytest.raises(DomainError) as refused:
        sign(ready, pin="000002")
    assert refused.value.code == "signature.pin_locked"
    with pytest.raises(DomainError) as refused:
        _set(ready, "975310", current=PIN)
    assert refused.value.code == "signature.pin_locked"


def test_the_key_at_rest_is_encrypted_and_opens_only_with_the_pin(ready, algorithm):
    credential = SigningCredential.objects.get(holder=ready)
    envelope = json.loads(credential.key_handle)
    assert (envelope["wrap"], envelope["cipher"], envelope["kdf"]["name"]) == ("pin", "aes-256-gcm", "scrypt")
    assert envelope["serial"] == credential.certificate.serial
    der = keystore.unwrap(credential.key_handle, pin=PIN)
    key = algorithms.load_private_key(algorithm, der)
    assert der not in credential.key_handle.encode()
    assert algorithms.public_key_der(key) == algorithms.read_certificate(credential.certificate.pem).spki_der
    with pytest.raises(keystore.WrongSecret):
        keystore.unwrap(credential.key_handle, pin="000000")


def test_the_key_also_needs_the_servers_secret(ready, settings):
    """A copy of the database alone is not enough to try PINs: the passphrase is keyed by CA_KEY_SECRET."""
    handle = SigningCredential.objects.get(holder=ready).key_handle
    settings.CA_KEY_SECRET = "another-secret-of-another-installation"
    with pytest.raises(keystore.WrongSecret):
        keystore.unwrap(handle, pin=PIN)


def test_a_key_moved_onto_another_certificate_does_not_open(ready, carol):
    """The envelope is bound to its certificate's serial: relabelling it breaks the authentication tag."""
    bob = SigningCredential.objects.get(holder=ready)
    envelope = json.loads(bob.key_handle)
    other_serial = SigningCredential.objects.get(holder=carol).certificate.serial
    moved = json.dumps({**envelope, "serial": other_serial})
    with pytest.raises(keystore.WrongSecret):
        keystore.unwrap(moved, pin=PIN)
    relabelled = json.dumps({**envelope, "wrap": "server"})
    with pytest.raises(keystore.WrongSecret):
        keystore.unwrap(relabelled)


def test_the_ca_never_signs_with_an_enrolment_key_or_without_the_pin(db, carol, algorithm):
    services.ca_setup(actor=Actor.system())
    credential = SigningCredential.objects.get(holder=carol)
    ca = sandbox.BuiltinCa()
    request = SignRequest(
        key_handle=credential.key_handle,
        certificate_serial=credential.certificate.serial,
        algorithm=algorithm,
        message=b"{}",
        pin="135790",
    )
    with pytest.raises(CaError) as refused:
        ca.sign(request)
    assert refused.value.code == CaError.PIN_NOT_SET
    handle = ca.set_pin(
        PinChange(
            key_handle=credential.key_handle,
            certificate_serial=credential.certificate.serial,
            current_pin=None,
            new_pin="135790",
        )
    )
    with pytest.raises(CaError) as refused:
        ca.sign(SignRequest(handle, credential.certificate.serial, algorithm, b"{}", pin=None))
    assert refused.value.code == CaError.PIN_WRONG
    assert ca.sign(SignRequest(handle, credential.certificate.serial, algorithm, b"{}", pin="135790"))


def test_a_ca_outage_is_a_transient_coded_refusal_and_no_pin_is_counted(ready):
    sandbox.fail_next(1)
    with pytest.raises(DomainError) as refused:
        sign(ready)
    assert (refused.value.code, refused.value.status) == ("signature.ca_unavailable", 503)
    assert SigningCredential.objects.get(holder=ready).pin_failures == 0
    assert not Signature.objects.exists()
    assert sign(ready).pk  # the outage is over


def test_a_permanent_ca_refusal_is_reported_as_such(ready):
    sandbox.fail_next(1, permanent=True, code=CaError.INVALID_REQUEST)
    with pytest.raises(DomainError) as refused:
        sign(ready)
    assert refused.value.code == "signature.ca_refused"
    assert AuditEvent.objects.filter(action="signature.sign.refused", details__code="signature.ca_refused").exists()


def test_the_ca_can_be_told_to_answer_late(ready, monkeypatch):
    waited = []
    monkeypatch.setattr(sandbox.time, "sleep", waited.append)
    sandbox.delay_next(7)
    sign(ready)
    assert waited == [7]
    sign(ready, version=2)
    assert waited == [7, 0]  # back to the configured latency


def test_an_issuing_outage_is_coded(db, dr_bob, algorithm):
    sandbox.fail_next(1)
    with pytest.raises(DomainError) as refused:
        services.credential_issue(holder=dr_bob, actor=Actor.system())
    assert refused.value.code == "signature.ca_unavailable"
    assert not SigningCredential.objects.exists()

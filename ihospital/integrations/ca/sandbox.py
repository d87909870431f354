"""The built-in CA: the default ``CA_BACKEND``, and the sandbox of a provincial CA's remote-signing service.

It behaves like one where it matters to the hospital:

- it has a root per algorithm (created on first use, its key encrypted under CA_KEY_SECRET) and issues
  X.509 certificates to the hospital (its seal) and to each doctor and pharmacist, keeping a register of
  what it issued and revoked;
- a personal key cannot sign until its holder sets a PIN; every signing needs the PIN, and a wrong PIN
  is refused (``CaError(PIN_WRONG)``); a revoked certificate's key no longer signs;
- it answers after a delay (``CA_SANDBOX_LATENCY_SECONDS``) and fails on demand::

      sandbox.fail_next(2)                                  # the next 2 calls: transient outage
      sandbox.fail_next(1, permanent=True, code="invalid_request")
      sandbox.delay_next(5)                                 # the next call answers after 5 s

  (stored in the cache: a test, or a developer with a shared cache, arms it for the web process).

The key handle it gives back is the key itself, in a PIN-encrypted envelope (``keystore``): like a
remote-signing CA, it keeps nothing the hospital database could use without the holder's PIN.
"""

from __future__ import annotations

import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction

from ihospital.core.time import now
from ihospital.integrations.ca import algorithms, keystore
from ihospital.integrations.ca.base import (
    ALGORITHMS,
    SM2_SM3,
    CaError,
    IssuedCredential,
    IssueRequest,
    PinChange,
    SignRequest,
)
from ihospital.integrations.models import SandboxCaAuthority, SandboxCaCertificate

FAULT_KEY = "sandbox:ca:fail_next"
DELAY_KEY = "sandbox:ca:delay_next"
ROOT_VALID_DAYS = 10 * 365
CLOCK_SKEW = timedelta(minutes=5)  # certificates start a little in the past, as CAs do


def fail_next(count: int = 1, *, permanent: bool = False, code: str = CaError.UNAVAILABLE) -> None:
    cache.set(FAULT_KEY, {"count": count, "permanent": permanent, "code": code}, timeout=3600)


def delay_next(seconds: float, count: int = 1) -> None:
    cache.set(DELAY_KEY, {"count": count, "seconds": seconds}, timeout=3600)


def _take(key: str) -> dict | None:
    armed = cache.get(key)
    if not armed or armed["count"] <= 0:
        return None
    cache.set(key, {**armed, "count": armed["count"] - 1}, timeout=3600)
    return armed


def _answer_like_a_remote_service() -> None:
    delay = _take(DELAY_KEY)
    time.sleep(delay["seconds"] if delay else settings.CA_SANDBOX_LATENCY_SECONDS)
    if fault := _take(FAULT_KEY):
        raise CaError("sandbox: injected CA failure", code=fault["code"], permanent=fault["permanent"])


def _new_serial() -> int:
    return secrets.randbits(120) | (1 << 120)  # positive, 121 bits, never guessable (CA/B BR: ≥ 64 random bits)


def _root_name(algorithm: str) -> dict[str, str]:
    label = "SM2" if algorithm == SM2_SM3 else "ECC"
    return {"common_name": f"ihospital Sandbox Root CA ({label})", "organization_name": settings.CA_ORGANIZATION}


class BuiltinCa:
    name = "builtin"

    def _root(self, algorithm: str) -> SandboxCaAuthority:
        root = SandboxCaAuthority.objects.filter(algorithm=algorithm).first()
        if root is not None:
            return root
        key = algorithms.generate_private_key(algorithm)
        serial = _new_serial()
        moment = now()
        spec = algorithms.CertificateSpec(
            serial=serial,
            subject=_root_name(algorithm),
            spki_der=algorithms.public_key_der(key),
            not_before=moment - CLOCK_SKEW,
            not_after=moment + timedelta(days=ROOT_VALID_DAYS),
            is_ca=True,
        )
        pem = algorithms.build_certificate(algorithm=algorithm, spec=spec, issuer_name=None, issuer_key=key)
        envelope = keystore.wrap(
            der=algorithms.private_key_der(key), algorithm=algorithm, serial=format(serial, "X"), wrap="server"
        )
        try:
            with transaction.atomic():
                return SandboxCaAuthority.objects.create(
                    algorithm=algorithm, certificate_pem=pem, key_envelope=envelope
                )
        except IntegrityError:  # another process created it first: use theirs
            return SandboxCaAuthority.objects.get(algorithm=algorithm)

    def authority_chain(self, algorithm: str) -> tuple[str, ...]:
        return (self._root(algorithm).certificate_pem,)

    def issue(self, request: IssueRequest) -> IssuedCredential:
        _answer_like_a_remote_service()
        if request.valid_days < 1 or request.algorithm not in ALGORITHMS:
            raise CaError("sandbox: invalid certificate request", code=CaError.INVALID_REQUEST, permanent=True)
        root = self._root(request.algorithm)
        root_info = algorithms.read_certificate(root.certificate_pem)
        root_key = algorithms.load_private_key(request.algorithm, keystore.unwrap(root.key_envelope))
        key = algorithms.generate_private_key(request.algorithm)
        serial = _new_serial()
        moment = now()
        subject = {
            "common_name": request.subject.common_name,
            "organization_name": request.subject.organization,
            "serial_number": request.subject.holder_id,
        }
        if request.subject.title:
            subject["title"] = request.subject.title
        spec = algorithms.CertificateSpec(
            serial=serial,
            subject=subject,
            spki_der=algorithms.public_key_der(key),
            not_before=moment - CLOCK_SKEW,
            not_after=min(moment + timedelta(days=request.valid_days), root_info.not_after),
            is_ca=False,
        )
        pem = algorithms.build_certificate(
            algorithm=request.algorithm, spec=spec, issuer_name=_root_name(request.algorithm), issuer_key=root_key
        )
        info = algorithms.read_certificate(pem)
        handle = keystore.wrap(
            der=algorithms.private_key_der(key),
            algorithm=request.algorithm,
            serial=info.serial,
            wrap="server" if request.kind == "seal" else "enrolment",
        )
        SandboxCaCertificate.objects.create(serial=info.serial, algorithm=request.algorithm, subject=info.subject[:300])
        return IssuedCredential(certificate_pem=pem, chain_pem=(root.certificate_pem,), key_handle=handle)

    def set_pin(self, change: PinChange) -> str:
        _answer_like_a_remote_service()
        envelope = self._envelope(change.key_handle, change.certificate_serial)
        if envelope["wrap"] == "server":
            raise CaError("sandbox: this key signs without a PIN", code=CaError.INVALID_REQUEST, permanent=True)
        if envelope["wrap"] == "pin" and not change.current_pin:
            raise CaError("sandbox: the current PIN is required", code=CaError.PIN_WRONG, permanent=True)
        der = self._open(change.key_handle, change.current_pin if envelope["wrap"] == "pin" else None)
        return keystore.wrap(
            der=der, algorithm=envelope["algorithm"], serial=envelope["serial"], wrap="pin", pin=change.new_pin
        )

    def sign(self, request: SignRequest) -> bytes:
        _answer_like_a_remote_service()
        envelope = self._envelope(request.key_handle, request.certificate_serial)
        if SandboxCaCertificate.objects.filter(serial=request.certificate_serial, revoked_at__isnull=False).exists():
            raise CaError("sandbox: the certificate is revoked", code=CaError.CERTIFICATE_REVOKED, permanent=True)
        if envelope["wrap"] == "enrolment":
            raise CaError("sandbox: set a PIN first", code=CaError.PIN_NOT_SET, permanent=True)
        if envelope["wrap"] == "pin" and not request.pin:
            raise CaError("sandbox: the PIN is required", code=CaError.PIN_WRONG, permanent=True)
        if envelope["algorithm"] != request.algorithm:
            raise CaError("sandbox: algorithm mismatch", code=CaError.INVALID_REQUEST, permanent=True)
        der = self._open(request.key_handle, request.pin if envelope["wrap"] == "pin" else None)
        key = algorithms.load_private_key(request.algorithm, der)
        return algorithms.sign(request.algorithm, key, request.message)

    def revoke(self, *, certificate_serial: str, reason: str) -> None:
        _answer_like_a_remote_service()
        SandboxCaCertificate.objects.filter(serial=certificate_serial, revoked_at__isnull=True).update(
            revoked_at=now(), revocation_reason=reason[:200]
        )

    @staticmethod
    def _envelope(handle: str, serial: str) -> dict:
        try:
            envelope = keystore.describe(handle)
        except ValueError:
            raise CaError("sandbox: unknown key", code=CaError.UNKNOWN_KEY, permanent=True) from None
        if envelope["serial"] != serial:
            raise CaError("sandbox: the key is not this certificate's", code=CaError.UNKNOWN_KEY, permanent=True)
        return envelope

    @staticmethod
    def _open(handle: str, pin: str | None) -> bytes:
        try:
            return keystore.unwrap(handle, pin=pin)
        except keystore.WrongSecret:
            raise CaError("sandbox: wrong PIN", code=CaError.PIN_WRONG, permanent=True) from None

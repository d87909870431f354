"""Reads: the current signing credential of a person, signatures, and checking a stored signature."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from ihospital.accounts.models import User
from ihospital.core.errors import CoreError, DomainError
from ihospital.core.time import now
from ihospital.integrations.ca import algorithms
from ihospital.signatures import verification
from ihospital.signatures.canonical import NotCanonical, canonical_bytes
from ihospital.signatures.errors import VerificationResult
from ihospital.signatures.models import Certificate, Signature, SigningCredential


def credential_current(*, holder: User | None, algorithm: str | None = None) -> SigningCredential | None:
    """The newest credential of ``holder`` (None: the hospital seal) for ``algorithm`` (default: the
    configured one), revoked or not: the caller tells the holder why it cannot sign."""
    credentials = SigningCredential.objects.select_related("certificate").filter(
        certificate__algorithm=algorithm or settings.SIGNATURE_ALGORITHM
    )
    if holder is None:
        credentials = credentials.filter(holder__isnull=True, certificate__kind=Certificate.Kind.SEAL)
    else:
        credentials = credentials.filter(holder=holder, certificate__kind=Certificate.Kind.PERSONAL)
    return credentials.order_by("-created_at", "-id").first()


def credential_usable(credential: SigningCredential | None, at: datetime | None = None) -> bool:
    if credential is None:
        return False
    moment = at or now()
    cert = credential.certificate
    return cert.revoked_at is None and cert.not_before <= moment <= cert.not_after


def signatures_of(*, document_type: str, document_id: Any) -> QuerySet[Signature]:
    return Signature.objects.filter(document_type=document_type, document_id=document_id).order_by("version")


def access_signature(*, signature_id: Any) -> Signature:
    """Any member of staff may check any signature: it reveals the signer, certificate, time and digest,
    not the document (a patient's PDF carries the same facts on a QR code)."""
    signature = Signature.objects.select_related("certificate", "signer").filter(public_id=signature_id).first()
    if signature is None:
        raise DomainError(CoreError.NOT_FOUND)
    return signature


@dataclass(frozen=True)
class Verification:
    signature: Signature
    code: str
    checks: dict[str, bool]
    chain: tuple[str, ...]

    @property
    def valid(self) -> bool:
        return self.code == verification.OK

    @property
    def message(self) -> str:
        return str(VerificationResult.MESSAGES[self.code])


def _authorities(algorithm: str) -> tuple[list[algorithms.CertificateInfo], list[algorithms.CertificateInfo]]:
    rows = Certificate.objects.filter(kind=Certificate.Kind.AUTHORITY, algorithm=algorithm).values_list(
        "pem", "trusted"
    )
    infos = [(algorithms.read_certificate(pem), trusted) for pem, trusted in rows]
    return [info for info, _t in infos], [info for info, trusted in infos if trusted]


def signature_verify(*, signature: Signature, payload: dict[str, Any] | None = None) -> Verification:
    """Check a stored signature: the digest of the signed bytes, the signature over them, the chain from the
    certificate to a trusted CA (each link valid at the signing time), the certificate's validity and
    revocation at the signing time, and, when ``payload`` is given, that it is the document that was signed."""
    expected = None
    if payload is not None:
        try:
            expected = canonical_bytes(payload)
        except NotCanonical:
            expected = b""  # cannot be what was signed
    authorities, anchors = _authorities(signature.algorithm)
    outcome = verification.check(
        document=signature.document.encode(),
        signature=bytes(signature.value),
        algorithm=signature.algorithm,
        digest=signature.digest,
        certificate=algorithms.read_certificate(signature.certificate.pem),
        authorities=authorities,
        anchors=anchors,
        signed_at=signature.signed_at,
        revoked_at=signature.certificate.revoked_at,
        expected_document=expected,
    )
    return Verification(signature=signature, code=outcome.code, checks=outcome.checks, chain=outcome.chain)

"""Checking a signature from its parts alone (no database): the signed bytes, the DER signature, the signer's
certificate, the CA certificates that may lie between, the trust anchors, and the signing time.

Used by ``selectors.signature_verify`` for stored signatures and by ``manage verify_signature --files``
for exported ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ihospital.integrations.ca import algorithms
from ihospital.integrations.ca.algorithms import CertificateInfo

MAX_CHAIN = 5

# Outcome codes, in the order the checks run (errors.SignatureError holds their messages).
OK = "signature.valid"
DIGEST_MISMATCH = "signature.digest_mismatch"
DOCUMENT_CHANGED = "signature.document_changed"
ALGORITHM_MISMATCH = "signature.algorithm_mismatch"
INVALID = "signature.invalid"
CHAIN_INVALID = "signature.chain_invalid"
EXPIRED_AT_SIGNING = "signature.certificate_expired_at_signing"
REVOKED_AT_SIGNING = "signature.certificate_revoked_at_signing"


@dataclass(frozen=True)
class Outcome:
    code: str
    checks: dict[str, bool] = field(default_factory=dict)
    chain: tuple[str, ...] = ()  # subjects from the signer's certificate up to the trust anchor

    @property
    def valid(self) -> bool:
        return self.code == OK


def build_chain(
    leaf: CertificateInfo, authorities: Sequence[CertificateInfo], anchors: Sequence[CertificateInfo], at: datetime
) -> tuple[CertificateInfo, ...] | None:
    """The path from ``leaf`` to a trust anchor, each link's signature checked, each issuer a CA valid at
    ``at``; None when there is none."""
    anchor_prints = {anchor.fingerprint for anchor in anchors}
    candidates = {c.fingerprint: c for c in (*authorities, *anchors)}.values()
    path = [leaf]
    current = leaf
    for _ in range(MAX_CHAIN):
        if current.fingerprint in anchor_prints:
            return tuple(path)
        issuer = next(
            (
                c
                for c in candidates
                if c.is_ca
                and c.valid_at(at)
                and c.fingerprint not in {p.fingerprint for p in path}
                and algorithms.issued_by(current, c)
            ),
            None,
        )
        if issuer is None:
            return None
        path.append(issuer)
        current = issuer
    return tuple(path) if current.fingerprint in anchor_prints else None


def check(
    *,
    document: bytes,
    signature: bytes,
    algorithm: str,
    digest: str | None,
    certificate: CertificateInfo,
    authorities: Sequence[CertificateInfo],
    anchors: Sequence[CertificateInfo],
    signed_at: datetime,
    revoked_at: datetime | None = None,
    expected_document: bytes | None = None,
) -> Outcome:
    """Every check, in order; the outcome's code is the first that failed (or ``signature.valid``)."""
    checks: dict[str, bool] = {}
    checks["digest"] = digest is None or algorithms.digest(algorithm, document) == digest
    if expected_document is not None:
        checks["document_matches"] = expected_document == document
    checks["algorithm"] = certificate.algorithm == algorithm
    checks["signature"] = checks["algorithm"] and algorithms.verify(
        algorithm, certificate.spki_der, signature, document
    )
    path = build_chain(certificate, authorities, anchors, signed_at)
    checks["chain"] = path is not None
    checks["valid_at_signing"] = certificate.valid_at(signed_at) and certificate.can_sign_documents
    checks["not_revoked_at_signing"] = revoked_at is None or revoked_at > signed_at
    order = [
        ("digest", DIGEST_MISMATCH),
        ("document_matches", DOCUMENT_CHANGED),
        ("algorithm", ALGORITHM_MISMATCH),
        ("signature", INVALID),
        ("chain", CHAIN_INVALID),
        ("valid_at_signing", EXPIRED_AT_SIGNING),
        ("not_revoked_at_signing", REVOKED_AT_SIGNING),
    ]
    code = next((failure for name, failure in order if checks.get(name) is False), OK)
    return Outcome(code=code, checks=checks, chain=tuple(c.subject for c in path or ()))

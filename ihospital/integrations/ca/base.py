"""The certificate-authority interface (数字证书): the built-in CA and a real CA's remote-signing service.

A real provincial CA's remote-signing ("协同签名"/cloud signing) service keeps each signer's private key
on its side: the hospital asks it to enrol a signer (it generates the key pair and issues the X.509
certificate), to set or change the signer's PIN, to sign bytes with the key named by a handle once the
signer's PIN unlocks it, and to revoke a certificate. The built-in CA (``sandbox.BuiltinCa``) does the
same on this machine: it keeps its root keys in ``integrations.models.SandboxCaAuthority`` and hands the
signer's key back as the handle itself, a PKCS#8 key encrypted under a key derived from the PIN
(``keystore``), so the hospital database never holds a usable private key.

Adapters speak in these dataclasses and PEM/DER bytes, never ORM objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from ihospital.core.outbox import DeliveryError

ECDSA_P256_SHA256 = "ecdsa-p256-sha256"
SM2_SM3 = "sm2-sm3"
ALGORITHMS = (ECDSA_P256_SHA256, SM2_SM3)

HolderKind = Literal["seal", "personal"]


@dataclass(frozen=True)
class Subject:
    """Who a certificate names. ``holder_id``: the person's (or the hospital's) stable public id."""

    common_name: str
    organization: str
    holder_id: str
    title: str = ""  # doctor, pharmacist; empty for the hospital seal


@dataclass(frozen=True)
class IssueRequest:
    subject: Subject
    kind: HolderKind
    algorithm: str
    valid_days: int


@dataclass(frozen=True)
class IssuedCredential:
    """``certificate_pem``: the holder's certificate; ``chain_pem``: the issuing CA's certificates, the
    issuer first and the root last. ``key_handle``: what names the key to the CA when signing (opaque)."""

    certificate_pem: str
    chain_pem: tuple[str, ...]
    key_handle: str


@dataclass(frozen=True)
class SignRequest:
    """Sign ``message`` (the document's canonical bytes, not a digest: SM2 hashes Z‖M itself) with the key
    behind ``key_handle``. ``pin`` is the holder's signing PIN; None only for the hospital seal."""

    key_handle: str
    certificate_serial: str
    algorithm: str
    message: bytes
    pin: str | None


@dataclass(frozen=True)
class PinChange:
    """Set a PIN (``current_pin`` None: the first one) or change it. Returns the key's new handle."""

    key_handle: str
    certificate_serial: str
    current_pin: str | None
    new_pin: str


class CaError(DeliveryError):
    """A CA call failed. Transient by default (timeouts, 5xx); ``permanent=True`` when retrying can't help.

    ``code`` is normalised, as adapters translate their vendor's codes: a wrong PIN is told apart from a
    revoked certificate or an outage.
    """

    PIN_WRONG = "pin_wrong"
    PIN_NOT_SET = "pin_not_set"
    CERTIFICATE_REVOKED = "certificate_revoked"
    UNKNOWN_KEY = "unknown_key"
    INVALID_REQUEST = "invalid_request"
    UNAVAILABLE = "unavailable"

    def __init__(self, message: str, *, code: str = UNAVAILABLE, permanent: bool = False) -> None:
        super().__init__(message, permanent=permanent)
        self.code = code


class CertificateAuthority(Protocol):
    name: str

    def authority_chain(self, algorithm: str) -> tuple[str, ...]:
        """The CA's certificates for ``algorithm`` (PEM), the issuing CA first and the root last."""

    def issue(self, request: IssueRequest) -> IssuedCredential:
        """Generate a key pair on the CA side and certify it. A personal key cannot sign until its PIN
        is set (``set_pin``); the seal's key signs without one."""

    def set_pin(self, change: PinChange) -> str:
        """Raises CaError(PIN_WRONG) when ``current_pin`` does not open the key."""

    def sign(self, request: SignRequest) -> bytes:
        """The DER signature. Raises CaError with PIN_WRONG, PIN_NOT_SET, CERTIFICATE_REVOKED (permanent)
        or UNAVAILABLE (transient)."""

    def revoke(self, *, certificate_serial: str, reason: str) -> None: ...

"""The two signature algorithms, and X.509 certificates built and read for either.

- ``ecdsa-p256-sha256``: ECDSA on NIST P-256 with SHA-256, from ``cryptography`` (OpenSSL).
- ``sm2-sm3``: SM2 with SM3 (GB/T 32918, GB/T 35276) from ``tongsuopy`` (Tongsuo, the OpenSSL fork of the
  Chinese national algorithms, in C). The signature covers SM3(Z ‖ M) with the default distinguishing ID
  ``1234567812345678``; each signature draws a fresh random nonce from the C library's CSPRNG
  (docs/decisions/0003-sm2-from-tongsuopy.md).

Certificates are built and parsed with ``asn1crypto`` for both algorithms: ``cryptography`` can read an
SM2 certificate but neither sign one nor hand out its key, so one code path serves both. Signatures are
DER ``SEQUENCE {r, s}`` in both cases, as X.509 and ``openssl pkeyutl`` expect.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.exceptions import InvalidSignature
from cryptography.exceptions import UnsupportedAlgorithm as CryptoUnsupported
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from tongsuopy.crypto import exceptions as gm_exceptions
from tongsuopy.crypto import hashes as gm_hashes
from tongsuopy.crypto import serialization as gm_serialization
from tongsuopy.crypto.asymciphers import ec as gm_ec

from ihospital.integrations.ca.base import ECDSA_P256_SHA256, SM2_SM3

SM2_DEFAULT_ID = b"1234567812345678"
_SIGNATURE_OIDS = {ECDSA_P256_SHA256: "1.2.840.10045.4.3.2", SM2_SM3: "1.2.156.10197.1.501"}
_CURVE_OIDS = {ECDSA_P256_SHA256: "1.2.840.10045.3.1.7", SM2_SM3: "1.2.156.10197.1.301"}
_ALGORITHM_OF_SIGNATURE_OID = {oid: name for name, oid in _SIGNATURE_OIDS.items()}


class UnsupportedAlgorithm(ValueError):
    pass


def _check(algorithm: str) -> None:
    if algorithm not in _SIGNATURE_OIDS:
        raise UnsupportedAlgorithm(f"unknown signature algorithm {algorithm!r}")


def generate_private_key(algorithm: str) -> Any:
    _check(algorithm)
    if algorithm == SM2_SM3:
        return gm_ec.generate_private_key(gm_ec.SM2())
    return ec.generate_private_key(ec.SECP256R1())


def private_key_der(key: Any) -> bytes:
    """Unencrypted PKCS#8 DER, to be encrypted at once by ``keystore``."""
    if isinstance(key, gm_ec.EllipticCurvePrivateKey):
        return key.private_bytes(
            gm_serialization.Encoding.DER, gm_serialization.PrivateFormat.PKCS8, gm_serialization.NoEncryption()
        )
    return key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_private_key(algorithm: str, der: bytes) -> Any:
    _check(algorithm)
    if algorithm == SM2_SM3:
        key = gm_serialization.load_der_private_key(der, password=None)
        if not isinstance(key, gm_ec.EllipticCurvePrivateKey) or not isinstance(key.curve, gm_ec.SM2):
            raise UnsupportedAlgorithm("not an SM2 private key")
        return key
    key = serialization.load_der_private_key(der, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise UnsupportedAlgorithm("not a P-256 private key")
    return key


def load_pem_private_key(pem: bytes, password: bytes | None) -> tuple[str, Any]:
    """An imported key in PEM (PKCS#8 or traditional, optionally encrypted): (algorithm, key)."""
    try:
        key = serialization.load_pem_private_key(pem, password=password)
    except (ValueError, TypeError, CryptoUnsupported):  # cryptography does not know the SM2 curve
        key = gm_serialization.load_pem_private_key(pem, password=password)
        if isinstance(key, gm_ec.EllipticCurvePrivateKey) and isinstance(key.curve, gm_ec.SM2):
            return SM2_SM3, key
        raise UnsupportedAlgorithm("the key is neither P-256 nor SM2") from None
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        return ECDSA_P256_SHA256, key
    raise UnsupportedAlgorithm("the key is neither P-256 nor SM2")


def public_key_der(key: Any) -> bytes:
    """SubjectPublicKeyInfo DER of a private key's public half."""
    public = key.public_key()
    if isinstance(public, gm_ec.EllipticCurvePublicKey):
        return public.public_bytes(gm_serialization.Encoding.DER, gm_serialization.PublicFormat.SubjectPublicKeyInfo)
    return public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def sign(algorithm: str, key: Any, message: bytes) -> bytes:
    """DER signature of ``message``; a fresh random nonce every time for both algorithms."""
    _check(algorithm)
    if algorithm == SM2_SM3:
        return key.sign(message, gm_ec.ECDSA(gm_hashes.SM3()))
    return key.sign(message, ec.ECDSA(hashes.SHA256()))


def verify(algorithm: str, spki_der: bytes, signature: bytes, message: bytes) -> bool:
    _check(algorithm)
    try:
        if algorithm == SM2_SM3:
            gm_public = gm_serialization.load_der_public_key(spki_der)
            if not isinstance(gm_public, gm_ec.EllipticCurvePublicKey):
                return False
            gm_public.verify(signature, message, gm_ec.ECDSA(gm_hashes.SM3()))
        else:
            public = serialization.load_der_public_key(spki_der)
            if not isinstance(public, ec.EllipticCurvePublicKey):
                return False
            public.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, gm_exceptions.InvalidSignature, ValueError):
        return False
    return True


def digest(algorithm: str, message: bytes) -> str:
    """The document's fingerprint in hex: SHA-256, or SM3 for SM2 (SM3 of the message itself; the SM2
    signature covers SM3(Z ‖ M), which depends on the signer's key)."""
    _check(algorithm)
    if algorithm == SM2_SM3:
        h = hashes.Hash(hashes.SM3())
        h.update(message)
        return h.finalize().hex()
    return hashlib.sha256(message).hexdigest()


# --- Certificates ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CertificateInfo:
    """What a certificate says, read from its DER. ``serial`` in upper-case hex."""

    der: bytes
    serial: str
    subject: str
    issuer: str
    subject_der: bytes
    issuer_der: bytes
    holder_id: str
    not_before: datetime
    not_after: datetime
    algorithm: str  # of its own key
    signature_algorithm: str  # the one its issuer signed it with
    spki_der: bytes
    is_ca: bool
    can_sign_documents: bool
    tbs_der: bytes
    signature: bytes

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.der).hexdigest()

    @property
    def self_signed(self) -> bool:
        return self.subject_der == self.issuer_der

    @property
    def pem(self) -> str:
        return der_to_pem(self.der)

    def valid_at(self, moment: datetime) -> bool:
        return self.not_before <= moment <= self.not_after


_SHORT_NAMES = {
    "common_name": "CN",
    "organization_name": "O",
    "organizational_unit_name": "OU",
    "country_name": "C",
    "state_or_province_name": "ST",
    "locality_name": "L",
    "serial_number": "serialNumber",
    "title": "title",
}


def name_text(name: asn1_x509.Name) -> str:
    """A distinguished name as people read it, in the certificate's order: ``CN=…, O=…``."""
    parts = []
    for rdn in name.chosen:
        for attribute in rdn:
            kind = attribute["type"].native
            parts.append(f"{_SHORT_NAMES.get(kind, attribute['type'].dotted)}={attribute['value'].native}")
    return ", ".join(parts)


def der_to_pem(der: bytes) -> str:
    import base64

    body = base64.encodebytes(der).decode().replace("\n", "")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


def pem_blocks(pem: str | bytes) -> list[bytes]:
    """The DER of every certificate in a PEM bundle, in order."""
    from asn1crypto import pem as asn1_pem

    data = pem.encode() if isinstance(pem, str) else pem
    return [der for kind, _headers, der in asn1_pem.unarmor(data, multiple=True) if kind == "CERTIFICATE"]


def read_certificate(data: str | bytes) -> CertificateInfo:
    """Parse one certificate (PEM or DER). Raises ValueError if it is not one this system can use."""
    if isinstance(data, str) or data.lstrip().startswith(b"-----"):
        blocks = pem_blocks(data)
        if len(blocks) != 1:
            raise ValueError("expected exactly one PEM certificate")
        data = blocks[0]
    cert = asn1_x509.Certificate.load(data)
    tbs = cert["tbs_certificate"]
    spki = tbs["subject_public_key_info"]
    curve = spki["algorithm"]["parameters"].chosen.dotted if spki.algorithm == "ec" else ""
    algorithm = next((name for name, oid in _CURVE_OIDS.items() if oid == curve), "")
    signature_oid = cert["signature_algorithm"]["algorithm"].dotted
    if not algorithm or signature_oid not in _ALGORITHM_OF_SIGNATURE_OID:
        raise ValueError("the certificate's key or signature algorithm is neither P-256/ECDSA nor SM2/SM3")
    usage = cert.key_usage_value.native if cert.key_usage_value else set()
    subject_fields = cert.subject.native
    return CertificateInfo(
        der=cert.dump(),
        serial=format(cert.serial_number, "X"),
        subject=name_text(cert.subject),
        issuer=name_text(cert.issuer),
        subject_der=cert.subject.dump(),
        issuer_der=cert.issuer.dump(),
        holder_id=str(subject_fields.get("serial_number", "")),
        not_before=tbs["validity"]["not_before"].native.astimezone(UTC),
        not_after=tbs["validity"]["not_after"].native.astimezone(UTC),
        algorithm=algorithm,
        signature_algorithm=_ALGORITHM_OF_SIGNATURE_OID[signature_oid],
        spki_der=spki.dump(),
        is_ca=bool(cert.ca),
        can_sign_documents=not usage or "digital_signature" in usage or "non_repudiation" in usage,
        tbs_der=tbs.dump(),
        signature=cert["signature_value"].native,
    )


def issued_by(child: CertificateInfo, issuer: CertificateInfo) -> bool:
    """True when ``issuer`` names and signed ``child`` (the name matches and the signature verifies)."""
    return child.issuer_der == issuer.subject_der and verify(
        child.signature_algorithm, issuer.spki_der, child.signature, child.tbs_der
    )


@dataclass(frozen=True)
class CertificateSpec:
    serial: int
    subject: dict[str, str]  # asn1crypto Name fields: common_name, organization_name, serial_number, title
    spki_der: bytes
    not_before: datetime
    not_after: datetime
    is_ca: bool


def build_certificate(
    *, algorithm: str, spec: CertificateSpec, issuer_name: dict[str, str] | None, issuer_key: Any
) -> str:
    """A v3 certificate for ``spec`` signed by ``issuer_key`` (self-signed when ``issuer_name`` is None), PEM."""
    _check(algorithm)
    subject = asn1_x509.Name.build(spec.subject)
    issuer = asn1_x509.Name.build(issuer_name) if issuer_name else subject
    usage = (
        {"key_cert_sign", "crl_sign", "digital_signature"} if spec.is_ca else {"digital_signature", "non_repudiation"}
    )
    spki = asn1_keys.PublicKeyInfo.load(spec.spki_der)
    extensions = [
        {"extn_id": "basic_constraints", "critical": True, "extn_value": {"ca": spec.is_ca}},
        {"extn_id": "key_usage", "critical": True, "extn_value": usage},
        {"extn_id": "key_identifier", "critical": False, "extn_value": spki.sha1},
    ]
    signature_algorithm = {"algorithm": _SIGNATURE_OIDS[algorithm]}
    tbs = asn1_x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": spec.serial,
            "signature": signature_algorithm,
            "issuer": issuer,
            "validity": {
                "not_before": asn1_x509.Time({"utc_time": spec.not_before}),
                "not_after": asn1_x509.Time({"utc_time": spec.not_after}),
            },
            "subject": subject,
            "subject_public_key_info": spki,
            "extensions": extensions,
        }
    )
    signature = sign(algorithm, issuer_key, tbs.dump())
    cert = asn1_x509.Certificate(
        {"tbs_certificate": tbs, "signature_algorithm": signature_algorithm, "signature_value": signature}
    )
    return der_to_pem(cert.dump())

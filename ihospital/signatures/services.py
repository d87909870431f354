"""Signature writes: issuing and importing certificates, signing PINs, signing documents, revoking.

Every service that talks to the CA runs **outside any transaction** (the CA may be a remote service, and a
wrong PIN must stay counted and audited even though the call fails): each opens its own short
transactions, and calling one inside ``transaction.atomic`` raises RuntimeError. A document's service signs
first and then, in its own transaction, records that the version is signed (checking that it is still the
version that was signed): see docs/signatures.md.

Every refusal raises ``DomainError`` with a ``SignatureError`` code and is audited in its own committed
transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, NoReturn

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from ihospital.accounts.models import Role, User
from ihospital.audit.services import Actor, record
from ihospital.core.errors import DomainError, ErrorCode
from ihospital.core.time import now
from ihospital.integrations import ca
from ihospital.integrations.ca import algorithms, keystore
from ihospital.integrations.ca.base import CaError, IssueRequest, PinChange, SignRequest, Subject
from ihospital.signatures import selectors
from ihospital.signatures.canonical import NotCanonical, canonical_bytes
from ihospital.signatures.errors import SignatureError
from ihospital.signatures.models import Certificate, Signature, SigningCredential
from ihospital.signatures.verification import build_chain

SIGNER_ROLES = (Role.DOCTOR, Role.PHARMACIST)
PIN_FORMAT = re.compile(r"^[0-9]{6,12}$")
SEAL_HOLDER_ID = "hospital-seal"


def _outside_transactions() -> None:
    """RuntimeError when called inside ``transaction.atomic`` (Django's test-case transactions excepted)."""
    with transaction.atomic(durable=True):
        pass


def _refuse(
    actor: Actor, action: str, error: ErrorCode, *, target_type: str = "", target_id: str = "", **params: Any
) -> NoReturn:
    """Audit a refusal in its own committed transaction, then raise it."""
    with transaction.atomic():
        record(
            actor=actor,
            action=f"{action}.refused",
            target_type=target_type,
            target_id=target_id,
            details={"code": error.code},
        )
    raise DomainError(error, **params)


# --- Certificates ----------------------------------------------------------------------------------


def _store_certificate(
    info: algorithms.CertificateInfo, *, kind: str, trusted: bool = False, issued_by: Certificate | None = None
) -> Certificate:
    existing = Certificate.objects.filter(fingerprint=info.fingerprint).first()
    if existing is not None:
        if trusted and not existing.trusted:
            Certificate.objects.filter(pk=existing.pk).update(trusted=True)
            existing.trusted = True
        return existing
    return Certificate.objects.create(
        kind=kind,
        algorithm=info.algorithm,
        serial=info.serial,
        subject=info.subject[:300],
        issuer=info.issuer[:300],
        fingerprint=info.fingerprint,
        pem=info.pem,
        not_before=info.not_before,
        not_after=info.not_after,
        trusted=trusted,
        issued_by=issued_by,
    )


def _store_chain(chain: list[algorithms.CertificateInfo]) -> Certificate | None:
    """Store CA certificates (issuer first, root last), trusting the self-signed root. Returns the first."""
    issuer: Certificate | None = None
    for info in reversed(chain):
        issuer = _store_certificate(info, kind=Certificate.Kind.AUTHORITY, trusted=info.self_signed, issued_by=issuer)
    return issuer


def _ca_refusal(exc: CaError) -> ErrorCode:
    if exc.code == CaError.CERTIFICATE_REVOKED:
        return SignatureError.CERTIFICATE_REVOKED
    if exc.code == CaError.PIN_NOT_SET:
        return SignatureError.PIN_NOT_SET
    return SignatureError.CA_REFUSED if exc.permanent else SignatureError.CA_UNAVAILABLE


def credential_issue(*, holder: User | None, actor: Actor, algorithm: str | None = None) -> SigningCredential:
    """Have the CA generate a key pair and certify it for ``holder`` (a doctor or pharmacist; None: the
    hospital seal). A personal key signs only once its holder has set a PIN.

    Refuses: signature.signer_not_allowed, signature.ca_unavailable, signature.ca_refused.
    Side effects: the CA's certificates (trusted root), the holder's Certificate and SigningCredential,
    an audit entry.
    """
    _outside_transactions()
    action = "signature.certificate_issue"
    algorithm = algorithm or settings.SIGNATURE_ALGORITHM
    if holder is not None and holder.role not in SIGNER_ROLES:
        _refuse(actor, action, SignatureError.SIGNER_NOT_ALLOWED, target_type="user", target_id=str(holder.public_id))
    subject = (
        Subject(
            common_name=holder.display_name,
            organization=settings.CA_ORGANIZATION,
            holder_id=str(holder.public_id),
            title=holder.role,
        )
        if holder is not None
        else Subject(
            common_name=settings.CA_ORGANIZATION, organization=settings.CA_ORGANIZATION, holder_id=SEAL_HOLDER_ID
        )
    )
    authority = ca.backend()
    request = IssueRequest(
        subject=subject,
        kind="personal" if holder is not None else "seal",
        algorithm=algorithm,
        valid_days=settings.CA_PERSONAL_CERTIFICATE_DAYS if holder is not None else settings.CA_SEAL_CERTIFICATE_DAYS,
    )
    try:
        issued = authority.issue(request)
    except CaError as exc:
        _refuse(actor, action, _ca_refusal(exc), target_type="user", target_id=subject.holder_id)
    info = algorithms.read_certificate(issued.certificate_pem)
    with transaction.atomic():
        issuer = _store_chain([algorithms.read_certificate(pem) for pem in issued.chain_pem])
        kind = Certificate.Kind.PERSONAL if holder is not None else Certificate.Kind.SEAL
        certificate = _store_certificate(info, kind=kind, issued_by=issuer)
        credential = SigningCredential.objects.create(
            certificate=certificate, holder=holder, custody=authority.name, key_handle=issued.key_handle
        )
        record(
            actor=actor,
            action=action,
            target_type="certificate",
            target_id=str(certificate.public_id),
            details={"holder": subject.holder_id, "serial": info.serial, "algorithm": algorithm},
        )
    return credential


@dataclass
class CaSetup:
    algorithm: str
    authority: str = ""
    seal_issued: bool = False
    issued_to: list[str] = field(default_factory=list)


def ca_setup(*, actor: Actor, algorithm: str | None = None) -> CaSetup:
    """Make signing ready (``manage ca_init``; idempotent): trust the CA's root, and issue a certificate to
    the hospital seal and to every active doctor and pharmacist who has no usable one for ``algorithm``."""
    _outside_transactions()
    algorithm = algorithm or settings.SIGNATURE_ALGORITHM
    setup = CaSetup(algorithm=algorithm)
    chain = [algorithms.read_certificate(pem) for pem in ca.backend().authority_chain(algorithm)]
    with transaction.atomic():
        root = _store_chain(chain)
    setup.authority = root.subject if root else ""
    if not selectors.credential_usable(selectors.credential_current(holder=None, algorithm=algorithm)):
        credential_issue(holder=None, actor=actor, algorithm=algorithm)
        setup.seal_issued = True
    for person in User.objects.filter(role__in=SIGNER_ROLES, is_active=True).order_by("username"):
        if not selectors.credential_usable(selectors.credential_current(holder=person, algorithm=algorithm)):
            credential_issue(holder=person, actor=actor, algorithm=algorithm)
            setup.issued_to.append(person.username)
    return setup


def certificate_revoke(*, certificate: Certificate, reason: str, actor: Actor) -> None:
    """Revoke a certificate at its CA and here: it signs nothing from now on; what it signed before stays
    valid. Refuses: signature.ca_unavailable, signature.ca_refused. Idempotent."""
    _outside_transactions()
    action = "signature.certificate_revoke"
    credential = SigningCredential.objects.filter(certificate=certificate).first()
    if credential is not None:
        try:
            ca.for_custody(credential.custody).revoke(certificate_serial=certificate.serial, reason=reason)
        except CaError as exc:
            _refuse(actor, action, _ca_refusal(exc), target_type="certificate", target_id=str(certificate.public_id))
    with transaction.atomic():
        revoked = Certificate.objects.filter(pk=certificate.pk, revoked_at__isnull=True).update(
            revoked_at=now(), revocation_reason=reason[:200]
        )
        if revoked:
            record(
                actor=actor,
                action=action,
                target_type="certificate",
                target_id=str(certificate.public_id),
                details={"serial": certificate.serial, "reason": reason[:200]},
            )


# --- Signing PIN -----------------------------------------------------------------------------------


def _pin_is_weak(pin: str) -> bool:
    if not PIN_FORMAT.match(pin) or len(set(pin)) == 1:
        return True
    steps = {int(b) - int(a) for a, b in zip(pin, pin[1:], strict=False)}
    return steps in ({1}, {-1})


def _locked_minutes(credential: SigningCredential) -> int:
    locked_until = credential.locked_until
    if locked_until and locked_until > now():
        return max(1, int((locked_until - now()).total_seconds() // 60) + 1)
    return 0


def _count_wrong_pin(credential: SigningCredential) -> int:
    """Count one wrong PIN; lock signing once the limit is reached. Returns the tries left."""
    with transaction.atomic():
        SigningCredential.objects.filter(pk=credential.pk).update(pin_failures=F("pin_failures") + 1)
        failures = SigningCredential.objects.values_list("pin_failures", flat=True).get(pk=credential.pk)
        if failures >= settings.SIGNING_PIN_MAX_WRONG:
            SigningCredential.objects.filter(pk=credential.pk).update(
                pin_failures=0, locked_until=now() + timedelta(seconds=settings.SIGNING_PIN_LOCK_SECONDS)
            )
            return 0
    return settings.SIGNING_PIN_MAX_WRONG - failures


def _refuse_wrong_pin(
    credential: SigningCredential, actor: Actor, action: str, target_type: str, target_id: str
) -> NoReturn:
    remaining = _count_wrong_pin(credential)
    if remaining == 0:
        minutes = settings.SIGNING_PIN_LOCK_SECONDS // 60
        _refuse(actor, action, SignatureError.PIN_LOCKED, target_type=target_type, target_id=target_id, minutes=minutes)
    _refuse(actor, action, SignatureError.PIN_WRONG, target_type=target_type, target_id=target_id, remaining=remaining)


def signing_pin_set(*, holder: User, current_pin: str | None, new_pin: str, actor: Actor) -> None:
    """Set the signing PIN of ``holder``'s current certificate (first use: no current PIN) or change it.

    Refuses: signature.no_certificate, signature.pin_weak (6–12 digits, not one digit repeated, not a
    run), signature.pin_already_set (a change without the current PIN), signature.pin_locked,
    signature.pin_wrong (counted like a wrong PIN when signing), signature.ca_unavailable/ca_refused.
    Side effects: the key is re-encrypted under the new PIN at its CA; PIN failures reset; an audit entry.
    """
    _outside_transactions()
    action = "signature.pin_set"
    credential = selectors.credential_current(holder=holder)
    target = str(holder.public_id)
    if credential is None:
        _refuse(actor, action, SignatureError.NO_CERTIFICATE, target_type="user", target_id=target)
    if _pin_is_weak(new_pin or ""):
        _refuse(actor, action, SignatureError.PIN_WEAK, target_type="user", target_id=target)
    if credential.pin_set_at is not None and not current_pin:
        _refuse(actor, action, SignatureError.PIN_ALREADY_SET, target_type="user", target_id=target)
    if minutes := _locked_minutes(credential):
        _refuse(actor, action, SignatureError.PIN_LOCKED, target_type="user", target_id=target, minutes=minutes)
    change = PinChange(
        key_handle=credential.key_handle,
        certificate_serial=credential.certificate.serial,
        current_pin=current_pin if credential.pin_set_at is not None else None,
        new_pin=new_pin,
    )
    try:
        handle = ca.for_custody(credential.custody).set_pin(change)
    except CaError as exc:
        if exc.code == CaError.PIN_WRONG:
            _refuse_wrong_pin(credential, actor, action, "user", target)
        _refuse(actor, action, _ca_refusal(exc), target_type="user", target_id=target)
    with transaction.atomic():
        changed = SigningCredential.objects.filter(pk=credential.pk, key_handle=credential.key_handle).update(
            key_handle=handle, pin_set_at=now(), pin_failures=0, locked_until=None
        )
        if changed:
            record(
                actor=actor,
                action=action,
                target_type="user",
                target_id=target,
                details={"certificate": credential.certificate.serial, "first": credential.pin_set_at is None},
            )
    if not changed:  # a concurrent change won: this one's "current PIN" may be stale
        _refuse(actor, action, SignatureError.PIN_ALREADY_SET, target_type="user", target_id=target)


# --- Signing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentRef:
    type: str
    id: str
    version: int

    @property
    def label(self) -> str:
        return f"{self.type}:{self.id}:v{self.version}"


def _usable_or_refuse(
    credential: SigningCredential | None, actor: Actor, action: str, ref: DocumentRef
) -> SigningCredential:
    if credential is None:
        _refuse(actor, action, SignatureError.NO_CERTIFICATE, target_type=ref.type, target_id=ref.id)
    certificate = credential.certificate
    if certificate.revoked_at is not None:
        _refuse(actor, action, SignatureError.CERTIFICATE_REVOKED, target_type=ref.type, target_id=ref.id)
    if not certificate.not_before <= now() <= certificate.not_after:
        _refuse(actor, action, SignatureError.CERTIFICATE_EXPIRED, target_type=ref.type, target_id=ref.id)
    return credential


def _sign(
    *,
    credential: SigningCredential,
    signer: User | None,
    ref: DocumentRef,
    payload: dict,
    pin: str | None,
    actor: Actor,
) -> Signature:
    """The common part of document_sign and seal_sign, once the signer's checks passed."""
    action = "signature.sign"
    try:
        message = canonical_bytes(payload)
    except NotCanonical:
        _refuse(actor, action, SignatureError.PAYLOAD_INVALID, target_type=ref.type, target_id=ref.id)
    if Signature.objects.filter(document_type=ref.type, document_id=ref.id, version=ref.version).exists():
        _refuse(actor, action, SignatureError.ALREADY_SIGNED, target_type=ref.type, target_id=ref.id)
    certificate = credential.certificate
    request = SignRequest(
        key_handle=credential.key_handle,
        certificate_serial=certificate.serial,
        algorithm=certificate.algorithm,
        message=message,
        pin=pin,
    )
    try:
        value = ca.for_custody(credential.custody).sign(request)
    except CaError as exc:
        if exc.code == CaError.PIN_WRONG and signer is not None:
            _refuse_wrong_pin(credential, actor, action, ref.type, ref.id)
        _refuse(actor, action, _ca_refusal(exc), target_type=ref.type, target_id=ref.id)
    info = algorithms.read_certificate(certificate.pem)
    if not algorithms.verify(certificate.algorithm, info.spki_der, value, message):  # never store a bad one
        _refuse(actor, action, SignatureError.CA_REFUSED, target_type=ref.type, target_id=ref.id)
    try:
        with transaction.atomic():
            if credential.pin_failures:
                SigningCredential.objects.filter(pk=credential.pk).update(pin_failures=0)
            signature = Signature.objects.create(
                document_type=ref.type,
                document_id=ref.id,
                version=ref.version,
                signer=signer,
                certificate=certificate,
                algorithm=certificate.algorithm,
                document=message.decode(),
                digest=algorithms.digest(certificate.algorithm, message),
                value=value,
                signed_at=now(),
            )
            record(
                actor=actor,
                action=action,
                target_type=ref.type,
                target_id=ref.id,
                details={
                    "version": ref.version,
                    "signature": str(signature.public_id),
                    "certificate": certificate.serial,
                    "digest": signature.digest,
                },
            )
    except IntegrityError:  # a concurrent signing of the same version won
        _refuse(actor, action, SignatureError.ALREADY_SIGNED, target_type=ref.type, target_id=ref.id)
    return signature


def document_sign(
    *,
    signer: User,
    document_type: str,
    document_id: Any,
    payload: dict[str, Any],
    pin: str | None,
    actor: Actor,
    version: int = 1,
) -> Signature:
    """Sign version ``version`` of a document with ``signer``'s certificate, unlocked by ``pin``.

    Preconditions: outside any transaction (RuntimeError otherwise). ``payload`` is the document as a
    dict; its canonical bytes (``canonical.canonical_bytes``) are what is signed and kept.
    Refuses: signature.signer_not_allowed, signature.payload_invalid, signature.no_certificate,
    signature.certificate_revoked, signature.certificate_expired, signature.pin_required,
    signature.pin_not_set, signature.pin_locked, signature.pin_wrong (counted; the last allowed one
    locks for SIGNING_PIN_LOCK_SECONDS), signature.already_signed, signature.ca_unavailable,
    signature.ca_refused. Each refusal is audited.
    Side effects: a Signature; the PIN failure count reset; an audit entry.
    """
    _outside_transactions()
    action = "signature.sign"
    ref = DocumentRef(type=document_type, id=str(document_id), version=version)
    if signer.role not in SIGNER_ROLES or not signer.is_active:
        _refuse(actor, action, SignatureError.SIGNER_NOT_ALLOWED, target_type=ref.type, target_id=ref.id)
    credential = _usable_or_refuse(selectors.credential_current(holder=signer), actor, action, ref)
    if not pin:
        _refuse(actor, action, SignatureError.PIN_REQUIRED, target_type=ref.type, target_id=ref.id)
    if credential.pin_set_at is None:
        _refuse(actor, action, SignatureError.PIN_NOT_SET, target_type=ref.type, target_id=ref.id)
    if minutes := _locked_minutes(credential):
        _refuse(actor, action, SignatureError.PIN_LOCKED, target_type=ref.type, target_id=ref.id, minutes=minutes)
    return _sign(credential=credential, signer=signer, ref=ref, payload=payload, pin=pin, actor=actor)


def seal_sign(
    *, document_type: str, document_id: Any, payload: dict[str, Any], actor: Actor, version: int = 1
) -> Signature:
    """Sign with the hospital seal (for what the hospital itself sends: messages to the provincial
    platform, invoices). No PIN: the seal's key is protected by CA_KEY_SECRET. Same preconditions and
    refusals as ``document_sign`` except the signer's and PIN's."""
    _outside_transactions()
    ref = DocumentRef(type=document_type, id=str(document_id), version=version)
    credential = _usable_or_refuse(selectors.credential_current(holder=None), actor, "signature.sign", ref)
    return _sign(credential=credential, signer=None, ref=ref, payload=payload, pin=None, actor=actor)


def signature_check(
    *, signature: Signature, actor: Actor, payload: dict[str, Any] | None = None
) -> selectors.Verification:
    """Verify a signature (``selectors.signature_verify``) and audit a failed verification: a tampered
    document or signature is an incident to follow up."""
    result = selectors.signature_verify(signature=signature, payload=payload)
    if not result.valid:
        with transaction.atomic():
            record(
                actor=actor,
                action="signature.verify.failed",
                target_type=signature.document_type,
                target_id=str(signature.document_id),
                details={"signature": str(signature.public_id), "code": result.code},
            )
    return result


# --- Importing an outside CA's certificates --------------------------------------------------------


@dataclass(frozen=True)
class CertificateImport:
    chain_pem: str  # the CA's certificates: the root and any intermediates
    certificate_pem: str = ""  # a holder's (or the seal's) certificate issued under that chain
    key_pem: bytes = b""  # its private key (PEM, PKCS#8 or traditional, optionally encrypted)
    key_password: bytes | None = None


def _import_refuse(actor: Actor, reason: str) -> NoReturn:
    _refuse(actor, "signature.certificate_import", SignatureError.IMPORT_INVALID, reason=reason)


def certificate_import(
    *, data: CertificateImport, holder: User | None, actor: Actor, seal: bool = False
) -> Certificate:
    """Import an outside CA's chain (its root becomes a trust anchor) and, optionally, a certificate it
    issued with its key, for ``holder`` (a doctor or pharmacist) or, with ``seal``, the hospital seal. The
    key is held by the built-in CA, encrypted; a personal one signs once its holder sets a PIN.

    Refuses: signature.import_invalid (no self-signed CA root; a link not signed by its issuer; the
    certificate not issued under the chain, a CA, expired, or not for signing; the key not its key or
    not P-256/SM2), signature.signer_not_allowed. Returns the imported holder's certificate, else the root.
    """
    _outside_transactions()
    action = "signature.certificate_import"
    moment = now()
    chain, roots = _checked_chain(data, moment, actor)
    leaf, key_der = None, b""
    if data.certificate_pem:
        if holder is not None and holder.role not in SIGNER_ROLES:
            target = str(holder.public_id)
            _refuse(actor, action, SignatureError.SIGNER_NOT_ALLOWED, target_type="user", target_id=target)
        leaf, key_der = _checked_leaf(data, chain, roots, moment, actor)
    with transaction.atomic():
        stored = _store_authorities(chain)
        result = stored[roots[0].fingerprint]
        if leaf is not None:
            issuer = next(c for c in chain if algorithms.issued_by(leaf, c))
            kind = Certificate.Kind.SEAL if seal else Certificate.Kind.PERSONAL
            result = _store_certificate(leaf, kind=kind, issued_by=stored[issuer.fingerprint])
            handle = keystore.wrap(
                der=key_der, algorithm=leaf.algorithm, serial=leaf.serial, wrap="server" if seal else "enrolment"
            )
            SigningCredential.objects.create(
                certificate=result, holder=None if seal else holder, custody="builtin", key_handle=handle
            )
        record(
            actor=actor,
            action=action,
            target_type="certificate",
            target_id=str(result.public_id),
            details={"authorities": [c.subject for c in chain], "certificate": leaf.serial if leaf else ""},
        )
    return result


def _checked_chain(
    data: CertificateImport, moment: Any, actor: Actor
) -> tuple[list[algorithms.CertificateInfo], list[algorithms.CertificateInfo]]:
    """The chain's certificates and its roots, each certificate leading to a root and valid now."""
    try:
        chain = [algorithms.read_certificate(der) for der in algorithms.pem_blocks(data.chain_pem)]
    except ValueError as exc:
        _import_refuse(actor, str(exc))
    roots = [c for c in chain if c.self_signed and c.is_ca]
    if not roots or not all(c.is_ca for c in chain):
        _import_refuse(actor, "the chain must hold CA certificates ending in a self-signed root")
    for cert in chain:
        if cert.self_signed and not algorithms.issued_by(cert, cert):
            _import_refuse(actor, f"{cert.subject}: its self-signature does not verify")
        if build_chain(cert, chain, roots, moment) is None:
            _import_refuse(actor, f"{cert.subject} does not lead to the chain's root (or is not valid now)")
    return chain, roots


def _store_authorities(chain: list[algorithms.CertificateInfo]) -> dict[str, Certificate]:
    """Store a checked chain, roots first and then what they issued (each pass adds a level), by fingerprint."""
    stored: dict[str, Certificate] = {}
    for _pass in range(len(chain)):
        for info in chain:
            issuer = next((c for c in chain if c is not info and algorithms.issued_by(info, c)), None)
            if info.fingerprint in stored or (issuer is not None and issuer.fingerprint not in stored):
                continue
            stored[info.fingerprint] = _store_certificate(
                info,
                kind=Certificate.Kind.AUTHORITY,
                trusted=info.self_signed,
                issued_by=stored[issuer.fingerprint] if issuer else None,
            )
    return stored


def _checked_leaf(
    data: CertificateImport,
    chain: list[algorithms.CertificateInfo],
    roots: list[algorithms.CertificateInfo],
    moment: Any,
    actor: Actor,
) -> tuple[algorithms.CertificateInfo, bytes]:
    try:
        leaf = algorithms.read_certificate(data.certificate_pem)
        algorithm, key = algorithms.load_pem_private_key(data.key_pem, data.key_password)
    except (ValueError, TypeError) as exc:
        _import_refuse(actor, str(exc) or "unreadable certificate or key")
    if leaf.is_ca or not leaf.can_sign_documents:
        _import_refuse(actor, "the certificate is not one for signing documents")
    if not leaf.valid_at(moment):
        _import_refuse(actor, "the certificate is not valid now")
    if build_chain(leaf, chain, roots, moment) is None:
        _import_refuse(actor, "the certificate was not issued under this chain")
    if algorithm != leaf.algorithm or algorithms.public_key_der(key) != leaf.spki_der:
        _import_refuse(actor, "the key is not the certificate's key")
    return leaf, algorithms.private_key_der(key)

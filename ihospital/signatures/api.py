"""Staff endpoint: check a signature (the signature, its chain and the certificate at the signing time)."""

from __future__ import annotations

from uuid import UUID

from ninja import Router

from ihospital.audit.services import Actor
from ihospital.signatures import selectors, services
from ihospital.signatures.schemas import VerificationOut


def verification_out(result: selectors.Verification) -> VerificationOut:
    signature = result.signature
    certificate = signature.certificate
    return VerificationOut(
        signature_id=signature.public_id,
        document_type=signature.document_type,
        document_id=signature.document_id,
        version=signature.version,
        valid=result.valid,
        code=result.code,
        message=result.message,
        checks=result.checks,
        chain=list(result.chain),
        algorithm=signature.algorithm,
        signer=signature.signer.display_name if signature.signer else certificate.subject,
        certificate_serial=certificate.serial,
        certificate_subject=certificate.subject,
        certificate_not_before=certificate.not_before,
        certificate_not_after=certificate.not_after,
        certificate_revoked_at=certificate.revoked_at,
        signed_at=signature.signed_at,
        digest=signature.digest,
    )


def build_staff_router(auth) -> Router:
    router = Router(tags=["signatures"], auth=auth)

    @router.get("/signatures/{signature_id}/verification", response=VerificationOut)
    def verify(request, signature_id: UUID):
        """Check a stored signature. A failed check is answered (``valid: false`` and its code) and audited."""
        signature = selectors.access_signature(signature_id=signature_id)
        return verification_out(services.signature_check(signature=signature, actor=Actor.of(request.auth, request)))

    return router

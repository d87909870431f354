"""The pharmacist's review (审方): approve — signing the version too, which releases it to the patient — or
reject with a coded reason and a comment for the doctor, who revises it as a new version.

Two pharmacists may open the same prescription: the first decision wins. An approval signs first (outside
any transaction) and then moves the version submitted → approved by compare-and-set; the signature of a
version by the reviewing side is unique too, so a second approval is refused at the signing or at the move,
never recorded twice.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_noop

from ihospital.accounts.models import Role, User
from ihospital.audit.services import Actor, record
from ihospital.core import realtime
from ihospital.core.errors import DomainError
from ihospital.core.i18n import Phrase
from ihospital.core.state import transition
from ihospital.core.time import now
from ihospital.notifications.services import notification_send
from ihospital.prescriptions.errors import PrescriptionError
from ihospital.prescriptions.models import Prescription, PrescriptionVersion
from ihospital.prescriptions.services._common import REVIEW_GROUP, audited_refusals
from ihospital.prescriptions.services.release import prescription_release
from ihospital.signatures.errors import SignatureError
from ihospital.signatures.models import Signature
from ihospital.signatures.services import document_sign

DOCUMENT_TYPE = "prescription_review"  # the pharmacist's signature: document id = the prescription, version n
COMMENT_LIMIT = 1000
Status = PrescriptionVersion.Status


def _may_review(pharmacist: User, version: PrescriptionVersion) -> None:
    if getattr(pharmacist, "role", None) != Role.PHARMACIST or not pharmacist.is_active:
        raise DomainError(PrescriptionError.NOT_PHARMACIST)
    if pharmacist.pk in (version.author_id, version.prescription.doctor_id):
        raise DomainError(PrescriptionError.OWN_PRESCRIPTION)
    if version.status != Status.SUBMITTED:
        reviewed = version.status in (Status.APPROVED, Status.REJECTED)
        raise DomainError(PrescriptionError.ALREADY_REVIEWED if reviewed else PrescriptionError.NOT_SUBMITTED)


def review_payload(version: PrescriptionVersion, pharmacist: User) -> dict[str, Any]:
    """What the pharmacist signs: the decision over the doctor's signed version (named by its digest)."""
    doctor_signature = version.doctor_signature
    assert doctor_signature is not None  # a submitted version is signed (database constraint)
    return {
        "document": DOCUMENT_TYPE,
        "prescription": str(version.prescription.public_id),
        "version": version.number,
        "decision": "approved",
        "doctor_signature": {"id": str(doctor_signature.public_id), "digest": doctor_signature.digest},
        "pharmacist": {"id": str(pharmacist.public_id), "name": pharmacist.full_name},
    }


def _load(version: PrescriptionVersion) -> PrescriptionVersion:
    return PrescriptionVersion.objects.select_related(
        "prescription__visit_person__account", "prescription__consultation", "doctor_signature", "author"
    ).get(pk=version.pk)


@audited_refusals("prescription.review")
def prescription_approve(*, pharmacist: User, version: PrescriptionVersion, pin: str, actor: Actor) -> Prescription:
    """Approve the submitted version, signing it with ``pharmacist``'s certificate and PIN, and release it
    to the patient (``prescription_release``).

    Preconditions: outside any transaction (RuntimeError otherwise: signing talks to the CA).
    Refuses (audited, nothing changed): prescription.not_pharmacist, prescription.own_prescription (the
    pharmacist wrote it), prescription.not_submitted, prescription.already_reviewed (another pharmacist
    decided first, even a moment ago), and the signature.* refusals of ``document_sign`` (wrong PIN …).
    Side effects: the pharmacist's signature; the version approved; the prescription submitted → approved →
    released (valid PRESCRIPTION_VALID_DAYS); audit entries; the patient told; the review queue told.
    """
    version = _load(version)
    _may_review(pharmacist, version)
    try:
        signature = document_sign(
            signer=pharmacist,
            document_type=DOCUMENT_TYPE,
            document_id=version.prescription.public_id,
            payload=review_payload(version, pharmacist),
            pin=pin,
            actor=actor,
            version=version.number,
        )
    except DomainError as error:
        if error.code == SignatureError.ALREADY_SIGNED.code:
            raise DomainError(PrescriptionError.ALREADY_REVIEWED) from None
        raise
    return _mark_approved(version=version, pharmacist=pharmacist, signature=signature, actor=actor)


@transaction.atomic
def _mark_approved(
    *, version: PrescriptionVersion, pharmacist: User, signature: Signature, actor: Actor
) -> Prescription:
    waited = signature.signed_at - version.submitted_at if version.submitted_at else None
    transition(
        PrescriptionVersion,
        pk=version.pk,
        to=Status.APPROVED,
        transitions=PrescriptionVersion.TRANSITIONS,
        error=PrescriptionError.ALREADY_REVIEWED,
        pharmacist=pharmacist,
        pharmacist_signature=signature,
        reviewed_at=signature.signed_at,
    )
    transition(
        Prescription,
        pk=version.prescription_id,
        to=Prescription.Status.APPROVED,
        transitions=Prescription.TRANSITIONS,
        error=PrescriptionError.ALREADY_REVIEWED,
    )
    record(
        actor=actor,
        action="prescription.approved",
        target_type="prescription",
        target_id=str(version.prescription.public_id),
        details={
            "version": version.number,
            "signature": str(signature.public_id),
            "review_seconds": int(waited.total_seconds()) if waited else None,
        },
    )
    realtime.publish_on_commit(REVIEW_GROUP, {"type": "review.update", "event": "reviewed"})
    return prescription_release(prescription=version.prescription, actor=actor)


@audited_refusals("prescription.review")
def prescription_reject(
    *, pharmacist: User, version: PrescriptionVersion, reason: str, comment: str, actor: Actor
) -> Prescription:
    """Return the submitted version to its doctor with a coded reason (``RejectReason``) and a comment.

    Refuses (audited, nothing changed): prescription.not_pharmacist, prescription.own_prescription,
    prescription.not_submitted, prescription.already_reviewed, prescription.reject_reason (not one of the
    list), prescription.comment_required (empty or over 1000 characters).
    Side effects: the version rejected (kept, with its signature); the prescription submitted → rejected;
    an audit entry; the doctor told (in-app); the review queue told.
    """
    version = _load(version)
    _may_review(pharmacist, version)
    if reason not in PrescriptionVersion.RejectReason.values:
        raise DomainError(PrescriptionError.REJECT_REASON, fields={"reason": ""})
    comment = (comment or "").strip()
    if not comment or len(comment) > COMMENT_LIMIT:
        raise DomainError(PrescriptionError.COMMENT_REQUIRED, fields={"comment": ""})
    with transaction.atomic():
        moment = now()
        transition(
            PrescriptionVersion,
            pk=version.pk,
            to=Status.REJECTED,
            transitions=PrescriptionVersion.TRANSITIONS,
            error=PrescriptionError.ALREADY_REVIEWED,
            pharmacist=pharmacist,
            reviewed_at=moment,
            reject_reason=reason,
            review_comment=comment,
        )
        transition(
            Prescription,
            pk=version.prescription_id,
            to=Prescription.Status.REJECTED,
            transitions=Prescription.TRANSITIONS,
            error=PrescriptionError.ALREADY_REVIEWED,
        )
        prescription = version.prescription
        record(
            actor=actor,
            action="prescription.rejected",
            target_type="prescription",
            target_id=str(prescription.public_id),
            details={"version": version.number, "reason": reason},
        )
        notification_send(
            user=prescription.doctor,
            kind="prescription.rejected",
            title=Phrase(gettext_noop("A prescription was returned by the pharmacist")),
            body=Phrase(
                gettext_noop("The prescription for %(name)s was returned: %(reason)s. %(comment)s"),
                params={
                    "name": prescription.visit_person.name,
                    "reason": Phrase.of(PrescriptionVersion.RejectReason(reason).label),
                    "comment": comment[:200],
                },
            ),
            link=reverse("prescriptions:write", args=[prescription.consultation.public_id]),
            dedupe_key=f"prescription:{prescription.public_id}:v{version.number}:rejected",
        )
        realtime.publish_on_commit(REVIEW_GROUP, {"type": "review.update", "event": "reviewed"})
    prescription.refresh_from_db()
    return prescription

"""Submitting a prescription: the checks run once more, every warning needs the doctor's reason, and the
version is signed with the doctor's certificate (outside any transaction: the CA may be remote), then waits
in the pharmacists' review queue (审方).

The version is claimed for signing (draft → signing) at the revision the doctor checked, so no edit can slip
in between the check and the signature; a refused signing (wrong PIN …) puts it back to draft.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from ihospital.accounts.models import User
from ihospital.audit.services import Actor, record
from ihospital.core import realtime
from ihospital.core.errors import DomainError
from ihospital.core.state import transition
from ihospital.core.time import now
from ihospital.prescriptions.errors import PrescriptionError, PrescriptionRuleError
from ihospital.prescriptions.models import Prescription, PrescriptionVersion
from ihospital.prescriptions.selectors import catalogue
from ihospital.prescriptions.services._common import REVIEW_GROUP, audited_refusals, finding_key, rule_item, run_check
from ihospital.signatures.models import Signature
from ihospital.signatures.services import document_sign

DOCUMENT_TYPE = "prescription"  # the doctor's signature of a version: document id = the prescription, version n
REASON_LIMIT = 500
Status = PrescriptionVersion.Status


def signed_payload(version: PrescriptionVersion) -> dict[str, Any]:
    """What the doctor signs (and the pharmacist's signature covers through its digest): the version's
    patient, diagnoses, items, facts, findings with their rule versions, and the reasons for warnings."""
    prescription = version.prescription
    person = prescription.visit_person
    return {
        "document": DOCUMENT_TYPE,
        "prescription": str(prescription.public_id),
        "version": version.number,
        "consultation": str(prescription.consultation.public_id),
        "patient": {"name": person.name, "sex": person.sex, "birth_date": person.birth_date.isoformat()},
        "doctor": {"id": str(version.author.public_id), "name": version.author.full_name},
        "record_version": str(version.record_version.public_id),
        "diagnoses": version.diagnoses,
        "facts": {
            "weight_kg": str(version.weight_kg) if version.weight_kg is not None else None,
            "guardian_present": version.guardian_present,
            "long_term": version.long_term,
            "pregnant": version.pregnant,
            "lactating": version.lactating,
        },
        "items": version.items_snapshot,
        "findings": [
            {"rule": f["rule"], "severity": f["severity"], "version": f["version"], "items": f["items"]}
            for f in version.findings
        ],
        "rule_versions": version.rule_versions,
        "warn_reasons": version.warn_reasons,
        "amount_fen": sum(item["quantity"] * item["unit_price_fen"] for item in version.items_snapshot),
    }


def items_snapshot(version: PrescriptionVersion) -> list[dict[str, Any]]:
    return [
        {
            "position": row.position,
            "drug_code": row.drug_code,
            "drug_name": row.drug_name,
            "trade_name": row.trade_name,
            "form": row.form,
            "strength": row.strength,
            "package": row.package,
            "package_unit": row.package_unit,
            "dose": format(row.dose.normalize(), "f"),
            "dose_unit": row.dose_unit,
            "frequency": row.frequency,
            "route": row.route,
            "days": row.days,
            "quantity": row.quantity,
            "unit_price_fen": row.unit_price_fen,
        }
        for row in version.items.order_by("position")
    ]


def _reasons(findings: list[dict[str, Any]], given: Mapping[str, str]) -> dict[str, str]:
    """The reason for each warning, keyed by ``finding_key``; refuses a missing or too long one."""
    reasons, missing = {}, 0
    for finding in findings:
        if finding["severity"] != "warn":
            continue
        key = finding_key(finding)
        text = str(given.get(key) or "").strip()
        if len(text) > REASON_LIMIT:
            raise DomainError(PrescriptionError.REASON_TOO_LONG, fields={f"reason:{key}": ""}, max=REASON_LIMIT)
        if not text:
            missing += 1
        reasons[key] = text
    if missing:
        raise DomainError(PrescriptionError.REASON_REQUIRED, count=missing)
    return reasons


def _claim(*, doctor: User, version: PrescriptionVersion, revision: int) -> PrescriptionVersion:
    if version.author_id != doctor.pk:
        raise DomainError(PrescriptionError.NOT_YOURS)
    with transaction.atomic(durable=True):
        claimed = PrescriptionVersion.objects.filter(pk=version.pk, status=Status.DRAFT, revision=revision).update(
            status=Status.SIGNING
        )
    current = PrescriptionVersion.objects.select_related(
        "prescription__visit_person", "prescription__consultation", "author", "record_version"
    ).get(pk=version.pk)
    if not claimed:
        raise DomainError(PrescriptionError.STALE if current.status == Status.DRAFT else PrescriptionError.NOT_EDITABLE)
    return current


def _back_to_draft(version: PrescriptionVersion) -> None:
    with transaction.atomic():
        transition(PrescriptionVersion, pk=version.pk, to=Status.DRAFT, transitions=PrescriptionVersion.TRANSITIONS)


def _freeze(version: PrescriptionVersion, reasons: Mapping[str, str]) -> PrescriptionVersion:
    """Check once more and store what will be signed; refuse a blocked one or a warning without reason."""
    items = tuple(rule_item(row) for row in version.items.order_by("position"))
    if not items:
        raise DomainError(PrescriptionRuleError.NO_ITEMS)
    result = run_check(version, items, catalogue.drugs_of(i.drug_code for i in items))
    findings = [f.as_dict() for f in result.findings]
    version.findings = findings
    version.rule_versions = {family: str(v) for family, v in result.versions.items()}
    version.checked_at = now()
    blocking = sum(1 for f in findings if f["severity"] == "block")
    if blocking:
        raise DomainError(PrescriptionError.BLOCKED, count=blocking)
    version.warn_reasons = _reasons(findings, reasons)
    version.items_snapshot = items_snapshot(version)
    version.save(update_fields=["findings", "rule_versions", "checked_at", "warn_reasons", "items_snapshot"])
    return version


@audited_refusals("prescription.submit")
def prescription_submit(
    *, doctor: User, version: PrescriptionVersion, revision: int, reasons: Mapping[str, str], pin: str, actor: Actor
) -> PrescriptionVersion:
    """Check the draft at ``revision`` once more, sign it with ``doctor``'s certificate and PIN, and send it
    to the pharmacists' review queue.

    Preconditions: outside any transaction (RuntimeError otherwise: signing talks to the CA).
    ``reasons`` maps each warning's key (``finding_key``) to the doctor's written reason.
    Refuses (the draft stays editable, nothing else changed, audited): prescription.not_your_patient,
    prescription.not_editable, prescription.stale, prescription.no_items, prescription.blocked,
    prescription.reason_required, prescription.reason_too_long, the rule engine's input refusals, and
    every signature.* refusal of ``document_sign`` (wrong PIN, locked, no certificate …).
    Side effects: the version signed (its items, findings and reasons frozen) and submitted; the
    prescription draft → submitted; an audit entry; the review queue told after commit.
    """
    catalogue.catalogue()  # read (from the HIS if due) before anything is claimed
    version = _claim(doctor=doctor, version=version, revision=revision)
    try:
        with transaction.atomic():
            version = _freeze(version, reasons)
        signature = document_sign(
            signer=doctor,
            document_type=DOCUMENT_TYPE,
            document_id=version.prescription.public_id,
            payload=signed_payload(version),
            pin=pin,
            actor=actor,
            version=version.number,
        )
    except BaseException:
        _back_to_draft(version)
        raise
    return _mark_submitted(version=version, signature=signature, actor=actor)


@transaction.atomic
def _mark_submitted(*, version: PrescriptionVersion, signature: Signature, actor: Actor) -> PrescriptionVersion:
    transition(
        PrescriptionVersion,
        pk=version.pk,
        to=Status.SUBMITTED,
        transitions=PrescriptionVersion.TRANSITIONS,
        error=PrescriptionError.NOT_EDITABLE,
        doctor_signature=signature,
        submitted_at=signature.signed_at,
    )
    transition(
        Prescription,
        pk=version.prescription_id,
        to=Prescription.Status.SUBMITTED,
        transitions=Prescription.TRANSITIONS,
        error=PrescriptionError.ILLEGAL_TRANSITION,
    )
    record(
        actor=actor,
        action="prescription.submitted",
        target_type="prescription",
        target_id=str(version.prescription.public_id),
        details={
            "version": version.number,
            "signature": str(signature.public_id),
            "findings": [finding_key(f) + ":" + f["severity"] for f in version.findings],
        },
    )
    realtime.publish_on_commit(REVIEW_GROUP, {"type": "review.update", "event": "submitted"})
    version.refresh_from_db()
    return version

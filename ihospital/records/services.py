"""Medical record writes: opening a consultation's record, autosaving the draft, signing it, amending it,
and recording its filing in the HIS. There is no deletion, by design (ARCHITECTURE §4.9).

Signing runs outside any transaction (the CA may be remote; see signatures/services.py): the draft is
first claimed for signing (``draft → signing`` at the revision the doctor saw, so an autosave from another
tab cannot slip in), signed, then marked ``signed`` in a short transaction that also queues its filing in
the HIS (outbox ``records.his_file``). A refused signing (wrong PIN …) puts the draft back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from ihospital.accounts.models import Role, User
from ihospital.audit.services import Actor, record
from ihospital.consultations.models import Consultation
from ihospital.core import outbox
from ihospital.core.errors import DomainError
from ihospital.core.state import transition
from ihospital.core.time import now
from ihospital.records import icd
from ihospital.records.errors import RecordError
from ihospital.records.models import TEXT_FIELDS, TEXT_LIMIT, MedicalRecord, Phrase, RecordTemplate, RecordVersion
from ihospital.scheduling.models import Department
from ihospital.signatures import selectors as signature_selectors
from ihospital.signatures.models import Signature
from ihospital.signatures.services import document_sign

DOCUMENT_TYPE = "medical_record"
Status = RecordVersion.Status


@dataclass(frozen=True)
class RecordContent:
    """What the doctor writes. ``diagnoses`` are ICD-10 codes, in order (the first is the main one)."""

    chief_complaint: str = ""
    present_illness: str = ""
    past_history: str = ""
    allergy_history: str = ""
    examination_notes: str = ""
    diagnoses: list[str] = field(default_factory=list)
    treatment_advice: str = ""
    follow_up_advice: str = ""


def _checked_fields(content: RecordContent) -> dict[str, Any]:
    """The version's columns for ``content``; refuses record.too_long, record.unknown_icd_code."""
    values: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        text = (getattr(content, name) or "").strip()
        if len(text) > TEXT_LIMIT:
            label = str(getattr(RecordVersion._meta.get_field(name), "verbose_name", name))
            raise DomainError(RecordError.TOO_LONG, fields={name: str(label)}, field=label, limit=TEXT_LIMIT)
        values[name] = text
    diagnoses, seen = [], set()
    for code in content.diagnoses[:20]:
        found = icd.lookup(code)
        if found is None:
            raise DomainError(RecordError.UNKNOWN_DIAGNOSIS, fields={"diagnoses": str(code)[:20]}, code=str(code)[:20])
        if found.code not in seen:
            seen.add(found.code)
            diagnoses.append({"code": found.code, "name": found.name})
    values["diagnoses"] = diagnoses
    return values


@transaction.atomic
def record_open(*, doctor: User, consultation: Consultation, actor: Actor) -> RecordVersion:
    """The consultation's record as its doctor works on it: the open draft, else the last signed version;
    the record and its first draft (allergies and chronic conditions prefilled from the visit person) are
    created on first use. Idempotent.

    Refuses: record.not_your_patient (not this consultation's doctor), record.consultation_not_started.
    """
    if consultation.doctor_id != doctor.pk:
        raise DomainError(RecordError.NOT_YOURS)
    if consultation.started_at is None:
        raise DomainError(RecordError.NOT_STARTED)
    medical_record = MedicalRecord.objects.filter(consultation=consultation).first()
    if medical_record is None:
        person = consultation.appointment.visit_person
        moment = now()
        try:
            with transaction.atomic():
                medical_record = MedicalRecord.objects.create(
                    consultation=consultation, visit_person=person, doctor=doctor, created_at=moment
                )
                RecordVersion.objects.create(
                    record=medical_record,
                    number=1,
                    author=doctor,
                    chief_complaint=(consultation.appointment.complaint or "")[:TEXT_LIMIT],
                    allergy_history=person.allergies,
                    past_history=person.chronic_conditions,
                    created_at=moment,
                    saved_at=moment,
                )
        except IntegrityError:  # opened at the same moment in another tab
            medical_record = MedicalRecord.objects.get(consultation=consultation)
        else:
            record(
                actor=actor,
                action="record.create",
                target_type="medical_record",
                target_id=str(medical_record.public_id),
                details={"consultation": str(consultation.public_id)},
            )
    return current_version(medical_record)


def current_version(medical_record: MedicalRecord) -> RecordVersion:
    """The open draft (or the one being signed), else the latest signed version."""
    versions = RecordVersion.objects.filter(record=medical_record).select_related("record", "signature")
    return versions.filter(status__in=RecordVersion.OPEN).first() or versions.order_by("-number")[0]


def _audit_refusal(actor: Actor, action: str, version: RecordVersion, error: DomainError) -> None:
    """A refusal, audited in its own transaction (the refused work's own was rolled back)."""
    with transaction.atomic():
        record(
            actor=actor,
            action=f"{action}.refused",
            target_type="medical_record",
            target_id=str(version.record.public_id),
            details={"code": error.code, "version": version.number},
        )


def record_draft_save(
    *, doctor: User, version: RecordVersion, content: RecordContent, revision: int, actor: Actor
) -> RecordVersion:
    """Autosave: replace the draft's content, if it is still at ``revision`` (what the doctor's page last
    loaded or saved). Returns the version with its new revision.

    Refuses: record.not_your_patient, record.signed (signed or being signed: an edit after signing),
    record.stale (saved since, e.g. in another tab: nothing is overwritten), record.unknown_icd_code,
    record.too_long. Each refusal is audited (``record.draft_save.refused`` with its code) in its own
    transaction: call it outside one for that entry to outlive the refusal.
    Side effects: the draft's content and revision; an audit entry.
    """
    try:
        with transaction.atomic():
            return _draft_save(doctor=doctor, version=version, content=content, revision=revision, actor=actor)
    except DomainError as error:
        _audit_refusal(actor, "record.draft_save", version, error)
        raise


def _draft_save(
    *, doctor: User, version: RecordVersion, content: RecordContent, revision: int, actor: Actor
) -> RecordVersion:
    if version.author_id != doctor.pk:
        raise DomainError(RecordError.NOT_YOURS)
    values = _checked_fields(content)
    moment = now()
    saved = RecordVersion.objects.filter(pk=version.pk, status=Status.DRAFT, revision=revision).update(
        **values, revision=F("revision") + 1, saved_at=moment
    )
    if not saved:
        status = RecordVersion.objects.filter(pk=version.pk).values_list("status", flat=True).first()
        raise DomainError(RecordError.STALE if status == Status.DRAFT else RecordError.NOT_EDITABLE)
    record(
        actor=actor,
        action="record.draft_save",
        target_type="medical_record",
        target_id=str(version.record.public_id),
        details={"version": version.number, "revision": revision + 1},
    )
    version.refresh_from_db()
    return version


def record_payload(version: RecordVersion) -> dict[str, Any]:
    """The document that is signed: the version's content with who, whom and when (canonical JSON rules:
    strings, whole numbers, lists, objects — see docs/signatures.md)."""
    medical_record = version.record
    consultation = medical_record.consultation
    person = medical_record.visit_person
    appointment = consultation.appointment
    payload: dict[str, Any] = {
        "type": DOCUMENT_TYPE,
        "record": str(medical_record.public_id),
        "version": version.number,
        "consultation": str(consultation.public_id),
        "visit_date": str(appointment.schedule.date),
        "department": appointment.schedule.department.name,
        "doctor": {"id": str(version.author.public_id), "name": version.author.display_name},
        "patient": {
            "id": str(person.public_id),
            "name": person.name,
            "sex": person.sex,
            "birth_date": str(person.birth_date),
        },
        "diagnoses": [{"code": d["code"], "name": d["name"]} for d in version.diagnoses],
    }
    for name in TEXT_FIELDS:
        payload[name] = getattr(version, name)
    return payload


def _load(version: RecordVersion) -> RecordVersion:
    return RecordVersion.objects.select_related(
        "author",
        "record__visit_person",
        "record__consultation__appointment__schedule__department",
    ).get(pk=version.pk)


def _signable(*, doctor: User, version: RecordVersion) -> None:
    if version.author_id != doctor.pk:
        raise DomainError(RecordError.NOT_YOURS)
    if version.status == Status.SIGNED:
        raise DomainError(RecordError.NOT_EDITABLE)
    if not version.chief_complaint:
        raise DomainError(RecordError.NO_COMPLAINT)
    if not version.diagnoses:
        raise DomainError(RecordError.NO_DIAGNOSIS)


def record_sign(*, doctor: User, version: RecordVersion, revision: int, pin: str, actor: Actor) -> RecordVersion:
    """Sign the draft at ``revision`` with ``doctor``'s certificate and PIN.

    Preconditions: outside any transaction (RuntimeError otherwise: signing talks to the CA).
    Refuses: record.not_your_patient, record.signed, record.stale, record.no_complaint,
    record.no_diagnosis (each audited as ``record.sign.refused``), and every signature.* refusal of
    ``document_sign`` (wrong PIN, locked, revoked or expired certificate …, audited there; the draft is then
    editable again).
    Side effects: the Signature; the version signed; its HIS filing queued; audit entries.
    """
    if version.author_id == doctor.pk:
        version = _load(version)
    try:
        _signable(doctor=doctor, version=version)
    except DomainError as error:
        _audit_refusal(actor, "record.sign", version, error)
        raise
    with transaction.atomic(durable=True):
        claimed = RecordVersion.objects.filter(pk=version.pk, status=Status.DRAFT, revision=revision).update(
            status=Status.SIGNING
        )
    if not claimed:
        left = signature_selectors.signatures_of(document_type=DOCUMENT_TYPE, document_id=version.record.public_id)
        signed = left.filter(version=version.number).first()
        if version.status == Status.SIGNING and signed is not None:  # an earlier attempt stopped after signing
            return _mark_signed(version=version, signature=signed, actor=actor)
        refused = DomainError(RecordError.STALE if version.status == Status.DRAFT else RecordError.NOT_EDITABLE)
        _audit_refusal(actor, "record.sign", version, refused)
        raise refused
    try:
        signature = document_sign(
            signer=doctor,
            document_type=DOCUMENT_TYPE,
            document_id=version.record.public_id,
            payload=record_payload(version),
            pin=pin,
            actor=actor,
            version=version.number,
        )
    except BaseException:
        with transaction.atomic():
            transition(RecordVersion, pk=version.pk, to=Status.DRAFT, transitions=RecordVersion.TRANSITIONS)
        raise
    return _mark_signed(version=version, signature=signature, actor=actor)


@transaction.atomic
def _mark_signed(*, version: RecordVersion, signature: Signature, actor: Actor) -> RecordVersion:
    transition(
        RecordVersion,
        pk=version.pk,
        to=Status.SIGNED,
        transitions=RecordVersion.TRANSITIONS,
        error=RecordError.NOT_EDITABLE,
        signature=signature,
        signed_at=signature.signed_at,
    )
    record(
        actor=actor,
        action="record.sign",
        target_type="medical_record",
        target_id=str(version.record.public_id),
        details={"version": version.number, "signature": str(signature.public_id)},
    )
    outbox.enqueue(
        topic="records.his_file",
        payload={"version": str(version.public_id)},
        idempotency_key=f"his-record:{version.public_id}",
        correlation_id=str(version.record.public_id),
    )
    version.refresh_from_db()
    return version


@transaction.atomic
def record_amend(*, doctor: User, medical_record: MedicalRecord, actor: Actor) -> RecordVersion:
    """Start an amendment: a new draft version copied from the last signed one, to be signed again. The
    signed versions stay as they are.

    Refuses: record.not_your_patient (only the record's doctor amends it), record.nothing_signed,
    record.draft_exists.
    """
    if medical_record.doctor_id != doctor.pk:
        raise DomainError(RecordError.NOT_YOURS)
    latest = RecordVersion.objects.filter(record=medical_record).order_by("-number").first()
    if latest is None or latest.status in RecordVersion.OPEN:
        raise DomainError(RecordError.DRAFT_EXISTS if latest else RecordError.NOTHING_SIGNED)
    moment = now()
    try:
        with transaction.atomic():
            draft = RecordVersion.objects.create(
                record=medical_record,
                number=latest.number + 1,
                author=doctor,
                diagnoses=latest.diagnoses,
                created_at=moment,
                saved_at=moment,
                **{name: getattr(latest, name) for name in TEXT_FIELDS},
            )
    except IntegrityError:  # amended at the same moment elsewhere
        raise DomainError(RecordError.DRAFT_EXISTS) from None
    record(
        actor=actor,
        action="record.amend",
        target_type="medical_record",
        target_id=str(medical_record.public_id),
        details={"version": draft.number, "from": latest.number},
    )
    return draft


@transaction.atomic
def record_his_filed(*, version: RecordVersion, filing_no: str) -> None:
    """Keep the HIS's filing number of a signed version (the outbox handler's answer). Idempotent."""
    updated = RecordVersion.objects.filter(pk=version.pk, status=Status.SIGNED, his_filing_no="").update(
        his_filing_no=filing_no[:40], his_filed_at=now()
    )
    if updated:
        record(
            actor=Actor.system("his"),
            action="record.his_filed",
            target_type="medical_record",
            target_id=str(version.record.public_id),
            details={"version": version.number, "filing_no": filing_no},
        )


# --- templates and common phrases (doctor productivity) ---------------------------------------------


@transaction.atomic
def template_create(
    *, doctor: User, name: str, content: RecordContent, department: Department | None, actor: Actor
) -> RecordTemplate:
    """Save ``content`` as a template: the doctor's own, or shared with ``department`` (one they work in).

    Refuses: record.template_name, record.not_your_department, record.unknown_icd_code, record.too_long.
    """
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise DomainError(RecordError.TEMPLATE_NAME, fields={"name": str(RecordError.TEMPLATE_NAME.message)})
    if department is not None and not department.doctors.filter(user=doctor).exists():
        raise DomainError(RecordError.NOT_YOUR_DEPARTMENT)
    values = _checked_fields(content)
    values["diagnoses"] = [d["code"] for d in values["diagnoses"]]
    template = RecordTemplate.objects.create(
        owner=doctor,
        department=department,
        name=name,
        content={key: value for key, value in values.items() if value},
        created_at=now(),
    )
    record(
        actor=actor,
        action="record.template_create",
        target_type="record_template",
        target_id=str(template.public_id),
        details={"department": department.code if department else ""},
    )
    return template


@transaction.atomic
def phrase_create(*, doctor: User, text: str, actor: Actor) -> Phrase:
    """Add a common phrase for ``doctor`` (idempotent on the text; a retired one with this text is offered
    again). Refuses: record.phrase_text."""
    text = (text or "").strip()
    if not text or len(text) > 300:
        raise DomainError(RecordError.PHRASE_TEXT, fields={"text": str(RecordError.PHRASE_TEXT.message)})
    phrase, created = Phrase.objects.get_or_create(owner=doctor, text=text, defaults={"created_at": now()})
    if created:
        record(actor=actor, action="record.phrase_create", target_type="record_phrase", target_id=str(phrase.public_id))
    elif Phrase.objects.filter(pk=phrase.pk, retired_at__isnull=False).update(retired_at=None):
        phrase.retired_at = None
        record(
            actor=actor, action="record.phrase_restore", target_type="record_phrase", target_id=str(phrase.public_id)
        )
    return phrase


def may_retire_template(*, user: User, template: RecordTemplate) -> bool:
    """Its author retires a template; a hospital administrator also a department's (one shared with a
    department: the hospital's, not only its author's)."""
    return template.owner_id == user.pk or (template.department_id is not None and user.role == Role.HOSPITAL_ADMIN)


@transaction.atomic
def template_retire(*, user: User, template: RecordTemplate, actor: Actor) -> bool:
    """Retire a template: kept (never deleted), no longer offered in the editor. Returns False when it was
    already retired (nothing changes, nothing audited).

    Refuses: record.template_not_yours (see ``may_retire_template``).
    Side effects: ``retired_at`` set by compare-and-set from not retired; an audit entry.
    """
    if not may_retire_template(user=user, template=template):
        raise DomainError(RecordError.TEMPLATE_NOT_YOURS)
    moment = now()
    if not RecordTemplate.objects.filter(pk=template.pk, retired_at__isnull=True).update(retired_at=moment):
        return False
    template.retired_at = moment
    record(
        actor=actor,
        action="record.template_retire",
        target_type="record_template",
        target_id=str(template.public_id),
        details={
            "owner": str(template.owner.public_id),
            "department": template.department.code if template.department else "",
        },
    )
    return True


@transaction.atomic
def phrase_retire(*, doctor: User, phrase: Phrase, actor: Actor) -> bool:
    """Retire one of ``doctor``'s common phrases: kept, no longer offered. Returns False when it was already
    retired. Adding the same text again brings it back (``phrase_create``).

    Refuses: record.phrase_not_yours.
    Side effects: ``retired_at`` set by compare-and-set; an audit entry.
    """
    if phrase.owner_id != doctor.pk:
        raise DomainError(RecordError.PHRASE_NOT_YOURS)
    moment = now()
    if not Phrase.objects.filter(pk=phrase.pk, retired_at__isnull=True).update(retired_at=moment):
        return False
    phrase.retired_at = moment
    record(actor=actor, action="record.phrase_retire", target_type="record_phrase", target_id=str(phrase.public_id))
    return True

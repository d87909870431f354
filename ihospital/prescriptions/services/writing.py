"""Writing a prescription (开处方): open a draft on the consultation's signed record, add, change and remove
drugs from the HIS catalogue, record the patient's facts the checks need, revise a rejected prescription.

Every change runs the rule checks again and stores their findings on the version. Every edit names the
version's revision the doctor saw and moves it by compare-and-set, so a stale tab is refused rather than
overwriting; an edit of a signed version is refused (and the database refuses it too). The catalogue is read
before any transaction (it may call the HIS); nothing else leaves the process.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F

from ihospital.accounts.models import User
from ihospital.audit.services import Actor, record
from ihospital.consultations.models import Consultation
from ihospital.core.errors import DomainError
from ihospital.core.state import transition
from ihospital.core.time import now
from ihospital.integrations.his.base import Drug
from ihospital.prescriptions import rules
from ihospital.prescriptions.errors import PrescriptionError
from ihospital.prescriptions.models import Prescription, PrescriptionItem, PrescriptionVersion
from ihospital.prescriptions.selectors import catalogue
from ihospital.prescriptions.services._common import audited_refusals, rule_item, run_check
from ihospital.records import selectors as record_selectors
from ihospital.records.models import RecordVersion

HARD_ITEM_CAP = 10  # the rules block more than PRESCRIPTION_MAX_ITEMS; beyond this it is not a prescription
WEIGHT_RANGE = (Decimal("0.5"), Decimal("300"))
Status = PrescriptionVersion.Status


@dataclass(frozen=True)
class Facts:
    """What the doctor records for the checks (and the pharmacist sees)."""

    weight_kg: Decimal | None = None
    guardian_present: bool = False
    long_term: bool = False
    pregnant: bool = False
    lactating: bool = False


def _signed_record_version(consultation: Consultation) -> RecordVersion:
    medical_record = record_selectors.record_of_consultation(consultation)
    latest = record_selectors.signed_versions(medical_record).first() if medical_record else None
    if latest is None:
        raise DomainError(PrescriptionError.NO_SIGNED_RECORD)
    return latest


def _diagnoses(record_version: RecordVersion) -> list[dict[str, str]]:
    return [{"code": d["code"], "name": d.get("name", "")} for d in record_version.diagnoses]


@audited_refusals("prescription.open")
def prescription_open(*, doctor: User, consultation: Consultation, actor: Actor) -> PrescriptionVersion:
    """The consultation's prescription being written or reviewed (its newest version), or a new draft
    on the consultation's signed medical record, whose diagnoses it takes. Idempotent.

    Preconditions: ``doctor`` led the consultation, which has started (it may have ended: the doctor may
    prescribe after the visit).
    Refuses: prescription.not_your_patient, prescription.consultation_not_started,
    prescription.no_signed_record (the record is not signed yet: no diagnosis to prescribe for).
    Side effects, for a new one: the prescription and its first version (draft); an audit entry.
    """
    if consultation.doctor_id != doctor.pk:
        raise DomainError(PrescriptionError.NOT_YOURS)
    if consultation.started_at is None:
        raise DomainError(PrescriptionError.CONSULTATION_NOT_STARTED)
    existing = Prescription.objects.filter(consultation=consultation, status__in=Prescription.OPEN).first()
    if existing is not None:
        return _newest(existing)
    record_version = _signed_record_version(consultation)
    moment = now()
    try:
        with transaction.atomic():
            prescription = Prescription.objects.create(
                consultation=consultation,
                visit_person=consultation.appointment.visit_person,
                doctor=doctor,
                created_at=moment,
            )
            version = PrescriptionVersion.objects.create(
                prescription=prescription,
                number=1,
                author=doctor,
                record_version=record_version,
                diagnoses=_diagnoses(record_version),
                created_at=moment,
                saved_at=moment,
            )
            record(
                actor=actor,
                action="prescription.created",
                target_type="prescription",
                target_id=str(prescription.public_id),
                details={"consultation": str(consultation.public_id), "record_version": record_version.number},
            )
    except IntegrityError:  # opened at the same moment in another tab
        existing = Prescription.objects.filter(consultation=consultation, status__in=Prescription.OPEN).first()
        if existing is None:
            raise
        return _newest(existing)
    return version


def _newest(prescription: Prescription) -> PrescriptionVersion:
    # every prescription is created with its first version
    return (
        PrescriptionVersion.objects.select_related("prescription__visit_person")
        .filter(prescription=prescription)
        .order_by("-number")[:1]
        .get()
    )


def _claim(*, doctor: User, version: PrescriptionVersion, revision: int) -> PrescriptionVersion:
    """Move the draft to the next revision (the row stays locked until the transaction ends); refuse a
    version that is not the doctor's, is signed, or moved since ``revision``."""
    if version.author_id != doctor.pk:
        raise DomainError(PrescriptionError.NOT_YOURS)
    moved = PrescriptionVersion.objects.filter(pk=version.pk, status=Status.DRAFT, revision=revision).update(
        revision=F("revision") + 1, saved_at=now()
    )
    current = PrescriptionVersion.objects.select_related("prescription__visit_person").get(pk=version.pk)
    if not moved:
        raise DomainError(PrescriptionError.STALE if current.status == Status.DRAFT else PrescriptionError.NOT_EDITABLE)
    return current


Change = Callable[[list[rules.Item]], list[rules.Item]]


def _edit(
    *,
    doctor: User,
    version: PrescriptionVersion,
    revision: int,
    actor: Actor,
    change: Change,
    drugs: Mapping[str, Drug],
    action: str,
    details: dict,
    facts: Facts | None = None,
) -> PrescriptionVersion:
    with transaction.atomic():
        version = _claim(doctor=doctor, version=version, revision=revision)
        if facts is not None:
            for name, value in vars(facts).items():
                setattr(version, name, value)
        old = list(version.items.order_by("position"))
        kept = {row.position: row for row in old}
        items = change([rule_item(row) for row in old])
        if len(items) > HARD_ITEM_CAP:
            raise DomainError(PrescriptionError.TOO_MANY_ITEMS, max=HARD_ITEM_CAP)
        result = run_check(version, tuple(items), drugs) if items else None
        quantities = result.quantities if result else ()
        version.items.all().delete()
        rows = [_row(version, position, item, quantity, drugs, kept) for position, (item, quantity) in
                enumerate(zip(items, quantities, strict=True), start=1)]  # fmt: skip
        PrescriptionItem.objects.bulk_create(rows)
        version.findings = [f.as_dict() for f in result.findings] if result else []
        version.rule_versions = {family: str(v) for family, v in result.versions.items()} if result else {}
        version.checked_at = now()
        version.save(update_fields=["findings", "rule_versions", "checked_at", *vars(facts or Facts())])
        amount = sum(r.amount_fen for r in rows)
        Prescription.objects.filter(pk=version.prescription_id).update(amount_fen=amount)
        version.prescription.amount_fen = amount
        record(
            actor=actor,
            action=action,
            target_type="prescription",
            target_id=str(version.prescription.public_id),
            details={"version": version.number, **details},
        )
    return version


def _row(
    version: PrescriptionVersion,
    position: int,
    item: rules.Item,
    quantity: int,
    drugs: Mapping[str, Drug],
    kept: Mapping[int, PrescriptionItem],
) -> PrescriptionItem:
    drug = drugs[item.drug_code]
    same = next((row for row in kept.values() if row.drug_code == item.drug_code), None)
    return PrescriptionItem(
        version=version,
        position=position,
        drug_code=drug.code,
        drug_name=drug.generic_name,
        trade_name=drug.trade_name,
        form=drug.form,
        strength=drug.strength,
        package=drug.package,
        package_unit=drug.unit,
        dose=Decimal(str(item.dose)),
        dose_unit=item.dose_unit,
        frequency=item.frequency,
        route=item.route,
        days=item.days,
        quantity=quantity,
        # the price the item was first prescribed at stays while the doctor edits it
        unit_price_fen=same.unit_price_fen if same else drug.price_fen,
    )


@audited_refusals("prescription.edit")
def prescription_item_add(
    *, doctor: User, version: PrescriptionVersion, item: rules.Item, revision: int, actor: Actor
) -> PrescriptionVersion:
    """Add a drug of the HIS catalogue to the draft; quantity ``None`` is worked out from dose × frequency × days.

    Refuses, changing nothing: prescription.not_your_patient, prescription.not_editable (signed),
    prescription.stale, prescription.too_many_items, prescription.catalogue_unavailable and the rule
    engine's input refusals (prescription.unknown_drug, unit_mismatch, impossible_dose, unknown_frequency,
    route_mismatch, invalid_days, invalid_quantity, quantity_required, drug_without_rules). Each audited.
    Side effects: the item; the findings of the checks run again; the amount; an audit entry.
    """
    drugs = catalogue.catalogue()
    drug = catalogue.drug_get(item.drug_code)
    item = replace(item, drug_code=drug.code)
    return _edit(
        doctor=doctor,
        version=version,
        revision=revision,
        actor=actor,
        change=lambda items: [*items, item],
        drugs=drugs,
        action="prescription.item_added",
        details={"drug": drug.code},
    )


@audited_refusals("prescription.edit")
def prescription_item_change(
    *, doctor: User, version: PrescriptionVersion, position: int, item: rules.Item, revision: int, actor: Actor
) -> PrescriptionVersion:
    """Replace the item at ``position`` (1-based). Refuses as ``prescription_item_add`` and with
    prescription.item_not_found."""
    drugs = catalogue.catalogue()
    drug = catalogue.drug_get(item.drug_code)

    def change(items: list[rules.Item]) -> list[rules.Item]:
        if not 1 <= position <= len(items):
            raise DomainError(PrescriptionError.ITEM_NOT_FOUND)
        return [replace(item, drug_code=drug.code) if n == position else old for n, old in enumerate(items, 1)]

    return _edit(
        doctor=doctor,
        version=version,
        revision=revision,
        actor=actor,
        change=change,
        drugs=drugs,
        action="prescription.item_changed",
        details={"drug": drug.code, "position": position},
    )


@audited_refusals("prescription.edit")
def prescription_item_remove(
    *, doctor: User, version: PrescriptionVersion, position: int, revision: int, actor: Actor
) -> PrescriptionVersion:
    """Remove the item at ``position`` (1-based). Refuses: prescription.not_your_patient, not_editable,
    stale, item_not_found. Side effects: the findings of the remaining items; the amount; an audit entry."""
    drugs = catalogue.catalogue()

    def change(items: list[rules.Item]) -> list[rules.Item]:
        if not 1 <= position <= len(items):
            raise DomainError(PrescriptionError.ITEM_NOT_FOUND)
        return [old for n, old in enumerate(items, 1) if n != position]

    return _edit(
        doctor=doctor,
        version=version,
        revision=revision,
        actor=actor,
        change=change,
        drugs=drugs,
        action="prescription.item_removed",
        details={"position": position},
    )


@audited_refusals("prescription.edit")
def prescription_facts_set(
    *, doctor: User, version: PrescriptionVersion, facts: Facts, revision: int, actor: Actor
) -> PrescriptionVersion:
    """Record the patient's weight, the guardian present, pregnancy or breastfeeding, and a long-term
    prescription (长期处方); the checks run again. Refuses as the item services and with
    prescription.invalid_weight and prescription.invalid_patient (pregnancy of a man)."""
    if facts.weight_kg is not None and not WEIGHT_RANGE[0] <= facts.weight_kg <= WEIGHT_RANGE[1]:
        raise DomainError(PrescriptionError.INVALID_WEIGHT, fields={"weight_kg": ""})
    return _edit(
        doctor=doctor,
        version=version,
        revision=revision,
        actor=actor,
        change=lambda items: items,
        drugs=catalogue.catalogue(),
        action="prescription.facts_set",
        details={name: str(value) for name, value in vars(facts).items()},
        facts=facts,
    )


@audited_refusals("prescription.revise")
def prescription_revise(*, doctor: User, prescription: Prescription, actor: Actor) -> PrescriptionVersion:
    """Start a new version of a prescription the pharmacist rejected: a draft copied from the rejected
    version (items, facts, reasons), on the consultation's newest signed record; the checks run again.
    The rejected version stays as it was, readable with its signature and the pharmacist's reasons.

    Refuses: prescription.not_your_patient, prescription.not_rejected.
    Side effects: status rejected → draft (compare-and-set); the new version; an audit entry.
    """
    if prescription.doctor_id != doctor.pk:
        raise DomainError(PrescriptionError.NOT_YOURS)
    drugs = catalogue.catalogue()
    record_version = _signed_record_version(prescription.consultation)
    with transaction.atomic():
        transition(
            Prescription,
            pk=prescription.pk,
            to=Prescription.Status.DRAFT,
            transitions=Prescription.TRANSITIONS,
            error=PrescriptionError.NOT_REJECTED,
        )
        rejected = _newest(prescription)
        moment = now()
        version = PrescriptionVersion.objects.create(
            prescription=prescription,
            number=rejected.number + 1,
            author=doctor,
            record_version=record_version,
            diagnoses=_diagnoses(record_version),
            weight_kg=rejected.weight_kg,
            guardian_present=rejected.guardian_present,
            long_term=rejected.long_term,
            pregnant=rejected.pregnant,
            lactating=rejected.lactating,
            warn_reasons=rejected.warn_reasons,
            created_at=moment,
            saved_at=moment,
        )
        PrescriptionItem.objects.bulk_create(
            [
                PrescriptionItem(**{f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields
                                    if f.attname not in ("id", "version_id")}, version=version)
                for row in rejected.items.order_by("position")
            ]
        )  # fmt: skip
        record(
            actor=actor,
            action="prescription.revised",
            target_type="prescription",
            target_id=str(prescription.public_id),
            details={"version": version.number, "from": rejected.number},
        )
    return _recheck(version, drugs)


def _recheck(version: PrescriptionVersion, drugs: Mapping[str, Drug]) -> PrescriptionVersion:
    items = tuple(rule_item(row) for row in version.items.order_by("position"))
    if items:
        try:
            result = run_check(version, items, drugs)
        except DomainError:  # the catalogue changed since (a drug withdrawn): the doctor sees it on the next edit
            return version
        with transaction.atomic():
            PrescriptionVersion.objects.filter(pk=version.pk, status=Status.DRAFT).update(
                findings=[f.as_dict() for f in result.findings],
                rule_versions={family: str(v) for family, v in result.versions.items()},
                checked_at=now(),
            )
        version.refresh_from_db()
    return version

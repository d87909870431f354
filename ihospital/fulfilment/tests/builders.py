"""A released prescription for alice, built the way the prescriptions app leaves one: a version with two
drugs the delivery pharmacy has in stock, signed by dr_bob and by carol (real signatures), approved, then
released through ``prescription_release``. Signing happens outside any transaction (tests that use this
are ``transaction=True``)."""

from __future__ import annotations

from ihospital.audit.services import Actor
from ihospital.core.state import transition
from ihospital.core.time import now
from ihospital.integrations import his
from ihospital.integrations.his import base
from ihospital.prescriptions.models import Prescription, PrescriptionItem, PrescriptionVersion
from ihospital.prescriptions.services import prescription_release
from ihospital.records.tests.conftest import PIN
from ihospital.signatures.services import document_sign

S = Prescription.Status


def stocked_drugs(pharmacy_code: str = "YF03", count: int = 2) -> list[base.Drug]:
    drugs = his.client().drug_catalogue(base.DrugQuery(limit=200)).drugs
    return [
        d
        for d in drugs
        if not d.controlled_class and any(s.pharmacy_code == pharmacy_code and s.quantity >= 20 for s in d.stock)
    ][:count]


def _items(version: PrescriptionVersion) -> int:
    total = 0
    for position, drug in enumerate(stocked_drugs(), start=1):
        item = PrescriptionItem.objects.create(
            version=version,
            position=position,
            drug_code=drug.code,
            drug_name=drug.generic_name,
            trade_name=drug.trade_name,
            form=drug.form,
            strength=drug.strength,
            package=drug.package,
            package_unit=drug.unit,
            dose=1,
            dose_unit="片",
            frequency="qd",
            route="po",
            days=7,
            quantity=2,
            unit_price_fen=drug.price_fen,
        )
        total += item.amount_fen
    return total


def _sign(signer, prescription, version, role: str):
    payload = {"prescription": str(prescription.public_id), "version": version.number, "role": role}
    return document_sign(
        signer=signer,
        document_type=f"prescription_{role}",
        document_id=prescription.public_id,
        payload=payload,
        pin=PIN,
        actor=Actor.of(signer),
        version=version.number,
    )


def released_prescription(consultation, record_version, doctor, pharmacist) -> Prescription:
    moment = now()
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
        diagnoses=record_version.diagnoses,
        created_at=moment,
        saved_at=moment,
    )
    Prescription.objects.filter(pk=prescription.pk).update(amount_fen=_items(version))
    doctor_signature = _sign(doctor, prescription, version, "doctor")
    PrescriptionVersion.objects.filter(pk=version.pk).update(
        status=PrescriptionVersion.Status.SUBMITTED, doctor_signature=doctor_signature, submitted_at=now()
    )
    transition(Prescription, pk=prescription.pk, to=S.SUBMITTED, transitions=Prescription.TRANSITIONS)
    pharmacist_signature = _sign(pharmacist, prescription, version, "pharmacist")
    PrescriptionVersion.objects.filter(pk=version.pk).update(
        status=PrescriptionVersion.Status.APPROVED,
        pharmacist=pharmacist,
        pharmacist_signature=pharmacist_signature,
        reviewed_at=now(),
    )
    transition(Prescription, pk=prescription.pk, to=S.APPROVED, transitions=Prescription.TRANSITIONS)
    return prescription_release(prescription=prescription, actor=Actor.system("test"))

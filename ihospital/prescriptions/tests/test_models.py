"""The prescription's states and their declared transitions (SPEC §5), and that nothing is ever deleted."""

import pytest
from django.db import IntegrityError, transaction

from ihospital.core.errors import DomainError
from ihospital.core.state import transition
from ihospital.core.time import now
from ihospital.prescriptions.models import Prescription, PrescriptionItem, PrescriptionVersion

pytestmark = pytest.mark.django_db(transaction=True)

S = Prescription.Status


def new_prescription(consultation, record_version, doctor, status=S.DRAFT):
    moment = now()
    prescription = Prescription.objects.create(
        consultation=consultation,
        visit_person=consultation.appointment.visit_person,
        doctor=doctor,
        status=status,
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
    PrescriptionItem.objects.create(
        version=version,
        position=1,
        drug_code="X1",
        drug_name="氨氯地平",
        strength="5mg",
        package="5mg×28片",
        package_unit="盒",
        dose=5,
        dose_unit="mg",
        frequency="qd",
        route="po",
        days=7,
        quantity=1,
        unit_price_fen=2350,
    )
    return prescription


def test_every_spec_state_exists_and_every_state_but_draft_is_reachable():
    states = {value for value, _label in S.choices}
    assert states == {
        "draft", "submitted", "approved", "rejected", "released", "paid", "dispensed", "shipped",
        "delivered", "ready_for_pickup", "picked_up", "expired", "void",
    }  # fmt: skip
    assert set(Prescription.TRANSITIONS) == states
    assert Prescription.TRANSITIONS[S.RELEASED] == {S.APPROVED}
    assert S.DISPENSED not in Prescription.TRANSITIONS[S.VOID]  # void only before dispensing
    assert Prescription.TRANSITIONS[S.EXPIRED] == {S.RELEASED}


def test_the_path_to_delivery_moves_by_compare_and_set_and_refuses_a_skipped_step(in_progress, signed_record, dr_bob):
    prescription = new_prescription(in_progress, signed_record, dr_bob)
    with pytest.raises(DomainError) as refused:
        transition(Prescription, pk=prescription.pk, to=S.PAID, transitions=Prescription.TRANSITIONS)
    assert refused.value.code == "core.illegal_transition"
    for target in (S.SUBMITTED, S.APPROVED):
        transition(Prescription, pk=prescription.pk, to=target, transitions=Prescription.TRANSITIONS)
    moment = now()
    left = transition(
        Prescription,
        pk=prescription.pk,
        to=S.RELEASED,
        transitions=Prescription.TRANSITIONS,
        released_at=moment,
        valid_until=moment,
    )
    assert left == S.APPROVED
    for target in (S.PAID, S.DISPENSED, S.SHIPPED, S.DELIVERED):
        transition(Prescription, pk=prescription.pk, to=target, transitions=Prescription.TRANSITIONS)
    prescription.refresh_from_db()
    assert prescription.status == S.DELIVERED


def test_one_open_prescription_per_consultation(in_progress, signed_record, dr_bob):
    new_prescription(in_progress, signed_record, dr_bob)
    with pytest.raises(IntegrityError), transaction.atomic():
        new_prescription(in_progress, signed_record, dr_bob)


def test_a_released_prescription_has_its_validity(in_progress, signed_record, dr_bob):
    with pytest.raises(IntegrityError), transaction.atomic():
        new_prescription(in_progress, signed_record, dr_bob, status=S.RELEASED)


def test_prescriptions_and_versions_are_never_deleted(in_progress, signed_record, dr_bob):
    prescription = new_prescription(in_progress, signed_record, dr_bob)
    for call in (
        prescription.delete,
        Prescription.objects.all().delete,
        prescription.versions.first().delete,
        PrescriptionVersion.objects.all().delete,
    ):
        with pytest.raises(DomainError) as refused:
            call()
        assert refused.value.code == "prescription.not_deletable"
    assert Prescription.objects.count() == 1 and PrescriptionVersion.objects.count() == 1


def test_an_item_needs_a_positive_quantity(in_progress, signed_record, dr_bob):
    version = new_prescription(in_progress, signed_record, dr_bob).versions.get()
    item = version.items.get()
    assert item.amount_fen == 2350
    with pytest.raises(IntegrityError), transaction.atomic():
        PrescriptionItem.objects.filter(pk=item.pk).update(quantity=0)

"""Releasing an approved prescription to the patient, and who may read a prescription."""

from datetime import timedelta

import pytest

from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.consultations.tests.conftest import code_of
from ihospital.core.state import transition
from ihospital.notifications.models import Notification
from ihospital.prescriptions.models import Prescription
from ihospital.prescriptions.selectors import access_prescription
from ihospital.prescriptions.services import prescription_release
from ihospital.prescriptions.tests.test_models import new_prescription

pytestmark = pytest.mark.django_db(transaction=True)

S = Prescription.Status


def approved(in_progress, signed_record, dr_bob):
    prescription = new_prescription(in_progress, signed_record, dr_bob)
    for target in (S.SUBMITTED, S.APPROVED):
        transition(Prescription, pk=prescription.pk, to=target, transitions=Prescription.TRANSITIONS)
    return prescription


def test_release_makes_an_approved_prescription_valid_for_the_set_days_and_tells_the_patient(
    settings, in_progress, signed_record, dr_bob, alice
):
    settings.PRESCRIPTION_VALID_DAYS = 3
    prescription = prescription_release(
        prescription=approved(in_progress, signed_record, dr_bob), actor=Actor.system("test")
    )
    assert prescription.status == S.RELEASED
    assert prescription.valid_until - prescription.released_at == timedelta(days=3)
    assert Notification.objects.filter(user=alice, kind="prescription.released").count() == 1
    assert AuditEvent.objects.filter(action="prescription.released", target_id=str(prescription.public_id)).exists()


def test_release_refuses_a_prescription_the_pharmacist_has_not_approved(in_progress, signed_record, dr_bob):
    prescription = new_prescription(in_progress, signed_record, dr_bob)
    assert code_of(lambda: prescription_release(prescription=prescription, actor=Actor.system("t"))) == (
        "prescription.not_approved"
    )
    prescription.refresh_from_db()
    assert prescription.status == S.DRAFT and prescription.released_at is None


def test_the_patient_reads_a_prescription_only_once_released(in_progress, signed_record, dr_bob, alice, mallory):
    prescription = approved(in_progress, signed_record, dr_bob)
    assert code_of(lambda: access_prescription(user=alice, public_id=prescription.public_id)) == "core.not_found"
    prescription_release(prescription=prescription, actor=Actor.system("test"))
    assert access_prescription(user=alice, public_id=prescription.public_id).pk == prescription.pk
    assert code_of(lambda: access_prescription(user=mallory, public_id=prescription.public_id)) == "core.not_found"
    assert AuditEvent.objects.filter(action="prescription.read", actor_name="alice").count() == 1


def test_the_prescriber_and_pharmacists_read_it_another_doctor_does_not(
    in_progress, signed_record, dr_bob, dr_erin, carol
):
    prescription = new_prescription(in_progress, signed_record, dr_bob)
    assert access_prescription(user=dr_bob, public_id=prescription.public_id).pk == prescription.pk
    assert access_prescription(user=carol, public_id=prescription.public_id).pk == prescription.pk
    assert code_of(lambda: access_prescription(user=dr_erin, public_id=prescription.public_id)) == "core.not_found"
    assert code_of(lambda: access_prescription(user=dr_bob, public_id="not-a-uuid")) == "core.not_found"

"""Submitting (checks again, reasons for warnings, the doctor's signature), the pharmacist's review (approve
with a second signature and release, or reject with a coded reason; revise as a new version), review times."""

from datetime import timedelta

import pytest

from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.consultations.tests.conftest import code_of
from ihospital.notifications.models import Notification
from ihospital.prescriptions import services
from ihospital.prescriptions.models import Prescription, PrescriptionVersion
from ihospital.prescriptions.selectors import access_prescription, review, versions_of
from ihospital.prescriptions.services.review import review_payload
from ihospital.prescriptions.tests.factories import (
    added,
    amlodipine,
    opened,
    submitted,
    too_much_amlodipine,
    warn_keys,
)
from ihospital.records.tests.conftest import PIN
from ihospital.signatures import selectors as signature_selectors

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def warned(in_progress, signed_record, dr_bob):
    """A draft with one warning (amlodipine above the daily maximum)."""
    return added(dr_bob, opened(dr_bob, in_progress), too_much_amlodipine())


def approve(pharmacist, version, pin=PIN):
    return services.prescription_approve(pharmacist=pharmacist, version=version, pin=pin, actor=Actor.of(pharmacist))


def reject(pharmacist, version, reason="dose", comment="每日剂量过高，请减量。"):
    return services.prescription_reject(
        pharmacist=pharmacist, version=version, reason=reason, comment=comment, actor=Actor.of(pharmacist)
    )


def test_a_warning_needs_the_doctors_reason_before_it_is_signed(warned, dr_bob):
    assert code_of(lambda: submitted(dr_bob, warned)) == "prescription.reason_required"
    (key,) = warn_keys(warned)
    reason = "高血压控制不佳，短期加量，已告知随访。"
    version = submitted(dr_bob, PrescriptionVersion.objects.get(pk=warned.pk), {key: reason})
    assert version.status == "submitted" and version.warn_reasons == {key: reason}
    assert version.prescription.__class__.objects.get().status == "submitted"


def test_a_blocked_prescription_cannot_be_submitted(in_progress, signed_record, dr_bob):
    version = added(dr_bob, opened(dr_bob, in_progress), amlodipine(days=14))
    assert code_of(lambda: submitted(dr_bob, version)) == "prescription.blocked"
    assert PrescriptionVersion.objects.get(pk=version.pk).status == "draft"


def test_a_wrong_pin_leaves_the_draft_editable_and_signs_nothing(in_progress, signed_record, dr_bob):
    version = added(dr_bob, opened(dr_bob, in_progress), amlodipine())
    assert code_of(lambda: submitted(dr_bob, version, pin="999999")) == "signature.pin_wrong"
    version = PrescriptionVersion.objects.get(pk=version.pk)
    assert version.status == "draft" and version.doctor_signature is None
    assert added(dr_bob, version, amlodipine(dose="2.5")).items.count() == 2


def test_the_doctors_signature_covers_the_items_and_verifies(in_progress, signed_record, dr_bob):
    version = submitted(dr_bob, added(dr_bob, opened(dr_bob, in_progress), amlodipine()))
    signature = version.doctor_signature
    assert signature.signer == dr_bob and signature.version == version.number
    assert signature_selectors.signature_verify(signature=signature, payload=services.signed_payload(version)).valid
    assert '"drug_code":"YP00001"' in signature.document and '"quantity":1' in signature.document


def test_approval_signs_again_and_releases_it_to_the_patient(settings, warned, dr_bob, carol, alice):
    settings.PRESCRIPTION_VALID_DAYS = 3
    version = submitted(dr_bob, warned, {warn_keys(warned)[0]: "短期加量"})
    assert code_of(lambda: access_prescription(user=alice, public_id=version.prescription.public_id)) == (
        "core.not_found"
    )  # never shown to the patient before the pharmacist's approval
    prescription = approve(carol, version)
    assert prescription.status == "released"
    assert prescription.valid_until - prescription.released_at == timedelta(days=3)
    version.refresh_from_db()
    assert version.status == "approved" and version.pharmacist == carol
    assert signature_selectors.signature_verify(
        signature=version.pharmacist_signature, payload=review_payload(version, carol)
    ).valid
    assert access_prescription(user=alice, public_id=prescription.public_id).pk == prescription.pk
    assert Notification.objects.filter(user=alice, kind="prescription.released").exists()


def test_reject_revise_resubmit_approve_keeps_every_version_with_its_signatures(in_progress, warned, dr_bob, carol):
    first = submitted(dr_bob, warned, {warn_keys(warned)[0]: "短期加量"})
    prescription = reject(carol, first)
    assert prescription.status == "rejected"
    assert Notification.objects.filter(user=dr_bob, kind="prescription.rejected").exists()
    second = services.prescription_revise(doctor=dr_bob, prescription=prescription, actor=Actor.of(dr_bob))
    assert second.number == 2 and second.status == "draft" and second.items.count() == 1
    second = services.prescription_item_change(
        doctor=dr_bob, version=second, position=1, item=amlodipine(), revision=second.revision, actor=Actor.of(dr_bob)
    )
    second = submitted(dr_bob, second)
    assert approve(carol, second).status == "released"
    versions = list(versions_of(prescription))
    assert [(v.number, v.status) for v in versions] == [(2, "approved"), (1, "rejected")]
    assert versions[1].doctor_signature is not None and versions[1].reject_reason == "dose"
    assert versions[1].items_snapshot[0]["dose"] == "10"


def test_review_refusals_change_nothing_and_are_audited(warned, dr_bob, carol, nina):
    version = submitted(dr_bob, warned, {warn_keys(warned)[0]: "短期加量"})
    assert code_of(lambda: reject(carol, version, reason="because")) == "prescription.reject_reason"
    assert code_of(lambda: reject(carol, version, comment=" ")) == "prescription.comment_required"
    assert code_of(lambda: approve(nina, version)) == "prescription.not_pharmacist"
    assert code_of(lambda: approve(carol, version, pin="000000")) == "signature.pin_wrong"
    assert PrescriptionVersion.objects.get(pk=version.pk).status == "submitted"
    assert AuditEvent.objects.filter(action="prescription.review.refused").count() == 4


def test_a_pharmacist_who_wrote_the_prescription_cannot_review_it(warned, dr_bob, carol):
    version = submitted(dr_bob, warned, {warn_keys(warned)[0]: "短期加量"})
    Prescription.objects.filter(pk=version.prescription_id).update(doctor=carol)
    assert code_of(lambda: approve(carol, version)) == "prescription.own_prescription"
    assert AuditEvent.objects.filter(
        action="prescription.review.refused", details__code="prescription.own_prescription"
    ).exists()
    assert PrescriptionVersion.objects.get(pk=version.pk).pharmacist_signature is None


def test_a_second_decision_is_refused(warned, dr_bob, carol):
    version = submitted(dr_bob, warned, {warn_keys(warned)[0]: "短期加量"})
    reject(carol, version)
    assert code_of(lambda: approve(carol, version)) == "prescription.already_reviewed"


def test_review_times_give_waiting_p50_and_p90(warned, dr_bob, carol):
    version = submitted(dr_bob, warned, {warn_keys(warned)[0]: "短期加量"})
    assert review.review_times().waiting == 1
    approve(carol, version)
    version.refresh_from_db()
    PrescriptionVersion.objects.filter(pk=version.pk).update(reviewed_at=version.submitted_at + timedelta(minutes=5))
    times = review.review_times(days=30)
    assert (times.waiting, times.reviewed, times.p50, times.p90) == (0, 1, timedelta(minutes=5), timedelta(minutes=5))


def test_review_time_percentiles_are_nearest_rank():
    minutes = [float(m) for m in range(1, 11)]
    assert (review._percentile(minutes, 50), review._percentile(minutes, 90)) == (5.0, 9.0)

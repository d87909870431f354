"""The demo shows a prescription waiting for carol's review: alice's, signed by dr_bob with a warning and its
reason; loading the demo again adds nothing."""

from django.core.management import call_command

from ihospital.prescriptions.models import Prescription
from ihospital.prescriptions.selectors import review


def test_the_demo_has_one_prescription_waiting_for_carols_review(db):
    call_command("load_demo")
    call_command("load_demo")
    (version,) = review.review_queue()
    assert version.prescription.visit_person.account.username == "alice"
    assert version.prescription.doctor.username == "dr_bob"
    assert version.doctor_signature is not None and version.items.count() == 2
    assert list(version.warn_reasons.values()) and all(version.warn_reasons.values())
    # Loading again adds nothing: one waiting for review (fulfilment's demo adds alice's released one beside it).
    assert Prescription.objects.exclude(status=Prescription.Status.RELEASED).count() == 1

"""The demo gives alice a released prescription (signed by dr_bob and carol) to pay for and have delivered,
a home address, and the pickup pharmacies; loading the demo again adds nothing."""

from django.core.management import call_command

from ihospital.fulfilment.models import Address, Pharmacy
from ihospital.prescriptions.models import Prescription
from ihospital.prescriptions.selectors import released_version


def test_the_demo_has_a_released_prescription_for_alice(db):
    call_command("load_demo")
    call_command("load_demo")
    (rx,) = Prescription.objects.filter(status=Prescription.Status.RELEASED)
    assert rx.visit_person.account.username == "alice" and rx.doctor.username == "dr_bob"
    version = released_version(rx)
    assert version is not None and version.doctor_signature and version.pharmacist_signature
    assert version.pharmacist.username == "carol" and rx.amount_fen > 0 and rx.valid_until > rx.released_at
    assert Address.objects.filter(account__username="alice").count() == 1
    assert Pharmacy.objects.filter(pickup=True).count() == 2

"""Two pharmacists approve the same prescription at the same instant: one approval wins, the other is refused
with prescription.already_reviewed; one pharmacist's signature is on the version, released once (PostgreSQL)."""

from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.core.testing.concurrency import needs_row_locks, race
from ihospital.core.testing.personas import make_user
from ihospital.prescriptions import services
from ihospital.prescriptions.models import Prescription, PrescriptionVersion
from ihospital.prescriptions.tests.factories import added, amlodipine, opened, submitted
from ihospital.records.tests.conftest import PIN
from ihospital.signatures import services as signatures

pytestmark = needs_row_locks


def test_two_pharmacists_approving_at_once_one_wins(in_progress, signed_record, dr_bob, carol):
    dave = make_user("dave", "pharmacist", practice_certificate_no="110320100000109")
    signatures.credential_issue(holder=dave, actor=Actor.system("test"))
    signatures.signing_pin_set(holder=dave, current_pin=None, new_pin=PIN, actor=Actor.of(dave))
    version = submitted(dr_bob, added(dr_bob, opened(dr_bob, in_progress), amlodipine()))
    pharmacists = [carol, dave]

    def approve(i):
        return services.prescription_approve(
            pharmacist=pharmacists[i], version=version, pin=PIN, actor=Actor.of(pharmacists[i])
        )

    results = race(2, approve)
    won = [r for r in results if isinstance(r, Prescription)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(won) == 1 and len(refused) == 1, results
    assert refused[0].code == "prescription.already_reviewed"
    version = PrescriptionVersion.objects.get(pk=version.pk)
    assert version.status == "approved" and version.pharmacist_signature.signer == version.pharmacist
    assert Prescription.objects.get().status == "released"
    assert AuditEvent.objects.filter(action="prescription.released").count() == 1
    assert AuditEvent.objects.filter(action="prescription.approved").count() == 1

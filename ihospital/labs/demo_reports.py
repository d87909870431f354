"""Demo data of lab results: alice's in-person reports from the (simulated) HIS — a repeated HbA1c over two
years, a normal blood count, an abnormal lipid panel, a chest CT with its key image — brought in as the app
brings any: her visit person matched in the HIS by ID number, her HIS report list read, the key images
fetched, checked and rendered. Idempotent (reports are applied once by number). Called by ``load_demo``
outside its transaction (these are HIS calls); without an HIS to ask, it says so and the patient's report
page reads the list later."""

from __future__ import annotations

from ihospital.accounts.models import VisitPerson
from ihospital.appointments.handlers import his_patient_id
from ihospital.integrations.his.base import HisError
from ihospital.labs.models import KeyImage, Report
from ihospital.labs.services import key_images_fetch, reports_sync


def load_demo_reports(*, username: str = "alice") -> str:
    """Bring the HIS reports of ``username``'s visit persons; a line saying what was done."""
    persons = list(VisitPerson.objects.filter(account__username=username))
    try:
        for person in persons:
            his_patient_id(person)
            person.refresh_from_db()
            reports_sync(person=person, force=True)
            pending = Report.objects.filter(visit_person=person, images__status=KeyImage.Status.PENDING).distinct()
            for report in pending:
                key_images_fetch(report_id=report.pk)
    except HisError as error:
        return f"Lab reports not loaded now ({error.code}); {username}'s report page will read them from the HIS."
    count = Report.objects.filter(visit_person__in=persons).count()
    return f"{username} has {count} lab and exam reports from the HIS."

import pytest
from django.core.checks import run_checks

from ihospital.audit.services import Actor
from ihospital.records.checks import retention_periods
from ihospital.records.models import MedicalRecord, RecordVersion


def test_the_default_retention_periods_pass_the_check():
    assert retention_periods(None) == []


@pytest.mark.parametrize(
    ("setting", "value", "check_id"),
    [
        ("RETENTION_YEARS_RECORDS", 14, "records.E001"),
        ("RETENTION_YEARS_MESSAGES", 10, "records.E002"),
        ("RETENTION_YEARS_RECORDINGS", 2, "records.E003"),
        ("RETENTION_YEARS_RECORDS", "15", "records.E001"),
    ],
)
def test_a_retention_period_shorter_than_the_law_is_refused(settings, setting, value, check_id):
    setattr(settings, setting, value)
    assert [e.id for e in run_checks() if e.id.startswith("records.")] == [check_id]


@pytest.fixture
def signed_record(db, in_progress, dr_bob):
    from ihospital.records.services import record_open

    return record_open(doctor=dr_bob, consultation=in_progress, actor=Actor.of(dr_bob)).record


@pytest.mark.parametrize("role", ["hospital_admin", "auditor", "security_admin"])
def test_no_back_office_role_can_add_change_or_delete_a_record(admin_client_for, signed_record, role):
    client = admin_client_for(role)
    version = RecordVersion.objects.get()
    for path, obj in (("medicalrecord", signed_record), ("recordversion", version)):
        changelist = f"/admin/records/{path}/"
        assert client.post(f"{changelist}{obj.pk}/delete/", {"post": "yes"}).status_code in (302, 403)
        bulk = {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
        assert client.post(changelist, bulk).status_code in (200, 302, 403)
        assert client.post(f"{changelist}{obj.pk}/change/", {}).status_code in (302, 403)
        assert client.get(f"{changelist}add/").status_code in (302, 403)
    assert MedicalRecord.objects.count() == 1 and RecordVersion.objects.count() == 1


def test_the_auditor_sees_the_bookkeeping_but_not_the_clinical_text(admin_client_for, signed_record):
    client = admin_client_for("auditor")
    version = RecordVersion.objects.get()
    page = client.get(f"/admin/records/recordversion/{version.pk}/change/")
    assert page.status_code == 200
    assert version.chief_complaint and version.chief_complaint not in page.content.decode()

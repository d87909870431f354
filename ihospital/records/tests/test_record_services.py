import pytest
from django.db import connection, transaction

from ihospital.audit.models import AuditEvent as AuditEntry
from ihospital.audit.services import Actor
from ihospital.consultations.tests.conftest import code_of
from ihospital.core.errors import DomainError
from ihospital.core.models import OutboxMessage
from ihospital.records import services
from ihospital.records.models import MedicalRecord, RecordVersion
from ihospital.records.services import RecordContent, record_amend, record_open, record_sign
from ihospital.records.tests.conftest import PIN, written
from ihospital.signatures import selectors as signature_selectors
from ihospital.signatures.canonical import canonical_bytes
from ihospital.signatures.models import Signature

pytestmark = pytest.mark.django_db(transaction=True)


def sign(version, doctor, pin=PIN):
    return record_sign(doctor=doctor, version=version, revision=version.revision, pin=pin, actor=Actor.of(doctor))


def test_opening_creates_one_record_per_consultation_keyed_on_the_visit_person(in_progress, dr_bob):
    first = record_open(doctor=dr_bob, consultation=in_progress, actor=Actor.of(dr_bob))
    again = record_open(doctor=dr_bob, consultation=in_progress, actor=Actor.of(dr_bob))
    assert first.pk == again.pk and first.number == 1 and first.status == "draft"
    assert MedicalRecord.objects.count() == 1
    assert first.record.visit_person == in_progress.appointment.visit_person
    assert first.chief_complaint == in_progress.appointment.complaint


def test_only_the_consultations_doctor_opens_its_record(in_progress, dr_erin):
    assert code_of(lambda: record_open(doctor=dr_erin, consultation=in_progress, actor=Actor.of(dr_erin))) == (
        "record.not_your_patient"
    )


def test_autosave_bumps_the_revision_and_a_stale_tab_is_refused(draft, dr_bob):
    stale_revision = draft.revision
    saved = written(draft, dr_bob)
    assert saved.revision == stale_revision + 1
    assert saved.diagnoses == [{"code": "J06.9", "name": "急性上呼吸道感染"}]
    other_tab = RecordContent(chief_complaint="另一个标签页")
    call = lambda: services.record_draft_save(  # noqa: E731
        doctor=dr_bob, version=draft, content=other_tab, revision=stale_revision, actor=Actor.of(dr_bob)
    )
    assert code_of(call) == "record.stale"
    assert RecordVersion.objects.get(pk=draft.pk).chief_complaint == "咳嗽、咽痛三天"


def test_unknown_icd_codes_are_refused(draft, dr_bob):
    for code in ("X99.99", "A00-A09", "头痛", ""):
        assert code_of(lambda code=code: written(draft, dr_bob, diagnoses=[code])) == "record.unknown_icd_code"


def test_signing_locks_the_version_links_the_signature_and_queues_the_his_filing(draft, can_sign):
    version = written(draft, can_sign)
    signed = sign(version, can_sign)
    assert signed.status == "signed" and signed.signature is not None
    assert signed.signature.document == canonical_bytes(services.record_payload(signed)).decode()
    assert signature_selectors.signature_verify(signature=signed.signature).valid
    assert OutboxMessage.objects.filter(topic="records.his_file").count() == 1
    assert AuditEntry.objects.filter(action="record.sign").count() == 1
    edit = lambda: written(signed, can_sign, chief_complaint="改")  # noqa: E731
    assert code_of(edit) == "record.signed"
    assert code_of(lambda: sign(signed, can_sign)) == "record.signed"


def test_a_wrong_pin_propagates_as_its_code_and_the_draft_stays_editable(draft, can_sign):
    version = written(draft, can_sign)
    assert code_of(lambda: sign(version, can_sign, pin="135799")) == "signature.pin_wrong"
    version.refresh_from_db()
    assert version.status == "draft" and version.signature is None
    assert written(version, can_sign, chief_complaint="头痛").chief_complaint == "头痛"


def test_signing_what_was_not_seen_is_refused(draft, can_sign):
    version = written(draft, can_sign)
    stale = version.revision
    written(version, can_sign, chief_complaint="另一个标签页改过")
    call = lambda: record_sign(  # noqa: E731
        doctor=can_sign, version=version, revision=stale, pin=PIN, actor=Actor.of(can_sign)
    )
    assert code_of(call) == "record.stale"


def test_a_record_without_a_diagnosis_is_not_signed(draft, can_sign):
    version = written(draft, can_sign, diagnoses=[])
    assert code_of(lambda: sign(version, can_sign)) == "record.no_diagnosis"


def test_an_amendment_is_a_new_signed_version_and_the_first_stays_readable(draft, can_sign):
    first = sign(written(draft, can_sign), can_sign)
    amendment = record_amend(doctor=can_sign, medical_record=first.record, actor=Actor.of(can_sign))
    assert amendment.number == 2 and amendment.status == "draft"
    assert amendment.chief_complaint == first.chief_complaint and amendment.diagnoses == first.diagnoses
    assert code_of(lambda: record_amend(doctor=can_sign, medical_record=first.record, actor=Actor.of(can_sign))) == (
        "record.draft_exists"
    )
    second = sign(written(amendment, can_sign, diagnoses=["J06.9", "K29.7"]), can_sign)
    assert second.signature.version == 2
    first.refresh_from_db()
    assert first.status == "signed" and first.diagnoses == [{"code": "J06.9", "name": "急性上呼吸道感染"}]
    assert signature_selectors.signature_verify(signature=first.signature).valid
    assert signature_selectors.signature_verify(signature=second.signature).valid


def test_signing_is_refused_inside_a_transaction(draft, can_sign):
    version = written(draft, can_sign)
    with pytest.raises(RuntimeError), transaction.atomic():
        sign(version, can_sign)


# --- nothing clinical is deleted -----------------------------------------------------------------------


def test_no_orm_path_deletes_a_record_or_a_version(draft, dr_bob):
    version = written(draft, dr_bob)
    for attempt in (
        version.delete,
        version.record.delete,
        RecordVersion.objects.all().delete,
        MedicalRecord.objects.all().delete,
        lambda: MedicalRecord.objects.filter(pk=version.record_id).delete(),
    ):
        with pytest.raises(DomainError) as refused:
            attempt()
        assert refused.value.code == "record.not_deletable"
    assert RecordVersion.objects.count() == 1 and MedicalRecord.objects.count() == 1


def test_the_consultation_cannot_be_deleted_from_under_its_record(draft):
    from django.db.models import ProtectedError

    with pytest.raises((ProtectedError, DomainError)):
        draft.record.consultation.delete()
    assert MedicalRecord.objects.count() == 1


def test_the_database_refuses_a_raw_delete_of_a_record_a_version_or_a_signature(draft, can_sign):
    """On SQLite and PostgreSQL alike: triggers (records 0002/0004, signatures 0002), whatever issues it."""
    from django.db import DatabaseError

    signed = sign(written(draft, can_sign), can_sign)
    for table, code in (
        ("records_recordversion", "record.not_deletable"),
        ("records_medicalrecord", "record.not_deletable"),
        ("signatures_signature", "signature.not_deletable"),
    ):
        with pytest.raises(DatabaseError) as refused, transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608
        assert code in str(refused.value), table
    assert RecordVersion.objects.count() == 1 and MedicalRecord.objects.count() == 1
    assert Signature.objects.filter(pk=signed.signature_id).exists()


def test_manage_flush_cannot_empty_the_records(draft, can_sign):
    """The management command that empties a database: DELETE FROM per table on SQLite, TRUNCATE on
    PostgreSQL; both meet the guards (records 0004/0005, signatures 0002/0003)."""
    from django.core.management import call_command
    from django.core.management.base import CommandError

    signed = sign(written(draft, can_sign), can_sign)
    with pytest.raises(CommandError) as refused:
        call_command("flush", interactive=False, verbosity=0)
    assert "not_deletable" in str(refused.value.__cause__ or refused.value)
    assert RecordVersion.objects.filter(pk=signed.pk).exists() and Signature.objects.count() == 1


def test_the_database_refuses_to_change_a_signed_version(draft, can_sign):
    from django.db import DatabaseError

    signed = sign(written(draft, can_sign), can_sign)
    with pytest.raises(DatabaseError), transaction.atomic():
        RecordVersion.objects.filter(pk=signed.pk).update(chief_complaint="篡改")
    with pytest.raises(DatabaseError), transaction.atomic():
        RecordVersion.objects.filter(pk=signed.pk).update(status="draft")
    RecordVersion.objects.filter(pk=signed.pk).update(his_filing_no="BL1")  # bookkeeping stays possible
    assert RecordVersion.objects.get(pk=signed.pk).chief_complaint == "咳嗽、咽痛三天"


def test_a_signed_record_is_filed_in_the_his_through_the_outbox_once(draft, can_sign, his_sim):
    from ihospital.core import outbox
    from ihospital.core.time import now

    signed = sign(written(draft, can_sign), can_sign)
    signed.refresh_from_db()
    assert signed.his_filing_no.startswith("BL") and signed.his_filed_at is not None
    assert his_sim.count("medical_record", reference=str(signed.record.public_id)) == 1
    OutboxMessage.objects.filter(topic="records.his_file").update(status="pending", next_attempt_at=now())
    outbox.drain()  # delivered again: filed once
    assert his_sim.count("medical_record") == 1 and his_sim.deliveries(f"BL-{signed.public_id}") == 1


def test_while_the_his_is_down_the_filing_waits_and_the_signing_stands(draft, can_sign, his_sim, settings):
    from ihospital.core import outbox
    from ihospital.core.time import now

    settings.HIS_BREAKER_THRESHOLD = 1000
    his_sim.fault_next("down", count=100)
    signed = sign(written(draft, can_sign), can_sign)
    signed.refresh_from_db()
    assert signed.status == "signed" and signed.his_filing_no == ""
    assert OutboxMessage.objects.get(topic="records.his_file").status == "pending"
    his_sim.clear_faults()
    OutboxMessage.objects.filter(status="pending").update(next_attempt_at=now())
    outbox.drain()
    signed.refresh_from_db()
    assert signed.his_filing_no and his_sim.count("medical_record") == 1


def test_an_unknown_code_and_an_edit_after_signing_are_refused_with_codes_and_audited(draft, can_sign):
    refused = lambda: AuditEntry.objects.filter(action="record.draft_save.refused").values_list(  # noqa: E731
        "details__code", flat=True
    )
    assert code_of(lambda: written(draft, can_sign, diagnoses=["Q99.99"])) == "record.unknown_icd_code"
    assert list(refused()) == ["record.unknown_icd_code"]
    signed = sign(written(draft, can_sign), can_sign)
    assert code_of(lambda: written(signed, can_sign, chief_complaint="改过")) == "record.signed"
    assert list(refused()) == ["record.unknown_icd_code", "record.signed"]
    again = lambda: record_sign(  # noqa: E731
        doctor=can_sign, version=signed, revision=signed.revision, pin=PIN, actor=Actor.of(can_sign)
    )
    assert code_of(again) == "record.signed"
    assert AuditEntry.objects.filter(action="record.sign.refused", details__code="record.signed").count() == 1
    assert RecordVersion.objects.get(pk=signed.pk).chief_complaint == "咳嗽、咽痛三天"


def test_the_record_is_still_written_after_the_visit_ended_until_it_is_signed(in_progress, can_sign, commit):
    from ihospital.consultations.services import consultation_complete

    with commit():
        consultation_complete(doctor=can_sign, consultation=in_progress, actor=Actor.of(can_sign))
    in_progress.refresh_from_db()
    assert in_progress.status == "completed"
    draft = record_open(doctor=can_sign, consultation=in_progress, actor=Actor.of(can_sign))
    signed = sign(written(draft, can_sign), can_sign)
    assert signed.status == "signed"
    assert code_of(lambda: written(signed, can_sign, treatment_advice="补充")) == "record.signed"

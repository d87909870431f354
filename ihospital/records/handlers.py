"""Outbox handler: file a signed record version in the HIS (病历归档), outside any transaction, under a
transaction id derived from the version's id (the HIS applies it once however often it is delivered).
An ``HisError`` propagates: transient ones are retried with backoff, permanent ones park the message."""

from __future__ import annotations

import base64
from typing import Any

from ihospital.appointments.handlers import his_patient_id
from ihospital.integrations import his
from ihospital.integrations.his import base
from ihospital.records.models import RecordVersion
from ihospital.records.services import record_his_filed


def file_from_outbox(payload: dict[str, Any], idempotency_key: str) -> None:
    version = RecordVersion.objects.select_related(
        "signature__certificate",
        "author",
        "record__visit_person",
        "record__consultation__appointment__schedule__department",
    ).get(public_id=payload["version"], status=RecordVersion.Status.SIGNED)
    if version.his_filing_no:
        return
    medical_record = version.record
    schedule = medical_record.consultation.appointment.schedule
    signature = version.signature
    assert signature is not None  # a signed version has one (a database constraint)
    filing = his.client().file_record(
        base.RecordFileRequest(
            transaction_id=f"BL-{version.public_id}",
            patient_id=his_patient_id(medical_record.visit_person),
            reference=str(medical_record.public_id),
            version=version.number,
            department_code=schedule.department.code,
            doctor_code=version.author.username,
            visit_date=schedule.date,
            chief_complaint=version.chief_complaint,
            diagnoses=tuple(base.Diagnosis(code=d["code"], name=d["name"]) for d in version.diagnoses),
            document=signature.document,
            signature=base64.b64encode(bytes(signature.value)).decode(),
            algorithm=signature.algorithm,
            certificate_serial=signature.certificate.serial,
            signed_at=signature.signed_at,
        )
    )
    record_his_filed(version=version, filing_no=filing.filing_no)

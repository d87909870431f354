"""病历归档 (FileRecord) through both clients — the in-process sandbox and the soap client via the gateway:
a signed record version is filed once per transaction id, shows in the patient's visit history as an
online visit with its diagnoses, and an amendment is filed as the next version of the same document."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ihospital.integrations.his import base
from ihospital.integrations.his.base import HisError
from ihospital.integrations.his.tests.test_contract import alice_query

pytestmark = pytest.mark.django_db


def filing(patient_id: str, **changes):
    values = {
        "transaction_id": "BL-TXN-1",
        "patient_id": patient_id,
        "reference": "record-1",
        "version": 1,
        "department_code": "NK",
        "doctor_code": "dr_bob",
        "visit_date": date(2026, 12, 7),
        "chief_complaint": "咳嗽三天",
        "diagnoses": (base.Diagnosis(code="J06.9", name="急性上呼吸道感染"),),
        "document": '{"chief_complaint":"咳嗽三天"}',
        "signature": "MEUCIQ==",
        "algorithm": "ecdsa-p256-sha256",
        "certificate_serial": "1234",
        "signed_at": datetime(2026, 12, 7, 2, 30, tzinfo=UTC),
    }
    return base.RecordFileRequest(**{**values, **changes})


def test_a_signed_record_is_filed_once_and_shows_in_the_visit_history(his_client, his_sim):
    patient = his_client.find_or_register_patient(alice_query())
    filed = his_client.file_record(filing(patient.patient_id))
    assert filed.filing_no.startswith("BL") and (filed.reference, filed.version) == ("record-1", 1)
    assert his_client.file_record(filing(patient.patient_id)) == filed  # redelivered: the first answer
    assert his_sim.count("medical_record") == 1 and his_sim.deliveries("BL-TXN-1") == 2
    online = [
        v
        for v in his_client.visit_history(base.HistoryQuery(patient_id=patient.patient_id)).visits
        if v.kind == "online"
    ]
    assert [(v.complaint, [d.code for d in v.diagnoses]) for v in online] == [("咳嗽三天", ["J06.9"])]


def test_an_amendment_is_the_next_version_of_the_same_document(his_client, his_sim):
    patient = his_client.find_or_register_patient(alice_query())
    his_client.file_record(filing(patient.patient_id))
    amended = (base.Diagnosis(code="J06.9", name="急性上呼吸道感染"), base.Diagnosis(code="K29.7", name="胃炎"))
    second = his_client.file_record(filing(patient.patient_id, transaction_id="BL-TXN-2", version=2, diagnoses=amended))
    assert second.version == 2 and his_sim.count("medical_record", reference="record-1") == 2
    online = [
        v
        for v in his_client.visit_history(base.HistoryQuery(patient_id=patient.patient_id)).visits
        if v.kind == "online"
    ]
    assert len(online) == 1 and [d.code for d in online[0].diagnoses] == ["J06.9", "K29.7"]


def test_filing_a_version_twice_under_another_transaction_is_a_conflict(his_client):
    patient = his_client.find_or_register_patient(alice_query())
    his_client.file_record(filing(patient.patient_id))
    with pytest.raises(HisError) as refused:
        his_client.file_record(filing(patient.patient_id, transaction_id="BL-TXN-9"))
    assert refused.value.code == HisError.CONFLICT and refused.value.permanent


def test_filing_for_an_unknown_patient_is_not_found(his_client):
    with pytest.raises(HisError) as refused:
        his_client.file_record(filing("99999999"))
    assert refused.value.code == HisError.NOT_FOUND

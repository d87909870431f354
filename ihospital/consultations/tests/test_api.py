"""The consultation API for the patient app and the doctor's clients: the same journey as the pages."""

import pytest
from django.test import Client

from ihospital.core.testing.personas import PASSWORD

P = "/api/patient/v1"
S = "/api/staff/v1"


@pytest.fixture
def patient(alice):
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def doctor(dr_bob):
    client = Client()
    client.force_login(dr_bob)
    return client


def test_the_whole_visit_through_the_api(accepted, patient, doctor, commit):
    with commit():
        checked_in = patient.post(f"{P}/appointments/{accepted.public_id}/check-in")
    assert checked_in.status_code == 201, checked_in.content
    consultation = checked_in.json()
    assert (consultation["status"], consultation["queue_position"]) == ("waiting", 1)
    assert consultation["socket_path"] == f"/ws/consultations/{consultation['id']}/"
    again = patient.post(f"{P}/appointments/{accepted.public_id}/check-in")
    assert again.json()["id"] == consultation["id"]  # a second device gets the same place

    assert [item["id"] for item in doctor.get(f"{S}/desk/queue").json()] == [consultation["id"]]
    refused = doctor.post(f"{S}/desk/call-next")
    assert (refused.status_code, refused.json()["code"]) == (403, "consultation.identity_check_required")
    assert (
        doctor.post(f"{S}/identity/confirm", {"password": PASSWORD}, content_type="application/json").status_code == 201
    )
    with commit():
        called = doctor.post(f"{S}/desk/call-next")
    assert (called.status_code, called.json()["status"], called.json()["call_attempts"]) == (200, "calling", 1)

    with commit():
        answered = patient.post(f"{P}/consultations/{consultation['id']}/answer")
    assert answered.json()["status"] == "in_progress"

    sent = patient.post(
        f"{P}/consultations/{consultation['id']}/messages", {"text": "您好医生"}, content_type="application/json"
    )
    assert (sent.status_code, sent.json()["sender"]) == (201, "patient")
    reply = doctor.post(
        f"{S}/consultations/{consultation['id']}/messages", {"text": "请讲"}, content_type="application/json"
    )
    assert reply.json()["sender"] == "doctor"
    history = patient.get(f"{P}/consultations/{consultation['id']}/messages").json()
    assert [m["text"] for m in history] == ["您好医生", "请讲"]

    no_reason = doctor.post(
        f"{S}/consultations/{consultation['id']}/refer", {"reason": ""}, content_type="application/json"
    )
    assert no_reason.json()["code"] == "consultation.referral_reason_required"
    with commit():
        done = doctor.post(f"{S}/consultations/{consultation['id']}/complete")
    assert done.json()["status"] == "completed"
    late = patient.post(
        f"{P}/consultations/{consultation['id']}/messages", {"text": "还在吗"}, content_type="application/json"
    )
    assert (late.status_code, late.json()["code"]) == (409, "consultation.not_in_progress")


def test_check_in_before_the_window_is_a_coded_refusal(accepted, patient):
    from datetime import timedelta

    from ihospital.consultations.tests.conftest import starts_in

    starts_in(accepted, timedelta(hours=2))
    early = patient.post(f"{P}/appointments/{accepted.public_id}/check-in")
    assert (early.status_code, early.json()["code"]) == (409, "consultation.check_in_not_open")


def test_the_desk_queue_reads_every_position_in_one_go(alice, dr_bob, doctor, commit):
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ihospital.consultations.tests.conftest import accepted_booking, checked_in

    first = accepted_booking(alice, dr_bob, commit, person_seq=1)
    later = [
        accepted_booking(alice, dr_bob, commit, schedule=first.schedule, person_seq=seq, slot_in=timedelta(minutes=m))
        for seq, m in ((2, 15), (3, 20), (4, 25))
    ]
    for appointment in [*later, first]:
        checked_in(appointment, commit)
    with CaptureQueriesContext(connection) as queries:
        queue = doctor.get(f"{S}/desk/queue").json()
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"]]  # not one COUNT per patient
    assert [item["queue_position"] for item in queue] == [1, 2, 3, 4]

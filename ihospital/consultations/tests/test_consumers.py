"""The room and desk WebSockets through the real ASGI application (origin check, session auth, routing):
only the two participants get in; the patient learns their place and the doctor's status; the doctor's
desk hears of arrivals; chat and signalling reach the other side; bad frames get a coded answer and
never break the socket."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async

from ihospital.audit.services import Actor
from ihospital.consultations.models import Message
from ihospital.consultations.services import consultation_call, consultation_check_in
from ihospital.consultations.tests.conftest import accepted_booking, checked_in, in_consultation
from ihospital.notifications.tests.ws import ORIGIN, WebsocketClient, session_headers

pytestmark = pytest.mark.django_db(transaction=True)

DESK = "/ws/desk/"
MAX_FRAMES = 20


def room_path(consultation) -> str:
    return f"/ws/consultations/{consultation.public_id}/"


async def next_event(socket: WebsocketClient, event: str, **matching: Any) -> dict[str, Any]:
    """The next frame with this ``event`` (and these values), skipping others (queue refreshes and the like)."""
    seen = []
    for _ in range(MAX_FRAMES):
        frame = await socket.receive_json()
        if frame.get("event") == event and all(frame.get(key) == value for key, value in matching.items()):
            return frame
        seen.append(frame)
    raise AssertionError(f"no {event} {matching} frame; got {seen}")


async def connected(path: str, headers) -> WebsocketClient:
    socket = WebsocketClient(path, headers)
    assert await socket.connect() == (True, None)
    return socket


# --- who gets in --------------------------------------------------------------------------------------


def test_the_room_socket_refuses_anyone_but_the_two_participants(accepted, mallory, dr_erin, commit):
    consultation = checked_in(accepted, commit)
    strangers = [ORIGIN, session_headers(mallory), session_headers(dr_erin)]

    async def scenario():
        for headers in strangers:
            socket = WebsocketClient(room_path(consultation), headers)
            # refused at the handshake: the very first thing it hears is the close
            assert await socket.connect() == (False, 4403)

    async_to_sync(scenario)()


def test_the_desk_socket_is_for_doctors_only(alice, dr_bob):
    alice_headers = session_headers(alice)

    async def scenario():
        for headers in (ORIGIN, alice_headers):
            assert await WebsocketClient(DESK, headers).connect() == (False, 4403)

    async_to_sync(scenario)()


# --- the waiting room ---------------------------------------------------------------------------------


def test_a_waiting_patient_learns_their_place_then_that_the_doctor_came_online(accepted, alice, dr_bob, commit):
    consultation = checked_in(accepted, commit)
    alice_headers, bob_headers = session_headers(alice), session_headers(dr_bob)

    async def scenario():
        patient = await connected(room_path(consultation), alice_headers)
        assert await patient.receive_json() == {"event": "state", "status": "waiting", "call_attempts": 0}
        assert await patient.receive_json() == {"event": "queue", "position": 1, "doctor_status": "away"}

        desk = await connected(DESK, bob_headers)
        online = await next_event(patient, "queue")
        assert online == {"event": "queue", "position": 1, "doctor_status": "online"}
        assert (await next_event(desk, "queue")) == {"event": "queue", "waiting": 1, "doctor_status": "online"}

        await desk.close()
        assert await next_event(patient, "queue") == {"event": "queue", "position": 1, "doctor_status": "away"}
        await patient.close()

    async_to_sync(scenario)()


def test_the_desk_is_alerted_when_another_patient_checks_in(accepted, alice, mallory, dr_bob, commit):
    first = checked_in(accepted, commit)
    second = accepted_booking(mallory, dr_bob, commit, schedule=accepted.schedule, person_seq=2)
    alice_headers, bob_headers = session_headers(alice), session_headers(dr_bob)

    def check_in_second():
        consultation_check_in(patient=mallory, appointment=second, actor=Actor.of(mallory))

    async def scenario():
        patient = await connected(room_path(first), alice_headers)
        await next_event(patient, "queue")
        desk = await connected(DESK, bob_headers)
        await next_event(desk, "desk")  # the desk's own arrival refreshes it, without an alert

        await database_sync_to_async(check_in_second)()

        # the desk hears both: the queue grew, and an alert naming who arrived (in either order)
        frames = [await desk.receive_json(), await desk.receive_json()]
        assert {"event": "queue", "waiting": 2, "doctor_status": "online"} in frames
        (alert,) = [frame for frame in frames if frame["event"] == "desk"]
        assert alert["alert"] and second.visit_person.name in alert["alert"]
        # the first patient keeps their place and learns nothing about who arrived
        frame = await next_event(patient, "queue")
        assert frame == {"event": "queue", "position": 1, "doctor_status": "online"}
        await desk.close()
        await patient.close()

    async_to_sync(scenario)()


def test_the_patients_page_rings_when_the_doctor_calls(accepted, alice, confirmed_bob, commit):
    consultation = checked_in(accepted, commit)
    alice_headers = session_headers(alice)

    def call():
        consultation_call(doctor=confirmed_bob, consultation=consultation, actor=Actor.of(confirmed_bob))

    async def scenario():
        patient = await connected(room_path(consultation), alice_headers)
        await next_event(patient, "queue")
        await database_sync_to_async(call)()
        assert await next_event(patient, "ringing") == {"event": "ringing", "attempt": 1}
        await patient.send_text(json.dumps({"type": "state"}))
        assert await next_event(patient, "state") == {"event": "state", "status": "calling", "call_attempts": 1}
        await patient.close()

    async_to_sync(scenario)()


# --- the room -----------------------------------------------------------------------------------------


def test_chat_from_the_patient_reaches_the_doctor_and_is_kept(accepted, alice, confirmed_bob, commit):
    consultation = in_consultation(accepted, confirmed_bob, commit)
    alice_headers, bob_headers = session_headers(alice), session_headers(confirmed_bob)
    delivered = {}

    async def scenario():
        patient = await connected(room_path(consultation), alice_headers)
        doctor = await connected(room_path(consultation), bob_headers)
        assert await doctor.receive_json() == {"event": "state", "status": "in_progress", "call_attempts": 1}

        await patient.send_text(json.dumps({"type": "chat", "text": "头晕三天了"}))

        received = (await next_event(doctor, "chat"))["message"]
        assert (received["text"], received["from"], received["kind"]) == ("头晕三天了", "patient", "text")
        echoed = (await next_event(patient, "chat"))["message"]
        assert echoed["id"] == received["id"]
        delivered.update(received)
        await patient.close()
        await doctor.close()

    async_to_sync(scenario)()
    kept = Message.objects.get(consultation=consultation)
    assert (kept.text, kept.sender_id, str(kept.public_id)) == ("头晕三天了", alice.pk, delivered["id"])


def test_chat_before_the_consultation_starts_gets_a_coded_error(accepted, alice, commit):
    consultation = checked_in(accepted, commit)
    alice_headers = session_headers(alice)

    async def scenario():
        patient = await connected(room_path(consultation), alice_headers)
        await next_event(patient, "queue")
        await patient.send_text(json.dumps({"type": "chat", "text": "hello?"}))
        error = await next_event(patient, "error")
        assert error["code"] == "consultation.not_in_progress"
        await patient.close()

    async_to_sync(scenario)()
    assert not Message.objects.exists()


def test_a_signal_from_the_doctor_reaches_the_patient_and_is_not_echoed(accepted, alice, confirmed_bob, commit):
    consultation = in_consultation(accepted, confirmed_bob, commit)
    alice_headers, bob_headers = session_headers(alice), session_headers(confirmed_bob)
    offer = {"description": {"type": "offer", "sdp": "v=0\r\no=- 46117 2 IN IP4 127.0.0.1\r\ns=-\r\n"}}

    async def scenario():
        patient = await connected(room_path(consultation), alice_headers)
        doctor = await connected(room_path(consultation), bob_headers)
        await doctor.receive_json()  # state

        await doctor.send_text(json.dumps({"type": "signal", "data": offer}))
        assert await next_event(patient, "signal") == {"event": "signal", "data": offer}

        await doctor.send_text(json.dumps({"type": "ping"}))
        assert await doctor.receive_json() == {"event": "pong"}
        assert await doctor.receive_nothing(timeout=0.2)
        await patient.close()
        await doctor.close()

    async_to_sync(scenario)()


BAD_FRAMES = {
    "not JSON": "{not json",
    "a JSON list": "[1, 2]",
    "no type": json.dumps({"text": "hi"}),
    "a type that is not a string": json.dumps({"type": 7}),
    "unknown type": json.dumps({"type": "dance"}),
    "signal without data": json.dumps({"type": "signal"}),
    "signal with an unknown kind": json.dumps({"type": "signal", "data": {"exploit": 1}}),
    "signal with a bad description": json.dumps({"type": "signal", "data": {"description": {"type": "bogus"}}}),
    "signal with two kinds": json.dumps({"type": "signal", "data": {"hello": None, "bye": None}}),
    "oversize": json.dumps({"type": "ping", "pad": "x" * (64 * 1024 + 1)}),
}


def test_bad_frames_get_a_coded_error_and_the_socket_keeps_working(accepted, alice, confirmed_bob, commit):
    consultation = in_consultation(accepted, confirmed_bob, commit)
    alice_headers, bob_headers = session_headers(alice), session_headers(confirmed_bob)

    async def scenario():
        patient = await connected(room_path(consultation), alice_headers)
        doctor = await connected(room_path(consultation), bob_headers)
        await doctor.receive_json()  # state
        await next_event(patient, "queue")
        for why, frame in BAD_FRAMES.items():
            await patient.send_text(frame)
            answer = await patient.receive_json()
            assert (answer["event"], answer["code"]) == ("error", "consultation.bad_frame"), why
            await patient.send_text(json.dumps({"type": "ping"}))
            assert await patient.receive_json() == {"event": "pong"}, why
        # nothing of it reached the other side, and the room still works
        await patient.send_text(json.dumps({"type": "signal", "data": {"hello": True}}))
        assert await next_event(doctor, "signal") == {"event": "signal", "data": {"hello": True}}
        await patient.close()
        await doctor.close()

    async_to_sync(scenario)()


def test_bad_frames_on_the_desk_get_a_coded_error_and_the_desk_keeps_working(dr_bob):
    bob_headers = session_headers(dr_bob)

    async def scenario():
        desk = await connected(DESK, bob_headers)
        for frame in ("{not json", json.dumps({"type": "call"}), "x" * (64 * 1024 + 1)):
            await desk.send_text(frame)
            assert (await next_event(desk, "error"))["code"] == "consultation.bad_frame"
        await desk.send_text(json.dumps({"type": "ping"}))
        await next_event(desk, "pong")
        await desk.close()

    async_to_sync(scenario)()


# --- apps sign in with their Bearer token -------------------------------------------------------------


def test_an_app_opens_the_room_with_its_api_token_and_a_revoked_token_is_refused(accepted, dr_bob, commit):
    from ihospital.accounts.services import api_token_issue, api_token_revoke

    consultation = checked_in(accepted, commit)
    secret, token = api_token_issue(user=accepted.account, actor=Actor.system("test"))
    with_token = [*ORIGIN, (b"authorization", f"Bearer {secret}".encode())]
    forged = [*ORIGIN, (b"authorization", b"Bearer not-a-token")]

    async def scenario():
        socket = await connected(room_path(consultation), with_token)
        assert (await next_event(socket, "state"))["status"] == "waiting"
        await socket.close()
        assert await WebsocketClient(room_path(consultation), forged).connect() == (False, 4403)

    async_to_sync(scenario)()
    api_token_revoke(token=token, actor=Actor.system("test"))

    async def after_revocation():
        assert await WebsocketClient(room_path(consultation), with_token).connect() == (False, 4403)

    async_to_sync(after_revocation)()


def test_a_doctor_with_two_desk_tabs_stays_online_until_the_last_one_closes(accepted, alice, dr_bob, commit):
    consultation = checked_in(accepted, commit)
    alice_headers, bob_headers = session_headers(alice), session_headers(dr_bob)

    async def scenario():
        patient = await connected(room_path(consultation), alice_headers)
        assert (await next_event(patient, "queue"))["doctor_status"] == "away"  # before any desk opens
        first_tab, second_tab = await connected(DESK, bob_headers), await connected(DESK, bob_headers)
        await first_tab.close()
        assert (await next_event(second_tab, "queue"))["doctor_status"] == "online"
        await second_tab.close()
        frames = [await next_event(patient, "queue") for _ in range(4)]  # two opens, two closes
        assert [f["doctor_status"] for f in frames] == ["online", "online", "online", "away"]
        await patient.close()

    async_to_sync(scenario)()

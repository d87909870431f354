"""The live channel through the real ASGI application (origin check, session auth, routing): anonymous
sockets are refused, a person's pages hear about their own new messages after commit and nobody else's."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async

from ihospital.notifications.services import notification_send
from ihospital.notifications.tests.ws import ORIGIN, WebsocketClient, session_headers

PATH = "/ws/notifications/"


def send_to(user, key: str = "appointment:1:accepted"):
    return notification_send(
        user=user,
        kind="appointment.accepted",
        title="Booking accepted",
        body="Dr Bob accepted your booking.",
        link="/p/appointments/",
        dedupe_key=key,
        sms_text="[ihospital] Dr Bob accepted your booking.",
    )


@pytest.mark.django_db  # the auth middleware looks for a session
def test_an_anonymous_socket_is_refused():
    async def scenario():
        socket = WebsocketClient(PATH, ORIGIN)
        assert await socket.connect() == (False, 4401)

    async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
def test_a_signed_in_person_hears_of_their_new_message_and_no_one_else_does(alice, mallory):
    send_to(alice, key="earlier")
    alice_headers, mallory_headers = session_headers(alice), session_headers(mallory)

    async def scenario():
        alice_ws, mallory_ws = WebsocketClient(PATH, alice_headers), WebsocketClient(PATH, mallory_headers)
        assert await alice_ws.connect() == (True, None)
        assert await mallory_ws.connect() == (True, None)
        assert await alice_ws.receive_json() == {"event": "unread", "unread_count": 1}
        assert await mallory_ws.receive_json() == {"event": "unread", "unread_count": 0}

        notification = await database_sync_to_async(send_to)(alice)

        event = await alice_ws.receive_json()
        assert event["event"] == "notification" and event["id"] == notification.public_id.hex
        assert event["title"] == "Booking accepted" and event["link"] == "/p/appointments/"
        assert event["open_url"] == f"/p/messages/{notification.public_id}/" and event["unread_count"] == 2
        assert await mallory_ws.receive_nothing(timeout=0.2)
        await alice_ws.close()
        await mallory_ws.close()

    async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
def test_a_repeated_event_is_announced_once(alice):
    headers = session_headers(alice)

    async def scenario():
        socket = WebsocketClient(PATH, headers)
        await socket.connect()
        await socket.receive_json()
        await database_sync_to_async(send_to)(alice)
        await database_sync_to_async(send_to)(alice)
        assert (await socket.receive_json())["event"] == "notification"
        assert await socket.receive_nothing(timeout=0.2)
        await socket.close()

    async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
def test_client_frames_get_a_coded_answer_and_the_socket_stays_open(alice):
    headers = session_headers(alice)

    async def scenario():
        socket = WebsocketClient(PATH, headers)
        await socket.connect()
        await socket.receive_json()
        for frame in ["not json {", '{"event": "mark_read"}', ""]:
            await socket.send_text(frame)
            answer = await socket.receive_json()
            assert answer["event"] == "error" and answer["code"] == "notification.client_frame_ignored"
        await database_sync_to_async(send_to)(alice)
        assert (await socket.receive_json())["event"] == "notification"
        await socket.close()

    async_to_sync(scenario)()

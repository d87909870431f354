"""WebSockets of the consultation room and the doctor's desk.

A socket that is not a participant's is refused at the handshake and learns nothing. Bad frames
(not JSON, unknown type, malformed signalling) are answered with a coded error and logged; they never
close or crash the consumer.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from ihospital.audit.services import Actor
from ihospital.consultations import events, selectors, services
from ihospital.consultations.errors import ConsultationError
from ihospital.consultations.models import Consultation
from ihospital.core.errors import DomainError

logger = logging.getLogger("ihospital.consultations.realtime")


def in_any_thread(function):
    """Run ORM code from a consumer on asgiref's thread pool. Channels' default runs every consumer's
    database work on one shared thread, which capped a waiting room's connects at ~55/s whatever the
    pool size (bench/realtime.py). Each call still opens and closes its own connection."""
    return database_sync_to_async(function, thread_sensitive=False)


MAX_FRAME_CHARS = 64 * 1024  # an SDP offer with many candidates is ~10 KB
SIGNAL_KINDS = {"description", "candidate", "hello", "bye", "restart"}


def valid_signal(data: Any) -> bool:
    """A WebRTC signalling payload: a session description, an ICE candidate, or a control word."""
    if not isinstance(data, dict) or len(data) != 1:
        return False
    ((kind, value),) = data.items()
    if kind not in SIGNAL_KINDS:
        return False
    if kind == "description":
        return (
            isinstance(value, dict)
            and value.get("type") in {"offer", "answer", "rollback", "pranswer"}
            and isinstance(value.get("sdp", ""), str)
        )
    if kind == "candidate":
        return value is None or (isinstance(value, dict) and isinstance(value.get("candidate", ""), str))
    return value is None or isinstance(value, bool | int | str)


class _SafeJsonConsumer(AsyncJsonWebsocketConsumer):
    # Channel-layer events these consumers only forward: no database work, so they skip Channels' hop to
    # the database thread that closes old connections before each handler (a third of a fan-out's CPU,
    # bench/realtime.py).
    FORWARD_ONLY = frozenset({"room.event", "room.signal", "queue.update", "desk.update"})

    async def dispatch(self, message):
        if message["type"] in self.FORWARD_ONLY:
            await getattr(self, get_handler_name(message))(message)
        else:
            await super().dispatch(message)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if text_data is None or len(text_data) > MAX_FRAME_CHARS:
            await self.refuse_frame("binary or oversize frame")
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self.refuse_frame("not JSON")
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self.refuse_frame("no type")
            return
        await self.receive_json(content)

    async def refuse_frame(self, why: str) -> None:
        error = DomainError(ConsultationError.BAD_FRAME)
        logger.warning("%s dropped a frame from %s: %s", error.code, self.scope.get("client"), why)
        await self.send_json({"event": "error", **error.as_dict()})


class RoomConsumer(_SafeJsonConsumer):
    """``ws/consultations/<id>/``: the patient's waiting room and both participants' room."""

    async def connect(self):
        user = self.scope["user"]
        actor = Actor.of(user, self.scope)
        try:
            self.consultation = await in_any_thread(selectors.access_consultation_participant)(
                user=user,
                public_id=self.scope["url_route"]["kwargs"]["consultation_id"],
                actor=actor,
                related=("doctor",),
            )
        except DomainError:
            await self.close(code=4403)
            return
        self.is_doctor = user.pk == self.consultation.doctor_id
        self.doctor_hex = self.consultation.doctor.public_id.hex
        self.room = events.room_group(self.consultation.public_id.hex)
        self.groups_joined = [self.room] if self.is_doctor else [self.room, events.queue_group(self.doctor_hex)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_state()

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def send_state(self):
        """Where things stand, read after joining the groups (so no update can fall in between)."""
        consultation, position, doctor_status = await in_any_thread(self._state)()
        self.token = consultation.queue_token
        await self.send_json(
            {"event": "state", "status": consultation.status, "call_attempts": consultation.call_attempts}
        )
        if not self.is_doctor:
            await self.send_json({"event": "queue", "position": position, "doctor_status": doctor_status})

    def _state(self):
        consultation = Consultation.objects.select_related("appointment__slot").get(pk=self.consultation.pk)
        position = None if self.is_doctor else events.queue_position(consultation)
        return consultation, position, events.doctor_status(consultation.doctor_id, self.doctor_hex)

    async def send_queue(self, snapshot: dict) -> None:
        if self.is_doctor:
            return
        order = events.tokens(snapshot)
        position = order.index(self.token) + 1 if self.token in order else None
        await self.send_json({"event": "queue", "position": position, "doctor_status": snapshot["doctor_status"]})

    async def receive_json(self, content, **kwargs):
        kind = content["type"]
        if kind == "ping":
            await self.send_json({"event": "pong"})
        elif kind == "signal" and valid_signal(content.get("data")):
            await self.channel_layer.group_send(
                self.room, {"type": "room.signal", "data": content["data"], "sender": self.channel_name}
            )
        elif kind == "chat":
            await self.post_chat(content.get("text"))
        elif kind == "state":
            await self.send_state()
        else:
            await self.refuse_frame(f"unknown or malformed {kind!r} frame")

    async def post_chat(self, text) -> None:
        try:
            consultation = await database_sync_to_async(Consultation.objects.get)(pk=self.consultation.pk)
            user = self.scope["user"]
            await database_sync_to_async(services.message_post)(
                sender=user, consultation=consultation, text=text, actor=Actor.of(user, self.scope)
            )
        except DomainError as error:
            await self.send_json({"event": "error", **error.as_dict()})

    # Channel-layer handlers ------------------------------------------------------------------------

    async def room_event(self, event):
        await self.send_json({key: value for key, value in event.items() if key != "type"})

    async def room_signal(self, event):
        if event["sender"] != self.channel_name:
            await self.send_json({"event": "signal", "data": event["data"]})

    async def queue_update(self, event):
        await self.send_queue(event)


class DeskConsumer(_SafeJsonConsumer):
    """``ws/desk/``: the doctor's workstation. Its presence tells patients the doctor is online."""

    async def connect(self):
        user = self.scope["user"]
        if not user.is_authenticated or getattr(user, "role", None) != "doctor":
            await self.close(code=4403)
            return
        self.doctor_hex = user.public_id.hex
        self.groups_joined = [events.desk_group(self.doctor_hex), events.queue_group(self.doctor_hex)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.set_presence(True)

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)
        if hasattr(self, "doctor_hex"):
            await self.set_presence(False)

    async def set_presence(self, present: bool) -> None:
        await database_sync_to_async(events.desk_presence_changed)(self.scope["user"].pk, self.doctor_hex, present)

    async def receive_json(self, content, **kwargs):
        if content["type"] == "ping":
            await database_sync_to_async(events.desk_pinged)(self.doctor_hex)
            await self.send_json({"event": "pong"})
        else:
            await self.refuse_frame(f"unknown {content['type']!r} frame")

    async def desk_update(self, event):
        await self.send_json({"event": "desk", "alert": event.get("alert", "")})

    async def queue_update(self, event):
        await self.send_json(
            {"event": "queue", "waiting": len(events.tokens(event)), "doctor_status": event["doctor_status"]}
        )

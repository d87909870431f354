"""``ws/prescriptions/review/``: the pharmacists' review queue page, told when a prescription is submitted or
reviewed anywhere (it then re-reads the queue over HTTP: the event itself names no patient)."""

from __future__ import annotations

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from ihospital.accounts.models import Role
from ihospital.prescriptions.services import REVIEW_GROUP


class ReviewQueueConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope["user"]
        if not user.is_authenticated or getattr(user, "role", None) != Role.PHARMACIST:
            await self.close(code=4403)
            return
        await self.channel_layer.group_add(REVIEW_GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(REVIEW_GROUP, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"event": "pong"})

    async def review_update(self, event):
        await self.send_json({"event": "review", "what": event.get("event", "")})

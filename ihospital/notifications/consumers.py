"""The live channel of the message centre: each signed-in page joins its person's group and hears about
new messages and the unread count. Clients only listen; what they send is answered with a coded error."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from ihospital.notifications import selectors
from ihospital.notifications.errors import NotificationError
from ihospital.notifications.services import user_group

CLOSE_NOT_AUTHENTICATED = 4401


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_NOT_AUTHENTICATED)
            return
        self.group = user_group(user)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        count = await database_sync_to_async(selectors.unread_count)(user)
        await self.send_json({"event": "unread", "unread_count": count})

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        # Not receive_json: a malformed frame must not crash the connection.
        error = NotificationError.CLIENT_FRAME_IGNORED
        await self.send_json({"event": "error", "code": error.code, "message": str(error.message)})

    async def notification_new(self, event: dict[str, Any]) -> None:
        await self.send_json({"event": "notification", **{k: v for k, v in event.items() if k != "type"}})

    async def notification_unread(self, event: dict[str, Any]) -> None:
        await self.send_json({"event": "unread", "unread_count": event["unread_count"]})

"""A WebSocket test client for the real ASGI application, signed in with a session cookie.

It is asgiref's ``ApplicationCommunicator`` with a WebSocket scope, like ``channels.testing``'s: that
package can't be imported here, since its ``__init__`` imports the live-server helper, which needs daphne
(uvicorn serves this project).
"""

from __future__ import annotations

import json
from typing import Any

from asgiref.testing import ApplicationCommunicator
from django.conf import settings
from django.test import Client

ORIGIN = [(b"origin", b"http://localhost"), (b"host", b"localhost")]


def session_headers(user) -> list[tuple[bytes, bytes]]:
    """Headers of a browser signed in as ``user`` (the session is saved: use a transactional test)."""
    client = Client()
    client.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return [*ORIGIN, (b"cookie", cookie.encode())]


class WebsocketClient(ApplicationCommunicator):
    def __init__(self, path: str, headers: list[tuple[bytes, bytes]]) -> None:
        from config.asgi import application

        scope = {"type": "websocket", "path": path, "query_string": b"", "headers": headers, "subprotocols": []}
        super().__init__(application, scope)

    async def connect(self, timeout: float = 2) -> tuple[bool, int | None]:
        """(True, None) when accepted, (False, close code) when refused."""
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        assert response["type"] == "websocket.accept"
        return True, None

    async def send_text(self, text: str) -> None:
        await self.send_input({"type": "websocket.receive", "text": text})

    async def receive_json(self, timeout: float = 2) -> dict[str, Any]:
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.send", response
        return json.loads(response["text"])

    async def close(self) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": 1000})
        await self.wait(1)

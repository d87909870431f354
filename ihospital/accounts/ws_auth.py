"""WebSocket sign-in for apps: ``Authorization: Bearer <token>`` on the handshake, the same tokens as the
HTTP API. Browsers keep using their session cookie (AuthMiddlewareStack); a valid token wins over it."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware

from ihospital.accounts.selectors import user_for_api_token


class BearerTokenAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope, receive, send):
        header = dict(scope.get("headers") or []).get(b"authorization", b"").decode("latin-1")
        scheme, _, secret = header.partition(" ")
        if scheme.lower() == "bearer" and secret.strip():
            user = await database_sync_to_async(user_for_api_token)(secret.strip())
            if user is not None:
                scope = {**scope, "user": user}
        return await super().__call__(scope, receive, send)

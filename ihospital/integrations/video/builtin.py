"""``BuiltinWebRTCProvider``: the default. Browsers call each other over WebRTC through our own signaling
(consultations' WebSocket), so a meeting is only a name for a room: nothing leaves the process.

What the provider does know is how browsers reach each other: the configured STUN/TURN servers, plus,
when a coturn server shares a secret with us, short-lived TURN credentials in coturn's "TURN REST API"
form (``use-auth-secret``): username ``"<expiry unix time>:<user key>"``, credential
``base64(HMAC-SHA1(secret, username))``. coturn recomputes the HMAC and refuses expired usernames, so
no per-user account is ever stored on the TURN server and a leaked credential dies within the TTL.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import re
import time
import uuid
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from ihospital.integrations.video.base import OPEN, Meeting, MeetingRequest, VideoError

MEETING_ID = re.compile(r"^[0-9a-f]{32}$")


def turn_credentials(*, secret: str, user_key: str, ttl_seconds: int, at: float | None = None) -> tuple[str, str]:
    """(username, credential) valid for ``ttl_seconds`` from ``at`` (default now), as coturn checks them."""
    if not user_key or ":" in user_key:
        # coturn reads the expiry up to the first ':'; a key with its own ':' would be misread.
        raise ValueError("user_key must be non-empty and contain no ':'")
    expiry = int(time.time() if at is None else at) + ttl_seconds
    username = f"{expiry}:{user_key}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


class BuiltinWebRTCProvider:
    name = "builtin"

    def create_meeting(self, request: MeetingRequest) -> Meeting:
        # Nothing remote is created, so a retried create has nothing to de-duplicate: a fresh id is fine.
        return Meeting(
            provider=self.name,
            meeting_id=uuid.uuid4().hex,
            join_url=None,
            status=OPEN,
            topic=request.topic,
            starts_at=request.starts_at,
            duration_minutes=request.duration_minutes,
        )

    def get_meeting(self, meeting_id: str) -> Meeting:
        # The room's life is the consultation's (our database), not the provider's: it is always open here.
        if not MEETING_ID.match(meeting_id):
            raise VideoError(_("Unknown meeting."), code=VideoError.NOT_FOUND, permanent=True)
        return Meeting(provider=self.name, meeting_id=meeting_id, join_url=None, status=OPEN)

    def delete_meeting(self, meeting_id: str) -> None:
        self.get_meeting(meeting_id)  # validates the id; there is nothing to end outside our database

    def ice_servers(self, *, user_key: str) -> list[dict[str, Any]]:
        servers: list[dict[str, Any]] = copy.deepcopy(list(settings.WEBRTC_ICE_SERVERS))
        if settings.TURN_SHARED_SECRET and settings.TURN_URLS:
            username, credential = turn_credentials(
                secret=settings.TURN_SHARED_SECRET,
                user_key=user_key,
                ttl_seconds=settings.TURN_CREDENTIAL_TTL_SECONDS,
            )
            servers.append({"urls": list(settings.TURN_URLS), "username": username, "credential": credential})
        return servers

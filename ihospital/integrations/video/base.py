"""The video interface every provider implements: the built-in WebRTC calls and the cloud platform (云视讯).

Consultations speak to a provider only through these dataclasses and never learn which one runs. A
provider owns the *meeting* (where doctor and patient meet); our own records of the consultation, and its
recordings, stay in our database and storage whatever the provider does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ihospital.core.outbox import DeliveryError

OPEN = "open"  # people can join
ENDED = "ended"  # the platform closed it; nobody can join any more


@dataclass(frozen=True)
class MeetingRequest:
    topic: str
    host_name: str
    starts_at: datetime  # aware
    duration_minutes: int
    idempotency_key: str  # a retried create must return the same meeting, never a second one


@dataclass(frozen=True)
class Meeting:
    """A meeting as the provider knows it. ``status`` is OPEN or ENDED (adapters translate their vendor's
    states); ``join_url`` is None when the browser joins through our own pages (the built-in provider)."""

    provider: str
    meeting_id: str
    join_url: str | None
    status: str
    topic: str = ""
    starts_at: datetime | None = None
    duration_minutes: int | None = None


class VideoError(DeliveryError):
    """A provider call failed. Transient by default; ``permanent=True`` when retrying can't help (refused
    credentials, an invalid request, an unknown meeting). ``code`` is one of the normalised codes below."""

    UNAUTHORIZED = "unauthorized"
    NOT_FOUND = "not_found"
    INVALID_REQUEST = "invalid_request"
    UNAVAILABLE = "unavailable"

    def __init__(self, message: str, *, code: str = UNAVAILABLE, permanent: bool = False) -> None:
        super().__init__(message, permanent=permanent)
        self.code = code


class VideoProvider(Protocol):
    name: str

    def create_meeting(self, request: MeetingRequest) -> Meeting:
        """Idempotent on ``request.idempotency_key``."""

    def get_meeting(self, meeting_id: str) -> Meeting: ...

    def delete_meeting(self, meeting_id: str) -> None:
        """End the meeting on the platform so nobody can join it any more. Our recordings are never
        deleted: they belong to the medical record, not to the provider."""

    def ice_servers(self, *, user_key: str) -> list[dict[str, Any]]:
        """The ``iceServers`` for ``new RTCPeerConnection(...)`` in the browser of ``user_key`` (an opaque
        id, never a name or a phone number: TURN servers log it). Providers whose own client carries the
        media return []."""

"""``CloudVideoProvider``: the adapter for the seed document's cloud video platform (云视讯).

The paper describes a REST API where creating, reading and ending a meeting are all POSTs, and where
every request carries ``Authorization: Bearer <JWT>``: header ``{"alg": "HS256", "typ": "JWT"}``, payload
the platform-assigned API key, the organisation id (单位ID) and ``exp``, signed with the API secret.
It names no field names; these are the ones our sandbox (``video/sandbox/``) serves. Check them
against the vendor's documentation when connecting a real platform::

    POST {CLOUD_VIDEO_BASE_URL}/meetings/create
         {"topic", "host_name", "start_time": RFC 3339, "duration": minutes, "request_id": idempotency key}
    POST {CLOUD_VIDEO_BASE_URL}/meetings/get     {"meeting_id"}
    POST {CLOUD_VIDEO_BASE_URL}/meetings/delete  {"meeting_id"}
    → 200 {"code": "ok", "data": {"meeting_id", "topic", "host_name", "start_time", "duration",
                                  "join_url", "status": "scheduled" | "in_progress" | "ended"}}
    → 4xx/5xx {"code": "...", "message": "..."}

Each request gets a fresh token that expires after CLOUD_VIDEO_TOKEN_TTL_SECONDS, so a token copied out
of a proxy log is useless minutes later. Calls go through ``ihospital.core.http`` (timeouts, logs with the
token masked, CLOUD_VIDEO_TRANSPORT); all three are safe to repeat (create carries its request id, get
reads, delete of an ended meeting succeeds again), so the client retries transient failures. 401/403 and
other 4xx answers are permanent errors (a retry sends the same refused request); 5xx, 408, 429 and
timeouts are transient.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

import httpx
import jwt
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from ihospital.core import http
from ihospital.integrations.video.base import ENDED, OPEN, Meeting, MeetingRequest, VideoError

STATUSES = {"scheduled": OPEN, "in_progress": OPEN, "ended": ENDED}


class CloudVideoProvider:
    name = "cloud"

    def __init__(self) -> None:
        self.base_url = settings.CLOUD_VIDEO_BASE_URL.rstrip("/")
        self.api_key = settings.CLOUD_VIDEO_API_KEY
        self.api_secret = settings.CLOUD_VIDEO_API_SECRET
        self.org_id = settings.CLOUD_VIDEO_ORG_ID
        self.token_ttl_seconds = settings.CLOUD_VIDEO_TOKEN_TTL_SECONDS
        if not (self.base_url and self.api_key and self.api_secret and self.org_id):
            raise ImproperlyConfigured(
                "CloudVideoProvider needs CLOUD_VIDEO_BASE_URL, CLOUD_VIDEO_API_KEY, CLOUD_VIDEO_API_SECRET "
                "and CLOUD_VIDEO_ORG_ID"
            )

    def create_meeting(self, request: MeetingRequest) -> Meeting:
        data = self._call(
            "create",
            {
                "topic": request.topic,
                "host_name": request.host_name,
                "start_time": request.starts_at.isoformat(),
                "duration": request.duration_minutes,
                "request_id": request.idempotency_key,
            },
            idempotency_key=request.idempotency_key,
        )
        return self._meeting(data)

    def get_meeting(self, meeting_id: str) -> Meeting:
        return self._meeting(self._call("get", {"meeting_id": meeting_id}))

    def delete_meeting(self, meeting_id: str) -> None:
        self._call("delete", {"meeting_id": meeting_id})

    def ice_servers(self, *, user_key: str) -> list[dict[str, Any]]:
        return []  # the platform's own client carries the media

    def token(self) -> str:
        claims = {"api_key": self.api_key, "org_id": self.org_id, "exp": int(time.time()) + self.token_ttl_seconds}
        return jwt.encode(claims, self.api_secret, algorithm="HS256", headers={"typ": "JWT"})

    def _call(self, operation: str, body: dict[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
        client = http.Client(
            service="cloud-video",
            transport=settings.CLOUD_VIDEO_TRANSPORT,
            read_timeout=settings.CLOUD_VIDEO_TIMEOUT_SECONDS,
        )
        try:
            response = client.request(
                "POST",
                f"{self.base_url}/meetings/{operation}",
                headers={"Authorization": f"Bearer {self.token()}"},
                json=body,
                idempotency_key=idempotency_key,
                safe=True,  # get reads; delete is idempotent; create is safe with its key
            )
        except http.HttpError as error:
            raise _error(error) from None
        data = _json_or_empty(response.content).get("data")
        if not isinstance(data, dict):
            raise VideoError(_("The video platform sent an answer we do not understand."))
        return data

    def _meeting(self, data: dict[str, Any]) -> Meeting:
        try:
            return Meeting(
                provider=self.name,
                meeting_id=str(data["meeting_id"]),
                join_url=data.get("join_url") or None,
                status=STATUSES[data["status"]],
                topic=str(data.get("topic", "")),
                starts_at=datetime.fromisoformat(data["start_time"]) if data.get("start_time") else None,
                duration_minutes=int(data["duration"]) if data.get("duration") is not None else None,
            )
        except (KeyError, TypeError, ValueError):
            raise VideoError(_("The video platform sent an answer we do not understand.")) from None


def _json_or_empty(content: bytes) -> dict[str, Any]:
    try:
        answer = json.loads(content)
    except ValueError:
        return {}  # an HTML error page from a proxy, say
    return answer if isinstance(answer, dict) else {}


def _error(error: http.HttpError) -> VideoError:
    """The platform's refusal in our codes; permanent or not as ``core.http`` classified it."""
    if error.status is None or error.response is None:
        cause = type(error.__cause__).__name__
        if isinstance(error.__cause__, httpx.TimeoutException):
            return VideoError(_("The video platform did not answer in time."))
        return VideoError(_("The video platform could not be reached: %(error)s") % {"error": cause})
    answer = _json_or_empty(error.response.content)
    values = {"status": error.status, "detail": str(answer.get("message") or answer.get("code") or "")}
    if error.status in (401, 403):
        message = _("The video platform refused our credentials (HTTP %(status)s): %(detail)s")
        return VideoError(message % values, code=VideoError.UNAUTHORIZED, permanent=True)
    if error.status == 404:
        message = _("The video platform does not know this meeting (HTTP %(status)s): %(detail)s")
        return VideoError(message % values, code=VideoError.NOT_FOUND, permanent=True)
    if error.permanent:
        message = _("The video platform refused the request (HTTP %(status)s): %(detail)s")
        return VideoError(message % values, code=VideoError.INVALID_REQUEST, permanent=True)
    return VideoError(_("The video platform is unavailable (HTTP %(status)s): %(detail)s") % values)

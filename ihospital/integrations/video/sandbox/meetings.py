"""What the sandbox platform does with a meeting, apart from HTTP: create once per request id, read, end."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from ihospital.core.time import now
from ihospital.integrations.models import SandboxMeeting

MAX_DURATION_MINUTES = 24 * 60


class Refused(Exception):
    """The platform refuses the request: ``status`` and ``code`` go into the JSON error answer."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class NewMeeting:
    topic: str
    host_name: str
    starts_at: datetime
    duration_minutes: int
    request_id: str


def parse_new_meeting(body: dict[str, Any]) -> NewMeeting:
    try:
        meeting = NewMeeting(
            topic=str(body["topic"])[:200],
            host_name=str(body["host_name"])[:100],
            starts_at=datetime.fromisoformat(body["start_time"]),
            duration_minutes=int(body["duration"]),
            request_id=str(body["request_id"]),
        )
    except (KeyError, TypeError, ValueError):
        raise Refused(
            400, "invalid_request", _("topic, host_name, start_time, duration and request_id are required.")
        ) from None
    if meeting.starts_at.tzinfo is None or not 1 <= meeting.duration_minutes <= MAX_DURATION_MINUTES:
        raise Refused(400, "invalid_request", _("start_time needs a time zone; duration is 1 to 1440 minutes."))
    if not meeting.request_id or len(meeting.request_id) > 200:
        raise Refused(400, "invalid_request", _("request_id must be 1 to 200 characters."))
    return meeting


def create(*, org_id: str, new: NewMeeting) -> SandboxMeeting:
    """Idempotent on (org_id, request_id): a retried create returns the first meeting."""
    existing = SandboxMeeting.objects.filter(org_id=org_id, request_id=new.request_id).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return SandboxMeeting.objects.create(
                meeting_id=uuid.uuid4().hex,
                org_id=org_id,
                request_id=new.request_id,
                topic=new.topic,
                host_name=new.host_name,
                starts_at=new.starts_at,
                duration_minutes=new.duration_minutes,
            )
    except IntegrityError:  # the same request raced us
        return SandboxMeeting.objects.get(org_id=org_id, request_id=new.request_id)


def get(*, org_id: str, meeting_id: Any) -> SandboxMeeting:
    # Another organisation's meeting is as unknown as a made-up id.
    meeting = SandboxMeeting.objects.filter(org_id=org_id, meeting_id=str(meeting_id)).first()
    if meeting is None:
        raise Refused(404, "meeting_not_found", _("No such meeting."))
    return meeting


def end(*, org_id: str, meeting_id: Any) -> SandboxMeeting:
    """Ending an ended meeting succeeds again (the platform's delete is idempotent)."""
    meeting = get(org_id=org_id, meeting_id=meeting_id)
    SandboxMeeting.objects.filter(pk=meeting.pk, status=SandboxMeeting.Status.SCHEDULED).update(
        status=SandboxMeeting.Status.ENDED, ended_at=now()
    )
    meeting.refresh_from_db()
    return meeting


def join_url(meeting: SandboxMeeting) -> str:
    path = reverse("sandbox_video:join", kwargs={"meeting_id": meeting.meeting_id})
    return f"{settings.PUBLIC_BASE_URL}{path}"


def as_data(meeting: SandboxMeeting) -> dict[str, Any]:
    return {
        "meeting_id": meeting.meeting_id,
        "topic": meeting.topic,
        "host_name": meeting.host_name,
        "start_time": meeting.starts_at.isoformat(),
        "duration": meeting.duration_minutes,
        "join_url": join_url(meeting),
        "status": meeting.status,
    }

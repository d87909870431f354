"""The consultation's video meeting on the configured provider (built-in WebRTC by default, or the
cloud video platform). Provider calls are made outside any transaction (ARCHITECTURE §4.4)."""

from __future__ import annotations

import logging

from ihospital.consultations.models import Consultation
from ihospital.integrations import video
from ihospital.integrations.video.base import MeetingRequest, VideoError

logger = logging.getLogger("ihospital.consultations.video")


def consultation_meeting_open(*, consultation: Consultation) -> Consultation:
    """Create the meeting once (the provider de-duplicates on the idempotency key if we crash between
    its answer and our write). Raises VideoError if the provider refuses or is down."""
    if consultation.meeting_id:
        return consultation
    provider = video.provider()
    slot = consultation.appointment.slot
    meeting = provider.create_meeting(
        MeetingRequest(
            topic=f"consultation {consultation.public_id}",
            host_name=consultation.doctor.display_name,
            starts_at=slot.starts_at,
            duration_minutes=max(10, int((slot.ends_at - slot.starts_at).total_seconds() // 60)),
            idempotency_key=f"consultation:{consultation.public_id}",
        )
    )
    Consultation.objects.filter(pk=consultation.pk, meeting_id="").update(
        meeting_id=meeting.meeting_id, video_provider=meeting.provider, meeting_join_url=meeting.join_url or ""
    )
    consultation.refresh_from_db()
    return consultation


def consultation_meeting_close(*, consultation_pk: int) -> None:
    """End the meeting on the provider's side (our recordings are kept regardless)."""
    consultation = Consultation.objects.get(pk=consultation_pk)
    if not consultation.meeting_id:
        return
    try:
        video.provider().delete_meeting(consultation.meeting_id)
    except VideoError as error:
        if error.permanent:
            logger.warning("video meeting %s could not be closed: %s", consultation.meeting_id, error)
            return
        raise

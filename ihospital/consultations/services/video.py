"""The consultation's video meeting on the configured provider (built-in WebRTC by default, or the
cloud video platform). Provider calls are made outside any transaction (ARCHITECTURE §4.4): opening it
from the view after the call commits, ending it through the outbox."""

from __future__ import annotations

from ihospital.consultations.models import Consultation
from ihospital.core import outbox
from ihospital.integrations import video
from ihospital.integrations.video.base import MeetingRequest


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


def consultation_meeting_close(*, consultation: Consultation) -> None:
    """Have the provider end the meeting, after commit, through the outbox (topic ``video.meeting_close``:
    retried while the platform is down, parked dead if it refuses). Our recordings are kept regardless.
    Call it inside the transaction that ends the visit; once per consultation (the idempotency key)."""
    if not consultation.meeting_id:
        return
    outbox.enqueue(
        topic="video.meeting_close",
        payload={"meeting_id": consultation.meeting_id, "provider": consultation.video_provider},
        idempotency_key=f"video.meeting_close:{consultation.public_id}",
        correlation_id=str(consultation.public_id),
    )

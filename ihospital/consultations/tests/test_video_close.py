"""Ending a visit ends its meeting on the video platform through the outbox: after commit, once per
consultation, retried while the platform is down, parked dead when it refuses (and replayable)."""

from datetime import timedelta

import pytest

from ihospital.audit.services import Actor
from ihospital.consultations.services import consultation_complete, consultation_meeting_open, consultation_refer
from ihospital.core import outbox
from ihospital.core.checks import CLOUD_VIDEO_PROVIDER
from ihospital.core.models import OutboxMessage
from ihospital.core.time import now
from ihospital.integrations.models import SandboxMeeting
from ihospital.integrations.video.sandbox import control

TOPIC = "video.meeting_close"


@pytest.fixture
def cloud_video(settings):
    """The cloud adapter, with the cloud-video sandbox answering in process."""
    settings.VIDEO_PROVIDER = CLOUD_VIDEO_PROVIDER
    settings.CLOUD_VIDEO_BASE_URL = "http://testserver/sandbox/video/v1"
    settings.CLOUD_VIDEO_TRANSPORT = "ihospital.core.http.InProcessTransport"
    settings.CLOUD_VIDEO_SANDBOX_ENABLED = True
    settings.CLOUD_VIDEO_SANDBOX_LATENCY_SECONDS = 0
    settings.HTTP_RETRY_ATTEMPTS = 2


@pytest.fixture
def meeting_room(in_progress, cloud_video):
    """alice's consultation with dr_bob, in progress, with its meeting open on the platform."""
    consultation = consultation_meeting_open(consultation=in_progress)
    assert SandboxMeeting.objects.get(meeting_id=consultation.meeting_id).status == "scheduled"
    return consultation


def complete(consultation, doctor, commit):
    with commit():
        consultation_complete(doctor=doctor, consultation=consultation, actor=Actor.of(doctor))


def platform_status(consultation) -> str:
    return SandboxMeeting.objects.get(meeting_id=consultation.meeting_id).status


def close_message(consultation) -> OutboxMessage:
    return OutboxMessage.objects.get(topic=TOPIC, idempotency_key=f"video.meeting_close:{consultation.public_id}")


def make_due(message: OutboxMessage) -> None:
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=now() - timedelta(seconds=1))


def test_completing_ends_the_meeting_after_commit_through_the_outbox(meeting_room, confirmed_bob, commit):
    complete(meeting_room, confirmed_bob, commit)
    message = close_message(meeting_room)
    assert (message.status, message.attempts) == ("sent", 1)
    assert message.correlation_id == str(meeting_room.public_id)
    assert message.payload == {"meeting_id": meeting_room.meeting_id, "provider": "cloud"}
    assert platform_status(meeting_room) == "ended"


def test_nothing_reaches_the_platform_before_commit(meeting_room, confirmed_bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        consultation_complete(doctor=confirmed_bob, consultation=meeting_room, actor=Actor.of(confirmed_bob))
        assert close_message(meeting_room).status == "pending"
    assert platform_status(meeting_room) == "scheduled"


def test_a_platform_outage_is_retried_until_the_meeting_ends(meeting_room, confirmed_bob, commit):
    control.fail_next(3, status=503)  # the client's two attempts, then one more on the next delivery
    complete(meeting_room, confirmed_bob, commit)
    message = close_message(meeting_room)
    assert (message.status, message.attempts) == ("pending", 1)
    assert "503" in message.last_error and message.next_attempt_at > now()
    assert platform_status(meeting_room) == "scheduled"

    make_due(message)
    assert outbox.deliver(message.pk) == "sent"
    assert close_message(meeting_room).attempts == 2
    assert platform_status(meeting_room) == "ended"


def test_a_refusal_parks_the_message_dead_and_a_replay_ends_the_meeting(
    meeting_room, confirmed_bob, commit, admin_client_for
):
    control.fail_next(1, status=400)
    complete(meeting_room, confirmed_bob, commit)
    message = close_message(meeting_room)
    assert (message.status, message.attempts) == ("dead", 1)  # a 400 is not retried, by the client either
    assert "400" in message.last_error
    assert meeting_room.__class__.objects.get(pk=meeting_room.pk).status == "completed"  # the visit ended anyway

    with commit():
        assert outbox.replay(message_ids=[message.pk]) == 1
    assert close_message(meeting_room).status == "sent"
    assert platform_status(meeting_room) == "ended"


def test_a_meeting_the_platform_does_not_know_is_closed_already(meeting_room, confirmed_bob, commit):
    SandboxMeeting.objects.filter(meeting_id=meeting_room.meeting_id).delete()
    complete(meeting_room, confirmed_bob, commit)
    assert close_message(meeting_room).status == "sent"


def test_a_meeting_on_a_provider_no_longer_configured_is_parked_dead(meeting_room, confirmed_bob, commit, settings):
    settings.VIDEO_PROVIDER = "ihospital.integrations.video.builtin.BuiltinWebRTCProvider"
    complete(meeting_room, confirmed_bob, commit)
    message = close_message(meeting_room)
    assert message.status == "dead" and "cloud" in message.last_error


def test_referring_closes_the_meeting_too_and_only_once(meeting_room, confirmed_bob, commit):
    with commit():
        consultation_refer(
            doctor=confirmed_bob, consultation=meeting_room, reason="需要线下检查", actor=Actor.of(confirmed_bob)
        )
    assert close_message(meeting_room).status == "sent"
    assert OutboxMessage.objects.filter(topic=TOPIC).count() == 1


def test_a_built_in_meeting_closes_without_leaving_the_process(in_progress, confirmed_bob, commit):
    consultation = consultation_meeting_open(consultation=in_progress)
    complete(consultation, confirmed_bob, commit)
    message = close_message(consultation)
    assert message.status == "sent" and message.payload["provider"] == "builtin"


def test_a_visit_without_a_meeting_sends_nothing(in_progress, confirmed_bob, commit):
    complete(in_progress, confirmed_bob, commit)
    assert not OutboxMessage.objects.filter(topic=TOPIC).exists()

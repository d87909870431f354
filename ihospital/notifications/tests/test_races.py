"""Concurrent sends of the same event (two workers retrying one task) on PostgreSQL: one message, one
SMS, and no caller sees an error."""

from __future__ import annotations

from ihospital.core.models import OutboxMessage
from ihospital.core.testing.concurrency import needs_row_locks, race
from ihospital.notifications.models import Notification
from ihospital.notifications.services import notification_send

pytestmark = needs_row_locks


def test_concurrent_sends_of_one_event_make_one_message_and_one_sms(alice):
    def send(i: int):
        return notification_send(
            user=alice, kind="appointment.accepted", title=f"try {i}", body="", dedupe_key="race", sms_text="hi"
        ).public_id

    results = race(6, send)
    assert len(set(results)) == 1, results
    assert Notification.objects.count() == 1
    assert OutboxMessage.objects.filter(topic="sms.send").count() == 1

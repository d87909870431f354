"""Sending a message: one message and one SMS per event however often it is sent, the live push only
after commit, and reading marks only one's own messages."""

from __future__ import annotations

import pytest
from django.db import transaction

from ihospital.core import realtime
from ihospital.core.errors import DomainError
from ihospital.core.models import OutboxMessage
from ihospital.notifications import selectors
from ihospital.notifications.models import Notification
from ihospital.notifications.services import (
    notification_mark_all_read,
    notification_mark_read,
    notification_send,
    user_group,
)

pytestmark = pytest.mark.django_db


def send(user, key: str | None = "appointment:1:accepted", **extra) -> Notification:
    values = {
        "kind": "appointment.accepted",
        "title": "Booking accepted",
        "body": "Dr Bob accepted your booking.",
        "link": "/p/appointments/",
        "dedupe_key": key,
        "sms_text": "[ihospital] Dr Bob accepted your booking.",
    }
    return notification_send(user=user, **{**values, **extra})


@pytest.fixture
def pushes(monkeypatch):
    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr(realtime, "publish", lambda group, event: sent.append((group, event)))
    return sent


def sms_rows():
    return OutboxMessage.objects.filter(topic="sms.send")


def test_send_creates_one_message_and_one_sms(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        notification = send(alice)
    assert list(Notification.objects.all()) == [notification]
    assert notification.user == alice and notification.read_at is None
    (sms,) = sms_rows()
    assert sms.payload == {"phone": alice.phone, "text": "[ihospital] Dr Bob accepted your booking."}
    assert sms.idempotency_key == "notification:appointment:1:accepted"


def test_the_same_event_sent_twice_gives_one_message_and_one_sms(alice, pushes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = send(alice)
        again = send(alice, title="Sent again by a retried task")
    assert again.public_id == first.public_id and again.title == "Booking accepted"
    assert Notification.objects.count() == 1 and sms_rows().count() == 1
    assert len(pushes) == 1


def test_a_duplicate_leaves_the_callers_transaction_usable(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(), transaction.atomic():
        send(alice)
        send(alice)  # would be an IntegrityError, fatal to the transaction on PostgreSQL, without ON CONFLICT
        assert Notification.objects.filter(user=alice).count() == 1


def test_without_a_dedupe_key_each_send_is_a_new_message(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        first, second = send(alice, key=None), send(alice, key=None)
    assert first.public_id != second.public_id
    assert sorted(sms_rows().values_list("idempotency_key", flat=True)) == sorted(
        [f"notification:{first.public_id}", f"notification:{second.public_id}"]
    )


def test_no_phone_or_no_sms_text_sends_no_sms(dr_bob, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        send(dr_bob)
        send(alice, key="reminder:1", sms_text=None)
    assert Notification.objects.count() == 2
    assert not sms_rows().exists()


def test_the_live_event_goes_to_the_users_group_after_commit(alice, pushes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification = send(alice)
        assert pushes == []  # nothing is announced before commit
    ((group, event),) = pushes
    assert group == f"notify.{alice.public_id.hex}" == user_group(alice)
    assert event == {
        "type": "notification.new",
        "id": notification.public_id.hex,
        "kind": "appointment.accepted",
        "title": "Booking accepted",
        "body": "Dr Bob accepted your booking.",
        "link": "/p/appointments/",
        "open_url": f"/p/messages/{notification.public_id}/",
        "created_at": notification.created_at.isoformat(),
        "unread_count": 1,
    }


def test_a_rolled_back_send_announces_nothing_and_sends_no_sms(alice, pushes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            send(alice)
            raise RuntimeError("the caller's change failed")
    assert pushes == [] and not Notification.objects.exists() and not sms_rows().exists()


@pytest.mark.parametrize("link", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "p/relative"])
def test_a_link_must_be_a_local_path(alice, link):
    with pytest.raises(ValueError):
        send(alice, link=link)


def test_a_staff_members_message_opens_in_the_staff_message_centre(dr_bob, pushes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification = send(dr_bob)
    assert pushes[0][1]["open_url"] == f"/staff/messages/{notification.public_id}/"


def test_mark_read_only_marks_ones_own(alice, mallory, pushes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        alices = send(alice)
        with pytest.raises(DomainError) as refused:
            notification_mark_read(user=mallory, notification_id=alices.public_id)
        assert refused.value.code == "core.not_found"
        assert selectors.unread_count(alice) == 1
        assert notification_mark_read(user=alice, notification_id=alices.public_id) is True
        assert notification_mark_read(user=alice, notification_id=alices.public_id) is False
    assert selectors.unread_count(alice) == 0
    assert pushes[-1] == (user_group(alice), {"type": "notification.unread", "unread_count": 0})


def test_mark_all_read_only_marks_ones_own(alice, mallory, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        send(alice, key="a1")
        send(alice, key="a2")
        send(mallory, key="m1")
        assert notification_mark_all_read(user=alice) == 2
        assert notification_mark_all_read(user=alice) == 0
    assert selectors.unread_count(alice) == 0 and selectors.unread_count(mallory) == 1


def test_notifications_for_lists_only_ones_own_newest_first(alice, mallory, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        older, newer = send(alice, key="a1"), send(alice, key="a2")
        send(mallory, key="m1")
    assert list(selectors.notifications_for(alice)) == [newer, older]
    assert list(selectors.notifications_for(alice, limit=1)) == [newer]

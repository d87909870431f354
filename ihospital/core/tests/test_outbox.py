"""The outbox delivers after commit, retries transient failures with backoff and parks permanent ones."""

from datetime import timedelta

import pytest

from ihospital.core import outbox
from ihospital.core.models import OutboxMessage
from ihospital.core.time import now


class FlakyReceiver:
    """A fake outside system: fails ``transient`` times, or refuses for good when ``permanent``."""

    def __init__(self, *, transient: int = 0, permanent: bool = False) -> None:
        self.transient, self.permanent = transient, permanent
        self.received: list[tuple[dict, str]] = []
        self.calls = 0

    def __call__(self, payload: dict, key: str) -> None:
        self.calls += 1
        if self.permanent:
            raise outbox.DeliveryError("400 bad request", permanent=True)
        if self.transient > 0:
            self.transient -= 1
            raise outbox.DeliveryError("503 service unavailable")
        self.received.append((payload, key))


@pytest.fixture
def receiver(db):
    holder: dict[str, FlakyReceiver] = {}

    def install(**behaviour) -> FlakyReceiver:
        holder["r"] = FlakyReceiver(**behaviour)
        outbox.register("test.fake", holder["r"])
        return holder["r"]

    yield install
    outbox.unregister("test.fake")


def _make_due(message: OutboxMessage) -> None:
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=now() - timedelta(seconds=1))


def test_message_is_delivered_after_commit_and_marked_sent(receiver, django_capture_on_commit_callbacks):
    fake = receiver()
    with django_capture_on_commit_callbacks(execute=True):
        message = outbox.enqueue(topic="test.fake", payload={"n": 1}, idempotency_key="k-1")
        assert fake.calls == 0  # nothing leaves the process before commit
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert fake.received == [({"n": 1}, "k-1")]


def test_same_idempotency_key_is_enqueued_once(receiver, django_capture_on_commit_callbacks):
    fake = receiver()
    with django_capture_on_commit_callbacks(execute=True):
        first = outbox.enqueue(topic="test.fake", payload={"n": 1}, idempotency_key="dup")
        second = outbox.enqueue(topic="test.fake", payload={"n": 2}, idempotency_key="dup")
    assert first.pk == second.pk
    assert OutboxMessage.objects.count() == 1
    assert len(fake.received) == 1


def test_transient_failures_are_retried_with_growing_backoff_until_sent(receiver, db):
    fake = receiver(transient=2)
    message = outbox.enqueue(topic="test.fake", payload={}, idempotency_key="flaky")

    assert outbox.deliver(message.pk) == "pending"
    message.refresh_from_db()
    first_wait = message.next_attempt_at - now()
    assert message.attempts == 1 and "503" in message.last_error
    assert outbox.deliver(message.pk) is None  # not due yet: nobody may send it early

    _make_due(message)
    assert outbox.deliver(message.pk) == "pending"
    message.refresh_from_db()
    assert message.next_attempt_at - now() > first_wait  # exponential backoff

    _make_due(message)
    assert outbox.deliver(message.pk) == "sent"
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("sent", 3, "")
    assert fake.calls == 3


def test_permanent_failure_is_parked_dead_with_its_error(receiver, db):
    fake = receiver(permanent=True)
    message = outbox.enqueue(topic="test.fake", payload={}, idempotency_key="refused")
    assert outbox.deliver(message.pk) == "dead"
    message.refresh_from_db()
    assert message.status == "dead" and "400 bad request" in message.last_error
    _make_due(message)
    assert outbox.drain() == {}  # the sweeper leaves dead messages alone
    assert fake.calls == 1


def test_running_out_of_attempts_parks_the_message_dead(receiver, db):
    receiver(transient=100)
    message = outbox.enqueue(topic="test.fake", payload={}, idempotency_key="never")
    for _ in range(outbox.MAX_ATTEMPTS):
        _make_due(message)
        outbox.deliver(message.pk)
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("dead", outbox.MAX_ATTEMPTS)


def test_replay_revives_a_dead_message_which_then_gets_delivered(receiver, db):
    fake = receiver(permanent=True)
    message = outbox.enqueue(topic="test.fake", payload={"x": 1}, idempotency_key="replay-me")
    outbox.deliver(message.pk)
    fake.permanent = False  # the administrator fixed the cause

    assert outbox.replay(message_ids=[message.pk]) == 1
    assert outbox.drain() == {"sent": 1}
    message.refresh_from_db()
    assert message.status == "sent"
    assert fake.received == [({"x": 1}, "replay-me")]


def test_a_message_leased_by_one_worker_is_not_delivered_by_another(receiver, db):
    receiver()
    message = outbox.enqueue(topic="test.fake", payload={}, idempotency_key="lease")
    assert outbox._claim(message.pk) is not None
    assert outbox.deliver(message.pk) is None  # a second worker finds it claimed


def test_unexpected_handler_crash_is_retried_not_lost(db):
    def broken(payload, key):
        raise KeyError("bug")

    outbox.register("test.broken", broken)
    try:
        message = outbox.enqueue(topic="test.broken", payload={}, idempotency_key="crash")
        assert outbox.deliver(message.pk) == "pending"
        message.refresh_from_db()
        assert "KeyError" in message.last_error
    finally:
        outbox.unregister("test.broken")


def test_enqueue_refuses_a_topic_nobody_delivers(db):
    with pytest.raises(ValueError):
        outbox.enqueue(topic="nobody.listens", payload={}, idempotency_key="x")


def test_backoff_grows_exponentially_and_is_capped():
    delays = [outbox.backoff_delay(n).total_seconds() for n in range(1, 20)]
    assert delays[:4] == [30, 60, 120, 240]
    assert max(delays) == outbox.MAX_DELAY_SECONDS


def test_admin_can_replay_dead_messages(admin_client_for, receiver, django_capture_on_commit_callbacks):
    fake = receiver(permanent=True)
    message = outbox.enqueue(topic="test.fake", payload={}, idempotency_key="admin-replay")
    outbox.deliver(message.pk)
    fake.permanent = False
    client = admin_client_for("hospital_admin")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/core/outboxmessage/", {"action": "replay_dead", "_selected_action": [message.pk]}, follow=True
        )
    assert response.status_code == 200
    message.refresh_from_db()
    assert message.status == "sent"

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


# --- systems that answer later: acknowledged, then completed ---------------------------------------------


def acknowledging(reference: str = "ticket-1"):
    calls: list[str] = []

    def handler(payload, key):
        calls.append(key)
        return outbox.Receipt(reference=reference, details={"queue": "refunds"})

    handler.calls = calls
    return handler


@pytest.fixture
def later(db):
    handler = acknowledging()
    outbox.register("test.later", handler)
    yield handler
    outbox.unregister("test.later")


def test_a_handler_returning_a_receipt_leaves_the_message_acknowledged_with_it(later):
    message = outbox.enqueue(topic="test.later", payload={}, idempotency_key="later-1")
    assert outbox.deliver(message.pk) == "acknowledged"
    message.refresh_from_db()
    assert message.status == "acknowledged" and message.sent_at is not None
    assert message.receipt == {"reference": "ticket-1", "details": {"queue": "refunds"}}
    _make_due(message)
    assert outbox.drain() == {}  # nothing more to send: we wait for the answer
    assert later.calls == ["later-1"]


def test_the_answer_completes_an_acknowledged_message_once(later):
    message = outbox.enqueue(topic="test.later", payload={}, idempotency_key="later-2")
    outbox.deliver(message.pk)
    assert outbox.complete(idempotency_key="later-2", outcome={"refund_status": "SUCCESS"}) == "completed"
    message.refresh_from_db()
    assert (message.status, message.outcome) == ("completed", {"refund_status": "SUCCESS"})
    assert message.closed_at is not None and message.receipt["reference"] == "ticket-1"
    # A duplicate answer (providers resend) changes nothing.
    assert outbox.complete(idempotency_key="later-2", refusal="too late") == "completed"
    message.refresh_from_db()
    assert message.last_error == ""


def test_a_late_refusal_parks_the_message_dead_for_a_replay(later):
    message = outbox.enqueue(topic="test.later", payload={}, idempotency_key="later-3")
    outbox.deliver(message.pk)
    assert outbox.complete(idempotency_key="later-3", outcome={"code": "NOTENOUGH"}, refusal="NOTENOUGH") == "dead"
    message.refresh_from_db()
    assert message.status == "dead" and message.last_error == "NOTENOUGH"
    assert outbox.replay(message_ids=[message.pk]) == 1
    assert outbox.drain() == {"acknowledged": 1}
    assert later.calls == ["later-3", "later-3"]


def test_an_answer_that_overtakes_the_acknowledgement_wins(db):
    def answered_at_once(payload, key):
        outbox.complete(idempotency_key=key, outcome={"fast": True})  # the callback beat our write
        return outbox.Receipt(reference="r")

    outbox.register("test.fast", answered_at_once)
    try:
        message = outbox.enqueue(topic="test.fast", payload={}, idempotency_key="fast")
        assert outbox.deliver(message.pk) == "completed"
    finally:
        outbox.unregister("test.fast")
    message.refresh_from_db()
    assert (message.status, message.outcome) == ("completed", {"fast": True})


def test_a_sent_message_cannot_be_completed(receiver):
    receiver()
    message = outbox.enqueue(topic="test.fake", payload={}, idempotency_key="plain")
    assert outbox.deliver(message.pk) == "sent"
    assert outbox.complete(idempotency_key="plain") == "sent"


def test_replay_leaves_messages_that_are_not_dead_alone(later):
    message = outbox.enqueue(topic="test.later", payload={}, idempotency_key="later-4")
    outbox.deliver(message.pk)
    assert outbox.replay(message_ids=[message.pk]) == 0
    message.refresh_from_db()
    assert message.status == "acknowledged"


# --- correlation ids --------------------------------------------------------------------------------------


def test_the_callers_correlation_id_is_kept_and_logged_with_every_attempt(receiver, caplog):
    receiver(transient=1)
    message = outbox.enqueue(topic="test.fake", payload={}, idempotency_key="c-1", correlation_id="appt-7")
    with caplog.at_level("INFO", logger="ihospital.core.outbox"):
        outbox.deliver(message.pk)
        _make_due(message)
        outbox.deliver(message.pk)
    message.refresh_from_db()
    assert message.correlation_id == "appt-7"
    attempts = [r for r in caplog.records if "attempt" in r.getMessage()]
    assert len(attempts) == 3  # two attempts and one failure
    assert all("appt-7" in r.getMessage() and r.correlation_id == "appt-7" for r in attempts)


def test_without_one_a_correlation_id_is_generated(receiver):
    receiver()
    first = outbox.enqueue(topic="test.fake", payload={}, idempotency_key="c-2")
    second = outbox.enqueue(topic="test.fake", payload={}, idempotency_key="c-3")
    assert len(first.correlation_id) == 32 and first.correlation_id != second.correlation_id


def test_messages_enqueued_while_delivering_one_share_its_correlation_id(receiver, db):
    receiver()

    def chain(payload, key):
        outbox.enqueue(topic="test.fake", payload={}, idempotency_key=f"{key}:then")

    outbox.register("test.chain", chain)
    try:
        message = outbox.enqueue(topic="test.chain", payload={}, idempotency_key="first", correlation_id="order-9")
        outbox.deliver(message.pk)
    finally:
        outbox.unregister("test.chain")
    assert OutboxMessage.objects.get(idempotency_key="first:then").correlation_id == "order-9"
    assert outbox.current_correlation_id() == ""  # nothing leaks out of the delivery


def test_the_admin_shows_and_finds_messages_by_correlation_id(admin_client_for, receiver):
    receiver()
    outbox.enqueue(topic="test.fake", payload={}, idempotency_key="adm-1", correlation_id="visit-123")
    outbox.enqueue(topic="test.fake", payload={}, idempotency_key="adm-2", correlation_id="visit-456")
    client = admin_client_for("hospital_admin")
    page = client.get("/admin/core/outboxmessage/", {"q": "visit-123"}).content.decode()
    assert "visit-123" in page and "visit-456" not in page

"""The outbox: how every write to an outside system leaves the process.

    outbox.enqueue(topic="sms.send", payload={...}, idempotency_key=f"sms:{code.public_id}")

inside the service's transaction; after commit a huey task delivers it by calling the handler
registered for the topic with ``(payload, idempotency_key)``. A handler raises ``DeliveryError`` to
ask for a retry, ``DeliveryError(permanent=True)`` to give up at once. Each message is claimed by a
conditional UPDATE (a lease on ``next_attempt_at``), so two workers never deliver it at the same time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F

from ihospital.core.models import OutboxMessage
from ihospital.core.time import now

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], str], None]

MAX_ATTEMPTS = 8
BASE_DELAY_SECONDS = 30
MAX_DELAY_SECONDS = 6 * 60 * 60
LEASE_SECONDS = 5 * 60  # a worker that dies mid-delivery releases the message after this


class DeliveryError(Exception):
    """Raised by a handler. ``permanent=True`` means retrying can't help (bad request, refused)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


_handlers: dict[str, Handler] = {}


def register(topic: str, handler: Handler) -> None:
    """Called from an AppConfig.ready(): declares who delivers messages of ``topic``."""
    _handlers[topic] = handler


def unregister(topic: str) -> None:
    _handlers.pop(topic, None)


def backoff_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min … capped at 6 h, after the ``attempts``-th failure."""
    return timedelta(seconds=min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2 ** max(0, attempts - 1)))


def enqueue(*, topic: str, payload: dict[str, Any], idempotency_key: str) -> OutboxMessage:
    """Write a message in the caller's transaction; delivery is scheduled for after commit.

    Enqueueing the same idempotency key twice returns the first message and sends nothing more.
    """
    if topic not in _handlers:
        raise ValueError(f"no outbox handler registered for topic {topic!r}")
    message, created = OutboxMessage.objects.get_or_create(
        idempotency_key=idempotency_key,
        defaults={"topic": topic, "payload": payload, "next_attempt_at": now()},
    )
    if created:
        from ihospital.core import tasks  # the task module imports this one

        message_id = message.pk
        transaction.on_commit(lambda: tasks.outbox_deliver(message_id))
    return message


def _claim(message_id: int) -> OutboxMessage | None:
    moment = now()
    claimed = OutboxMessage.objects.filter(
        pk=message_id, status=OutboxMessage.Status.PENDING, next_attempt_at__lte=moment
    ).update(next_attempt_at=moment + timedelta(seconds=LEASE_SECONDS), attempts=F("attempts") + 1)
    if not claimed:
        return None
    return OutboxMessage.objects.get(pk=message_id)


def deliver(message_id: int) -> str | None:
    """Try to deliver one due message; return its new status, or None if it was not ours to send."""
    message = _claim(message_id)
    if message is None:
        return None
    handler = _handlers.get(message.topic)
    try:
        if handler is None:
            raise DeliveryError(f"no handler for topic {message.topic!r}", permanent=True)
        handler(message.payload, message.idempotency_key)
    except DeliveryError as exc:
        return _record_failure(message, str(exc), permanent=exc.permanent)
    except Exception as exc:  # an unexpected bug in a handler is retried, and logged loudly
        logger.exception("outbox handler for %s crashed", message.topic)
        return _record_failure(message, f"{type(exc).__name__}: {exc}", permanent=False)
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxMessage.Status.SENT, sent_at=now(), last_error="")
    return OutboxMessage.Status.SENT


def _record_failure(message: OutboxMessage, error: str, *, permanent: bool) -> str:
    dead = permanent or message.attempts >= MAX_ATTEMPTS
    status = OutboxMessage.Status.DEAD if dead else OutboxMessage.Status.PENDING
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=status,
        last_error=error[:4000],
        next_attempt_at=now() + backoff_delay(message.attempts),
    )
    log = logger.error if dead else logger.warning
    log(
        "outbox %s %s attempt %d failed (%s): %s",
        message.topic,
        message.public_id,
        message.attempts,
        "dead" if dead else "will retry",
        error,
    )
    return status


def due_message_ids(limit: int = 500) -> list[int]:
    return list(
        OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def drain(limit: int = 500) -> dict[str, int]:
    """Deliver every due message (the periodic sweeper). Returns a count per resulting status."""
    counts: dict[str, int] = {}
    for message_id in due_message_ids(limit):
        status = deliver(message_id)
        if status:
            counts[status] = counts.get(status, 0) + 1
    return counts


def replay(*, message_ids: list[int]) -> int:
    """Put dead messages back in the queue (administrator action). Returns how many were revived."""
    revived = OutboxMessage.objects.filter(pk__in=message_ids, status=OutboxMessage.Status.DEAD).update(
        status=OutboxMessage.Status.PENDING, attempts=0, next_attempt_at=now(), last_error=""
    )
    if revived:
        from ihospital.core import tasks

        ids = list(message_ids)
        transaction.on_commit(lambda: tasks.outbox_drain())
        logger.info("outbox replay of %s revived %d", ids, revived)
    return revived

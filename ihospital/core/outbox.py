"""The outbox: how every write to an outside system leaves the process.

    outbox.enqueue(topic="sms.send", payload={...}, idempotency_key=f"sms:{code.public_id}")

inside the service's transaction; after commit a huey task delivers it by calling the handler
registered for the topic with ``(payload, idempotency_key)``. A handler raises ``DeliveryError`` to
ask for a retry, ``DeliveryError(permanent=True)`` to give up at once. Each message is claimed by a
conditional UPDATE (a lease on ``next_attempt_at``), so two workers never deliver it at the same time.

States (``OutboxMessage.TRANSITIONS``): ``pending`` → ``sent`` when the handler returns; a handler whose
system answers later returns a ``Receipt`` instead, and the message waits ``acknowledged`` until the
answer's receiver calls ``complete(...)`` (→ ``completed``, or ``dead`` when the answer is a refusal).
Failures go back to ``pending`` with a backoff, or to ``dead``; ``replay`` revives the dead.

Every message carries a ``correlation_id``: the caller's (a business object's public id), else that of
the message being delivered when it was enqueued (one event, followed across systems), else a new one.
It is in every delivery log line, in the HTTP client's log lines (``current_correlation_id()``), and in
the admin.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F

from ihospital.core.errors import DomainError
from ihospital.core.models import OutboxMessage
from ihospital.core.state import transition
from ihospital.core.time import now

logger = logging.getLogger(__name__)

Status = OutboxMessage.Status


@dataclass(frozen=True)
class Receipt:
    """What a handler returns when the outside system took the message and will answer later:
    ``reference`` is its name for our request (a ticket, a task id), ``details`` anything else to keep."""

    reference: str
    details: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"reference": self.reference, "details": self.details}


Handler = Callable[[dict[str, Any], str], Receipt | None]

_correlation: ContextVar[str] = ContextVar("outbox_correlation_id", default="")


def current_correlation_id() -> str:
    """The correlation id of the message being delivered in this thread, or ""."""
    return _correlation.get()


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


def enqueue(*, topic: str, payload: dict[str, Any], idempotency_key: str, correlation_id: str = "") -> OutboxMessage:
    """Write a message in the caller's transaction; delivery is scheduled for after commit.

    Enqueueing the same idempotency key twice returns the first message and sends nothing more.
    ``correlation_id`` defaults to the one of the message being delivered, else a new one.
    """
    if topic not in _handlers:
        raise ValueError(f"no outbox handler registered for topic {topic!r}")
    correlation_id = correlation_id or current_correlation_id() or uuid.uuid4().hex
    message, created = OutboxMessage.objects.get_or_create(
        idempotency_key=idempotency_key,
        defaults={
            "topic": topic,
            "payload": payload,
            "next_attempt_at": now(),
            "correlation_id": correlation_id[:100],
        },
    )
    if created:
        from ihospital.core import tasks  # the task module imports this one

        message_id = message.pk
        transaction.on_commit(lambda: tasks.outbox_deliver(message_id))
    return message


def _claim(message_id: int) -> OutboxMessage | None:
    moment = now()
    claimed = OutboxMessage.objects.filter(pk=message_id, status=Status.PENDING, next_attempt_at__lte=moment).update(
        next_attempt_at=moment + timedelta(seconds=LEASE_SECONDS), attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    return OutboxMessage.objects.get(pk=message_id)


def _move(message: OutboxMessage, to: str, **changes: Any) -> str:
    """Move ``message`` to ``to``; if someone else moved it first (a late answer that overtook us),
    leave it and return the state it is in."""
    try:
        transition(OutboxMessage, pk=message.pk, to=to, transitions=OutboxMessage.TRANSITIONS, **changes)
    except DomainError:
        current = OutboxMessage.objects.filter(pk=message.pk).values_list("status", flat=True).first()
        logger.info("outbox %s %s is already %s; not moved to %s", message.topic, message.public_id, current, to)
        return str(current)
    return to


def deliver(message_id: int) -> str | None:
    """Try to deliver one due message; return its new status, or None if it was not ours to send."""
    message = _claim(message_id)
    if message is None:
        return None
    handler = _handlers.get(message.topic)
    logger.info(
        "outbox %s %s attempt %d, correlation %s",
        message.topic,
        message.public_id,
        message.attempts,
        message.correlation_id,
        extra={"correlation_id": message.correlation_id},
    )
    token = _correlation.set(message.correlation_id)
    try:
        if handler is None:
            raise DeliveryError(f"no handler for topic {message.topic!r}", permanent=True)
        receipt = handler(message.payload, message.idempotency_key)
    except DeliveryError as exc:
        return _record_failure(message, str(exc), permanent=exc.permanent)
    except Exception as exc:  # an unexpected bug in a handler is retried, and logged loudly
        logger.exception("outbox handler for %s crashed, correlation %s", message.topic, message.correlation_id)
        return _record_failure(message, f"{type(exc).__name__}: {exc}", permanent=False)
    finally:
        _correlation.reset(token)
    if isinstance(receipt, Receipt):
        return _move(message, Status.ACKNOWLEDGED, sent_at=now(), last_error="", receipt=receipt.as_json())
    return _move(message, Status.SENT, sent_at=now(), last_error="")


def _record_failure(message: OutboxMessage, error: str, *, permanent: bool) -> str:
    dead = permanent or message.attempts >= MAX_ATTEMPTS
    status = _move(
        message,
        Status.DEAD if dead else Status.PENDING,
        last_error=error[:4000],
        next_attempt_at=now() + backoff_delay(message.attempts),
    )
    log = logger.error if dead else logger.warning
    log(
        "outbox %s %s attempt %d failed (%s), correlation %s: %s",
        message.topic,
        message.public_id,
        message.attempts,
        "dead" if dead else "will retry",
        message.correlation_id,
        error,
        extra={"correlation_id": message.correlation_id},
    )
    return status


def complete(*, idempotency_key: str, outcome: dict[str, Any] | None = None, refusal: str = "") -> str:
    """The late answer to an acknowledged message arrived: close it. Called by whoever receives the
    answer (a provider's notification view, a poller), usually inside its own transaction.

    ``refusal`` non-empty means the outside system finally said no: the message is parked ``dead`` with
    it as the error, for an administrator to look at and replay. Otherwise it becomes ``completed``.
    ``outcome`` is kept either way. Returns the status the message is in; an answer for a message
    already closed (a duplicate notification) changes nothing. Raises OutboxMessage.DoesNotExist.
    """
    message = OutboxMessage.objects.get(idempotency_key=idempotency_key)
    changes: dict[str, Any] = {"outcome": outcome, "closed_at": now()}
    if refusal:
        status = _move(message, Status.DEAD, last_error=refusal[:4000], **changes)
    else:
        status = _move(message, Status.COMPLETED, **changes)
    logger.info(
        "outbox %s %s answered (%s), correlation %s",
        message.topic,
        message.public_id,
        status,
        message.correlation_id,
        extra={"correlation_id": message.correlation_id},
    )
    return status


def due_message_ids(limit: int = 500) -> list[int]:
    return list(
        OutboxMessage.objects.filter(status=Status.PENDING, next_attempt_at__lte=now())
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
    revived = 0
    for message_id in message_ids:
        try:
            transition(
                OutboxMessage,
                pk=message_id,
                to=Status.PENDING,
                transitions={Status.PENDING: {Status.DEAD}},  # only the dead: a pending one is on its way
                attempts=0,
                next_attempt_at=now(),
                last_error="",
            )
        except DomainError:
            continue
        revived += 1
    if revived:
        from ihospital.core import tasks

        ids = list(message_ids)
        transaction.on_commit(lambda: tasks.outbox_drain())
        logger.info("outbox replay of %s revived %d", ids, revived)
    return revived

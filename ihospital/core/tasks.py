"""Huey tasks of the outbox: one per message after commit, plus a sweeper for anything missed."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from ihospital.core import outbox


@db_task()
def outbox_deliver(message_id: int) -> str | None:
    status = outbox.deliver(message_id)
    if status == outbox.OutboxMessage.Status.PENDING:
        # Failed transiently: try again when its backoff is over.
        message = outbox.OutboxMessage.objects.get(pk=message_id)
        outbox_deliver.schedule((message_id,), eta=message.next_attempt_at)
    return status


@db_task()
def outbox_drain() -> dict[str, int]:
    return outbox.drain()


@db_periodic_task(crontab(minute="*"))
def outbox_sweep() -> dict[str, int]:
    """Catches messages whose delivery task was lost (worker down, crash between commit and enqueue)."""
    return outbox.drain()

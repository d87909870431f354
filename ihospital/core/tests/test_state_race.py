"""``transition`` reports the state the row really left, even when another writer moved it between the
caller's read and the update: callers decide side effects (a refund, a notice) from that answer."""

from contextlib import contextmanager

import pytest
from django.db import connection

from ihospital.core.models import OutboxMessage
from ihospital.core.state import transition
from ihospital.core.time import now

# pending → sent (the "payment"), and pending | sent → dead (the "cancel", allowed from both).
MACHINE = {"sent": {"pending"}, "dead": {"pending", "sent"}}


@contextmanager
def another_writer_moves_it_first(pk: int, to: str):
    """Just before the first UPDATE of the row runs, commit-order another writer's move (``to``) ahead
    of it, as a concurrent request landing between the read and the update would."""
    fired = []

    def wrapper(execute, sql, params, many, context):
        if not fired and sql.lstrip().upper().startswith("UPDATE") and "core_outboxmessage" in sql:
            fired.append(True)
            OutboxMessage.objects.filter(pk=pk, status="pending").update(status=to)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield fired


@pytest.fixture
def message(db):
    return OutboxMessage.objects.create(topic="t", payload={}, idempotency_key="race", next_attempt_at=now())


def test_transition_reports_the_state_it_moved_from_not_the_one_read_before(message):
    with another_writer_moves_it_first(message.pk, "sent") as fired:
        left = transition(OutboxMessage, pk=message.pk, to="dead", transitions=MACHINE)
    assert fired and left == "sent"
    message.refresh_from_db()
    assert message.status == "dead"


def test_transition_from_the_first_allowed_state_reports_it(message):
    assert transition(OutboxMessage, pk=message.pk, to="dead", transitions=MACHINE) == "pending"

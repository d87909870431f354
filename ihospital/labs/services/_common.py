from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction

from ihospital.audit.services import Actor, record
from ihospital.core.errors import DomainError, ErrorCode
from ihospital.core.state import transition
from ihospital.labs.errors import LabError
from ihospital.labs.models import LabOrder


def refuse(
    error: ErrorCode,
    *,
    actor: Actor,
    action: str,
    target_id: str = "",
    fields: dict[str, str] | None = None,
    **params: Any,
) -> None:
    """Audit a refusal in its own transaction (nothing else changed), then raise it."""
    refusal = DomainError(error, fields=fields, **params)
    with transaction.atomic():
        record(
            actor=actor,
            action=f"{action}.refused",
            target_type="lab_order",
            target_id=target_id,
            details={"code": error.code, **{key: str(value) for key, value in params.items()}},
        )
    raise refusal


def move(order: LabOrder, to: str, **changes: Any) -> str:
    """Compare-and-set the order's state; return the state it really left (side effects follow from that)."""
    left = transition(
        LabOrder, pk=order.pk, to=to, transitions=LabOrder.TRANSITIONS, error=LabError.ILLEGAL_TRANSITION, **changes
    )
    order.refresh_from_db()
    return left


@contextmanager
def refusals_audited(*, actor: Actor, action: str, target_id: str) -> Iterator[None]:
    """Around a service's transaction (never inside one): a coded refusal rolled back everything it did;
    the refusal itself is then audited in a transaction of its own and raised again."""
    try:
        yield
    except DomainError as refusal:
        with transaction.atomic():
            record(
                actor=actor,
                action=f"{action}.refused",
                target_type="lab_order",
                target_id=target_id,
                details={"code": refusal.code, **{key: str(value) for key, value in refusal.params.items()}},
            )
        raise

"""What the account services share: a refusal audited in its own transaction."""

from __future__ import annotations

from typing import NoReturn

from django.db import transaction

from ihospital.audit.services import Actor, record
from ihospital.core.errors import DomainError


def _refuse(
    actor: Actor, action: str, error, *, target_id: str = "", target_type: str = "phone", fields=None, **params
) -> NoReturn:
    """Audit a refusal in its own committed transaction, then raise it."""
    with transaction.atomic():
        record(
            actor=actor,
            action=f"{action}.refused",
            target_type=target_type if target_id else "",
            target_id=target_id,
            details={"code": error.code},
        )
    raise DomainError(error, fields=fields, **params)

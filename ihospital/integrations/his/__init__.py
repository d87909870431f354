"""The HIS link: the configured client (settings.HIS_CLIENT) and the outbox handlers of its writes.

Reads go through ``client()`` from a selector, outside any transaction. Writes are outbox messages
(topic ``his.<operation>``) whose payload is the request dataclass as a dict; the transaction id in it
is the message's idempotency key, so the HIS applies each once however often it is delivered.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from ihospital.integrations.his import codec
from ihospital.integrations.his.base import OPERATIONS, HisClient, HisError

__all__ = ["HisError", "client", "deliver_from_outbox", "write_topics"]


@cache
def client() -> HisClient:
    return import_string(settings.HIS_CLIENT)()


@receiver(setting_changed)
def _forget_client(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("HIS_"):
        client.cache_clear()


def write_topics() -> dict[str, str]:
    """Outbox topic → operation, for every write."""
    return {f"his.{name}": name for name, op in OPERATIONS.items() if op.write}


def deliver_from_outbox(operation: str, payload: dict[str, Any], idempotency_key: str) -> Any:
    """Send one queued write. The payload's transaction_id must be the message's idempotency key."""
    op = OPERATIONS[operation]
    request = codec.from_dict(op.request, payload)
    if getattr(request, "transaction_id", idempotency_key) != idempotency_key:
        raise HisError("transaction id and idempotency key differ", code=HisError.INVALID_REQUEST)
    return client().call(operation, request)

"""The SMS interface every provider adapter implements (Aliyun, Tencent Cloud SMS, the sandbox)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ihospital.core.outbox import DeliveryError


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    text: str
    idempotency_key: str


@dataclass(frozen=True)
class SmsReceipt:
    provider_message_id: str


class SmsError(DeliveryError):
    """Transient by default; ``permanent=True`` for refusals such as an invalid number."""


class SmsBackend(Protocol):
    def send(self, message: SmsMessage) -> SmsReceipt: ...

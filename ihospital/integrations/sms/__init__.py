"""SMS: the configured backend (settings.SMS_BACKEND) and the outbox handler for topic ``sms.send``."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from ihospital.integrations.sms.base import SmsBackend, SmsMessage


@cache
def backend() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)()


def deliver_from_outbox(payload: dict[str, Any], idempotency_key: str) -> None:
    backend().send(SmsMessage(phone=payload["phone"], text=payload["text"], idempotency_key=idempotency_key))

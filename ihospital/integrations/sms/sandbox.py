"""The SMS sandbox: behaves like a provider (latency, refusals, outages) and keeps what it sent.

Failures on demand: ``fail_next(count, permanent=...)`` makes the next sends fail — stored in the cache
so a test or a developer can trigger it for a separate worker process too.
"""

from __future__ import annotations

import logging
import re
import secrets
import time

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError

from ihospital.integrations.models import SandboxSms
from ihospital.integrations.sms.base import SmsError, SmsMessage, SmsReceipt

logger = logging.getLogger("ihospital.sms.sandbox")
FAULT_KEY = "sandbox:sms:fail_next"
VALID_NUMBER = re.compile(r"^1[3-9]\d{9}$")


def fail_next(count: int = 1, *, permanent: bool = False) -> None:
    cache.set(FAULT_KEY, {"count": count, "permanent": permanent}, timeout=3600)


def _injected_fault() -> SmsError | None:
    fault = cache.get(FAULT_KEY)
    if not fault or fault["count"] <= 0:
        return None
    cache.set(FAULT_KEY, {**fault, "count": fault["count"] - 1}, timeout=3600)
    return SmsError("sandbox: injected provider failure", permanent=fault["permanent"])


class SandboxSmsBackend:
    def send(self, message: SmsMessage) -> SmsReceipt:
        time.sleep(settings.SMS_SANDBOX_LATENCY_SECONDS)  # a real provider answers in 50–500 ms
        if fault := _injected_fault():
            raise fault
        if not VALID_NUMBER.match(message.phone):
            raise SmsError(f"sandbox: invalid mobile number {message.phone!r}", permanent=True)
        existing = SandboxSms.objects.filter(idempotency_key=message.idempotency_key).first()
        if existing:  # providers de-duplicate on the caller's key: a retry never sends twice
            return SmsReceipt(existing.provider_message_id)
        try:
            sms = SandboxSms.objects.create(
                phone=message.phone,
                text=message.text,
                idempotency_key=message.idempotency_key,
                provider_message_id=f"SBX{secrets.token_hex(8).upper()}",
            )
        except IntegrityError:
            sms = SandboxSms.objects.get(idempotency_key=message.idempotency_key)
        # The console is the developer's second inbox (the sandbox never leaves the machine).
        logger.warning("SMS sandbox → %s: %s", message.phone, message.text)
        return SmsReceipt(sms.provider_message_id)

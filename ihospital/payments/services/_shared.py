"""What the payment services share: the system actor, the URLs given to providers, audit shorthand."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from ihospital.audit.services import Actor, record
from ihospital.payments.models import PaymentOrder

SYSTEM = Actor.system("payments")
LATE_PAYMENT_REASON = "late payment"

# Outcomes of applying a provider's fact (a notification or a query answer).
APPLIED = "applied"
DUPLICATE = "duplicate"


def absolute(path: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def notify_url(provider_name: str) -> str:
    return absolute(reverse("payments:notify", args=[provider_name]))


def receipt_url(order: PaymentOrder) -> str:
    return absolute(reverse("payments:receipt", args=[order.public_id]))


def audit(*, actor: Actor, action: str, order: PaymentOrder, **details: Any) -> None:
    record(actor=actor, action=action, target_type="payment_order", target_id=str(order.public_id), details=details)

"""Payment providers: the configured adapter (settings.PAYMENT_PROVIDER) behind ``base.PaymentProvider``.

Payments calls ``provider()`` outside any transaction; what must reach the provider from inside one
(refunds, closing an order) goes through the outbox topics ``payments.refund`` and ``payments.close``.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from ihospital.integrations.payproviders.base import PaymentProvider


@cache
def provider() -> PaymentProvider:
    return import_string(settings.PAYMENT_PROVIDER)()


@receiver(setting_changed)
def _forget_provider(*, setting: str, **kwargs) -> None:
    if setting.startswith("PAYMENT_"):
        provider.cache_clear()

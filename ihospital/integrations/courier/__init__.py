"""Couriers: the configured adapter (settings.COURIER_PROVIDER) behind ``base.Courier``.

Fulfilment calls ``courier()`` from its outbox handler (outside any transaction) to place a shipment,
and from its callback endpoint to verify and read route updates.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from ihospital.integrations.courier.base import Courier


@cache
def courier() -> Courier:
    return import_string(settings.COURIER_PROVIDER)()


@receiver(setting_changed)
def _forget_courier(*, setting: str, **kwargs) -> None:
    if setting.startswith("COURIER_"):
        courier.cache_clear()

"""What payments knows of the things paid for: a *payable kind* registered in settings.PAYABLES,
mapping a short name to the dotted path of a class implementing ``Payable``. Payments calls it; it
never imports the apps that sell things.

Register one by adding ``"<kind>": "dotted.path.to.Class"`` to settings.PAYABLES; the class is built
once, with no arguments. Both methods run inside payments' transaction: they must only touch the
database (anything external goes through the outbox), and an exception rolls the payment change back
(the provider then retries its notification).
"""

from __future__ import annotations

from collections.abc import Collection
from functools import cache
from typing import Protocol

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string


class Payable(Protocol):
    def on_paid(self, *, payable_id: str, order_public_id: str) -> bool:
        """The money arrived. Return False if the thing can no longer be sold (e.g. its hold expired):
        payments then refunds the order in full automatically. Runs inside payments' transaction."""

    def on_refunded(self, *, payable_id: str, order_public_id: str, amount_fen: int, fully: bool) -> None:
        """A refund was confirmed by the provider. Runs inside payments' transaction."""

    def unsold(self, *, payable_ids: Collection[str]) -> set[str]:
        """Of ``payable_ids``, those that will never be delivered (cancelled, declined, expired): money
        paid for them must go back. Reconciliation asks, as a last line of defence for money. Read-only."""


@cache
def payable(kind: str) -> Payable:
    try:
        return import_string(settings.PAYABLES[kind])()
    except KeyError:
        raise LookupError(f"no payable registered for kind {kind!r} (settings.PAYABLES)") from None


@receiver(setting_changed)
def _forget_payables(*, setting: str, **kwargs) -> None:
    if setting == "PAYABLES":
        payable.cache_clear()

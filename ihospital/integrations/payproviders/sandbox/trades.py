"""The sandbox's own trade state machine, as a provider runs it: NOTPAY → SUCCESS → REFUND, NOTPAY → CLOSED.

Every change is a conditional UPDATE; what the merchant must hear about becomes a SandboxNotification
written in the same transaction and sent after commit.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ihospital.core.time import now
from ihospital.integrations.models import SandboxPayment, SandboxRefund
from ihospital.integrations.payproviders.base import PayProviderError
from ihospital.integrations.payproviders.sandbox import notify

State = SandboxPayment.State


class CannotPay(Exception):
    """The payer can't pay this order any more (closed or expired)."""

    message = _("This payment has been closed or has expired. Go back to the merchant and try again.")


def cashier_url(out_trade_no: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("sandbox_pay:cashier", args=[out_trade_no])


def _expire_if_due(payment: SandboxPayment) -> SandboxPayment:
    """An unpaid order past its time_expire is closed, as WeChat closes it."""
    if payment.state == State.NOTPAY and payment.expires_at <= now():
        SandboxPayment.objects.filter(pk=payment.pk, state=State.NOTPAY).update(state=State.CLOSED, closed_at=now())
        payment.refresh_from_db()
    return payment


def payment_get(out_trade_no: str) -> SandboxPayment:
    payment = SandboxPayment.objects.filter(out_trade_no=out_trade_no).first()
    if payment is None:
        raise PayProviderError("ORDER_NOT_EXIST", code=PayProviderError.ORDER_NOT_FOUND, permanent=True)
    return _expire_if_due(payment)


def order_open(
    *,
    out_trade_no: str,
    amount_fen: int,
    description: str,
    notify_url: str,
    return_url: str,
    expires_at: datetime,
) -> SandboxPayment:
    """Open (or find again) the order ``out_trade_no``. The same number with another amount is refused."""
    if amount_fen <= 0 or not 6 <= len(out_trade_no) <= 32:
        raise PayProviderError("PARAM_ERROR", code=PayProviderError.INVALID_REQUEST, permanent=True)
    with transaction.atomic():
        payment, created = SandboxPayment.objects.get_or_create(
            out_trade_no=out_trade_no,
            defaults={
                "merchant_id": settings.PAYMENT_SANDBOX_MERCHANT_ID,
                "amount_fen": amount_fen,
                "description": description[:127],
                "notify_url": notify_url,
                "return_url": return_url,
                "expires_at": expires_at,
            },
        )
    if not created and payment.amount_fen != amount_fen:
        raise PayProviderError("OUT_TRADE_NO_USED", code=PayProviderError.INVALID_REQUEST, permanent=True)
    payment = _expire_if_due(payment)
    if payment.state == State.CLOSED:
        raise PayProviderError("ORDER_CLOSED", code=PayProviderError.ORDER_CLOSED, permanent=True)
    if payment.state != State.NOTPAY:
        raise PayProviderError("ORDERPAID", code=PayProviderError.ORDER_PAID, permanent=True)
    return payment


def pay(out_trade_no: str) -> SandboxPayment:
    """The payer confirmed on the cashier page. Paying twice is harmless; a closed order raises CannotPay."""
    with transaction.atomic():
        moved = SandboxPayment.objects.filter(
            out_trade_no=out_trade_no, state=State.NOTPAY, expires_at__gt=now()
        ).update(state=State.SUCCESS, transaction_id=f"4200{secrets.randbelow(10**24):024d}", paid_at=now())
        payment = payment_get(out_trade_no)
        if moved:
            notify.owe(
                event_type="TRANSACTION.SUCCESS",
                summary="支付成功",
                resource=notify.payment_resource(payment),
                notify_url=payment.notify_url,
            )
    if payment.state not in (State.SUCCESS, State.REFUND):
        raise CannotPay
    return payment


def close(out_trade_no: str) -> None:
    payment = payment_get(out_trade_no)
    SandboxPayment.objects.filter(pk=payment.pk, state=State.NOTPAY).update(state=State.CLOSED, closed_at=now())
    payment.refresh_from_db()
    if payment.state != State.CLOSED:
        raise PayProviderError("ORDERPAID", code=PayProviderError.ORDER_PAID, permanent=True)


def refund_open(
    *, out_trade_no: str, out_refund_no: str, amount_fen: int, total_fen: int, reason: str, notify_url: str
) -> SandboxRefund:
    """Accept a refund (idempotent on ``out_refund_no``); it completes after PAYMENT_SANDBOX_REFUND_DELAY_SECONDS."""
    payment = payment_get(out_trade_no)
    with transaction.atomic():
        payment = SandboxPayment.objects.select_for_update().get(pk=payment.pk)  # one refund decision at a time
        existing = SandboxRefund.objects.filter(out_refund_no=out_refund_no).first()
        if existing is not None:
            if existing.payment_id != payment.pk or existing.amount_fen != amount_fen:
                raise PayProviderError("INVALID_REQUEST", code=PayProviderError.INVALID_REQUEST, permanent=True)
            return existing
        if payment.state not in (State.SUCCESS, State.REFUND) or total_fen != payment.amount_fen or amount_fen <= 0:
            raise PayProviderError("INVALID_REQUEST", code=PayProviderError.INVALID_REQUEST, permanent=True)
        taken = payment.refunds.exclude(state=SandboxRefund.State.ABNORMAL).aggregate(s=Sum("amount_fen"))["s"] or 0
        if taken + amount_fen > payment.amount_fen:
            raise PayProviderError("NOT_ENOUGH", code=PayProviderError.INSUFFICIENT_BALANCE, permanent=True)
        refund = SandboxRefund.objects.create(
            payment=payment,
            out_refund_no=out_refund_no,
            refund_id=f"50{secrets.randbelow(10**28):028d}",
            amount_fen=amount_fen,
            reason=reason[:80],
            notify_url=notify_url,
        )
        _complete_later(refund.pk)
    return refund


def _complete_later(refund_id: int) -> None:
    from ihospital.integrations.payproviders.sandbox import tasks  # the task module imports this one

    delay = settings.PAYMENT_SANDBOX_REFUND_DELAY_SECONDS
    transaction.on_commit(lambda: tasks.sandbox_refund_complete.schedule(args=(refund_id,), delay=delay))


def refund_get(out_refund_no: str) -> SandboxRefund:
    refund = SandboxRefund.objects.select_related("payment").filter(out_refund_no=out_refund_no).first()
    if refund is None:
        raise PayProviderError("RESOURCE_NOT_EXISTS", code=PayProviderError.REFUND_NOT_FOUND, permanent=True)
    return refund


def refund_complete(refund_id: int) -> None:
    """The bank confirmed: PROCESSING → SUCCESS, the trade turns REFUND, and the merchant is notified."""
    with transaction.atomic():
        moved = SandboxRefund.objects.filter(pk=refund_id, state=SandboxRefund.State.PROCESSING).update(
            state=SandboxRefund.State.SUCCESS, succeeded_at=now()
        )
        if not moved:
            return
        refund = SandboxRefund.objects.select_related("payment").get(pk=refund_id)
        SandboxPayment.objects.filter(pk=refund.payment_id).update(state=State.REFUND)
        notify.owe(
            event_type="REFUND.SUCCESS",
            summary="退款成功",
            resource=notify.refund_resource(refund),
            notify_url=refund.notify_url,
        )

"""Applying what the provider says, at most once, whichever way it arrives (notification, active query,
a failed close): "the money arrived", "a refund went through", "a refund failed". Also where refunds
start, since a refused late payment starts one in the same transaction.

Every function here runs inside the caller's transaction and moves rows by compare-and-set only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F, Sum

from ihospital.audit.services import Actor
from ihospital.core import outbox
from ihospital.core.errors import DomainError
from ihospital.core.money import format_fen
from ihospital.core.state import sources_for, transition
from ihospital.core.time import now
from ihospital.integrations.payproviders.base import OrderStatus, RefundStatus
from ihospital.payments.errors import PaymentError
from ihospital.payments.models import PaymentOrder, Refund
from ihospital.payments.payables import payable
from ihospital.payments.services._shared import APPLIED, DUPLICATE, LATE_PAYMENT_REASON, SYSTEM, audit

logger = logging.getLogger(__name__)
Status = PaymentOrder.Status


@dataclass(frozen=True)
class PaidFacts:
    amount_fen: int
    transaction_id: str
    paid_at: datetime | None
    source: str  # notification | query | close


@transaction.atomic
def payment_apply(*, order: PaymentOrder, facts: PaidFacts, actor: Actor) -> str:
    """The money for ``order`` arrived. Returns APPLIED the first time and DUPLICATE ever after.

    Refuses: payment.amount_mismatch (nothing changed). Side effects, once: created|closed → paid,
    the payable's ``on_paid`` (in this transaction), an audit entry ``payment.paid``, and — when the
    payable refuses (its hold expired) — a full refund with reason "late payment".
    """
    if facts.amount_fen != order.amount_fen:
        raise DomainError(PaymentError.AMOUNT_MISMATCH)
    before = PaymentOrder.objects.filter(pk=order.pk).values_list("status", flat=True).get()
    moved = PaymentOrder.objects.filter(
        pk=order.pk, status__in=sources_for(PaymentOrder.TRANSITIONS, Status.PAID)
    ).update(status=Status.PAID, provider_txn_id=facts.transaction_id, paid_at=facts.paid_at or now())
    if not moved:
        current_txn = PaymentOrder.objects.filter(pk=order.pk).values_list("provider_txn_id", flat=True).get()
        if current_txn != facts.transaction_id:
            logger.error("order %s paid twice: %s and %s", order.out_trade_no, current_txn, facts.transaction_id)
        return DUPLICATE
    accepted = payable(order.payable_kind).on_paid(payable_id=order.payable_id, order_public_id=str(order.public_id))
    audit(
        actor=actor,
        action="payment.paid",
        order=order,
        amount_fen=order.amount_fen,
        transaction_id=facts.transaction_id,
        source=facts.source,
        after_close=before == Status.CLOSED,
        accepted=bool(accepted),
    )
    if not accepted:
        refund_start(
            order=order,
            amount_fen=order.amount_fen,
            reason=LATE_PAYMENT_REASON,
            idempotency_key=f"late-payment:{order.public_id}",
            actor=SYSTEM,
        )
    return APPLIED


def order_apply_status(*, order: PaymentOrder, status: OrderStatus, source: str) -> str:
    """Apply a query answer saying SUCCESS (or REFUND: it was paid) through the same once-only path."""
    facts = PaidFacts(
        amount_fen=status.amount_fen, transaction_id=status.transaction_id, paid_at=status.paid_at, source=source
    )
    return payment_apply(order=order, facts=facts, actor=SYSTEM)


def refund_start(*, order: PaymentOrder, amount_fen: int, reason: str, idempotency_key: str, actor: Actor) -> Refund:
    """Start a refund in the caller's transaction (the order row is locked until it commits).

    The same ``idempotency_key`` returns the first Refund and does nothing more. Refuses:
    payment.refund_key_reused, payment.invalid_amount, payment.illegal_state (not paid),
    payment.refund_exceeds_paid (more than paid − refunded − pending). Side effects: a pending Refund,
    order → refunding, an outbox message ``payments.refund``, an audit entry ``payment.refund_requested``.
    """
    locked = PaymentOrder.objects.select_for_update().get(pk=order.pk)
    existing = Refund.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.order_id != locked.pk or existing.amount_fen != amount_fen:
            raise DomainError(PaymentError.REFUND_KEY_REUSED)
        return existing
    if amount_fen <= 0:
        raise DomainError(PaymentError.INVALID_AMOUNT)
    if locked.status not in PaymentOrder.REFUNDABLE:
        raise DomainError(PaymentError.ILLEGAL_STATE, current=locked.get_status_display())
    pending = locked.refunds.filter(status=Refund.Status.PENDING).aggregate(s=Sum("amount_fen"))["s"] or 0
    available = locked.amount_fen - locked.refunded_fen - pending
    if amount_fen > available:
        raise DomainError(PaymentError.REFUND_EXCEEDS_PAID, available=format_fen(available))
    try:
        with transaction.atomic():
            refund = Refund.objects.create(
                order=locked, amount_fen=amount_fen, reason=reason[:80], idempotency_key=idempotency_key
            )
    except IntegrityError:  # the key was used for another order at the same instant
        raise DomainError(PaymentError.REFUND_KEY_REUSED) from None
    transition(
        PaymentOrder,
        pk=locked.pk,
        to=Status.REFUNDING,
        transitions=PaymentOrder.TRANSITIONS,
        error=PaymentError.ILLEGAL_STATE,
    )
    outbox.enqueue(
        topic="payments.refund",
        payload={"out_refund_no": refund.out_refund_no},
        idempotency_key=f"payments.refund:{refund.out_refund_no}",
    )
    audit(
        actor=actor,
        action="payment.refund_requested",
        order=locked,
        refund=str(refund.public_id),
        amount_fen=amount_fen,
        reason=reason,
    )
    return refund


@transaction.atomic
def refund_settle(
    *, refund: Refund, succeeded: bool, actor: Actor, provider_refund_id: str = "", failure: str = ""
) -> str:
    """The provider finished ``refund``. Returns APPLIED the first time and DUPLICATE ever after.

    Side effects, once: refund pending → succeeded|failed; on success ``refunded_fen`` grows (F()) and the
    payable's ``on_refunded`` runs; the order leaves ``refunding`` when no refund is pending any more
    (→ refunded, partially_refunded, or back to paid); an audit entry ``payment.refunded`` /
    ``payment.refund_failed``.
    """
    changes: dict[str, object] = {"succeeded_at": now()} if succeeded else {"failure_reason": failure[:200]}
    if provider_refund_id:
        changes["provider_refund_id"] = provider_refund_id
    target = Refund.Status.SUCCEEDED if succeeded else Refund.Status.FAILED
    moved = Refund.objects.filter(pk=refund.pk, status__in=sources_for(Refund.TRANSITIONS, target)).update(
        status=target, **changes
    )
    if not moved:
        recorded = Refund.objects.filter(pk=refund.pk).values_list("status", flat=True).get()
        if recorded != target:  # e.g. we failed it on a refusal, and now the provider says it went through
            logger.error("refund %s is %s here but the provider says %s", refund.out_refund_no, recorded, target)
        return DUPLICATE
    order = PaymentOrder.objects.select_for_update().get(pk=refund.order_id)
    if succeeded:
        PaymentOrder.objects.filter(pk=order.pk).update(refunded_fen=F("refunded_fen") + refund.amount_fen)
        order.refresh_from_db(fields=["refunded_fen"])
    _leave_refunding(order)
    fully = order.refunded_fen == order.amount_fen
    if succeeded:
        payable(order.payable_kind).on_refunded(
            payable_id=order.payable_id, order_public_id=str(order.public_id), amount_fen=refund.amount_fen, fully=fully
        )
    audit(
        actor=actor,
        action="payment.refunded" if succeeded else "payment.refund_failed",
        order=order,
        refund=str(refund.public_id),
        amount_fen=refund.amount_fen,
        fully=fully,
        **({} if succeeded else {"failure": failure[:200]}),
    )
    return APPLIED


def _leave_refunding(order: PaymentOrder) -> None:
    if order.refunds.filter(status=Refund.Status.PENDING).exists():
        return  # another refund is still on its way
    transitions = PaymentOrder.TRANSITIONS
    if order.refunded_fen == order.amount_fen:
        target = Status.REFUNDED
    elif order.refunded_fen > 0:
        target = Status.PARTIALLY_REFUNDED
    else:
        target, transitions = Status.PAID, PaymentOrder.REFUND_FAILED_TRANSITIONS
    transition(PaymentOrder, pk=order.pk, to=target, transitions=transitions, error=PaymentError.ILLEGAL_STATE)


def refund_apply_status(*, refund: Refund, status: RefundStatus, source: str) -> str:
    """Apply a provider's refund answer: SUCCESS and ABNORMAL settle the refund, PROCESSING waits."""
    if status.state == "SUCCESS":
        return refund_settle(refund=refund, succeeded=True, provider_refund_id=status.refund_id, actor=SYSTEM)
    if status.state == "ABNORMAL":
        failure = f"provider reported ABNORMAL ({source})"
        return refund_settle(refund=refund, succeeded=False, failure=failure, actor=SYSTEM)
    return "pending"

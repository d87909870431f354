"""Refunds: full or partial, idempotent on a key, never more than was paid, completed asynchronously by the
provider; a payment that arrives after the order was given up is refunded in full automatically."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.core.models import OutboxMessage
from ihospital.core.time import now
from ihospital.integrations.models import SandboxPayment, SandboxRefund
from ihospital.integrations.payproviders.sandbox import control
from ihospital.payments import services
from ihospital.payments.models import PaymentOrder, Refund
from ihospital.payments.tests.support import run_scheduled

SYSTEM = Actor.system("test")


def refund(order, amount_fen, key, *, reason="患者取消"):
    return services.payment_refund_request(
        order=order, amount_fen=amount_fen, reason=reason, idempotency_key=key, actor=SYSTEM
    )


def test_a_partial_then_a_full_refund(paid, commit, payable):
    with commit():
        first = refund(paid, 500, "k-1")
    first.refresh_from_db()
    paid.refresh_from_db()
    assert first.status == "succeeded" and first.provider_refund_id.startswith("50")
    assert (paid.status, paid.refunded_fen) == ("partially_refunded", 500)
    assert payable.refunded == [(paid.payable_id, 500, False)]

    with commit():
        refund(paid, 700, "k-2")
    paid.refresh_from_db()
    assert (paid.status, paid.refunded_fen) == ("refunded", 1200)
    assert payable.refunded[-1] == (paid.payable_id, 700, True)
    assert AuditEvent.objects.filter(action="payment.refunded").count() == 2


def test_the_same_idempotency_key_gives_the_same_refund_and_refunds_once(paid, commit):
    with commit():
        first = refund(paid, 1200, "cancel:appointment-1")
        second = refund(paid, 1200, "cancel:appointment-1")
    third = refund(paid, 1200, "cancel:appointment-1")  # even once the order is fully refunded

    assert first.pk == second.pk == third.pk
    assert Refund.objects.count() == 1 and SandboxRefund.objects.count() == 1
    assert OutboxMessage.objects.filter(topic="payments.refund").count() == 1
    assert AuditEvent.objects.filter(action="payment.refund_requested").count() == 1


def test_reusing_a_key_for_a_different_refund_is_refused(paid, commit):
    with commit():
        refund(paid, 300, "k")
    with pytest.raises(DomainError) as refused:
        refund(paid, 400, "k")
    assert refused.value.code == "payment.refund_key_reused"


def test_refunding_more_than_was_paid_is_refused_and_changes_nothing(paid):
    with pytest.raises(DomainError) as refused:
        refund(paid, 1201, "too-much")
    assert refused.value.code == "payment.refund_exceeds_paid"
    assert "¥12.00" in refused.value.message
    paid.refresh_from_db()
    assert paid.status == "paid" and not Refund.objects.exists() and not OutboxMessage.objects.exists()


def test_refunds_in_progress_count_against_what_can_still_be_refunded(settings, paid, commit):
    settings.PAYMENT_SANDBOX_REFUND_DELAY_SECONDS = 60  # the bank takes its time
    with commit():
        refund(paid, 1000, "a")
    with pytest.raises(DomainError) as refused:
        refund(paid, 300, "b")
    assert refused.value.code == "payment.refund_exceeds_paid" and "¥2.00" in refused.value.message


@pytest.mark.parametrize("amount", [0, -5])
def test_a_refund_must_be_for_something(paid, amount):
    with pytest.raises(DomainError) as refused:
        refund(paid, amount, f"zero-{amount}")
    assert refused.value.code == "payment.invalid_amount"


def test_an_unpaid_order_can_not_be_refunded(order):
    with pytest.raises(DomainError) as refused:
        refund(order, 100, "nope")
    assert refused.value.code == "payment.illegal_state"
    order.refresh_from_db()
    assert order.status == "created" and not Refund.objects.exists()


def test_a_refund_completes_asynchronously_at_the_provider(settings, paid, commit, payable):
    settings.PAYMENT_SANDBOX_REFUND_DELAY_SECONDS = 5
    with commit():
        pending = refund(paid, 1200, "async")
    paid.refresh_from_db()
    pending.refresh_from_db()
    assert (paid.status, pending.status) == ("refunding", "pending")
    assert SandboxRefund.objects.get().state == "PROCESSING"
    assert payable.refunded == []

    with commit():
        assert run_scheduled(seconds=6) == 1
    paid.refresh_from_db()
    pending.refresh_from_db()
    assert (paid.status, pending.status, paid.refunded_fen) == ("refunded", "succeeded", 1200)
    assert payable.refunded == [(paid.payable_id, 1200, True)]


def test_a_refund_notification_delivered_twice_counts_once(paid, commit, payable):
    control.fault_next("duplicate")
    with commit():
        refund(paid, 400, "dup")
    paid.refresh_from_db()
    assert paid.refunded_fen == 400
    assert len(payable.refunded) == 1


def test_a_refund_the_provider_refuses_for_good_fails_and_the_order_is_paid_again(paid, commit):
    # Someone refunded the whole payment from the provider's merchant console meanwhile.
    sandbox = SandboxPayment.objects.get(out_trade_no=paid.out_trade_no)
    SandboxRefund.objects.create(
        payment=sandbox, out_refund_no="console-1", refund_id="50console", amount_fen=1200, notify_url="x"
    )
    with commit():
        failed = refund(paid, 500, "refused")
    failed.refresh_from_db()
    paid.refresh_from_db()
    assert failed.status == "failed" and "insufficient_balance" in failed.failure_reason
    assert (paid.status, paid.refunded_fen) == ("paid", 0)
    assert AuditEvent.objects.filter(action="payment.refund_failed").count() == 1


def test_a_refund_whose_notification_was_lost_is_settled_by_the_active_query(settings, paid, commit, payable):
    settings.PAYMENT_SANDBOX_REFUND_DELAY_SECONDS = 5
    with commit():
        pending = refund(paid, 1200, "lost")
    control.fault_next("drop")
    with commit():
        run_scheduled(seconds=6)  # the provider completes it, but its notification is lost
    pending.refresh_from_db()
    assert pending.status == "pending"
    assert SandboxRefund.objects.get().state == "SUCCESS"

    Refund.objects.filter(pk=pending.pk).update(created_at=now() - timedelta(minutes=10))
    assert services.payment_query_pending() == {"refunded": 1}
    paid.refresh_from_db()
    assert paid.status == "refunded" and payable.refunded == [(paid.payable_id, 1200, True)]


def test_a_late_payment_after_the_order_was_closed_is_refunded_in_full(checked_out, pay, commit, payable):
    control.fault_next("drop")  # the payer pays, but the notification is lost …
    pay(checked_out)
    payable.accept = False  # … and the payable's hold expires: it gives up and closes the order
    with commit():
        services.payment_close(order=checked_out, actor=SYSTEM)

    # Closing at the provider found it paid: the payment was applied (closed → paid), the payable refused
    # it, and a full refund went through.
    checked_out.refresh_from_db()
    assert (checked_out.status, checked_out.refunded_fen) == ("refunded", 1200)
    assert payable.paid == [(checked_out.payable_id, str(checked_out.public_id))]
    assert payable.refunded == [(checked_out.payable_id, 1200, True)]
    late = Refund.objects.get()
    assert (late.reason, late.status) == ("late payment", "succeeded")
    paid_event = AuditEvent.objects.get(action="payment.paid")
    assert paid_event.details["after_close"] is True and paid_event.details["accepted"] is False


def test_a_payment_notified_after_the_order_was_closed_is_refunded_in_full(checked_out, pay, payable):
    payable.accept = False
    services.payment_close(order=checked_out, actor=SYSTEM)  # its close has not reached the provider yet …
    pay(checked_out)  # … so the payer can still pay, and the notification comes in

    checked_out.refresh_from_db()
    assert (checked_out.status, checked_out.refunded_fen) == ("refunded", 1200)
    paid_event = AuditEvent.objects.get(action="payment.paid")
    assert paid_event.details["source"] == "notification" and paid_event.details["after_close"] is True
    assert Refund.objects.get().reason == "late payment"


def test_a_late_notification_after_the_late_payment_was_refunded_changes_nothing(checked_out, pay, commit, payable):
    control.fault_next("delay", delay=30)
    pay(checked_out)
    payable.accept = False
    with commit():
        services.payment_close(order=checked_out, actor=SYSTEM)
    with commit():
        run_scheduled(seconds=31)  # the delayed TRANSACTION.SUCCESS finally arrives

    checked_out.refresh_from_db()
    assert checked_out.status == "refunded"
    assert Refund.objects.count() == 1 and len(payable.paid) == 1
    assert AuditEvent.objects.filter(action="payment.paid").count() == 1


def test_refund_states_follow_the_declared_transitions():
    assert PaymentOrder.TRANSITIONS[PaymentOrder.Status.PAID] == {"created", "closed"}
    assert "refunding" not in PaymentOrder.TRANSITIONS[PaymentOrder.Status.PAID]

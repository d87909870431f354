"""Payment orders: creation, checkout at the provider, closing, and the periodic reconciliation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.core.models import OutboxMessage
from ihospital.core.time import now
from ihospital.integrations.models import SandboxPayment
from ihospital.payments import services
from ihospital.payments.models import PaymentOrder

SYSTEM = Actor.system("test")


def test_an_order_gets_a_provider_shaped_trade_number_and_is_audited(order, alice):
    assert len(order.out_trade_no) == 28 and order.out_trade_no.startswith("IH") and order.out_trade_no.isalnum()
    assert (order.status, order.provider, order.payer, order.refunded_fen) == ("created", "sandbox", alice, 0)
    assert AuditEvent.objects.get(action="payment.order_create").target_id == str(order.public_id)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"amount_fen": 0}, "payment.invalid_amount"),
        ({"amount_fen": -100}, "payment.invalid_amount"),
        ({"minutes": -1}, "payment.expired"),
    ],
)
def test_an_order_that_can_not_be_paid_is_refused(make_order, changes, code):
    with pytest.raises(DomainError) as refused:
        make_order(**changes)
    assert refused.value.code == code
    assert not PaymentOrder.objects.exists()


def test_a_payable_has_at_most_one_order_awaiting_payment(make_order):
    make_order(payable_id="appointment-7")
    with pytest.raises(DomainError) as refused:
        make_order(payable_id="appointment-7")
    assert refused.value.code == "payment.order_exists"
    assert PaymentOrder.objects.count() == 1


def test_an_unregistered_payable_kind_is_a_programming_error(alice):
    with pytest.raises(ValueError, match="PAYABLES"):
        services.payment_order_create(
            payer=alice,
            payable_kind="nothing",
            payable_id="1",
            amount_fen=100,
            description="x",
            expires_at=now() + timedelta(minutes=5),
            actor=SYSTEM,
        )


def test_checkout_opens_the_order_at_the_provider_once(order, alice):
    first = services.payment_checkout(order=order, actor=Actor.of(alice))
    second = services.payment_checkout(order=order, actor=Actor.of(alice))

    assert first == second == f"http://testserver/sandbox/pay/{order.out_trade_no}/"
    sandbox = SandboxPayment.objects.get()
    assert (sandbox.amount_fen, sandbox.state, sandbox.expires_at) == (1200, "NOTPAY", order.expires_at)
    assert sandbox.notify_url == "http://testserver/payments/notify/sandbox/"
    assert AuditEvent.objects.filter(action="payment.checkout").count() == 1


def test_checkout_can_send_the_payer_back_to_the_payables_own_page(order):
    services.payment_checkout(order=order, actor=SYSTEM, return_url="http://testserver/p/appointments/1/")
    assert SandboxPayment.objects.get().return_url == "http://testserver/p/appointments/1/"


def test_checkout_refuses_a_paid_order(paid):
    with pytest.raises(DomainError) as refused:
        services.payment_checkout(order=paid, actor=SYSTEM)
    assert refused.value.code == "payment.illegal_state"


def test_checkout_refuses_an_expired_order(order):
    PaymentOrder.objects.filter(pk=order.pk).update(expires_at=now() - timedelta(seconds=1))
    with pytest.raises(DomainError) as refused:
        services.payment_checkout(order=order, actor=SYSTEM)
    assert refused.value.code == "payment.expired"
    assert not SandboxPayment.objects.exists()


def test_closing_an_unpaid_order_closes_it_here_and_at_the_provider(checked_out, commit):
    with commit():
        closed = services.payment_close(order=checked_out, actor=SYSTEM)
    assert closed.status == "closed" and closed.closed_at is not None
    assert SandboxPayment.objects.get().state == "CLOSED"
    assert OutboxMessage.objects.get(topic="payments.close").status == "sent"
    assert AuditEvent.objects.filter(action="payment.closed").count() == 1


def test_closing_twice_does_nothing_more(checked_out, commit):
    with commit():
        services.payment_close(order=checked_out, actor=SYSTEM)
        services.payment_close(order=checked_out, actor=SYSTEM)
    assert OutboxMessage.objects.filter(topic="payments.close").count() == 1
    assert AuditEvent.objects.filter(action="payment.closed").count() == 1


def test_closing_an_order_never_sent_to_the_provider_is_fine(order, commit):
    with commit():
        services.payment_close(order=order, actor=SYSTEM)
    assert OutboxMessage.objects.get(topic="payments.close").status == "sent"


@pytest.mark.parametrize("status", ["paid", "refunding", "partially_refunded", "refunded"])
def test_closing_an_order_that_took_money_is_an_illegal_transition(order, status):
    PaymentOrder.objects.filter(pk=order.pk).update(status=status)
    with pytest.raises(DomainError) as refused:
        services.payment_close(order=order, actor=SYSTEM)
    assert refused.value.code == "payment.illegal_state" and refused.value.status == 409
    order.refresh_from_db()
    assert order.status == status and order.closed_at is None
    assert not OutboxMessage.objects.exists()


@pytest.mark.parametrize("status", ["created", "closed"])
def test_refunding_an_order_that_took_no_money_is_an_illegal_transition(order, status):
    PaymentOrder.objects.filter(pk=order.pk).update(status=status)
    with pytest.raises(DomainError) as refused:
        services.payment_refund_request(order=order, amount_fen=100, reason="x", idempotency_key="x", actor=SYSTEM)
    assert refused.value.code == "payment.illegal_state"
    order.refresh_from_db()
    assert order.status == status


# --- reconciliation --------------------------------------------------------------------------------


def age(order, *, minutes: int = 4, expired: bool = False) -> None:
    changes = {"created_at": now() - timedelta(minutes=minutes)}
    if expired:
        changes["expires_at"] = now() - timedelta(seconds=1)
    PaymentOrder.objects.filter(pk=order.pk).update(**changes)


def test_a_young_unpaid_order_is_left_alone(checked_out):
    assert services.payment_query_pending() == {}


def test_an_unpaid_order_not_yet_expired_is_queried_and_kept(checked_out):
    age(checked_out)
    assert services.payment_query_pending() == {"unpaid": 1}
    checked_out.refresh_from_db()
    assert checked_out.status == "created"


def test_an_expired_unpaid_order_is_closed(checked_out, commit):
    age(checked_out, expired=True)
    with commit():
        assert services.payment_query_pending() == {"closed": 1}
    checked_out.refresh_from_db()
    assert checked_out.status == "closed"
    assert SandboxPayment.objects.get().state == "CLOSED"


def test_an_expired_order_that_never_reached_the_provider_is_closed(order, commit):
    age(order, minutes=1, expired=True)
    with commit():
        assert services.payment_query_pending() == {"closed": 1}


def test_the_periodic_task_runs_the_reconciliation(checked_out):
    from ihospital.payments import tasks

    age(checked_out)
    assert tasks.payment_query_pending.call_local() == {"unpaid": 1}

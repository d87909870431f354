"""Paying and voiding at once (PostgreSQL: real row locks; CI runs it): whatever the interleaving, one of them
wins — a prescription that ends void never keeps the patient's money (refunded once, in full, or its order
closed unpaid), and one that ends paid was not voided and is not refunded. Never charged twice."""

from __future__ import annotations

from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.core.testing.concurrency import needs_row_locks, race
from ihospital.fulfilment import services
from ihospital.fulfilment.tests.builders import released_prescription
from ihospital.fulfilment.tests.conftest import address_input

pytestmark = needs_row_locks
ROUNDS = 4


def _checked_out_and_paid_at_the_provider(alice, rx):
    from ihospital.core.time import now
    from ihospital.integrations.models import SandboxPayment
    from ihospital.payments.services import payment_checkout

    address = services.address_create(
        account=alice, data=address_input(detail=f"宛平南路 {rx.pk} 号"), actor=Actor.of(alice)
    )
    services.fulfilment_choose(
        prescription=rx, method="delivery", address=address, pharmacy=None, actor=Actor.of(alice)
    )
    order = services.prescription_pay(prescription=rx, payer=alice, actor=Actor.of(alice))
    payment_checkout(order=order, actor=Actor.of(alice))
    SandboxPayment.objects.filter(out_trade_no=order.out_trade_no).update(
        state="SUCCESS", transaction_id=f"T{order.pk}", paid_at=now()
    )
    return order


def _pay(order) -> str:
    """The provider's notification lands: the app applies the payment."""
    from ihospital.payments.services.applying import PaidFacts, payment_apply

    facts = PaidFacts(amount_fen=order.amount_fen, transaction_id=f"T{order.pk}", paid_at=None, source="notification")
    return payment_apply(order=order, facts=facts, actor=Actor.system("payments"))


def _void(rx, doctor):
    try:
        return services.prescription_void(prescription=rx, doctor=doctor, reason="并发作废", actor=Actor.of(doctor))
    except DomainError as refused:
        return refused.code


def test_paying_and_voiding_at_once_one_wins_and_the_money_is_never_kept_twice(
    alice, dr_bob, carol, in_progress, signed_record, pharmacies
):
    from ihospital.payments.models import PaymentOrder
    from ihospital.prescriptions.models import Prescription

    outcomes = set()
    for _round in range(ROUNDS):
        rx = released_prescription(in_progress, signed_record, dr_bob, carol)
        order = _checked_out_and_paid_at_the_provider(alice, rx)
        results = race(2, lambda i, rx=rx, order=order: _pay(order) if i == 0 else _void(rx, dr_bob))
        assert not any(isinstance(r, Exception) for r in results), results
        rx.refresh_from_db()
        order.refresh_from_db()
        refunds = list(order.refunds.values_list("amount_fen", flat=True))
        if rx.status == Prescription.Status.VOID:
            assert order.status in (PaymentOrder.Status.REFUNDING, PaymentOrder.Status.REFUNDED), order.status
            assert refunds == [order.amount_fen]  # the money goes back once, in full
        else:
            assert (rx.status, order.status, refunds) == (Prescription.Status.PAID, PaymentOrder.Status.PAID, [])
            assert results[1] == "fulfilment.not_voidable"
        outcomes.add(rx.status)
    assert outcomes  # each round ended in one of the two outcomes above

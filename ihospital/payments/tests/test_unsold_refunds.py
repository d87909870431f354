"""The last line of defence for money: reconciliation finds a paid order whose payable will never be
delivered yet was never refunded, and refunds it in full once, audited."""

from __future__ import annotations

from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.payments import services
from ihospital.payments.models import Refund


def test_a_paid_order_for_an_ended_payable_without_a_refund_is_refunded_once(paid, payable, commit):
    payable.ended = {paid.payable_id}
    with commit():
        counts = services.payment_query_pending()
    assert counts["refunded_unsold"] == 1
    refund = Refund.objects.get(order=paid)
    assert refund.amount_fen == paid.amount_fen and refund.reason.startswith("not delivered")
    entry = AuditEvent.objects.get(action="payment.unsold_refund")
    assert entry.target_id == str(paid.public_id)
    paid.refresh_from_db()
    assert paid.status in ("refunding", "refunded")
    with commit():
        assert "refunded_unsold" not in services.payment_query_pending()
    assert Refund.objects.filter(order=paid).count() == 1


def test_a_paid_order_whose_payable_is_still_owed_is_left_alone(paid, payable, commit):
    with commit():
        assert "refunded_unsold" not in services.payment_query_pending()
    paid.refresh_from_db()
    assert paid.status == "paid" and not Refund.objects.exists()


def test_an_order_already_refunding_is_not_refunded_twice(paid, payable, commit):
    services.payment_refund_request(
        order=paid, amount_fen=100, reason="部分退款", idempotency_key="part", actor=Actor.system("test")
    )
    payable.ended = {paid.payable_id}
    with commit():
        assert "refunded_unsold" not in services.payment_query_pending()
    assert Refund.objects.filter(order=paid).count() == 1

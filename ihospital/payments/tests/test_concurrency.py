"""Races that real row locks must settle (PostgreSQL; SQLite serialises every writer anyway). CI runs the
suite a second time with DATABASE_URL pointing at PostgreSQL, where these run."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.core.testing.concurrency import needs_row_locks, race
from ihospital.core.time import now
from ihospital.integrations.payproviders.sandbox import trades
from ihospital.payments import services
from ihospital.payments.models import PaymentNotification, PaymentOrder, Refund
from ihospital.payments.tests.support import payment_body, signed

pytestmark = needs_row_locks


@pytest.fixture
def open_order(alice):
    return services.payment_order_create(
        payer=alice,
        payable_kind="test",
        payable_id="raced-thing",
        amount_fen=1200,
        description="网络门诊挂号费",
        expires_at=now() + timedelta(minutes=15),
        actor=Actor.of(alice),
    )


def test_the_same_notification_delivered_10_times_at_once_is_applied_once(open_order, payable):
    body = payment_body(open_order)
    headers = signed(body)

    answers = race(
        10, lambda i: services.payment_notification_receive(provider_name="sandbox", headers=headers, body=body)
    )

    assert answers == [(204, None)] * 10, answers  # every delivery is acknowledged
    open_order.refresh_from_db()
    assert open_order.status == "paid"
    assert payable.paid == [(open_order.payable_id, str(open_order.public_id))]
    assert AuditEvent.objects.filter(action="payment.paid").count() == 1
    outcomes = list(PaymentNotification.objects.values_list("outcome", flat=True))
    assert sorted(outcomes) == ["applied"] + ["duplicate"] * 9


def test_concurrent_refund_requests_never_refund_more_than_was_paid(open_order, settings, alice):
    settings.PAYMENT_SANDBOX_REFUND_DELAY_SECONDS = 3600  # keep them pending: they count against the rest
    services.payment_checkout(order=open_order, actor=Actor.of(alice))
    trades.pay(open_order.out_trade_no)  # autocommit: the notification is delivered right away
    assert PaymentOrder.objects.get(pk=open_order.pk).status == "paid"

    results = race(
        8,
        lambda i: services.payment_refund_request(
            order=open_order, amount_fen=500, reason="race", idempotency_key=f"race-{i}", actor=Actor.system()
        ),
    )

    granted = [r for r in results if isinstance(r, Refund)]
    refused = [getattr(r, "code", repr(r)) for r in results if not isinstance(r, Refund)]
    assert len(granted) == 2, results  # 2 × 500 ≤ 1200 < 3 × 500
    assert set(refused) == {"payment.refund_exceeds_paid"}, results
    assert PaymentOrder.objects.get(pk=open_order.pk).status == "refunding"
    assert list(Refund.objects.values_list("status", "failure_reason")) == [("pending", "")] * 2

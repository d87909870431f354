"""Payments tests run against the sandbox provider, in process: its notifications reach the notify view
through Django's test client, retries are immediate unless a test says otherwise, and the payable kind
"test" records what payments told it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from huey.contrib.djhuey import HUEY

from ihospital.audit.services import Actor
from ihospital.core.time import now
from ihospital.payments import services
from ihospital.payments.tests.support import RecordingPayable


@pytest.fixture(autouse=True)
def sandbox_in_process(settings):
    settings.PAYMENT_PROVIDER = "ihospital.integrations.payproviders.sandbox.provider.SandboxPayProvider"
    settings.PAYMENT_SANDBOX_TRANSPORT = "ihospital.core.http.InProcessTransport"
    settings.PAYMENT_SANDBOX_RETRY_FACTOR = 0
    settings.PAYMENT_SANDBOX_REFUND_DELAY_SECONDS = 0
    settings.PUBLIC_BASE_URL = "http://testserver"
    settings.PAYABLES = {"test": "ihospital.payments.tests.support.RecordingPayable"}
    RecordingPayable.reset()
    HUEY.flush()
    yield
    HUEY.flush()
    RecordingPayable.reset()


@pytest.fixture
def payable():
    return RecordingPayable


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """``with commit(): ...`` runs what the block scheduled for after commit (outbox, sandbox tasks)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def make_order(alice):
    counter = iter(range(1, 10_000))

    def make(*, payer=None, amount_fen: int = 1200, minutes: int = 15, payable_id: str | None = None):
        return services.payment_order_create(
            payer=payer or alice,
            payable_kind="test",
            payable_id=payable_id or f"thing-{next(counter)}",
            amount_fen=amount_fen,
            description="网络门诊挂号费",
            expires_at=now() + timedelta(minutes=minutes),
            actor=Actor.of(payer or alice),
        )

    return make


@pytest.fixture
def order(make_order):
    return make_order()


@pytest.fixture
def checked_out(order, alice):
    """An order sent to the sandbox cashier (its SandboxPayment exists, NOTPAY)."""
    services.payment_checkout(order=order, actor=Actor.of(alice))
    order.refresh_from_db()
    return order


@pytest.fixture
def pay(client, commit):
    """Pay an order at the sandbox cashier, the way a payer does; the notification follows."""

    def pay_order(order):
        order.refresh_from_db()
        with commit():
            response = client.post(order.pay_url, {"action": "confirm"})
        order.refresh_from_db()
        return response

    return pay_order


@pytest.fixture
def paid(checked_out, pay):
    pay(checked_out)
    assert checked_out.status == "paid"
    return checked_out

"""The payment sandbox behaves like a provider: a cashier page, signed notifications retried on WeChat's
schedule, and faults on demand — and payments copes with each of them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.core.time import now
from ihospital.integrations.models import SandboxNotification, SandboxPayment
from ihospital.integrations.payproviders.sandbox import control, keys, notify
from ihospital.integrations.payproviders.signing import serial_of
from ihospital.payments import services
from ihospital.payments.models import PaymentNotification, PaymentOrder
from ihospital.payments.tests.support import run_scheduled, scheduled_delays


def outcomes() -> list[str]:
    return list(PaymentNotification.objects.order_by("id").values_list("outcome", flat=True))


def make_old(order: PaymentOrder, minutes: int = 4) -> None:
    PaymentOrder.objects.filter(pk=order.pk).update(created_at=now() - timedelta(minutes=minutes))


# --- the cashier page --------------------------------------------------------------------------------


def test_the_cashier_shows_merchant_description_and_amount_in_chinese(client, checked_out):
    response = client.get(checked_out.pay_url)
    page = response.content.decode()
    assert response.status_code == 200
    assert "互联网医院（沙箱商户）" in page and "网络门诊挂号费" in page and "¥12.00" in page
    assert 'data-testid="sandbox-confirm"' in page and 'data-testid="sandbox-cancel"' in page
    assert "确认支付" in page


def test_confirming_pays_redirects_to_the_return_url_and_the_notification_applies(client, checked_out, pay, payable):
    response = pay(checked_out)

    assert response.status_code == 302
    assert response["Location"] == f"http://testserver/payments/orders/{checked_out.public_id}/"
    sandbox = SandboxPayment.objects.get(out_trade_no=checked_out.out_trade_no)
    assert sandbox.state == "SUCCESS" and len(sandbox.transaction_id) == 28
    assert checked_out.status == "paid" and checked_out.provider_txn_id == sandbox.transaction_id
    assert SandboxNotification.objects.get().status == "delivered"
    assert len(payable.paid) == 1


def test_confirming_twice_pays_once(checked_out, pay, payable):
    pay(checked_out)
    again = pay(checked_out)
    assert again.status_code == 302
    assert SandboxNotification.objects.count() == 1 and len(payable.paid) == 1


def test_cancelling_goes_back_unpaid_and_sends_nothing(client, checked_out, commit):
    with commit():
        response = client.post(checked_out.pay_url, {"action": "cancel"})
    assert response.status_code == 302
    assert SandboxPayment.objects.get().state == "NOTPAY"
    assert not SandboxNotification.objects.exists()
    checked_out.refresh_from_db()
    assert checked_out.status == "created"


def test_an_expired_order_can_not_be_paid_at_the_cashier(client, checked_out, commit):
    SandboxPayment.objects.update(expires_at=now() - timedelta(seconds=1))
    with commit():
        response = client.post(checked_out.pay_url, {"action": "confirm"})
    assert response.status_code == 409
    assert 'data-testid="sandbox-problem"' in response.content.decode()
    assert 'data-testid="sandbox-confirm"' not in response.content.decode()
    assert SandboxPayment.objects.get().state == "CLOSED"


def test_the_cashier_does_not_exist_while_a_real_provider_is_configured(client, checked_out, settings):
    settings.PAYMENT_PROVIDER = "ihospital.payments.tests.test_sandbox.NotTheSandbox"
    assert client.get(checked_out.pay_url).status_code == 404
    assert client.post(checked_out.pay_url, {"action": "confirm"}).status_code == 404
    assert SandboxPayment.objects.get().state == "NOTPAY"


class NotTheSandbox:
    name = "other"
    merchant_id = "x"


def test_an_unknown_order_number_is_not_found_at_the_cashier(client, db):
    assert client.get("/sandbox/pay/IH2099NOSUCHORDER0001/").status_code == 404


# --- the platform key ------------------------------------------------------------------------------


def test_the_platform_key_is_generated_once_into_the_var_dir_and_shared(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.PAYMENT_SANDBOX_PRIVATE_KEY_PEM = ""
    first = keys.serial()
    keys.private_key.cache_clear()  # as a second process (the worker) would start
    keys.serial.cache_clear()
    assert keys.serial() == first
    key_file = tmp_path / keys.KEY_FILE_NAME
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert keys.private_key().key_size == 2048


def test_a_configured_platform_key_is_used(settings):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    settings.PAYMENT_SANDBOX_PRIVATE_KEY_PEM = pem.decode().strip()  # as read from a *_FILE
    assert keys.serial() == serial_of(key.public_key())


# --- retries ---------------------------------------------------------------------------------------


def test_the_retry_schedule_is_wechats_compressed_by_the_factor(settings):
    settings.PAYMENT_SANDBOX_RETRY_FACTOR = 1
    assert [notify.retry_delay(n) for n in (1, 2, 3, 4, 5, 15)] == [15, 15, 30, 180, 600, 21600]
    assert notify.retry_delay(16) is None  # 15 retries, about 24 hours, then it gives up
    settings.PAYMENT_SANDBOX_RETRY_FACTOR = 1 / 15
    assert notify.retry_delay(1) == pytest.approx(1.0)


def test_a_failing_callback_is_retried_after_15_seconds_then_succeeds(settings, checked_out, pay, payable):
    settings.PAYMENT_SANDBOX_RETRY_FACTOR = 1
    payable.explode = 1  # the merchant's server answers 500 to the first delivery

    pay(checked_out)

    note = SandboxNotification.objects.get()
    assert (note.status, note.attempts) == ("pending", 1) and note.last_answer.startswith("500")
    assert checked_out.status == "created"
    assert scheduled_delays() == [pytest.approx(15, abs=2)]

    assert run_scheduled(seconds=16) == 1
    note.refresh_from_db()
    checked_out.refresh_from_db()
    assert (note.status, note.attempts) == ("delivered", 2)
    assert checked_out.status == "paid"
    assert outcomes() == ["failed", "applied"]
    assert len(payable.paid) == 1


def test_the_sandbox_gives_up_after_the_last_retry(checked_out, pay, payable):
    payable.explode = 100
    pay(checked_out)
    note = SandboxNotification.objects.get()
    assert (note.status, note.attempts) == ("gave_up", 16)
    assert PaymentNotification.objects.filter(outcome="failed").count() == 16


# --- faults on demand ------------------------------------------------------------------------------


def test_a_dropped_notification_is_found_by_the_active_query(checked_out, pay, payable):
    control.fault_next("drop")
    pay(checked_out)
    assert SandboxNotification.objects.get().status == "dropped"
    assert checked_out.status == "created" and payable.paid == []

    assert services.payment_query_pending() == {}  # too early: not queried before PAYMENT_QUERY_AFTER_MINUTES
    make_old(checked_out)
    assert services.payment_query_pending() == {"paid": 1}

    checked_out.refresh_from_db()
    assert checked_out.status == "paid" and len(payable.paid) == 1
    assert AuditEvent.objects.get(action="payment.paid").details["source"] == "query"
    assert services.payment_query_pending() == {}  # nothing left to reconcile


def test_a_duplicated_notification_is_applied_once(checked_out, pay, payable):
    control.fault_next("duplicate")
    pay(checked_out)
    assert outcomes() == ["applied", "duplicate"]
    assert len(payable.paid) == 1
    assert AuditEvent.objects.filter(action="payment.paid").count() == 1


def test_a_corrupted_notification_is_rejected_then_the_retry_is_applied(checked_out, pay, payable):
    control.fault_next("corrupt")
    pay(checked_out)
    assert outcomes() == ["rejected", "applied"]
    assert PaymentNotification.objects.order_by("id").first().error.startswith("payment.signature_invalid")
    assert SandboxNotification.objects.get().attempts == 2
    assert checked_out.status == "paid" and len(payable.paid) == 1


def test_a_delayed_notification_arrives_after_the_delay(checked_out, pay, payable):
    control.fault_next("delay", delay=30)
    pay(checked_out)
    assert checked_out.status == "created" and outcomes() == []
    assert scheduled_delays() == [pytest.approx(30, abs=2)]

    assert run_scheduled(seconds=10) == 0
    assert run_scheduled(seconds=31) == 1
    checked_out.refresh_from_db()
    assert checked_out.status == "paid" and outcomes() == ["applied"]


def test_a_fault_applies_to_as_many_attempts_as_asked_then_stops(make_order, alice, pay):
    control.fault_next("duplicate", count=2)
    orders = [make_order() for _ in range(3)]
    for order in orders:
        services.payment_checkout(order=order, actor=Actor.of(alice))
        pay(order)
    assert PaymentNotification.objects.filter(outcome="duplicate").count() == 2
    assert control.pending() == (None, 0)


def test_unknown_fault_modes_are_refused():
    with pytest.raises(ValueError):
        control.fault_next("explode")


def test_the_developer_fault_page_arms_faults_and_is_hidden_in_production(client, settings, db):
    settings.DEV_INBOX_ENABLED = False
    assert client.get("/sandbox/pay/faults/").status_code == 404
    settings.DEV_INBOX_ENABLED = True
    response = client.post("/sandbox/pay/faults/", {"mode": "corrupt", "count": "3", "delay": "0"}, follow=True)
    assert response.status_code == 200 and 'data-testid="sandbox-fault"' in response.content.decode()
    fault, remaining = control.pending()
    assert (fault.mode, remaining) == ("corrupt", 3)
    client.post("/sandbox/pay/faults/", {"mode": "clear"})
    assert control.pending() == (None, 0)

"""Notifications are stored raw, verified before anything is read, cross-checked and applied at most once."""

from __future__ import annotations

import json

import pytest

from ihospital.audit.models import AuditEvent
from ihospital.integrations.payproviders import signing
from ihospital.integrations.payproviders.sandbox import keys
from ihospital.payments.models import PaymentNotification
from ihospital.payments.tests.support import forged, payment_body, post_notification, signed


def _forged(order):
    body = payment_body(order)
    return body, forged(body)


def _tampered_body(order):
    body = payment_body(order)
    headers = signed(body)
    return body.replace(b'"total":1200', b'"total":1'), headers


def _wrong_serial(order):
    body = payment_body(order)
    return body, {**signed(body), "X-Sandbox-Serial": "0" * 40}


def _stale(order):
    body = payment_body(order)
    headers = signed(body)
    old = str(int(headers["X-Sandbox-Timestamp"]) - 3600)
    headers["X-Sandbox-Timestamp"] = old
    headers["X-Sandbox-Signature"] = signing.sign(
        keys.private_key(), timestamp=old, nonce=headers["X-Sandbox-Nonce"], body=body
    )
    return body, headers


def _unsigned(order):
    return payment_body(order), {}


def _garbage_signature(order):
    body = payment_body(order)
    return body, {**signed(body), "X-Sandbox-Signature": "not base64 at all!"}


def _other_merchant(order):
    body = payment_body(order, merchant_id="1999999999")
    return body, signed(body)


def _wrong_amount(order):
    body = payment_body(order, amount_fen=1)
    return body, signed(body)


def _unknown_order(order):
    body = payment_body(order).replace(order.out_trade_no.encode(), b"IH20990101000000DEADBEEF0000")
    return body, signed(body)


REJECTIONS = {
    "forged signature": (_forged, "payment.signature_invalid"),
    "body altered after signing": (_tampered_body, "payment.signature_invalid"),
    "unknown key serial": (_wrong_serial, "payment.signature_invalid"),
    "replayed with an old timestamp": (_stale, "payment.signature_invalid"),
    "no signature at all": (_unsigned, "payment.signature_invalid"),
    "garbage signature": (_garbage_signature, "payment.signature_invalid"),
    "another merchant": (_other_merchant, "payment.merchant_mismatch"),
    "wrong amount": (_wrong_amount, "payment.amount_mismatch"),
    "unknown order": (_unknown_order, "payment.not_found"),
}


def test_a_valid_notification_pays_the_order_once_and_tells_the_payable(order, payable):
    body = payment_body(order)
    response = post_notification(body, signed(body))

    assert response.status_code == 204
    order.refresh_from_db()
    assert (order.status, order.provider_txn_id) == ("paid", "4200000000000000000000000042")
    assert order.paid_at is not None
    assert payable.paid == [(order.payable_id, str(order.public_id))]
    note = PaymentNotification.objects.get()
    assert (note.outcome, note.signature_valid, note.kind, note.out_trade_no) == (
        "applied",
        True,
        "payment",
        order.out_trade_no,
    )
    assert note.body == body.decode()
    paid = AuditEvent.objects.get(action="payment.paid")
    assert paid.target_id == str(order.public_id) and paid.details["source"] == "notification"


@pytest.mark.parametrize("case", REJECTIONS, ids=list(REJECTIONS))
def test_rejected_notifications_are_stored_audited_and_change_nothing(case, order, payable):
    build, code = REJECTIONS[case]
    body, headers = build(order)

    response = post_notification(body, headers)

    assert 400 <= response.status_code < 500
    assert response.json()["code"] == "FAIL"
    order.refresh_from_db()
    assert (order.status, order.provider_txn_id, order.paid_at) == ("created", "", None)
    assert payable.paid == []
    note = PaymentNotification.objects.get()
    assert note.outcome == "rejected" and note.error.startswith(code)
    assert note.body == body.decode()  # kept raw, forged ones too
    assert note.signature_valid is (code != "payment.signature_invalid")
    rejected = AuditEvent.objects.get(action="payment.notification_rejected")
    assert rejected.details["code"] == code and rejected.target_id == str(note.public_id)
    assert not AuditEvent.objects.filter(action="payment.paid").exists()


def test_a_notification_for_another_provider_name_is_rejected(order):
    body = payment_body(order)
    response = post_notification(body, signed(body), path="/payments/notify/wechat/")
    assert response.status_code == 404
    assert PaymentNotification.objects.get().error.startswith("payment.unknown_provider")
    order.refresh_from_db()
    assert order.status == "created"


def test_a_correctly_signed_body_that_is_not_a_notification_is_rejected(order):
    body = json.dumps({"event_type": "SOMETHING.ELSE"}).encode()
    response = post_notification(body, signed(body))
    assert response.status_code == 400
    note = PaymentNotification.objects.get()
    assert note.signature_valid and note.error.startswith("payment.malformed_notification")


def test_the_same_notification_delivered_twice_changes_the_order_once(order, payable):
    body = payment_body(order)
    first = post_notification(body, signed(body))
    second = post_notification(body, signed(body))

    assert (first.status_code, second.status_code) == (204, 204)  # the provider must stop retrying
    assert list(PaymentNotification.objects.order_by("id").values_list("outcome", flat=True)) == [
        "applied",
        "duplicate",
    ]
    assert len(payable.paid) == 1
    assert AuditEvent.objects.filter(action="payment.paid").count() == 1


def test_a_crashing_payable_rolls_back_and_answers_500_so_the_provider_retries(order, payable):
    payable.explode = 1
    body = payment_body(order)

    crashed = post_notification(body, signed(body))
    retried = post_notification(body, signed(body))

    assert crashed.status_code == 500 and crashed.json()["code"] == "FAIL"
    assert retried.status_code == 204
    order.refresh_from_db()
    assert order.status == "paid"
    assert list(PaymentNotification.objects.order_by("id").values_list("outcome", flat=True)) == ["failed", "applied"]
    assert AuditEvent.objects.filter(action="payment.paid").count() == 1


def test_the_notify_endpoint_only_takes_posts(client):
    assert client.get("/payments/notify/sandbox/").status_code == 405


def test_cookies_and_credentials_are_not_stored_with_the_headers(order):
    body = payment_body(order)
    post_notification(body, {**signed(body), "Authorization": "Bearer secret", "Cookie": "sessionid=x"})
    stored = {name.lower() for name in PaymentNotification.objects.get().headers}
    assert "x-sandbox-signature" in stored
    assert not stored & {"authorization", "cookie"}

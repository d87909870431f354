"""``SandboxPayProvider``: the PaymentProvider adapter over the sandbox's trade tables."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.conf import settings

from ihospital.integrations.payproviders import signing
from ihospital.integrations.payproviders.base import (
    CreatedOrder,
    CreateOrder,
    InvalidSignature,
    MalformedNotification,
    Notification,
    OrderStatus,
    RefundRequest,
    RefundStatus,
    Response,
)
from ihospital.integrations.payproviders.sandbox import keys, trades

HEADER_TIMESTAMP = "x-sandbox-timestamp"
HEADER_NONCE = "x-sandbox-nonce"
HEADER_SERIAL = "x-sandbox-serial"
HEADER_SIGNATURE = "x-sandbox-signature"


class SandboxPayProvider:
    name = "sandbox"

    def __init__(self) -> None:
        self.merchant_id = settings.PAYMENT_SANDBOX_MERCHANT_ID

    def create_order(self, order: CreateOrder) -> CreatedOrder:
        payment = trades.order_open(
            out_trade_no=order.out_trade_no,
            amount_fen=order.amount_fen,
            description=order.description,
            notify_url=order.notify_url,
            return_url=order.return_url,
            expires_at=order.expires_at,
        )
        return CreatedOrder(pay_url=trades.cashier_url(payment.out_trade_no))

    def query_order(self, out_trade_no: str) -> OrderStatus:
        payment = trades.payment_get(out_trade_no)
        return OrderStatus(
            out_trade_no=payment.out_trade_no,
            state=payment.state,  # type: ignore[arg-type]  # the sandbox's states are WeChat's
            amount_fen=payment.amount_fen,
            transaction_id=payment.transaction_id,
            paid_at=payment.paid_at,
        )

    def close_order(self, out_trade_no: str) -> None:
        trades.close(out_trade_no)

    def refund(self, request: RefundRequest) -> RefundStatus:
        refund = trades.refund_open(
            out_trade_no=request.out_trade_no,
            out_refund_no=request.out_refund_no,
            amount_fen=request.amount_fen,
            total_fen=request.total_fen,
            reason=request.reason,
            notify_url=request.notify_url,
        )
        return self._refund_status(refund)

    def query_refund(self, out_refund_no: str) -> RefundStatus:
        return self._refund_status(trades.refund_get(out_refund_no))

    @staticmethod
    def _refund_status(refund) -> RefundStatus:
        return RefundStatus(
            out_refund_no=refund.out_refund_no,
            state=refund.state,
            refund_id=refund.refund_id,
            amount_fen=refund.amount_fen,
        )

    def parse_notification(self, headers: dict[str, str], body: bytes) -> Notification:
        found = {name.lower(): value for name, value in headers.items()}
        if found.get(HEADER_SERIAL) != keys.serial():
            raise InvalidSignature("unknown platform key serial")
        signing.verify(
            keys.public_key(),
            timestamp=found.get(HEADER_TIMESTAMP, ""),
            nonce=found.get(HEADER_NONCE, ""),
            body=body,
            signature=found.get(HEADER_SIGNATURE, ""),
        )
        try:
            event = json.loads(body)
            return _notification_of(event["event_type"], event["resource"])
        except (ValueError, KeyError, TypeError) as exc:
            raise MalformedNotification(f"not a sandbox notification: {exc}") from None

    def success_response(self) -> Response:
        return 204, None

    def failure_response(self, message: str, *, status: int = 400) -> Response:
        return status, {"code": "FAIL", "message": message}


def _notification_of(event_type: str, resource: dict[str, Any]) -> Notification:
    common: dict[str, Any] = {
        "out_trade_no": str(resource["out_trade_no"]),
        "merchant_id": str(resource["mchid"]),
        "transaction_id": str(resource["transaction_id"]),
        "paid_at": datetime.fromisoformat(resource["success_time"]),
    }
    if event_type == "TRANSACTION.SUCCESS":
        return Notification(
            kind="payment", amount_fen=int(resource["amount"]["total"]), state=resource["trade_state"], **common
        )
    if event_type.startswith("REFUND."):
        return Notification(
            kind="refund",
            amount_fen=int(resource["amount"]["refund"]),
            state=resource["refund_status"],
            out_refund_no=str(resource["out_refund_no"]),
            refund_id=str(resource["refund_id"]),
            **common,
        )
    raise ValueError(f"unknown event type {event_type!r}")

"""The payment-provider interface every adapter implements (WeChat Pay v3, Alipay, UnionPay, the sandbox).

Payments speaks to a provider only through these dataclasses; adapters never see an ORM object and
never import anything but ``ihospital.core``. Amounts are integer fen, times are aware datetimes.

How a WeChat Pay v3 adapter maps onto it (JSAPI / H5 / Native transactions):

    create_order     POST /v3/pay/transactions/h5 (or jsapi/native) with out_trade_no, description,
                     amount.total = amount_fen, notify_url, time_expire = expires_at (RFC 3339);
                     CreatedOrder.pay_url = h5_url (or a page built from prepay_id / code_url).
    query_order      GET /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid=…: trade_state NOTPAY,
                     SUCCESS, CLOSED, REFUND map 1:1 (USERPAYING → NOTPAY, PAYERROR/REVOKED → CLOSED).
    close_order      POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close; the error ORDERPAID
                     becomes PayProviderError(code=ORDER_PAID), ORDER_NOT_EXIST → ORDER_NOT_FOUND.
    refund           POST /v3/refund/domestic/refunds with out_refund_no (the idempotency key WeChat
                     de-duplicates on), amount.refund / amount.total; status PROCESSING/SUCCESS/ABNORMAL
                     (CLOSED → ABNORMAL); NOT_ENOUGH → PayProviderError(code=INSUFFICIENT_BALANCE).
    query_refund     GET /v3/refund/domestic/refunds/{out_refund_no}.
    parse_notification
                     verifies ``Wechatpay-Signature`` (RSA-SHA256 over "timestamp\\nnonce\\nbody\\n") with the
                     platform certificate named by ``Wechatpay-Serial``, rejects stale timestamps, and only
                     then decrypts ``resource`` (AEAD_AES_256_GCM with the APIv3 key) into a Notification.
    success_response 204 without a body; failure_response 4xx/5xx with {"code": "FAIL", "message": …}.

HTTP errors map onto PayProviderError: 5xx, timeouts and SYSTEM_ERROR/FREQUENCY_LIMITED are transient;
PARAM_ERROR, SIGN_ERROR, NO_AUTH, INVALID_REQUEST are permanent. Alipay (trade.wap.pay / trade.query /
trade.close / trade.refund / async notify signed RSA2, answered with "success") fits the same shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from ihospital.core.outbox import DeliveryError

OrderState = Literal["NOTPAY", "SUCCESS", "CLOSED", "REFUND"]
RefundState = Literal["PROCESSING", "SUCCESS", "ABNORMAL"]
NotificationKind = Literal["payment", "refund"]
Response = tuple[int, dict[str, Any] | None]


@dataclass(frozen=True)
class CreateOrder:
    out_trade_no: str
    amount_fen: int
    description: str
    notify_url: str
    return_url: str
    expires_at: datetime


@dataclass(frozen=True)
class CreatedOrder:
    pay_url: str


@dataclass(frozen=True)
class OrderStatus:
    out_trade_no: str
    state: OrderState
    amount_fen: int
    transaction_id: str = ""
    paid_at: datetime | None = None


@dataclass(frozen=True)
class RefundRequest:
    out_trade_no: str
    out_refund_no: str
    amount_fen: int
    total_fen: int
    reason: str
    notify_url: str


@dataclass(frozen=True)
class RefundStatus:
    out_refund_no: str
    state: RefundState
    refund_id: str = ""
    amount_fen: int = 0


@dataclass(frozen=True)
class Notification:
    """What a verified notification says. ``amount_fen`` is the order total for a payment and the refunded
    amount for a refund; ``state`` is the trade state (SUCCESS …) or the refund state."""

    kind: NotificationKind
    out_trade_no: str
    merchant_id: str
    amount_fen: int
    transaction_id: str
    state: str
    out_refund_no: str | None = None
    refund_id: str | None = None
    paid_at: datetime | None = None


class PayProviderError(DeliveryError):
    """A provider call failed. Transient by default; ``permanent=True`` when retrying can't help.

    ``code`` is one of the normalised codes below (adapters translate their vendor's codes), so callers
    can tell "already paid" from "unknown order" without knowing the vendor.
    """

    ORDER_PAID = "order_paid"
    ORDER_CLOSED = "order_closed"
    ORDER_NOT_FOUND = "order_not_found"
    REFUND_NOT_FOUND = "refund_not_found"
    INSUFFICIENT_BALANCE = "insufficient_balance"
    INVALID_REQUEST = "invalid_request"
    UNAVAILABLE = "unavailable"

    def __init__(self, message: str, *, code: str = UNAVAILABLE, permanent: bool = False) -> None:
        super().__init__(message, permanent=permanent)
        self.code = code


class InvalidSignature(Exception):
    """The notification is not provably from the provider (missing, wrong, stale or altered)."""


class MalformedNotification(ValueError):
    """Correctly signed but not a notification this interface understands."""


class PaymentProvider(Protocol):
    name: str
    merchant_id: str

    def create_order(self, order: CreateOrder) -> CreatedOrder:
        """Idempotent on ``out_trade_no``: the same order again returns the same pay URL."""

    def query_order(self, out_trade_no: str) -> OrderStatus: ...

    def close_order(self, out_trade_no: str) -> None:
        """Raises PayProviderError(code=ORDER_PAID) when the payer was faster."""

    def refund(self, request: RefundRequest) -> RefundStatus:
        """Idempotent on ``out_refund_no``. Refunds usually complete later (a notification follows)."""

    def query_refund(self, out_refund_no: str) -> RefundStatus: ...

    def parse_notification(self, headers: dict[str, str], body: bytes) -> Notification:
        """Verify the signature FIRST and raise InvalidSignature before reading anything of the body;
        then parse it (MalformedNotification if it isn't understood)."""

    def success_response(self) -> Response: ...

    def failure_response(self, message: str, *, status: int = 400) -> Response: ...

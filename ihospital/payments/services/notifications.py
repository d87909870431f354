"""The provider's asynchronous notifications: stored raw, verified, cross-checked, applied at most once."""

from __future__ import annotations

import hashlib
import logging

from django.db import transaction

from ihospital.audit.services import Actor, record
from ihospital.core.errors import DomainError, ErrorCode
from ihospital.core.time import now
from ihospital.integrations.payproviders import provider
from ihospital.integrations.payproviders.base import (
    InvalidSignature,
    MalformedNotification,
    Notification,
    PaymentProvider,
    Response,
)
from ihospital.payments.errors import PaymentError
from ihospital.payments.models import PaymentNotification, PaymentOrder, Refund
from ihospital.payments.services.applying import PaidFacts, payment_apply, refund_settle

logger = logging.getLogger(__name__)
Outcome = PaymentNotification.Outcome

MAX_BODY_BYTES = 64 * 1024  # real notifications are a few hundred bytes
# Until its signature is verified a body is anyone's: only this much of it is kept, with the size and a
# digest of the whole, so that forged posts can't fill the table.
STORED_UNVERIFIED_BYTES = 2048
UNSTORED_HEADERS = {"cookie", "authorization", "proxy-authorization"}


def payment_notification_receive(*, provider_name: str, headers: dict[str, str], body: bytes) -> Response:
    """Handle one POST to the notify endpoint; return the (status, JSON body) the provider expects.

    Call it outside any transaction. Steps: store the raw notification first (its own committed
    transaction, kept whatever happens next); verify the signature before reading anything; check the
    merchant id, that the order (and refund) exist and that the amount matches; then apply it at most once.
    Rejected (forged or altered signature, unknown provider, malformed, merchant or amount mismatch,
    unknown order): outcome ``rejected`` with the error code, audit ``payment.notification_rejected``,
    nothing else changed, the provider's failure answer. Duplicate deliveries get the success answer and
    change nothing. A crash while applying rolls the change back (outcome ``failed``) and answers 500 so
    the provider retries.
    """
    note = _store(provider_name, headers, body)
    gateway = provider()
    if provider_name != gateway.name:
        return _reject(note, gateway, PaymentError.UNKNOWN_PROVIDER)
    if len(body) > MAX_BODY_BYTES:
        return _reject(note, gateway, PaymentError.MALFORMED, "body too large")
    try:
        event = gateway.parse_notification(headers, body)
    except InvalidSignature as exc:
        return _reject(note, gateway, PaymentError.SIGNATURE_INVALID, str(exc))
    except MalformedNotification as exc:
        PaymentNotification.objects.filter(pk=note.pk).update(signature_valid=True)
        return _reject(note, gateway, PaymentError.MALFORMED, str(exc))
    PaymentNotification.objects.filter(pk=note.pk).update(
        signature_valid=True, kind=event.kind, out_trade_no=event.out_trade_no[:32], body=_storable(body)
    )
    try:
        _apply(note=note, event=event, merchant_id=gateway.merchant_id, actor=_actor(provider_name))
    except DomainError as error:
        return _reject(note, gateway, error.error, error.message)
    except Exception as exc:
        logger.exception("payment notification %s could not be applied", note.public_id)
        PaymentNotification.objects.filter(pk=note.pk).update(
            outcome=Outcome.FAILED, error=f"{type(exc).__name__}: {exc}"[:300]
        )
        return gateway.failure_response("internal error", status=500)
    return gateway.success_response()


def _actor(provider_name: str) -> Actor:
    return Actor.system(f"payprovider:{provider_name}"[:150])


def _store(provider_name: str, headers: dict[str, str], body: bytes) -> PaymentNotification:
    with transaction.atomic():
        return PaymentNotification.objects.create(
            provider=provider_name[:30],
            received_at=now(),
            headers={name: value for name, value in headers.items() if name.lower() not in UNSTORED_HEADERS},
            body=_bounded(body),
        )


def _storable(body: bytes) -> str:
    """Text a database takes: undecodable bytes and NUL (PostgreSQL refuses it) become U+FFFD."""
    return body.decode("utf-8", errors="replace").replace("\x00", "\ufffd")


def _bounded(body: bytes) -> str:
    """The form an unverified body is kept in: its first ``STORED_UNVERIFIED_BYTES``, then, if it was
    longer, its size and SHA-256."""
    if len(body) <= STORED_UNVERIFIED_BYTES:
        return _storable(body)
    digest = hashlib.sha256(body).hexdigest()
    return f"{_storable(body[:STORED_UNVERIFIED_BYTES])}\n…[{len(body)} bytes, sha256 {digest}]"


def _reject(note: PaymentNotification, gateway: PaymentProvider, error: ErrorCode, detail: str = "") -> Response:
    with transaction.atomic():
        PaymentNotification.objects.filter(pk=note.pk).update(
            outcome=Outcome.REJECTED, error=f"{error.code}: {detail}"[:300]
        )
        record(
            actor=_actor(note.provider),
            action="payment.notification_rejected",
            target_type="payment_notification",
            target_id=str(note.public_id),
            details={"code": error.code, "detail": detail[:200], "provider": note.provider},
        )
    logger.warning("payment notification %s rejected: %s %s", note.public_id, error.code, detail)
    return gateway.failure_response(str(error.message), status=error.status)


@transaction.atomic
def _apply(*, note: PaymentNotification, event: Notification, merchant_id: str, actor: Actor) -> str:
    """Cross-check and apply a verified notification; raises DomainError (and changes nothing) to reject."""
    if event.merchant_id != merchant_id:
        raise DomainError(PaymentError.MERCHANT_MISMATCH)
    order = PaymentOrder.objects.filter(out_trade_no=event.out_trade_no).first()
    if order is None:
        raise DomainError(PaymentError.NOT_FOUND)
    if event.kind == "payment":
        outcome = _apply_payment(order, event, actor)
    else:
        outcome = _apply_refund(order, event, actor)
    PaymentNotification.objects.filter(pk=note.pk).update(outcome=outcome)
    return outcome


def _apply_payment(order: PaymentOrder, event: Notification, actor: Actor) -> str:
    if event.state != "SUCCESS":
        raise DomainError(PaymentError.STATE_UNKNOWN)
    facts = PaidFacts(
        amount_fen=event.amount_fen, transaction_id=event.transaction_id, paid_at=event.paid_at, source="notification"
    )
    return payment_apply(order=order, facts=facts, actor=actor)


def _apply_refund(order: PaymentOrder, event: Notification, actor: Actor) -> str:
    refund = Refund.objects.filter(order=order, out_refund_no=event.out_refund_no).first()
    if refund is None:
        raise DomainError(PaymentError.NOT_FOUND)
    if event.amount_fen != refund.amount_fen:
        raise DomainError(PaymentError.AMOUNT_MISMATCH)
    if event.state == "SUCCESS":
        return refund_settle(refund=refund, succeeded=True, provider_refund_id=event.refund_id or "", actor=actor)
    if event.state in ("ABNORMAL", "CLOSED"):
        failure = f"provider reported {event.state}"
        return refund_settle(
            refund=refund, succeeded=False, provider_refund_id=event.refund_id or "", failure=failure, actor=actor
        )
    raise DomainError(PaymentError.STATE_UNKNOWN)

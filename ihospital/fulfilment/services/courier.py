"""The courier's side of a delivery: the waybill it answered with, and its signed route updates.

``courier_callback_receive`` is the callback endpoint's service: stored raw, verified, cross-checked and
applied at most once per event id, like payments' provider notifications.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.db import IntegrityError, transaction

from ihospital.audit.services import Actor, record
from ihospital.core.errors import DomainError, ErrorCode
from ihospital.core.state import transition
from ihospital.core.time import now
from ihospital.fulfilment.errors import FulfilmentError
from ihospital.fulfilment.models import CourierCallback, Shipment, TrackingEvent
from ihospital.fulfilment.services.tracking import shipment_moved
from ihospital.integrations.courier import courier
from ihospital.integrations.courier.base import FINAL_STATUSES, InvalidSignature, MalformedCallback, Response
from ihospital.integrations.courier.base import TrackingEvent as CourierEvent

logger = logging.getLogger(__name__)
Outcome = CourierCallback.Outcome

MAX_BODY_BYTES = 16 * 1024  # a route update is a few hundred bytes
STORED_UNVERIFIED_BYTES = 2048  # until verified a body is anyone's: only this much of it is kept
UNSTORED_HEADERS = {"cookie", "authorization", "proxy-authorization"}


def courier_actor() -> Actor:
    return Actor.system(f"courier:{courier().name}"[:150])


@transaction.atomic
def shipment_created(*, shipment: Shipment, waybill_no: str, courier_name: str) -> None:
    """The courier accepted the parcel: placing → created with its waybill (a repeat changes nothing).
    Audited ``shipment.created``."""
    moved = Shipment.objects.filter(pk=shipment.pk, status=Shipment.Status.PLACING).update(
        status=Shipment.Status.CREATED, waybill_no=waybill_no, courier=courier_name
    )
    if not moved:
        # A route update may have beaten the answer here (it names the waybill): keep the number.
        Shipment.objects.filter(pk=shipment.pk, waybill_no="").update(waybill_no=waybill_no, courier=courier_name)
        return
    record(
        actor=courier_actor(),
        action="shipment.created",
        target_type="shipment",
        target_id=str(shipment.public_id),
        details={"waybill_no": waybill_no},
    )


def courier_callback_receive(*, headers: dict[str, str], body: bytes) -> Response:
    """Handle one POST to the courier callback endpoint; return the (status, JSON) the courier expects.

    Call it outside any transaction. The raw callback is stored first (kept whatever happens next); the
    signature is verified before anything of the body is read; the shipment must exist and the waybill
    match. Applied at most once per event id: a duplicate or replayed update gets the success answer,
    changes nothing and is audited ``courier.callback_duplicate`` (code fulfilment.callback_duplicate).
    Rejected (signature, malformed, unknown shipment, mismatch): outcome ``rejected`` with
    the code, audited ``courier.callback_rejected``, the courier's failure answer. A crash while applying
    rolls back (outcome ``failed``, 500: the courier retries).
    """
    note = _store(headers, body)
    provider = courier()
    if len(body) > MAX_BODY_BYTES:
        return _reject(note, FulfilmentError.CALLBACK_MALFORMED, "body too large")
    try:
        event = provider.parse_callback(headers, body)
    except InvalidSignature as exc:
        return _reject(note, FulfilmentError.CALLBACK_SIGNATURE, str(exc))
    except MalformedCallback as exc:
        CourierCallback.objects.filter(pk=note.pk).update(signature_valid=True)
        return _reject(note, FulfilmentError.CALLBACK_MALFORMED, str(exc))
    CourierCallback.objects.filter(pk=note.pk).update(
        signature_valid=True, event_id=event.event_id[:64], waybill_no=event.waybill_no[:30], body=_text(body)
    )
    try:
        outcome = _apply(note=note, event=event)
    except DomainError as error:
        return _reject(note, error.error, error.message)
    except Exception as exc:
        logger.exception("courier callback %s could not be applied", note.public_id)
        CourierCallback.objects.filter(pk=note.pk).update(
            outcome=Outcome.FAILED, error=f"{type(exc).__name__}: {exc}"[:300]
        )
        return provider.failure_response("internal error", status=500)
    CourierCallback.objects.filter(pk=note.pk).update(outcome=outcome)
    return provider.success_response()


def _text(body: bytes) -> str:
    return body.decode("utf-8", errors="replace").replace("\x00", "\ufffd")


def _store(headers: dict[str, str], body: bytes) -> CourierCallback:
    kept = _text(body[:STORED_UNVERIFIED_BYTES])
    if len(body) > STORED_UNVERIFIED_BYTES:
        kept += f"\n…[{len(body)} bytes, sha256 {hashlib.sha256(body).hexdigest()}]"
    with transaction.atomic():
        return CourierCallback.objects.create(
            received_at=now(),
            headers={name: value for name, value in headers.items() if name.lower() not in UNSTORED_HEADERS},
            body=kept,
        )


def _reject(note: CourierCallback, error: ErrorCode, detail: str = "") -> Response:
    with transaction.atomic():
        CourierCallback.objects.filter(pk=note.pk).update(
            outcome=Outcome.REJECTED, error=f"{error.code}: {detail}"[:300]
        )
        record(
            actor=courier_actor(),
            action="courier.callback_rejected",
            target_type="courier_callback",
            target_id=str(note.public_id),
            details={"code": error.code, "detail": detail[:200]},
        )
    logger.warning("courier callback %s rejected: %s %s", note.public_id, error.code, detail)
    return courier().failure_response(str(error.message), status=error.status)


@transaction.atomic
def _apply(*, note: CourierCallback, event: CourierEvent) -> str:
    """Record the update once and move the shipment forward; raise DomainError (changing nothing) to reject."""
    shipment = Shipment.objects.filter(order_no=event.order_no).first()
    if shipment is None:
        raise DomainError(FulfilmentError.CALLBACK_UNKNOWN)
    if shipment.waybill_no and shipment.waybill_no != event.waybill_no:
        raise DomainError(FulfilmentError.CALLBACK_MISMATCH)
    try:
        with transaction.atomic():  # a savepoint: the duplicate's failed insert must not end the transaction
            TrackingEvent.objects.create(
                shipment=shipment,
                event_id=event.event_id,
                status=event.status,
                occurred_at=event.occurred_at,
                description=event.description,
                location=event.location,
            )
    except IntegrityError:
        # A repeat or a replay of an update already applied: answered as a success (else the courier retries
        # for ever), changing nothing, and kept in the trail with its code.
        record(
            actor=courier_actor(),
            action="courier.callback_duplicate",
            target_type="shipment",
            target_id=str(shipment.public_id),
            details={"code": FulfilmentError.CALLBACK_DUPLICATE.code, "event_id": event.event_id},
        )
        return Outcome.DUPLICATE
    if not shipment.waybill_no:
        Shipment.objects.filter(pk=shipment.pk, waybill_no="").update(waybill_no=event.waybill_no)
    moved_from = _advance(shipment, event.status)
    record(
        actor=courier_actor(),
        action=f"shipment.{event.status}",
        target_type="shipment",
        target_id=str(shipment.public_id),
        details={"event_id": event.event_id, "waybill_no": event.waybill_no, "moved_from": moved_from or ""},
    )
    if moved_from is not None:
        shipment.refresh_from_db()
        shipment_moved(shipment=shipment, status=event.status, actor=courier_actor())
    return Outcome.APPLIED


def _advance(shipment: Shipment, status: str) -> str | None:
    """Move the shipment to ``status`` if that is forward; the state it left, or None (a late update)."""
    changes: dict[str, Any] = {"finished_at": now()} if status in FINAL_STATUSES else {}
    try:
        return transition(Shipment, pk=shipment.pk, to=status, transitions=Shipment.TRANSITIONS, **changes)
    except DomainError:
        return None

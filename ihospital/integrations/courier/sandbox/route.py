"""The sandbox courier's parcels and pushes: a shipment moves created → picked_up → in_transit →
delivered | failed by conditional UPDATEs, one step every COURIER_SANDBOX_STEP_SECONDS; each step is a
SandboxCourierEvent written in the same transaction and pushed (signed) after commit, retried on a
schedule until answered 2xx.

Body of a push::

    {"event_id": "…", "order_no": "…", "waybill_no": "SF…", "status": "in_transit",
     "occurred_at": "2026-12-07T18:02:11+08:00", "description": "快件运输中", "location": "上海转运中心"}
"""

from __future__ import annotations

import json
import logging
import secrets
import uuid
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from ihospital.core import http
from ihospital.core.time import local, now
from ihospital.integrations.courier import signing
from ihospital.integrations.courier.base import CourierError, ShipmentRequest
from ihospital.integrations.courier.sandbox import control
from ihospital.integrations.models import SandboxCourierEvent, SandboxShipment

logger = logging.getLogger(__name__)
State = SandboxShipment.State

NEXT = {State.CREATED: State.PICKED_UP, State.PICKED_UP: State.IN_TRANSIT, State.IN_TRANSIT: State.DELIVERED}
DESCRIPTIONS = {
    State.PICKED_UP: ("顺丰速运 已收取快件", "医院药房"),
    State.IN_TRANSIT: ("快件在运输途中", "上海转运中心"),
    State.DELIVERED: ("快件已签收，签收人：本人", "收件地址"),
    State.FAILED: ("派送不成功：收件人电话无人接听，快件退回", "派送网点"),
}
RETRY_SECONDS = (5, 15, 30, 60, 300, 900, 1800)  # after each failed push; then the courier gives up
SUCCESS_STATUSES = (200, 204)


def _waybill() -> str:
    return f"SF{secrets.randbelow(10**13):013d}"


def shipment_open(request: ShipmentRequest) -> SandboxShipment:
    """Accept a shipment, or find it again by ``order_no`` (the same order twice is one parcel)."""
    if not request.order_no or not request.recipient.phone or not request.recipient.detail:
        raise CourierError(
            "missing order number, recipient phone or address", code=CourierError.INVALID_REQUEST, permanent=True
        )
    existing = SandboxShipment.objects.filter(order_no=request.order_no).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            shipment = SandboxShipment.objects.create(
                order_no=request.order_no,
                waybill_no=_waybill(),
                recipient_name=request.recipient.name[:50],
                recipient_phone=request.recipient.phone[:20],
                recipient_region=request.recipient.region[:100],
                recipient_detail=request.recipient.detail[:200],
                sender_name=request.sender.name[:100],
                description=request.description[:200],
                callback_url=request.callback_url,
                fail_delivery=control.take("fail"),
            )
            _advance_later(shipment.pk)
    except IntegrityError:  # the same order placed twice at once: one parcel
        return SandboxShipment.objects.get(order_no=request.order_no)
    return shipment


def _advance_later(shipment_pk: int) -> None:
    from ihospital.integrations.courier.sandbox import tasks  # the task module imports this one

    delay = settings.COURIER_SANDBOX_STEP_SECONDS
    transaction.on_commit(lambda: tasks.sandbox_courier_advance.schedule(args=(shipment_pk,), delay=delay))


def _push_later(event_pk: int) -> None:
    from ihospital.integrations.courier.sandbox import tasks

    transaction.on_commit(lambda: tasks.sandbox_courier_push(event_pk))


def event_body(shipment: SandboxShipment, state: str) -> dict[str, Any]:
    description, location = DESCRIPTIONS[state]  # type: ignore[index]
    return {
        "event_id": str(uuid.uuid4()),
        "order_no": shipment.order_no,
        "waybill_no": shipment.waybill_no,
        "status": state,
        "occurred_at": local(now()).isoformat(timespec="seconds"),
        "description": description,
        "location": location,
    }


def advance(shipment_pk: int) -> SandboxCourierEvent | None:
    """Move the parcel one step on (the last step fails if its delivery was armed to fail) and owe the
    merchant a push of it; None when it had already arrived or failed (or another worker moved it)."""
    with transaction.atomic():
        shipment = SandboxShipment.objects.get(pk=shipment_pk)
        target = NEXT.get(shipment.state)  # type: ignore[call-overload]
        if target is None:
            return None
        if target == State.DELIVERED and shipment.fail_delivery:
            target = State.FAILED
        if not SandboxShipment.objects.filter(pk=shipment.pk, state=shipment.state).update(state=target):
            return None
        body = event_body(shipment, target)
        event = SandboxCourierEvent.objects.create(
            shipment=shipment,
            event_id=body["event_id"],
            tracking_status=target,
            body=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        )
        _push_later(event.pk)
        if target in NEXT:
            _advance_later(shipment.pk)
    return event


def arm_failure(waybill_no: str) -> bool:
    """Make this parcel's delivery fail (the developer page's button); False if it already arrived."""
    return bool(
        SandboxShipment.objects.filter(waybill_no=waybill_no)
        .exclude(state__in=(State.DELIVERED, State.FAILED))
        .update(fail_delivery=True)
    )


def replay(event_pk: int) -> None:
    """Push an already-delivered update again, freshly signed: what a courier does when it never saw our
    answer. The merchant must apply it once."""
    SandboxCourierEvent.objects.filter(pk=event_pk).update(status=SandboxCourierEvent.Status.PENDING)
    from ihospital.integrations.courier.sandbox import tasks

    tasks.sandbox_courier_push(event_pk)


def event_bodies(waybill_no: str) -> list[str]:
    shipment = SandboxShipment.objects.filter(waybill_no=waybill_no).first()
    if shipment is None:
        raise CourierError("no such waybill", code=CourierError.NOT_FOUND, permanent=True)
    return list(shipment.events.order_by("created_at", "id").values_list("body", flat=True))


def _post(url: str, *, headers: dict[str, str], body: bytes) -> tuple[int, str]:
    client = http.Client(
        service="sandbox-courier",
        transport=settings.COURIER_SANDBOX_TRANSPORT,
        read_timeout=settings.COURIER_SANDBOX_TIMEOUT_SECONDS,
        attempts=1,
    )
    try:
        response = client.request("POST", url, headers={**headers, "Content-Type": "application/json"}, content=body)
    except http.HttpError as error:
        if error.response is None:
            return 0, str(error)[:200]
        return error.response.status_code, error.response.text[:200]
    return response.status_code, response.text[:200]


def _corrupted(body: bytes) -> bytes:
    """What a meddling proxy might do after signing: claim the parcel was delivered."""
    data = json.loads(body)
    data["status"] = "delivered"
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def push(event_pk: int) -> float | None:
    """One delivery attempt of a push; return seconds until the next attempt, or None when done."""
    event = SandboxCourierEvent.objects.select_related("shipment").get(pk=event_pk)
    if event.status != SandboxCourierEvent.Status.PENDING:
        return None
    body = event.body.encode()
    headers = signing.signed_headers(settings.COURIER_SECRET, body)
    if control.take("corrupt"):
        body = _corrupted(body)
    answers = [_post(event.shipment.callback_url, headers=headers, body=body)]
    if control.take("duplicate"):
        answers.append(_post(event.shipment.callback_url, headers=headers, body=body))
    delivered = any(status in SUCCESS_STATUSES for status, _text in answers)
    attempts = event.attempts + 1
    status, text = answers[-1]
    changes: dict[str, Any] = {"attempts": F("attempts") + 1, "last_answer": f"{status} {text}"[:200]}
    delay = None
    if delivered:
        changes["status"] = SandboxCourierEvent.Status.DELIVERED
    elif attempts > len(RETRY_SECONDS):
        changes["status"] = SandboxCourierEvent.Status.GAVE_UP
        logger.error("sandbox courier: gave up pushing %s after %d attempts", event.event_id, attempts)
    else:
        delay = RETRY_SECONDS[attempts - 1] * settings.COURIER_SANDBOX_RETRY_FACTOR
    SandboxCourierEvent.objects.filter(pk=event.pk).update(**changes)
    return delay

"""The courier sandbox behind ``base.Courier``: what fulfilment calls while COURIER_PROVIDER names it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.conf import settings

from ihospital.integrations.courier import signing
from ihospital.integrations.courier.base import (
    TRACKING_STATUSES,
    MalformedCallback,
    Response,
    Shipment,
    ShipmentRequest,
    TrackingEvent,
)
from ihospital.integrations.courier.sandbox import route


class SandboxCourier:
    name = "sandbox"

    def create_shipment(self, request: ShipmentRequest) -> Shipment:
        shipment = route.shipment_open(request)
        return Shipment(order_no=shipment.order_no, waybill_no=shipment.waybill_no)

    def query_shipment(self, waybill_no: str) -> tuple[TrackingEvent, ...]:
        return tuple(event_of(json.loads(body)) for body in route.event_bodies(waybill_no))

    def parse_callback(self, headers: dict[str, str], body: bytes) -> TrackingEvent:
        signing.verify(settings.COURIER_SECRET, headers=headers, body=body)
        try:
            return event_of(json.loads(body))
        except (ValueError, KeyError, TypeError) as exc:
            raise MalformedCallback(f"not a courier route update: {exc}") from None

    def success_response(self) -> Response:
        return 200, {"success": True, "errorCode": "S0000"}

    def failure_response(self, message: str, *, status: int = 400) -> Response:
        return status, {"success": False, "errorCode": "E1000", "errorMsg": message}


def event_of(data: dict[str, Any]) -> TrackingEvent:
    status = data["status"]
    if status not in TRACKING_STATUSES:
        raise ValueError(f"unknown status {status!r}")
    occurred_at = datetime.fromisoformat(data["occurred_at"])
    if occurred_at.tzinfo is None:
        raise ValueError("occurred_at without a time zone")
    return TrackingEvent(
        event_id=str(data["event_id"]),
        order_no=str(data["order_no"]),
        waybill_no=str(data["waybill_no"]),
        status=status,
        occurred_at=occurred_at,
        description=str(data.get("description", ""))[:200],
        location=str(data.get("location", ""))[:100],
    )

"""The courier interface every adapter implements (SF Express, JD Logistics, EMS, the sandbox).

Fulfilment speaks to a courier only through these dataclasses; adapters never see an ORM object and
import nothing but ``ihospital.core``. Times are aware datetimes.

How the couriers Chinese hospitals use look, and how that maps here:

    create_shipment  an order placed with our order number (SF's ``orderId``, JD's ``orderNo``) as the
                     idempotency key — the same number again returns the same waybill (SF's ``mailno``)
                     — with sender, recipient, parcel description and the URL the courier pushes route
                     updates to. Refusals (address out of range, bad phone) are permanent errors.
    query_shipment   the route so far, for a shipment whose pushes were lost.
    parse_callback   a route push (SF ``RoutePushService``: ``msgData`` with a digest over the body and a
                     shared ``checkWord``): the signature is verified FIRST, then the body parsed.

The sandbox signs its pushes with HMAC-SHA256 under the shared secret (``signing.py``) over timestamp,
nonce and body, bounded in time like the payment notifications; a real adapter swaps in its vendor's
digest behind the same ``parse_callback``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from ihospital.core.outbox import DeliveryError

TrackingStatus = Literal["picked_up", "in_transit", "delivered", "failed"]
TRACKING_STATUSES: tuple[str, ...] = ("picked_up", "in_transit", "delivered", "failed")
FINAL_STATUSES: tuple[str, ...] = ("delivered", "failed")
Response = tuple[int, dict[str, Any] | None]


@dataclass(frozen=True)
class Address:
    name: str
    phone: str
    region: str  # 省/市/区
    detail: str


@dataclass(frozen=True)
class ShipmentRequest:
    order_no: str  # ours; the courier de-duplicates on it
    sender: Address
    recipient: Address
    description: str  # what the parcel holds, as the waybill prints it
    callback_url: str


@dataclass(frozen=True)
class Shipment:
    order_no: str
    waybill_no: str


@dataclass(frozen=True)
class TrackingEvent:
    """One route update: ``event_id`` is the courier's id of this update (a repeat carries the same id)."""

    event_id: str
    order_no: str
    waybill_no: str
    status: TrackingStatus
    occurred_at: datetime
    description: str = ""
    location: str = ""


class CourierError(DeliveryError):
    """A courier call failed. Transient by default; ``permanent=True`` when retrying can't help."""

    INVALID_REQUEST = "invalid_request"
    NOT_FOUND = "not_found"
    UNAVAILABLE = "unavailable"

    def __init__(self, message: str, *, code: str = UNAVAILABLE, permanent: bool = False) -> None:
        super().__init__(message, permanent=permanent)
        self.code = code


class InvalidSignature(Exception):
    """The callback is not provably from the courier (missing, wrong, stale or altered)."""


class MalformedCallback(ValueError):
    """Correctly signed but not a route update this interface understands."""


class Courier(Protocol):
    name: str

    def create_shipment(self, request: ShipmentRequest) -> Shipment:
        """Idempotent on ``order_no``: the same order again returns the same waybill."""

    def query_shipment(self, waybill_no: str) -> tuple[TrackingEvent, ...]: ...

    def parse_callback(self, headers: dict[str, str], body: bytes) -> TrackingEvent:
        """Verify the signature FIRST and raise InvalidSignature before reading anything of the body;
        then parse it (MalformedCallback if it isn't understood)."""

    def success_response(self) -> Response: ...

    def failure_response(self, message: str, *, status: int = 400) -> Response: ...

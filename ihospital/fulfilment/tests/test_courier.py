"""The courier sandbox and our callback endpoint: a parcel placed through the outbox gets a waybill, then
signed route updates arrive — picked up, in transit, delivered, or a failed delivery on demand — each
applied once however often it is pushed; forged, altered, stale and unknown updates are refused with a
code, stored and audited, and change nothing."""

from __future__ import annotations

import json

import pytest

from ihospital.audit.models import AuditEvent
from ihospital.core.models import OutboxMessage
from ihospital.fulfilment.models import CourierCallback, Shipment, TrackingEvent
from ihospital.fulfilment.services.shipping import shipment_open
from ihospital.integrations.courier import signing
from ihospital.integrations.courier.sandbox import control, route
from ihospital.integrations.models import SandboxCourierEvent, SandboxShipment

pytestmark = pytest.mark.django_db
CALLBACK = "/fulfilment/courier/callback/"


@pytest.fixture
def placed(alice_address, commit):
    with commit():
        shipment = shipment_open(order_no="RX-TEST-1", address=alice_address)
    shipment.refresh_from_db()
    return shipment


def advance(shipment: Shipment, commit) -> None:
    with commit():
        route.advance(SandboxShipment.objects.get(order_no=shipment.order_no).pk)
    shipment.refresh_from_db()


def test_a_placed_parcel_gets_a_waybill_and_the_sandbox_keeps_a_copy_of_the_address(placed):
    parcel = SandboxShipment.objects.get(order_no="RX-TEST-1")
    assert placed.status == Shipment.Status.CREATED and placed.waybill_no == parcel.waybill_no
    assert parcel.waybill_no.startswith("SF") and parcel.recipient_phone == "13800000001"
    assert "宛平南路" in parcel.recipient_detail and parcel.callback_url == "http://testserver" + CALLBACK
    assert OutboxMessage.objects.get(topic="fulfilment.courier_ship").status == OutboxMessage.Status.SENT


def test_the_parcel_is_picked_up_carried_and_delivered_each_update_applied_and_audited(placed, commit):
    for expected in ("picked_up", "in_transit", "delivered"):
        advance(placed, commit)
        assert placed.status == expected
    assert list(placed.events.values_list("status", flat=True)) == ["picked_up", "in_transit", "delivered"]
    assert placed.finished_at is not None
    assert set(CourierCallback.objects.values_list("outcome", flat=True)) == {CourierCallback.Outcome.APPLIED}
    assert AuditEvent.objects.filter(action="shipment.delivered", target_id=str(placed.public_id)).exists()
    assert route.advance(SandboxShipment.objects.get(order_no="RX-TEST-1").pk) is None  # the route is over


def test_a_failed_delivery_on_demand_ends_the_route_failed(alice_address, commit):
    control.fault_next("fail")
    with commit():
        shipment = shipment_open(order_no="RX-TEST-2", address=alice_address)
    for _step in range(3):
        advance(shipment, commit)
    assert shipment.status == Shipment.Status.FAILED
    assert list(shipment.events.values_list("status", flat=True)) == ["picked_up", "in_transit", "failed"]


def test_the_whole_route_runs_by_itself_when_steps_have_no_delay(alice_address, commit, settings):
    settings.COURIER_SANDBOX_STEP_SECONDS = 0
    with commit():
        shipment = shipment_open(order_no="RX-TEST-3", address=alice_address)
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.DELIVERED and shipment.events.count() == 3


def test_a_duplicate_push_is_applied_once(placed, commit):
    control.fault_next("duplicate")
    advance(placed, commit)
    assert CourierCallback.objects.filter(outcome=CourierCallback.Outcome.DUPLICATE).count() == 1
    assert TrackingEvent.objects.filter(shipment=placed).count() == 1
    assert AuditEvent.objects.filter(action="shipment.picked_up").count() == 1
    duplicate = AuditEvent.objects.get(action="courier.callback_duplicate")
    assert duplicate.details["code"] == "fulfilment.callback_duplicate"


def test_a_replayed_update_freshly_signed_is_applied_once(placed, commit):
    advance(placed, commit)
    advance(placed, commit)
    first = SandboxCourierEvent.objects.get(tracking_status="picked_up")
    with commit():
        route.replay(first.pk)
    assert placed.events.count() == 2 and placed.status == Shipment.Status.IN_TRANSIT  # not moved back
    assert CourierCallback.objects.filter(outcome=CourierCallback.Outcome.DUPLICATE).count() == 1


def test_a_body_altered_after_signing_is_refused_coded_and_audited_and_the_courier_retries(placed, commit):
    control.fault_next("corrupt")  # the altered body claims "delivered"
    advance(placed, commit)
    refused = CourierCallback.objects.get(outcome=CourierCallback.Outcome.REJECTED)
    assert refused.error.startswith("fulfilment.callback_signature_invalid") and not refused.signature_valid
    audit = AuditEvent.objects.get(action="courier.callback_rejected")
    assert audit.details["code"] == "fulfilment.callback_signature_invalid"
    # The courier saw a 401 and pushed again (retries are immediate in tests): the genuine update landed.
    assert placed.status == Shipment.Status.PICKED_UP
    assert SandboxCourierEvent.objects.get().status == SandboxCourierEvent.Status.DELIVERED


def _post(client, body: dict, *, secret: str = "test-courier-secret", headers: dict | None = None):
    raw = json.dumps(body).encode()
    signed = headers if headers is not None else signing.signed_headers(secret, raw)
    return client.post(CALLBACK, data=raw, content_type="application/json", headers=signed)


def _update(shipment: Shipment, **changes) -> dict:
    body = {
        "event_id": "ev-1",
        "order_no": shipment.order_no,
        "waybill_no": shipment.waybill_no,
        "status": "delivered",
        "occurred_at": "2026-12-07T18:00:00+08:00",
    }
    return {**body, **changes}


def test_an_update_signed_with_another_secret_is_refused_and_changes_nothing(placed, client):
    answer = _post(client, _update(placed), secret="not-the-secret")
    assert answer.status_code == 401 and answer.json()["success"] is False
    placed.refresh_from_db()
    assert placed.status == Shipment.Status.CREATED and not placed.events.exists()


def test_an_update_without_signature_or_with_a_stale_timestamp_is_refused(placed, client):
    assert _post(client, _update(placed), headers={}).status_code == 401
    raw = json.dumps(_update(placed)).encode()
    old = {"X-Courier-Timestamp": "1700000000", "X-Courier-Nonce": "n1"}
    old["X-Courier-Signature"] = signing.sign("test-courier-secret", timestamp="1700000000", nonce="n1", body=raw)
    assert client.post(CALLBACK, data=raw, content_type="application/json", headers=old).status_code == 401
    assert CourierCallback.objects.filter(outcome=CourierCallback.Outcome.REJECTED).count() == 2


def test_a_signed_update_for_an_unknown_order_or_another_waybill_is_refused(placed, client):
    assert _post(client, _update(placed, order_no="RX-NOPE")).status_code == 404
    assert _post(client, _update(placed, waybill_no="SF0000000000000")).status_code == 409
    codes = sorted(e.details["code"] for e in AuditEvent.objects.filter(action="courier.callback_rejected"))
    assert codes == ["fulfilment.callback_mismatch", "fulfilment.callback_unknown_shipment"]


def test_a_signed_update_that_is_not_a_route_update_is_malformed(placed, client):
    answer = _post(client, _update(placed, status="teleported"))
    assert answer.status_code == 400
    assert CourierCallback.objects.get().error.startswith("fulfilment.callback_malformed")


def test_a_late_update_never_moves_a_shipment_backwards(placed, client):
    assert _post(client, _update(placed, event_id="ev-d", status="delivered")).status_code == 200
    assert _post(client, _update(placed, event_id="ev-t", status="in_transit")).status_code == 200
    placed.refresh_from_db()
    assert placed.status == Shipment.Status.DELIVERED and placed.events.count() == 2

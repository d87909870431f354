"""The courier sandbox's developer page: only with DEV_INBOX_ENABLED; it moves a parcel on, fails its
delivery, pushes an update again and arms faults."""

from __future__ import annotations

import pytest

from ihospital.fulfilment.models import Shipment
from ihospital.fulfilment.services.shipping import shipment_open
from ihospital.integrations.courier.sandbox import control
from ihospital.integrations.models import SandboxShipment

pytestmark = pytest.mark.django_db


def test_the_page_is_hidden_unless_the_developer_inbox_is_on(client, settings):
    settings.DEV_INBOX_ENABLED = False
    assert client.get("/sandbox/courier/").status_code == 404


def test_the_page_moves_a_parcel_fails_its_delivery_and_arms_faults(client, settings, alice_address, commit):
    settings.DEV_INBOX_ENABLED = True
    with commit():
        shipment = shipment_open(order_no="RX-PAGE-1", address=alice_address)
    parcel = SandboxShipment.objects.get()
    assert parcel.waybill_no in client.get("/sandbox/courier/").content.decode()
    with commit():
        client.post("/sandbox/courier/", {"action": "advance", "waybill": parcel.waybill_no})
    client.post("/sandbox/courier/", {"action": "fail", "waybill": parcel.waybill_no})
    with commit():
        client.post("/sandbox/courier/", {"action": "advance", "waybill": parcel.waybill_no})
        client.post("/sandbox/courier/", {"action": "advance", "waybill": parcel.waybill_no})
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.FAILED
    client.post("/sandbox/courier/", {"action": "fault", "mode": "duplicate", "count": "2"})
    assert control.pending() == {"duplicate": 2}

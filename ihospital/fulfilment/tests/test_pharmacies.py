"""Pickup pharmacies come from the HIS's pharmacy list, with address and hours; one the HIS stops listing
for pickup is no longer offered."""

from __future__ import annotations

import pytest

from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.fulfilment import selectors
from ihospital.fulfilment.models import Pharmacy
from ihospital.fulfilment.services.pharmacies import pharmacies_sync

pytestmark = pytest.mark.django_db


def test_pharmacies_are_synchronised_from_the_his():
    assert pharmacies_sync(actor=Actor.system()) == 3
    offered = list(selectors.pickup_pharmacies())
    assert [p.his_code for p in offered] == ["YF01", "YF03"]
    assert all(p.address and p.hours for p in offered)
    assert Pharmacy.objects.get(his_code="YF02").pickup is False
    assert AuditEvent.objects.filter(action="pharmacy.synced").exists()


def test_a_pharmacy_the_his_no_longer_lists_stops_being_offered():
    Pharmacy.objects.create(his_code="YF09", name="旧药房", address="已搬迁", hours="-")
    pharmacies_sync(actor=Actor.system())
    pharmacies_sync(actor=Actor.system())  # twice: still one row per pharmacy
    assert Pharmacy.objects.count() == 4 and not Pharmacy.objects.get(his_code="YF09").pickup

"""Reads of fulfilment. ``access_*`` fetch and authorise: a patient reaches only their own addresses
(anyone else's is 404, as if it did not exist)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404

from ihospital.fulfilment.models import Address, Pharmacy


def addresses_of(*, user: Any) -> QuerySet[Address]:
    return Address.objects.filter(account=user, retired_at__isnull=True)


def access_address(*, user: Any, public_id: UUID | str) -> Address:
    address = addresses_of(user=user).filter(public_id=public_id).first()
    if address is None:
        raise Http404
    return address


def pickup_pharmacies() -> QuerySet[Pharmacy]:
    return Pharmacy.objects.filter(pickup=True)


def access_pharmacy(*, public_id: UUID | str) -> Pharmacy:
    pharmacy = pickup_pharmacies().filter(public_id=public_id).first()
    if pharmacy is None:
        raise Http404
    return pharmacy

"""The hospital's pickup pharmacies, kept in step with the HIS's pharmacy list (药房字典)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from ihospital.audit.services import Actor, record
from ihospital.core.errors import DomainError
from ihospital.core.time import now
from ihospital.fulfilment.errors import FulfilmentError
from ihospital.fulfilment.models import Pharmacy
from ihospital.integrations import his
from ihospital.integrations.his import base


def pharmacies_sync(*, actor: Actor) -> int:
    """Read every pharmacy from the HIS (call it outside any transaction) and add or update ours by HIS
    code; a pharmacy the HIS no longer lists for pickup stops being offered. Returns how many were read.
    Errors: HisError when the HIS can't be reached (nothing changed). Audited ``pharmacy.synced``."""
    sites = his.client().pharmacies(base.PharmacyQuery(pickup_only=False)).pharmacies
    with transaction.atomic():
        for site in sites:
            Pharmacy.objects.update_or_create(
                his_code=site.code,
                defaults={
                    "name": site.name[:60],
                    "address": site.address[:120],
                    "hours": site.hours[:100],
                    "phone": site.phone[:30],
                    "pickup": site.pickup,
                    "synced_at": now(),
                },
            )
        Pharmacy.objects.exclude(his_code__in=[site.code for site in sites]).update(pickup=False)
        record(actor=actor, action="pharmacy.synced", target_type="pharmacy", details={"count": len(sites)})
    return len(sites)


def delivery_pharmacy() -> Pharmacy:
    """The pharmacy that dispenses prescriptions for delivery (settings.FULFILMENT_DELIVERY_PHARMACY).
    Errors: fulfilment.pharmacy_unavailable when it is not (yet) synchronised from the HIS."""
    pharmacy = Pharmacy.objects.filter(his_code=settings.FULFILMENT_DELIVERY_PHARMACY).first()
    if pharmacy is None:
        raise DomainError(FulfilmentError.PHARMACY_CLOSED)
    return pharmacy

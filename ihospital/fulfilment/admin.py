"""Back office for fulfilment, read-only: pharmacies come from the HIS (``pharmacies_sync``), courier
callbacks are the raw record of what the courier (or anyone) posted."""

from django.contrib import admin

from ihospital.core.admin_roles import RoleAdmin
from ihospital.fulfilment.models import CourierCallback, Pharmacy


class ReadOnly(RoleAdmin):
    view_roles = frozenset({"hospital_admin", "auditor"})
    change_roles: frozenset[str] = frozenset()
    can_add = False

    def get_actions(self, request):
        return {}


@admin.register(Pharmacy)
class PharmacyAdmin(ReadOnly):
    list_display = ("his_code", "name", "address", "hours", "pickup", "synced_at")


@admin.register(CourierCallback)
class CourierCallbackAdmin(ReadOnly):
    list_display = ("received_at", "waybill_no", "event_id", "signature_valid", "outcome", "error")
    list_filter = ("outcome", "signature_valid")

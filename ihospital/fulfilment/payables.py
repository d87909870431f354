"""The prescription's price as a payable: what payments calls when the money arrives or is refunded."""

from __future__ import annotations

from collections.abc import Collection

from django.db.models import Q

from ihospital.fulfilment.services.lifecycle import prescription_paid
from ihospital.prescriptions.models import Prescription


class PrescriptionPayable:
    def on_paid(self, *, payable_id: str, order_public_id: str) -> bool:
        """released → paid (compare-and-set, still within its validity) and the transfer to the HIS pharmacy.
        False when it expired or was voided first: payments then refunds the late payment in full."""
        return prescription_paid(prescription_public_id=payable_id, order_public_id=order_public_id)

    def unsold(self, *, payable_ids: Collection[str]) -> set[str]:
        """Prescriptions that will never be dispensed: expired, or voided."""
        ended = Q(status__in=(Prescription.Status.EXPIRED, Prescription.Status.VOID))
        found = Prescription.objects.filter(ended, public_id__in=list(payable_ids))
        return {str(public_id) for public_id in found.values_list("public_id", flat=True)}

    def on_refunded(self, *, payable_id: str, order_public_id: str, amount_fen: int, fully: bool) -> None:
        """Nothing to change: a refund follows a void (or a late payment), which already moved the state."""

"""The registration fee as a payable: what payments calls when the money arrives or is refunded."""

from __future__ import annotations

from collections.abc import Collection

from django.utils.translation import gettext_noop

from ihospital.appointments.models import Appointment
from ihospital.appointments.notify import notify_doctor_awaiting_review, notify_patient
from ihospital.appointments.services.his import his_register_enqueue, his_reverse_enqueue
from ihospital.audit.services import Actor, record
from ihospital.core.time import now
from ihospital.scheduling.models import Slot

SYSTEM = Actor.system("payments")


class RegistrationPayable:
    def on_paid(self, *, payable_id: str, order_public_id: str) -> bool:
        """pending_payment → requested and the held slot → booked. False when the hold already expired
        or the booking was cancelled: payments then refunds the late payment in full."""
        moved = Appointment.objects.filter(public_id=payable_id, status=Appointment.Status.PENDING_PAYMENT).update(
            status=Appointment.Status.REQUESTED, paid_at=now()
        )
        if not moved:
            return False
        appointment = Appointment.objects.select_related(
            "account", "visit_person", "slot", "schedule__doctor__user"
        ).get(public_id=payable_id)
        Slot.objects.filter(pk=appointment.slot_id, status=Slot.Status.HELD).update(status=Slot.Status.BOOKED)
        record(actor=SYSTEM, action="appointment.paid", target_type="appointment", target_id=payable_id)
        his_register_enqueue(appointment=appointment)
        notify_patient(
            appointment=appointment,
            event="paid",
            text=gettext_noop("[ihospital] Payment received. The doctor will review your request before the session."),
        )
        notify_doctor_awaiting_review(appointment=appointment)
        return True

    def unsold(self, *, payable_ids: Collection[str]) -> set[str]:
        """Bookings that ended without a visit the hospital owes: cancelled, declined or expired."""
        ended = (Appointment.Status.CANCELLED, Appointment.Status.REJECTED, Appointment.Status.EXPIRED)
        found = Appointment.objects.filter(public_id__in=list(payable_ids), status__in=ended)
        return {str(public_id) for public_id in found.values_list("public_id", flat=True)}

    def on_refunded(self, *, payable_id: str, order_public_id: str, amount_fen: int, fully: bool) -> None:
        if fully:
            Appointment.objects.filter(public_id=payable_id).update(refunded=True)
        his_reverse_enqueue(
            appointment_public_id=payable_id, order_public_id=order_public_id, amount_fen=amount_fen, fully=fully
        )

"""Outbox handlers: the booking's HIS writes (see ``services/his.py``). Each runs outside any transaction,
makes its HIS calls through the configured client (every write under a transaction id the HIS
de-duplicates on), then records the answers through a service. An ``HisError`` propagates: transient
ones are retried by the outbox with backoff, permanent ones park the message for an administrator."""

from __future__ import annotations

from typing import Any

from ihospital.accounts.models import VisitPerson
from ihospital.accounts.services import visit_person_his_link
from ihospital.appointments.models import Appointment
from ihospital.appointments.services.his import appointment_his_recorded, appointment_his_reversed
from ihospital.integrations import his
from ihospital.integrations.his import base
from ihospital.payments.models import PaymentOrder


def his_patient_id(person: VisitPerson) -> str:
    """The person's HIS patient id, matching or registering them (建档) first if need be."""
    if person.his_patient_id:
        return person.his_patient_id
    patient = his.client().find_or_register_patient(
        base.PatientQuery(
            id_number=person.resident_id_number(),
            name=person.name,
            sex=person.sex,
            birth_date=person.birth_date,
            phone=person.phone,
        )
    )
    visit_person_his_link(person=person, his_patient_id=patient.patient_id)
    return patient.patient_id


def match_from_outbox(payload: dict[str, Any], idempotency_key: str) -> None:
    his_patient_id(VisitPerson.objects.get(public_id=payload["visit_person"]))


def _appointment(public_id: str) -> Appointment:
    return Appointment.objects.select_related(
        "visit_person", "schedule__department", "schedule__doctor__user", "slot"
    ).get(public_id=public_id)


def register_from_outbox(payload: dict[str, Any], idempotency_key: str) -> None:
    appointment = _appointment(payload["appointment"])
    patient_id = his_patient_id(appointment.visit_person)
    schedule = appointment.schedule
    client = his.client()
    registration = client.register_visit(
        base.RegistrationRequest(
            transaction_id=f"GH-{appointment.public_id}",
            patient_id=patient_id,
            department_code=schedule.department.code,
            doctor_code=schedule.doctor.user.username,
            session_date=schedule.date,
            period=schedule.period,
            slot_number=appointment.slot.number,
            fee_fen=appointment.fee_fen,
            reference=str(appointment.public_id),
        )
    )
    receipt_no = ""
    if appointment.fee_fen and appointment.payment_order_public_id:
        order = PaymentOrder.objects.get(public_id=appointment.payment_order_public_id)
        receipt = client.charge(
            base.ChargeRequest(
                transaction_id=f"SF-{order.public_id}",
                patient_id=patient_id,
                amount_fen=order.amount_fen,
                channel=order.provider,
                trade_no=order.provider_txn_id,
                item="挂号费",
                reference=str(order.public_id),
                registration_no=registration.registration_no,
            )
        )
        receipt_no = receipt.receipt_no
    appointment_his_recorded(
        appointment=appointment, registration_no=registration.registration_no, receipt_no=receipt_no
    )


def reverse_from_outbox(payload: dict[str, Any], idempotency_key: str) -> None:
    appointment = _appointment(payload["appointment"])
    if appointment.paid_at is None:
        return  # a late payment refunded in full: the booking never reached the HIS
    if not appointment.his_registration_no:
        raise his.HisError("the booking is not written back to the HIS yet", code=his.HisError.UNAVAILABLE)
    client = his.client()
    cancelled = False
    if payload["fully"]:
        client.cancel_registration(
            base.CancelRegistrationRequest(
                transaction_id=f"TH-{appointment.public_id}",
                registration_no=appointment.his_registration_no,
                reason="online booking cancelled and refunded",
            )
        )
        cancelled = True
    refund_receipt_no = ""
    if appointment.his_receipt_no:
        refund = client.refund(
            base.RefundRequest(
                transaction_id=idempotency_key,
                receipt_no=appointment.his_receipt_no,
                amount_fen=payload["amount_fen"],
                reason="online refund",
                reference=payload["order"],
            )
        )
        refund_receipt_no = refund.receipt_no
    appointment_his_reversed(appointment=appointment, cancelled=cancelled, refund_receipt_no=refund_receipt_no)

"""Booking endpoints (patient API) and review endpoints (staff API). Thin: access → service → schema."""

from __future__ import annotations

from uuid import UUID

from django.http import JsonResponse
from ninja import File, Router, Status, UploadedFile

from ihospital.accounts.selectors import access_visit_person
from ihospital.appointments import selectors, services
from ihospital.appointments.schemas import (
    AcceptIn,
    AppointmentOut,
    AttachmentOut,
    BookingIn,
    CheckoutOut,
    RejectIn,
)
from ihospital.audit.services import Actor
from ihospital.core import idempotency
from ihospital.core.files.responses import private_file_response
from ihospital.scheduling.selectors import access_online_schedule


def _answer(status: int, body) -> JsonResponse:
    return JsonResponse(body, status=status, safe=False)


def _serve(request, attachment):
    extension = attachment.file.name.rsplit(".", 1)[-1]
    return private_file_response(
        request, attachment.file, content_type=attachment.content_type, filename=f"{attachment.public_id}.{extension}"
    )


def build_patient_router(auth) -> Router:
    router = Router(tags=["appointments"], auth=auth)

    @router.post("/appointments", response={201: AppointmentOut})
    def book(request, body: BookingIn):
        """Book a slot; it is held for payment for 15 minutes. Honours ``Idempotency-Key``."""
        actor = Actor.of(request.auth, request)

        def run():
            services.check_not_known_sold_out(body.schedule_id)  # a crowd on a sold-out schedule stops here
            schedule = access_online_schedule(body.schedule_id)
            services.check_bookable(schedule)  # a sold-out schedule answers before anything is written
            # Not recorded as a read: the booking's own audit entry names the person.
            person = access_visit_person(
                user=request.auth, public_id=body.visit_person_id, actor=actor, record_read=False
            )
            data = services.BookingInput(
                visit_person=person,
                schedule=schedule,
                complaint=body.complaint,
                prior_visit_date=body.prior_visit_date,
                prior_hospital=body.prior_hospital,
                prior_diagnosis=body.prior_diagnosis,
                slot_number=body.slot_number,
            )
            appointment = services.appointment_book(account=request.auth, data=data, actor=actor)
            shown = selectors.appointment_as_booked(appointment)
            return 201, AppointmentOut.from_orm(shown).model_dump(mode="json")

        return _answer(*idempotency.replay_or_run(request, endpoint="appointments.book", run=run))

    @router.post("/appointments/{appointment_id}/payment", response={201: CheckoutOut})
    def pay(request, appointment_id: UUID):
        """The payment page for a booking awaiting payment. Honours ``Idempotency-Key``."""
        actor = Actor.of(request.auth, request)

        def run():
            appointment = selectors.access_appointment(user=request.auth, public_id=appointment_id, actor=actor)
            return 201, {"pay_url": services.appointment_checkout(appointment=appointment, actor=actor)}

        return _answer(*idempotency.replay_or_run(request, endpoint="appointments.pay", run=run))

    @router.get("/appointments", response=list[AppointmentOut])
    def my_appointments(request):
        upcoming, past = selectors.split_upcoming_past(request.auth)
        return upcoming + past

    @router.get("/appointments/{appointment_id}", response=AppointmentOut)
    def my_appointment(request, appointment_id: UUID):
        return selectors.access_appointment(
            user=request.auth, public_id=appointment_id, actor=Actor.of(request.auth, request)
        )

    @router.post("/appointments/{appointment_id}/attachments", response={201: AttachmentOut})
    def attach(request, appointment_id: UUID, file: File[UploadedFile]):
        """Attach an image (JPEG/PNG/WebP) or PDF as evidence of the in-person diagnosis (max 9)."""
        actor = Actor.of(request.auth, request)
        appointment = selectors.access_appointment(user=request.auth, public_id=appointment_id, actor=actor)
        attachment = services.appointment_attach(
            appointment=appointment, name=file.name or "upload", data=file, actor=actor
        )
        return Status(201, attachment)

    @router.post("/appointments/{appointment_id}/cancel", response=AppointmentOut)
    def cancel(request, appointment_id: UUID):
        actor = Actor.of(request.auth, request)
        appointment = selectors.access_appointment(user=request.auth, public_id=appointment_id, actor=actor)
        services.appointment_cancel(account=request.auth, appointment=appointment, actor=actor)
        return selectors.access_appointment(user=request.auth, public_id=appointment_id, actor=actor)

    @router.get("/attachments/{attachment_id}")
    def attachment_file(request, attachment_id: UUID):
        return _serve(
            request,
            selectors.access_attachment(
                user=request.auth, public_id=attachment_id, actor=Actor.of(request.auth, request)
            ),
        )

    return router


def build_staff_router(auth) -> Router:
    router = Router(tags=["review"], auth=auth)

    @router.get("/review-queue", response=list[AppointmentOut])
    def review_queue(request):
        """Paid booking requests waiting for this doctor's decision."""
        return selectors.review_queue(request.auth)

    @router.get("/appointments/{appointment_id}", response=AppointmentOut)
    def appointment(request, appointment_id: UUID):
        return selectors.access_appointment_for_doctor(
            user=request.auth, public_id=appointment_id, actor=Actor.of(request.auth, request)
        )

    @router.post("/appointments/{appointment_id}/accept", response=AppointmentOut)
    def accept(request, appointment_id: UUID, body: AcceptIn):
        actor = Actor.of(request.auth, request)
        found = selectors.access_appointment_for_doctor(user=request.auth, public_id=appointment_id, actor=actor)
        return services.appointment_accept(
            doctor=request.auth,
            appointment=found,
            prior_diagnosis_confirmed=body.prior_diagnosis_confirmed,
            actor=actor,
        )

    @router.post("/appointments/{appointment_id}/reject", response=AppointmentOut)
    def reject(request, appointment_id: UUID, body: RejectIn):
        actor = Actor.of(request.auth, request)
        found = selectors.access_appointment_for_doctor(user=request.auth, public_id=appointment_id, actor=actor)
        return services.appointment_reject(doctor=request.auth, appointment=found, reason=body.reason, actor=actor)

    @router.get("/attachments/{attachment_id}")
    def attachment_file(request, attachment_id: UUID):
        return _serve(
            request,
            selectors.access_attachment(
                user=request.auth, public_id=attachment_id, actor=Actor.of(request.auth, request)
            ),
        )

    return router

"""Consultation endpoints for the patient app and the doctor's clients, beside the room's WebSocket
(which carries the live part: ring, queue position, chat, signalling). Thin: access → service → schema."""

from __future__ import annotations

from uuid import UUID

from ninja import Router, Status

from ihospital.appointments.selectors import access_appointment
from ihospital.audit.services import Actor
from ihospital.consultations import selectors, services
from ihospital.consultations.schemas import ConsultationOut, MessageIn, MessageOut, ReferIn


def _add_chat(router: Router, access) -> None:
    """The chat history and a text message, for either participant (``access`` fetches and authorises)."""

    @router.get("/consultations/{consultation_id}/messages", response=list[MessageOut])
    def messages(request, consultation_id: UUID):
        found = access(request, consultation_id)
        return [services.message_payload(m, found) for m in selectors.messages_of(found)]

    @router.post("/consultations/{consultation_id}/messages", response={201: MessageOut})
    def post_message(request, consultation_id: UUID, body: MessageIn):
        found = access(request, consultation_id)
        message = services.message_post(
            sender=request.auth, consultation=found, text=body.text, actor=Actor.of(request.auth, request)
        )
        return Status(201, services.message_payload(message, found))


def build_patient_router(auth) -> Router:
    router = Router(tags=["consultations"], auth=auth)

    def _mine(request, consultation_id: UUID):
        return selectors.access_consultation_for_patient(
            user=request.auth, public_id=consultation_id, actor=Actor.of(request.auth, request)
        )

    @router.post("/appointments/{appointment_id}/check-in", response={201: ConsultationOut})
    def check_in(request, appointment_id: UUID):
        """Enter the waiting room (opens 30 minutes before the slot). Repeating it returns the same place."""
        actor = Actor.of(request.auth, request)
        appointment = access_appointment(user=request.auth, public_id=appointment_id, actor=actor)
        return Status(201, services.consultation_check_in(patient=request.auth, appointment=appointment, actor=actor))

    @router.get("/consultations/{consultation_id}", response=ConsultationOut)
    def consultation(request, consultation_id: UUID):
        return _mine(request, consultation_id)

    @router.post("/consultations/{consultation_id}/answer", response=ConsultationOut)
    def answer(request, consultation_id: UUID):
        """Answer the doctor's call: the consultation starts."""
        found = _mine(request, consultation_id)
        return services.consultation_answer(
            patient=request.auth, consultation=found, actor=Actor.of(request.auth, request)
        )

    _add_chat(router, _mine)
    return router


def build_staff_router(auth) -> Router:
    router = Router(tags=["consultations"], auth=auth)

    def _mine(request, consultation_id: UUID):
        return selectors.access_consultation_for_doctor(
            user=request.auth, public_id=consultation_id, actor=Actor.of(request.auth, request)
        )

    @router.get("/desk/queue", response=list[ConsultationOut])
    def queue(request):
        """Checked-in patients in call order (waiting, being called, or who missed the call)."""
        return selectors.doctor_queue_positioned(request.auth)

    @router.post("/desk/call-next", response=ConsultationOut)
    def call_next(request):
        """Call the next patient. Needs an identity check (POST /identity/confirm) within 10 minutes."""
        return services.consultation_call(doctor=request.auth, actor=Actor.of(request.auth, request))

    @router.post("/consultations/{consultation_id}/call", response=ConsultationOut)
    def call(request, consultation_id: UUID):
        found = _mine(request, consultation_id)
        return services.consultation_call(
            doctor=request.auth, consultation=found, actor=Actor.of(request.auth, request)
        )

    @router.get("/consultations/{consultation_id}", response=ConsultationOut)
    def consultation(request, consultation_id: UUID):
        return _mine(request, consultation_id)

    @router.post("/consultations/{consultation_id}/complete", response=ConsultationOut)
    def complete(request, consultation_id: UUID):
        found = _mine(request, consultation_id)
        return services.consultation_complete(
            doctor=request.auth, consultation=found, actor=Actor.of(request.auth, request)
        )

    @router.post("/consultations/{consultation_id}/refer", response=ConsultationOut)
    def refer(request, consultation_id: UUID, body: ReferIn):
        """End the visit advising an in-person one, with the reason (the follow-up-only rule)."""
        found = _mine(request, consultation_id)
        return services.consultation_refer(
            doctor=request.auth, consultation=found, reason=body.reason, actor=Actor.of(request.auth, request)
        )

    @router.post("/consultations/{consultation_id}/no-show", response=ConsultationOut)
    def no_show(request, consultation_id: UUID):
        found = _mine(request, consultation_id)
        return services.consultation_mark_no_show(
            doctor=request.auth, consultation=found, actor=Actor.of(request.auth, request)
        )

    _add_chat(router, _mine)
    return router

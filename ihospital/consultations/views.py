"""Pages of the consultation: the patient's waiting room and room, the doctor's desk and room, file
endpoints for chat images and recordings, and the auditor's read-only view. Thin: access → service →
render."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ihospital.accounts.models import CLINICAL_ROLES, Role
from ihospital.appointments.selectors import access_appointment
from ihospital.audit.services import Actor
from ihospital.consultations import selectors, services
from ihospital.consultations.errors import ConsultationError
from ihospital.consultations.models import Consultation
from ihospital.consultations.services.history import his_history_copy_keep
from ihospital.core.errors import DomainError
from ihospital.core.files.responses import private_file_response
from ihospital.core.time import now
from ihospital.core.web import role_required
from ihospital.integrations import video
from ihospital.integrations.video.base import VideoError


def room_labels() -> dict[str, str]:
    """Texts the room script shows, in the reader's language."""
    return {
        "connecting": _("Connecting…"),
        "new": _("Connecting…"),
        "connected": _("Connected"),
        "disconnected": _("Connection unstable…"),
        "failed": _("Reconnecting…"),
        "reconnecting": _("Reconnecting…"),
        "closed": _("Ended"),
        "ended": _("Ended"),
        "noDevices": _("No camera or microphone: you can still hear, see and chat."),
        "offline": _("Not connected; the message was not sent."),
        "uploadFailed": _("The photo could not be sent."),
        "photo": _("Photo"),
    }


def doctor_status_labels() -> dict[str, str]:
    return {"online": _("Online"), "in_consultation": _("With another patient"), "away": _("Not online yet")}


def _actor(request) -> Actor:
    return Actor.of(request.user, request)


def _room_context(request, consultation: Consultation, *, role: str) -> dict:
    history = [services.message_payload(m, consultation) for m in selectors.messages_of(consultation)]
    return {
        "base_template": "web/staff_base.html" if role == "doctor" else "web/patient_base.html",
        "consultation": consultation,
        "appointment": consultation.appointment,
        "role": role,
        "history": history,
        "room_labels": room_labels(),
        "room_config": {
            "consultationId": str(consultation.public_id),
            "role": role,
            "socketPath": f"/ws/consultations/{consultation.public_id}/",
            "iceServers": video.provider().ice_servers(user_key=request.user.public_id.hex),
            "imageUploadUrl": reverse("consultations:image_upload", args=[consultation.public_id]),
            "recordingsUrl": reverse("consultations:recording_start", args=[consultation.public_id])
            if role == "doctor"
            else "",
            "maxChars": settings.CHAT_MAX_CHARS,
        },
    }


def _own_or_404(request, consultation_id, actor: Actor | None = None) -> Consultation:
    """The signed-in patient's or doctor's own consultation (pages are per role), else core.not_found (404)."""
    access = (
        selectors.access_consultation_for_doctor
        if request.user.role == Role.DOCTOR
        else selectors.access_consultation_for_patient
    )
    return access(user=request.user, public_id=consultation_id, actor=actor or _actor(request))


# --- Patient -----------------------------------------------------------------------------------------


@role_required(Role.PATIENT)
def waiting_room(request, appointment_id):
    """GET shows the waiting room (check-in button until checked in); POST checks in."""
    actor = _actor(request)
    appointment = access_appointment(user=request.user, public_id=appointment_id, actor=actor)
    if request.method == "POST":
        try:
            services.consultation_check_in(patient=request.user, appointment=appointment, actor=actor)
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("consultations:waiting_room", appointment_id=appointment_id)
    consultation = selectors.consultation_of_appointment(appointment)
    if consultation and consultation.status == Consultation.Status.IN_PROGRESS:
        return redirect("consultations:patient_room", consultation_id=consultation.public_id)
    opens, closes = services.check_in_window(appointment)
    return render(
        request,
        "consultations/waiting_room.html",
        {
            "appointment": appointment,
            "consultation": consultation,
            "check_in_opens": opens,
            "check_in_open": opens <= now() <= closes,
            "too_late": now() > closes,
            "call_answer_seconds": settings.CALL_ANSWER_SECONDS,
            "doctor_status_labels": doctor_status_labels(),
        },
    )


@role_required(Role.PATIENT)
@require_POST
def answer(request, consultation_id):
    actor = _actor(request)
    consultation = _own_or_404(request, consultation_id, actor)
    try:
        services.consultation_answer(patient=request.user, consultation=consultation, actor=actor)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("consultations:waiting_room", appointment_id=consultation.appointment.public_id)
    return redirect("consultations:patient_room", consultation_id=consultation_id)


@role_required(Role.PATIENT)
@require_POST
def decline(request, consultation_id):
    """Not now: the ring stops and the patient stays in the waiting room; the doctor may call again."""
    actor = _actor(request)
    consultation = _own_or_404(request, consultation_id, actor)
    try:
        services.consultation_decline(patient=request.user, consultation=consultation, actor=actor)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("consultations:waiting_room", appointment_id=consultation.appointment.public_id)


@role_required(Role.PATIENT)
def patient_room(request, consultation_id):
    consultation = _own_or_404(request, consultation_id)
    if consultation.status in (Consultation.Status.WAITING, Consultation.Status.CALLING, Consultation.Status.MISSED):
        return redirect("consultations:waiting_room", appointment_id=consultation.appointment.public_id)
    return render(request, "consultations/room.html", _room_context(request, consultation, role="patient"))


@role_required(Role.PATIENT, *CLINICAL_ROLES)
def device_check(request):
    back = request.GET.get("back", "")
    if not (back.startswith("/") and url_has_allowed_host_and_scheme(back, allowed_hosts=None)):
        back = ""  # only a page of this site: never javascript: or another host
    return render(request, "consultations/device_check.html", {"back": back})


# --- Doctor ------------------------------------------------------------------------------------------


def _by_local_day(appointments) -> list[tuple]:
    """(the hospital's date, its appointments) in order: a slot at 00:30 in Shanghai is that day's."""
    days: dict = {}
    for appointment in appointments:
        days.setdefault(timezone.localtime(appointment.slot.starts_at).date(), []).append(appointment)
    return list(days.items())


def _desk_context(request) -> dict:
    doctor = request.user
    today = timezone.localtime(now()).replace(hour=0, minute=0, second=0, microsecond=0)  # the hospital's day
    return {
        "queue": list(selectors.doctor_queue(doctor)),
        "in_progress": selectors.doctor_in_progress(doctor),
        "finished": list(selectors.doctor_finished_today(doctor, today)[:20]),
        "upcoming": _by_local_day(selectors.doctor_upcoming_accepted(doctor, today)),
        "upcoming_days": selectors.UPCOMING_DAYS,
        "call_answer_seconds": settings.CALL_ANSWER_SECONDS,
    }


@role_required(Role.DOCTOR)
def desk(request):
    return render(request, "consultations/desk.html", _desk_context(request))


@role_required(Role.DOCTOR)
@require_GET
def desk_queue(request):
    """The queue as a fragment, re-fetched by the desk page whenever its socket says it changed."""
    return render(request, "consultations/_desk_queue.html", _desk_context(request))


def _identity_redirect():
    target = reverse("accounts:confirm_identity") + "?" + urlencode({"next": reverse("consultations:desk")})
    return redirect(target)


@role_required(Role.DOCTOR)
@require_POST
def call(request, consultation_id=None):
    """Call the next patient (no id) or the chosen one."""
    actor = _actor(request)
    chosen = _own_or_404(request, consultation_id, actor) if consultation_id else None
    try:
        called = services.consultation_call(doctor=request.user, consultation=chosen, actor=actor)
    except DomainError as error:
        if error.code == ConsultationError.IDENTITY_CHECK_REQUIRED.code:
            messages.info(request, error.message)
            return _identity_redirect()
        messages.error(request, error.message)
        return redirect("consultations:desk")
    try:
        services.consultation_meeting_open(consultation=called)
    except VideoError as error:
        messages.warning(
            request,
            _("The video service did not answer (%(error)s); the built-in call still works.") % {"error": error},
        )
    messages.success(request, _("Calling %(name)s…") % {"name": called.appointment.visit_person.name})
    return redirect("consultations:desk")


@role_required(Role.DOCTOR)
@require_POST
def mark_no_show(request, consultation_id):
    actor = _actor(request)
    consultation = _own_or_404(request, consultation_id, actor)  # another doctor's: 404, as on every page
    try:
        services.consultation_mark_no_show(doctor=request.user, consultation=consultation, actor=actor)
        messages.success(request, _("Marked as not attended."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("consultations:desk")


@role_required(Role.DOCTOR)
def doctor_room(request, consultation_id):
    consultation = _own_or_404(request, consultation_id)
    context = _room_context(request, consultation, role="doctor")
    context["recordings"] = list(consultation.recordings.filter(assembled_at__isnull=False))
    context["attachments"] = list(consultation.appointment.attachments.all())
    return render(request, "consultations/room.html", context)


@role_required(Role.DOCTOR)
@require_POST
def end(request, consultation_id):
    """Complete the visit, or end it referring the patient to an in-person clinic (with a reason)."""
    actor = _actor(request)
    consultation = _own_or_404(request, consultation_id, actor)
    try:
        if request.POST.get("outcome") == "refer":
            services.consultation_refer(
                doctor=request.user, consultation=consultation, reason=request.POST.get("reason", ""), actor=actor
            )
            messages.success(request, _("Visit ended; the patient was advised to come in person."))
        else:
            services.consultation_complete(doctor=request.user, consultation=consultation, actor=actor)
            messages.success(request, _("Consultation completed."))
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("consultations:doctor_room", consultation_id=consultation_id)
    return redirect("consultations:desk")


# --- Recording (the doctor's browser) ---------------------------------------------------------------


def _json_error(error: DomainError) -> JsonResponse:
    return JsonResponse(error.as_dict(), status=error.status)


@role_required(Role.DOCTOR)
@require_POST
def recording_start(request, consultation_id):
    actor = _actor(request)
    consultation = _own_or_404(request, consultation_id, actor)
    try:
        body = json.loads(request.body or b"{}")
        mime_type = body.get("mimeType", "") if isinstance(body, dict) else ""
        recording = services.recording_start(
            doctor=request.user, consultation=consultation, mime_type=mime_type, actor=actor
        )
    except ValueError:
        return HttpResponseBadRequest()
    except DomainError as error:
        return _json_error(error)
    return JsonResponse(
        {
            "id": str(recording.public_id),
            # The browser appends the chunk's number and "/" (…/chunks/<seq>/).
            "chunkUrl": reverse("consultations:recording_start", args=[consultation.public_id])
            + f"{recording.public_id}/chunks/",
            "finishUrl": reverse("consultations:recording_finish", args=[consultation.public_id, recording.public_id]),
        },
        status=201,
    )


def _doctor_recording(request, consultation_id, recording_id):
    consultation = selectors.access_consultation_for_doctor(
        user=request.user, public_id=consultation_id, actor=_actor(request)
    )
    return selectors.access_recording(consultation=consultation, recording_id=recording_id)


@role_required(Role.DOCTOR)
@require_POST
def recording_chunk(request, consultation_id, recording_id, seq):
    recording = _doctor_recording(request, consultation_id, recording_id)
    try:
        services.recording_chunk_add(recording=recording, seq=seq, data=request.body)
    except DomainError as error:
        return _json_error(error)
    return JsonResponse({"seq": seq}, status=201)


@role_required(Role.DOCTOR)
@require_POST
def recording_finish(request, consultation_id, recording_id):
    recording = _doctor_recording(request, consultation_id, recording_id)
    assembled = services.recording_assemble(recording_pk=recording.pk)
    recording.refresh_from_db()
    return JsonResponse({"assembled": assembled is not None, "durationMs": recording.duration_ms})


# --- Files: chat images and recordings --------------------------------------------------------------


def _participant_or_auditor(request, consultation_id) -> Consultation:
    actor = _actor(request)
    if request.user.role == Role.AUDITOR:
        return selectors.access_consultation_for_auditor(user=request.user, public_id=consultation_id, actor=actor)
    return selectors.access_consultation_participant(user=request.user, public_id=consultation_id, actor=actor)


@role_required(Role.PATIENT, Role.DOCTOR)
@require_POST
def image_upload(request, consultation_id):
    consultation = selectors.access_consultation_participant(
        user=request.user, public_id=consultation_id, actor=_actor(request)
    )
    upload = request.FILES.get("image")
    if upload is None:
        return JsonResponse({"code": "upload.empty", "message": _("Choose a photo."), "fields": {}}, status=422)
    try:
        message = services.message_image_post(
            sender=request.user, consultation=consultation, name=upload.name, data=upload, actor=_actor(request)
        )
    except DomainError as error:
        return _json_error(error)
    return JsonResponse(services.message_payload(message, consultation), status=201)


@role_required(Role.PATIENT, Role.DOCTOR, Role.AUDITOR)
def image_file(request, consultation_id, message_id):
    consultation = _participant_or_auditor(request, consultation_id)
    message = selectors.access_message_image(consultation=consultation, message_id=message_id)
    return private_file_response(
        request, message.image, content_type=message.content_type, filename=message.image.name.rsplit("/", 1)[-1]
    )


@role_required(Role.DOCTOR, Role.AUDITOR)
def recording_file(request, consultation_id, recording_id):
    """Playback for the doctor of the consultation and auditors (disputes). Never the patient's to take."""
    consultation = _participant_or_auditor(request, consultation_id)
    recording = selectors.access_recording(consultation=consultation, recording_id=recording_id)
    if not recording.file:
        raise Http404
    return private_file_response(
        request,
        recording.file,
        content_type=recording.mime_type.split(";")[0],
        filename=f"{recording.public_id}.webm",
    )


# --- Auditor -----------------------------------------------------------------------------------------


@role_required(Role.AUDITOR)
def audit_list(request):
    return render(request, "consultations/audit_list.html", {"consultations": selectors.recent_consultations()})


def _audit_row(message, consultation) -> dict:
    """A message as the auditor reads it: who sent it by name and role, at the hospital's time."""
    row = services.message_payload(message, consultation)
    role = _("Doctor") if row["from"] == "doctor" else _("Patient")
    return {**row, "sender": f"{message.sender.display_name} ({role})", "sent": message.sent_at}


def _duration(milliseconds: int) -> str:
    minutes, seconds = divmod(round(milliseconds / 1000), 60)
    return _("%(minutes)d min %(seconds)02d s") % {"minutes": minutes, "seconds": seconds}


@role_required(Role.AUDITOR)
def audit_detail(request, consultation_id):
    consultation = selectors.access_consultation_for_auditor(
        user=request.user, public_id=consultation_id, actor=_actor(request)
    )
    return render(
        request,
        "consultations/audit_detail.html",
        {
            "consultation": consultation,
            "history": [_audit_row(m, consultation) for m in selectors.messages_of(consultation)],
            "recordings": [(r, _duration(r.duration_ms)) for r in consultation.recordings.all()],
        },
    )


def _visit_history(request, person, back_url: str, *, base_template: str):
    """The history page of ``person`` (already authorised): the HIS read outside any transaction, its
    copy kept for when the HIS is down."""
    page = selectors.visit_history_read(person=person, actor=_actor(request))
    if page.his_state == "live" and page.his_read_at is not None:
        his_history_copy_keep(person=person, visits=page.his_visits, read_at=page.his_read_at)
    context = {"page": page, "back_url": back_url, "base_template": base_template}
    return render(request, "consultations/visit_history.html", context)


@role_required(Role.DOCTOR)
@require_GET
def doctor_visit_history(request, consultation_id):
    """The earlier visits of the patient of one of the doctor's own consultations (now or past)."""
    consultation = _own_or_404(request, consultation_id)
    back = reverse("consultations:doctor_room", kwargs={"consultation_id": consultation_id})
    return _visit_history(request, consultation.appointment.visit_person, back, base_template="web/staff_base.html")


@role_required(Role.PATIENT)
@require_GET
def my_visits(request, visit_person_id):
    """就诊记录: one of the patient's visit persons' visits at this hospital."""
    person = selectors.access_history_person_for_patient(user=request.user, public_id=visit_person_id)
    return _visit_history(request, person, reverse("appointments:mine"), base_template="web/patient_base.html")

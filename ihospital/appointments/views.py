"""Patient pages (find a doctor → book → pay → status) and the doctor's review page. Thin: access →
service → render."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ihospital.accounts.forms import attach_error
from ihospital.accounts.models import Role
from ihospital.accounts.selectors import access_visit_person, visit_person_list
from ihospital.accounts.views import patient_required
from ihospital.appointments import forms, selectors, services
from ihospital.appointments.uploads import check_upload
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.scheduling import guidance
from ihospital.scheduling import selectors as catalog


def _actor(request) -> Actor:
    return Actor.of(request.user, request)


@patient_required
def find_doctor(request):
    form = forms.GuidanceForm(request.GET or None)
    result = guidance.guide(form.cleaned_data["text"]) if form.is_valid() else None
    departments = list(catalog.department_list())
    by_code = {d.code: d for d in departments}
    suggested = [
        (by_code[s.department_code], s) for s in (result.suggestions if result else []) if s.department_code in by_code
    ]
    return render(
        request,
        "appointments/find_doctor.html",
        {
            "form": form,
            "result": result,
            "suggested": suggested,
            "departments": [d for d in departments if d.parent_id is not None or not d.children.exists()],
        },
    )


@patient_required
def department_doctors(request, department_id):
    try:
        department = catalog.access_department(department_id)
    except DomainError:
        raise Http404 from None
    return render(
        request,
        "appointments/department_doctors.html",
        {"department": department, "cards": catalog.doctors_in_department(department)},
    )


@patient_required
def doctor_sessions(request, doctor_id):
    try:
        doctor = catalog.access_doctor(doctor_id)
    except DomainError:
        raise Http404 from None
    return render(
        request, "appointments/doctor_sessions.html", {"doctor": doctor, "sessions": catalog.doctor_sessions(doctor)}
    )


def _precheck_files(files) -> None:
    """Refuse bad files before anything is booked, so a rejected upload never leaves a stray hold."""
    if len(files) > settings.ATTACHMENT_MAX_COUNT:
        from ihospital.appointments.errors import AppointmentError

        raise DomainError(AppointmentError.TOO_MANY_ATTACHMENTS, limit=settings.ATTACHMENT_MAX_COUNT)
    for upload in files:
        check_upload(name=upload.name, data=upload.read(), max_bytes=settings.ATTACHMENT_MAX_BYTES)
        upload.seek(0)


@patient_required
@require_http_methods(["GET", "POST"])
def book(request, session_id):
    try:
        session = catalog.access_online_session(session_id)
    except DomainError:
        raise Http404 from None
    actor = _actor(request)
    persons = visit_person_list(account=request.user, actor=actor)
    form = forms.BookingForm(request.POST or None, request.FILES or None, persons=persons)
    slot_number = request.GET.get("slot") or request.POST.get("slot")
    if request.method == "POST" and form.is_valid():
        files = request.FILES.getlist("files")
        try:
            _precheck_files(files)
            data = services.BookingInput(
                visit_person=access_visit_person(
                    user=request.user, public_id=form.cleaned_data["visit_person"], actor=actor
                ),
                schedule=session,
                complaint=form.cleaned_data["complaint"],
                prior_visit_date=form.cleaned_data["prior_visit_date"],
                prior_hospital=form.cleaned_data["prior_hospital"],
                prior_diagnosis=form.cleaned_data["prior_diagnosis"],
                slot_number=int(slot_number) if slot_number and slot_number.isdigit() else None,
            )
            appointment = services.appointment_book(account=request.user, data=data, actor=actor)
            for upload in files:
                services.appointment_attach(appointment=appointment, name=upload.name, data=upload.read(), actor=actor)
        except DomainError as error:
            attach_error(form, error)
        else:
            return redirect("appointments:pay", appointment_id=appointment.public_id)
    return render(
        request,
        "appointments/book.html",
        {"form": form, "session": session, "slot_number": slot_number, "persons": persons},
    )


@patient_required
def pay(request, appointment_id):
    actor = _actor(request)
    try:
        appointment = selectors.access_appointment(user=request.user, public_id=appointment_id, actor=actor)
        return redirect(services.appointment_checkout(appointment=appointment, actor=actor))
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("appointments:detail", appointment_id=appointment_id)


@patient_required
def my_appointments(request):
    upcoming, past = selectors.split_upcoming_past(request.user)
    return render(request, "appointments/my_appointments.html", {"upcoming": upcoming, "past": past})


@patient_required
def detail(request, appointment_id):
    try:
        appointment = selectors.access_appointment(user=request.user, public_id=appointment_id, actor=_actor(request))
    except DomainError:
        raise Http404 from None
    return render(request, "appointments/detail.html", {"appointment": appointment})


@patient_required
@require_POST
def cancel(request, appointment_id):
    actor = _actor(request)
    try:
        appointment = selectors.access_appointment(user=request.user, public_id=appointment_id, actor=actor)
        services.appointment_cancel(account=request.user, appointment=appointment, actor=actor)
        messages.success(request, _("Booking cancelled."))
    except DomainError as error:
        if error.code == "core.not_found":
            raise Http404 from None
        messages.error(request, error.message)
    return redirect("appointments:detail", appointment_id=appointment_id)


@login_required
def attachment_file(request, attachment_id):
    """Served only to the booking's patient and the reviewing doctor; never cached, every read audited."""
    try:
        attachment = selectors.access_attachment(user=request.user, public_id=attachment_id, actor=_actor(request))
    except DomainError:
        raise Http404 from None
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def doctor_required(view):
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated or request.user.role != Role.DOCTOR:
            return redirect(f"/staff/sign-in/?next={request.path}")
        return view(request, *args, **kwargs)

    return wrapper


@doctor_required
def review_queue(request):
    return render(
        request,
        "appointments/review_queue.html",
        {
            "queue": selectors.review_queue(request.user),
            "upcoming": selectors.doctor_upcoming(request.user),
            "reject_form": forms.RejectForm(),
        },
    )


@doctor_required
@require_POST
def review_decide(request, appointment_id):
    actor = _actor(request)
    try:
        found = selectors.access_appointment_for_doctor(user=request.user, public_id=appointment_id, actor=actor)
        if request.POST.get("decision") == "accept":
            services.appointment_accept(
                doctor=request.user,
                appointment=found,
                actor=actor,
                prior_diagnosis_confirmed=request.POST.get("prior_diagnosis_confirmed") == "on",
            )
            messages.success(request, _("Accepted: %(name)s.") % {"name": found.visit_person.name})
        else:
            services.appointment_reject(
                doctor=request.user, appointment=found, actor=actor, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("Declined and refunded: %(name)s.") % {"name": found.visit_person.name})
    except DomainError as error:
        if error.code == "core.not_found":
            raise Http404 from None
        messages.error(request, "; ".join([error.message, *error.fields.values()]))
    return redirect("appointments:review_queue")

"""Patient pages (find a doctor → book → pay → status) and the doctor's review page. Thin: access →
service → render."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ihospital.accounts.models import Role
from ihospital.accounts.selectors import access_visit_person, visit_person_list
from ihospital.appointments import forms, selectors, services
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.core.files.responses import private_file_response
from ihospital.core.time import now
from ihospital.core.web import attach_error, role_required
from ihospital.scheduling import guidance
from ihospital.scheduling import selectors as catalog


def _actor(request) -> Actor:
    return Actor.of(request.user, request)


@role_required(Role.PATIENT)
def find_doctor(request):
    form = forms.GuidanceForm(request.GET or None)
    result, suggested = None, []
    if form.is_valid():
        try:
            result, paired = guidance.guide_for_patients(form.cleaned_data["text"])
        except DomainError as error:  # too long: explained on the field, with what was typed kept
            attach_error(form, error)
        else:
            suggested = [(department, suggestion) for suggestion, department in paired]
    departments = list(catalog.department_list())
    parents = {d.parent_id for d in departments}
    return render(
        request,
        "appointments/find_doctor.html",
        {
            "form": form,
            "result": result,
            "suggested": suggested,
            "emergency_advice": guidance.EMERGENCY_ADVICE,
            "departments": [d for d in departments if d.pk not in parents],  # bookable leaves of the tree
            "hold_minutes": settings.BOOKING_HOLD_MINUTES,
        },
    )


@role_required(Role.PATIENT)
def department_doctors(request, department_id):
    department = catalog.access_department(department_id)
    return render(
        request,
        "appointments/department_doctors.html",
        {"department": department, "cards": catalog.doctors_in_department(department)},
    )


@role_required(Role.PATIENT)
def doctor_schedules(request, doctor_id):
    doctor = catalog.access_doctor(doctor_id)
    schedules = catalog.doctor_schedules(doctor)
    days: dict = {}
    for schedule in schedules:  # grouped by day for the day picker; the selector orders them by start
        days.setdefault(schedule.date, []).append(schedule)
    # The picker opens on the first day with a free time (else the first day).
    with_free = [day for day, on_day in days.items() if any(schedule.free for schedule in on_day)]
    return render(
        request,
        "appointments/doctor_schedules.html",
        {
            "doctor": doctor,
            "days": list(days.items()),
            "first_day": (with_free or list(days) or [None])[0],
            "departments": doctor.departments.all(),
            "hold_minutes": settings.BOOKING_HOLD_MINUTES,
        },
    )


def _booking_input(request, form, schedule, slot_number, actor) -> services.BookingInput:
    return services.BookingInput(
        visit_person=access_visit_person(  # the booking's audit entry names the person
            user=request.user, public_id=form.cleaned_data["visit_person"], actor=actor, record_read=False
        ),
        schedule=schedule,
        complaint=form.cleaned_data["complaint"],
        prior_visit_date=form.cleaned_data["prior_visit_date"],
        prior_hospital=form.cleaned_data["prior_hospital"],
        prior_diagnosis=form.cleaned_data["prior_diagnosis"],
        slot_number=slot_number,
    )


@role_required(Role.PATIENT)
@require_http_methods(["GET", "POST"])
def book(request, schedule_id):
    schedule = catalog.access_online_schedule(schedule_id)
    actor = _actor(request)
    persons = visit_person_list(account=request.user, actor=actor)
    form = forms.BookingForm(request.POST or None, request.FILES or None, persons=persons)
    raw_slot = request.POST.get("slot") or request.GET.get("slot") or ""
    slot_number = int(raw_slot) if raw_slot.isdigit() else None
    slot = schedule.slots.filter(number=slot_number).first() if slot_number else None
    unavailable = None  # why nothing can be booked here, shown before the patient types anything
    try:
        services.check_bookable(schedule)
    except DomainError as error:
        unavailable = error.message
    if request.method == "POST" and unavailable is None and form.is_valid():
        try:
            data = _booking_input(request, form, schedule, slot_number, actor)
            appointment = services.appointment_book(account=request.user, data=data, actor=actor)
        except DomainError as error:
            attach_error(form, error)
        else:
            return _attach_and_pay(request, appointment, form.cleaned_data["files"], actor)
    return render(
        request,
        "appointments/book.html",
        {
            "form": form,
            "schedule": schedule,
            "slot": slot,
            "slot_number": slot_number,
            "slot_taken": slot is not None and slot.status != slot.Status.FREE,
            "unavailable": unavailable,
            "persons": persons,
            "hold_minutes": settings.BOOKING_HOLD_MINUTES,
            "max_files": settings.ATTACHMENT_MAX_COUNT,
            "max_megabytes": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024),
            "files_lost": bool(request.FILES) and form.is_bound and bool(form.errors),
        },
    )


def _attach_and_pay(request, appointment, files, actor):
    """The files were checked by the form; one refused now (a race on the count) doesn't undo the booking:
    the patient is told and can still pay or cancel."""
    try:
        for upload in files:
            services.appointment_attach(appointment=appointment, name=upload.name, data=upload, actor=actor)
    except DomainError as error:
        messages.error(
            request,
            _("The booking was made, but a file could not be attached: %(problem)s") % {"problem": error.message},
        )
        return redirect("appointments:detail", appointment_id=appointment.public_id)
    return redirect("appointments:pay", appointment_id=appointment.public_id)


@role_required(Role.PATIENT)
def pay(request, appointment_id):
    actor = _actor(request)
    appointment = selectors.access_appointment(user=request.user, public_id=appointment_id, actor=actor)
    try:
        return redirect(services.appointment_checkout(appointment=appointment, actor=actor))
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("appointments:detail", appointment_id=appointment_id)


@role_required(Role.PATIENT)
def my_appointments(request):
    upcoming, past = selectors.split_upcoming_past(request.user)
    persons = visit_person_list(account=request.user, actor=Actor.of(request.user, request))
    return render(
        request, "appointments/my_appointments.html", {"upcoming": upcoming, "past": past, "visit_persons": persons}
    )


def _checkout_state(request, appointment) -> str:
    """Where an unpaid booking stands with the payment provider: "confirming" (the payer paid; the
    notification has not been applied yet), "cancelled" (back from the cashier without paying) or ""."""
    if appointment.status != appointment.Status.PENDING_PAYMENT or appointment.hold_expires_at <= now():
        return ""
    paid = selectors.paid_at_provider(appointment)
    back_from_cashier = request.GET.get("checkout") == services.BACK_FROM_CASHIER
    if paid or (paid is None and back_from_cashier):  # no answer: wait for the notification rather than ask twice
        return "confirming"
    return "cancelled" if back_from_cashier else ""


@role_required(Role.PATIENT)
def detail(request, appointment_id):
    appointment = selectors.access_appointment(user=request.user, public_id=appointment_id, actor=_actor(request))
    return render(
        request,
        "appointments/detail.html",
        {
            "appointment": appointment,
            "hold_over": appointment.hold_expires_at <= now(),
            "checkout": _checkout_state(request, appointment),
            "cancel_hours": settings.CANCEL_FREE_UNTIL_HOURS_BEFORE,
        },
    )


@role_required(Role.PATIENT)
def payment_wait(request, appointment_id):
    """Asked every few seconds by a page confirming a payment (and at once when a live notification
    arrives): 204 while the booking still awaits it, else htmx is told to reload the booking."""
    if selectors.awaiting_payment(user=request.user, public_id=appointment_id):
        return HttpResponse(status=204)
    response = HttpResponse()
    response["HX-Redirect"] = reverse("appointments:detail", args=[appointment_id])
    return response


@role_required(Role.PATIENT)
@require_POST
def cancel(request, appointment_id):
    actor = _actor(request)
    appointment = selectors.access_appointment(user=request.user, public_id=appointment_id, actor=actor)
    try:
        services.appointment_cancel(account=request.user, appointment=appointment, actor=actor)
        messages.success(request, _("Booking cancelled."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("appointments:detail", appointment_id=appointment_id)


@role_required(Role.PATIENT, Role.DOCTOR)
def attachment_file(request, attachment_id):
    """Served only to the booking's patient and the reviewing doctor; never cached, every read audited."""
    attachment = selectors.access_attachment(user=request.user, public_id=attachment_id, actor=_actor(request))
    extension = attachment.file.name.rsplit(".", 1)[-1]
    return private_file_response(
        request, attachment.file, content_type=attachment.content_type, filename=f"{attachment.public_id}.{extension}"
    )


def _review_page(request, *, problem: dict | None = None, status: int = 200):
    return render(
        request,
        "appointments/review_queue.html",
        {
            "queue": selectors.review_queue(request.user),
            "upcoming": selectors.doctor_upcoming(request.user),
            "problem": problem or {},
        },
        status=status,
    )


@role_required(Role.DOCTOR)
def review_queue(request):
    return _review_page(request)


@role_required(Role.DOCTOR)
@require_POST
def review_decide(request, appointment_id):
    actor = _actor(request)
    decision = request.POST.get("decision")
    found = selectors.access_appointment_for_doctor(user=request.user, public_id=appointment_id, actor=actor)
    try:
        if decision == "accept":
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
            messages.success(
                request, _("Declined: %(name)s. The fee is being refunded in full.") % {"name": found.visit_person.name}
            )
    except DomainError as error:
        # Shown on the request's own card, with what the doctor typed kept.
        problem = {
            "id": str(appointment_id),
            "decision": decision,
            "message": " ".join(error.fields.values()) or error.message,
            "reason": request.POST.get("reason", ""),
        }
        return _review_page(request, problem=problem, status=error.status)
    return redirect("appointments:review_queue")

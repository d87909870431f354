"""Lab/exam pages: the doctor's order form (beside the consultation), the patient's orders (pay, book a time,
check-in code, cancel) on the phone, and the nurse's check-in desk.

Thin: authenticate (role) → access_* (authorises and audits the read) → service → render/redirect."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta

import segno
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ihospital.accounts.models import Role
from ihospital.audit.services import Actor
from ihospital.consultations.selectors import access_consultation_for_doctor
from ihospital.core.errors import DomainError
from ihospital.core.time import local, now
from ihospital.core.web import attach_error, role_required
from ihospital.labs import selectors, services
from ihospital.labs.forms import CancelForm, CheckInForm, OrderForm
from ihospital.labs.models import LabOrder
from ihospital.labs.services.booking import change_closes_at
from ihospital.payments.models import PaymentOrder
from ihospital.payments.selectors import payment_paid_at_provider

NO_STORE = {"Cache-Control": "no-store, private"}


def _actor(request) -> Actor:
    return Actor.of(request.user, request)


# --- the doctor --------------------------------------------------------------------------------------
@role_required(Role.DOCTOR)
def order_new(request, consultation_id):
    actor = _actor(request)
    consultation = access_consultation_for_doctor(user=request.user, public_id=consultation_id, actor=actor)
    version = selectors.signed_record_version(consultation.pk)
    diagnoses = list(version.diagnoses) if version else []
    try:
        catalogue = selectors.exam_catalogue()
    except DomainError as error:
        catalogue, problem = {}, error.message
    else:
        problem = ""
    form = OrderForm(request.POST or None, catalogue=catalogue, diagnoses=diagnoses)
    if request.method == "POST" and form.is_valid():
        data = services.OrderInput(
            request_id=form.cleaned_data["request_id"],
            item_codes=tuple(form.cleaned_data["items"]),
            clinical_question=form.cleaned_data["clinical_question"],
            diagnosis_code=form.cleaned_data["diagnosis"],
        )
        try:
            orders = services.lab_orders_place(
                doctor=request.user, consultation=consultation, data=data, pin=form.cleaned_data["pin"], actor=actor
            )
        except DomainError as error:
            attach_error(form, error)
        else:
            messages.success(request, _("%(count)s order(s) signed and sent.") % {"count": len(orders)})
            return redirect("labs:order_new", consultation_id=consultation_id)
    context = {
        "consultation": consultation,
        "person": consultation.appointment.visit_person,
        "form": form,
        "catalogue": catalogue,
        "problem": problem,
        "has_diagnosis": bool(diagnoses),
        "orders": selectors.orders_of_consultation(consultation_id=consultation.pk),
    }
    return render(request, "labs/order_new.html", context, status=422 if form.errors else 200)


@role_required(Role.DOCTOR)
@require_POST
def order_cancel(request, order_id):
    """The ordering doctor withdraws an order not performed yet (refunded in full if paid)."""
    actor = _actor(request)
    order = selectors.access_lab_order(request.user, order_id, actor=actor)
    reason = request.POST.get("reason", "").strip() or _("Withdrawn by the doctor")
    try:
        services.lab_order_cancel(by=request.user, order=order, reason=reason, actor=actor)
        messages.success(request, _("Order cancelled."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("labs:order_new", consultation_id=order.consultation.public_id)


# --- the patient -------------------------------------------------------------------------------------
@role_required(Role.PATIENT)
def my_orders(request):
    return render(request, "labs/my_orders.html", {"orders": selectors.orders_of_patient(user=request.user)})


def _checkout_state(request, order: LabOrder) -> str:
    """ "confirming" while a payment made at the provider is not applied yet, "cancelled" when back from the
    cashier without paying, else ""."""
    if order.status != LabOrder.Status.ORDERED or order.payment_order_public_id is None:
        return ""
    payment = PaymentOrder.objects.filter(public_id=order.payment_order_public_id).first()
    if payment is None or payment.status != PaymentOrder.Status.CREATED:
        return ""
    back = request.GET.get("checkout") == services.BACK_FROM_CASHIER
    paid = payment_paid_at_provider(payment)
    if paid or (paid is None and back):
        return "confirming"
    return "cancelled" if back else ""


@role_required(Role.PATIENT)
def detail(request, order_id):
    order = selectors.access_lab_order(request.user, order_id, actor=_actor(request))
    booking = selectors.active_booking(order)
    today = local(now()).date()
    sessions = []
    if order.needs_booking and order.status in (LabOrder.Status.PAID, LabOrder.Status.SCHEDULED):
        until = today + timedelta(days=settings.LAB_BOOKING_DAYS_AHEAD)
        sessions = [s for s in selectors.sessions_for(order=order, today=today, until=until) if s.starts_at > now()]
    context = {
        "order": order,
        "items": list(order.items.all()),
        "booking": booking,
        "sessions": sessions,
        "can_change": booking is not None and change_closes_at(booking.session) > now(),
        "change_hours": settings.LAB_BOOKING_CHANGE_CLOSES_HOURS_BEFORE,
        "checkout": _checkout_state(request, order),
        "cancel_form": CancelForm(),
    }
    return render(request, "labs/detail.html", context)


@role_required(Role.PATIENT)
@require_POST
def pay(request, order_id):
    actor = _actor(request)
    order = selectors.access_lab_order(request.user, order_id, actor=actor)
    try:
        return redirect(services.lab_order_checkout(account=request.user, order=order, actor=actor))
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("labs:detail", order_id=order_id)


@role_required(Role.PATIENT)
def payment_wait(request, order_id):
    """Asked every few seconds while a payment is being confirmed: 204 while still unpaid, else reload."""
    order = selectors.access_lab_order(request.user, order_id, actor=_actor(request))
    if order.status == LabOrder.Status.ORDERED:
        return HttpResponse(status=204)
    response = HttpResponse()
    response["HX-Redirect"] = reverse("labs:detail", args=[order_id])
    return response


@role_required(Role.PATIENT)
@require_POST
def book(request, order_id):
    actor = _actor(request)
    order = selectors.access_lab_order(request.user, order_id, actor=actor)
    session_id = request.POST.get("session", "")
    write = services.lab_order_rebook if order.status == LabOrder.Status.SCHEDULED else services.lab_order_book
    try:
        write(account=request.user, order=order, session_id=session_id, actor=actor)
        messages.success(request, _("Your exam time is booked."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("labs:detail", order_id=order_id)


@role_required(Role.PATIENT)
@require_POST
def cancel(request, order_id):
    actor = _actor(request)
    order = selectors.access_lab_order(request.user, order_id, actor=actor)
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else request.POST.get("reason", "")
    try:
        services.lab_order_cancel(
            by=request.user, order=order, reason=reason or _("Cancelled by the patient"), actor=actor
        )
        messages.success(request, _("Order cancelled."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("labs:detail", order_id=order_id)


@role_required(Role.PATIENT)
def checkin_qr(request, order_id):
    """The check-in code as a QR code (SVG) for the desk's scanner; never cached."""
    order = selectors.access_lab_order(request.user, order_id, actor=_actor(request))
    if order.status not in (LabOrder.Status.PAID, LabOrder.Status.SCHEDULED):
        return HttpResponse(status=404)
    svg = io.BytesIO()
    segno.make(order.checkin_code, error="m").save(svg, kind="svg", scale=6, border=2)
    return HttpResponse(svg.getvalue(), content_type="image/svg+xml", headers=NO_STORE)


# --- the nurse at the check-in desk ------------------------------------------------------------------
def _desk(request, form: CheckInForm, *, checked=None, status: int = 200):
    midnight = datetime.combine(local(now()).date(), time.min, tzinfo=local(now()).tzinfo)
    context = {"form": form, "checked": checked, "today": selectors.checked_in_today(day_start=midnight)}
    return render(request, "labs/checkin.html", context, status=status)


@role_required(Role.NURSE)
def checkin(request):
    form = CheckInForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return _desk(request, form, status=422 if form.errors else 200)
    actor = _actor(request)
    try:
        order = services.lab_order_check_in(staff=request.user, code=form.cleaned_data["code"], actor=actor)
    except DomainError as error:
        attach_error(form, error)
        return _desk(request, form, status=error.status)
    checked = selectors.access_checked_in_order(user=request.user, public_id=order.public_id, actor=actor)
    return _desk(request, CheckInForm(), checked=checked)


@role_required(Role.NURSE)
@require_POST
def performed(request, order_id):
    actor = _actor(request)
    order = selectors.access_checked_in_order(user=request.user, public_id=order_id, actor=actor)
    try:
        services.lab_order_perform(order=order, actor=actor)
        messages.success(request, _("Marked as performed."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("labs:checkin")

"""The pharmacy console (pharmacists): paid prescriptions by state, and the actions that move them —
dispense, hand to the courier (again after a failed delivery), hand over against the pickup code. Also the
doctor's void, and the public check of a prescription's signature (the QR code's page)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from ihospital.accounts.models import Role
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.core.money import format_fen
from ihospital.core.web import role_required
from ihospital.fulfilment import selectors, services
from ihospital.prescriptions.selectors import access_prescription
from ihospital.signatures.selectors import access_signature
from ihospital.signatures.services import signature_check

TABS = (
    ("paid", gettext_lazy("To dispense")),
    ("dispensed", gettext_lazy("To hand to the courier")),
    ("shipped", gettext_lazy("With the courier")),
    ("ready_for_pickup", gettext_lazy("Waiting for pickup")),
    ("done", gettext_lazy("Finished")),
)


@role_required(Role.PHARMACIST)
def console(request):
    state = request.GET.get("state", "paid")
    if state not in selectors.CONSOLE_STATES:
        state = "paid"
    rows = [(p, f, s, format_fen(p.amount_fen)) for p, f, s in selectors.pharmacy_queue(state=state)]
    context = {"rows": rows, "state": state, "tabs": TABS, "counts": selectors.state_counts()}
    return render(request, "fulfilment/console.html", context)


ACTIONS = {
    "dispense": (services.prescription_dispense, gettext_lazy("Dispensed.")),
    "ship": (services.prescription_ship, gettext_lazy("Handed to the courier.")),
    "reship": (services.prescription_reship, gettext_lazy("Handed to the courier again.")),
}


@role_required(Role.PHARMACIST)
@require_POST
def act(request, prescription_id, action):
    if action not in ACTIONS:
        raise Http404
    actor = Actor.of(request.user, request)
    rx = access_prescription(user=request.user, public_id=prescription_id, actor=actor)
    service, done = ACTIONS[action]
    try:
        service(prescription=rx, pharmacist=request.user, actor=actor)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, str(done))
    state = request.POST.get("state", "")
    return redirect(
        reverse("fulfilment:console") + "?state=" + (state if state in selectors.CONSOLE_STATES else "paid")
    )


@role_required(Role.PHARMACIST)
@require_http_methods(["GET", "POST"])
def pickup(request):
    """The counter: type the patient's pickup code, or scan its QR (a scanner types it)."""
    handed = None
    if request.method == "POST":
        try:
            handed = services.prescription_pick_up(
                code=request.POST.get("code", ""), pharmacist=request.user, actor=Actor.of(request.user, request)
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Handed over to %(name)s.") % {"name": handed.visit_person.name})
    return render(request, "fulfilment/pickup.html", {"handed": handed})


@role_required(Role.DOCTOR)
@require_http_methods(["GET", "POST"])
def void(request, prescription_id):
    """The prescribing doctor voids a prescription before it is dispensed (asked first, with a reason)."""
    actor = Actor.of(request.user, request)
    rx = access_prescription(user=request.user, public_id=prescription_id, actor=actor)
    if request.method == "POST":
        try:
            services.prescription_void(
                prescription=rx, doctor=request.user, reason=request.POST.get("reason", ""), actor=actor
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Prescription voided."))
            return redirect("fulfilment:void", prescription_id=rx.public_id)
        rx.refresh_from_db()
    return render(request, "fulfilment/void.html", {"rx": rx, "amount": format_fen(rx.amount_fen)})


def verify(request, signature_id):
    """Whether a prescription's signature is valid: signer, certificate, time, digest — never the drugs."""
    try:
        signature = access_signature(signature_id=signature_id)
    except DomainError:
        raise Http404 from None
    if not selectors.is_prescription_signature(signature):
        raise Http404
    result = signature_check(signature=signature, actor=Actor.of(request.user, request))
    return render(request, "fulfilment/verify.html", {"signature": signature, "result": result})

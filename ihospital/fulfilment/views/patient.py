"""The patient's prescriptions: the list of released ones, and one prescription — its drugs, both
signatures with their check QR codes, delivery or pickup chosen and paid, then the courier's tracking or
the pickup code."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from ihospital.accounts.models import Role
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.core.money import format_fen
from ihospital.core.web import role_required
from ihospital.fulfilment import selectors, services
from ihospital.fulfilment.models import Fulfilment
from ihospital.integrations.his import HisError
from ihospital.payments.services import payment_checkout
from ihospital.prescriptions.models import Prescription
from ihospital.prescriptions.selectors import access_prescription, released_version
from ihospital.prescriptions.selectors.review import labels as review_labels


def qr_svg(data: str) -> str:
    """A QR code as inline SVG, drawn here (nothing leaves for a third-party service)."""
    return mark_safe(segno.make(data, error="m").svg_inline(scale=4, omitsize=True))  # noqa: S308 — segno's markup


@role_required(Role.PATIENT)
def prescriptions(request):
    found = selectors.patient_prescriptions(user=request.user, actor=Actor.of(request.user, request))
    rows = [(p, format_fen(p.amount_fen)) for p in found]
    return render(request, "fulfilment/prescriptions.html", {"rows": rows})


def _signatures(request, version) -> list[dict]:
    found = []
    for label, signature in (("doctor", version.doctor_signature), ("pharmacist", version.pharmacist_signature)):
        if signature is not None:
            url = request.build_absolute_uri(reverse("fulfilment:verify", args=[signature.public_id]))
            found.append({"role": label, "signature": signature, "url": url, "qr": qr_svg(url)})
    return found


def _ensure_pharmacies() -> None:
    """Pickup pharmacies come from the HIS; fetched here (outside any transaction) the first time."""
    if not selectors.pickup_pharmacies().exists():
        try:
            services.pharmacies_sync(actor=Actor.system("fulfilment"))
        except HisError:
            pass  # the page still offers delivery once the list can be read


@role_required(Role.PATIENT)
@never_cache
def prescription(request, prescription_id):
    rx = access_prescription(user=request.user, public_id=prescription_id, actor=Actor.of(request.user, request))
    version = released_version(rx)
    fulfilment = selectors.fulfilment_of(rx)
    payable = rx.status == Prescription.Status.RELEASED
    if payable:
        _ensure_pharmacies()
    context = {
        "rx": rx,
        "version": version,
        "items": _items(version),
        "amount": format_fen(rx.amount_fen),
        "signatures": _signatures(request, version) if version else [],
        "fulfilment": fulfilment,
        "payable": payable,
        "addresses": selectors.addresses_of(user=request.user) if payable else [],
        "pharmacies": selectors.pickup_pharmacies() if payable else [],
        "shipment": selectors.latest_shipment(fulfilment),
        "pickup_qr": qr_svg(fulfilment.pickup_code) if fulfilment and rx.status == "ready_for_pickup" else "",
        "Method": Fulfilment.Method,
    }
    return render(request, "fulfilment/prescription.html", context)


def _items(version) -> list[tuple]:
    """Each item with its price and its frequency and route in words ("每日一次 · 口服"), not the
    prescriber's abbreviations ("qd po"), which a patient is not expected to read."""
    if version is None:
        return []
    frequencies, routes = review_labels()
    return [
        (
            item,
            format_fen(item.amount_fen),
            frequencies.get(item.frequency, item.frequency),
            routes.get(item.route, item.route),
        )
        for item in version.items.all()
    ]


@role_required(Role.PATIENT)
@require_POST
def prescription_choose(request, prescription_id):
    actor = Actor.of(request.user, request)
    rx = access_prescription(user=request.user, public_id=prescription_id, actor=actor)
    method = request.POST.get("method", "")
    address = pharmacy = None
    if method == Fulfilment.Method.DELIVERY and request.POST.get("address"):
        address = selectors.access_address(user=request.user, public_id=request.POST["address"])
    if method == Fulfilment.Method.PICKUP and request.POST.get("pharmacy"):
        pharmacy = selectors.access_pharmacy(public_id=request.POST["pharmacy"])
    try:
        services.fulfilment_choose(prescription=rx, method=method, address=address, pharmacy=pharmacy, actor=actor)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("fulfilment:prescription", prescription_id=rx.public_id)


@role_required(Role.PATIENT)
@require_POST
def prescription_pay(request, prescription_id):
    """Create (or find) the payment order, then send the payer to the cashier (outside any transaction)."""
    actor = Actor.of(request.user, request)
    rx = access_prescription(user=request.user, public_id=prescription_id, actor=actor)
    back = request.build_absolute_uri(reverse("fulfilment:prescription", args=[rx.public_id]))
    try:
        order = services.prescription_pay(prescription=rx, payer=request.user, actor=actor)
        return HttpResponseRedirect(payment_checkout(order=order, actor=actor, return_url=back))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("fulfilment:prescription", prescription_id=rx.public_id)

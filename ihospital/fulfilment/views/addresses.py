"""Pages of fulfilment: the patient's address book, and the courier's callback endpoint (public, verified
by its signature)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from ihospital.accounts.models import Role
from ihospital.audit.services import Actor
from ihospital.core import ratelimit
from ihospital.core.errors import CoreError, DomainError
from ihospital.core.web import attach_error, coded_response, role_required
from ihospital.fulfilment import forms, selectors, services
from ihospital.fulfilment.services.courier import MAX_BODY_BYTES

logger = logging.getLogger(__name__)


@csrf_exempt  # the courier can't send a CSRF token; the signature is what authenticates it
@require_POST
def courier_callback(request):
    """Anyone can post here: posts per address are limited (429 with Retry-After; a courier retries) and
    a body over the size cap is refused unread (413) before anything is stored."""
    address = request.META.get("REMOTE_ADDR", "")
    limit = settings.COURIER_CALLBACK_PER_ADDRESS_PER_MINUTE
    if wait := ratelimit.hit("fulfilment.courier_callback", address, limit=limit, seconds=60):
        refused = coded_response(request, DomainError(CoreError.RATE_LIMITED))
        refused["Retry-After"] = str(wait)
        return refused
    length = request.META.get("CONTENT_LENGTH", "")
    if length.isdigit() and int(length) > MAX_BODY_BYTES:
        return coded_response(request, DomainError(CoreError.TOO_LARGE))
    status, body = services.courier_callback_receive(headers=dict(request.headers), body=request.body)
    if body is None:
        return HttpResponse(status=status)
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


@role_required(Role.PATIENT)
def addresses(request):
    return render(request, "fulfilment/addresses.html", {"addresses": selectors.addresses_of(user=request.user)})


def _save(request, form, address=None):
    actor = Actor.of(request.user, request)
    data = services.AddressInput(**form.cleaned_data)
    if address is None:
        return services.address_create(account=request.user, data=data, actor=actor)
    return services.address_update(address=address, data=data, actor=actor)


def _back(request):
    """Back where the address was asked for (choosing a delivery), else the address book."""
    target = request.GET.get("next", "")
    return (
        redirect(target) if target.startswith("/") and not target.startswith("//") else redirect("fulfilment:addresses")
    )


@role_required(Role.PATIENT)
@require_http_methods(["GET", "POST"])
def address_add(request):
    form = forms.AddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _save(request, form)
        except DomainError as error:
            attach_error(form, error)
        else:
            messages.success(request, _("Address saved."))
            return _back(request)
    return render(request, "fulfilment/address_form.html", {"form": form, "address": None})


@role_required(Role.PATIENT)
@require_http_methods(["GET", "POST"])
def address_edit(request, address_id):
    address = selectors.access_address(user=request.user, public_id=address_id)
    fields = ("recipient", "phone", "province", "city", "district", "detail", "is_default")
    form = forms.AddressForm(request.POST or None, initial={name: getattr(address, name) for name in fields})
    if request.method == "POST" and form.is_valid():
        try:
            _save(request, form, address)
        except DomainError as error:
            attach_error(form, error)
        else:
            messages.success(request, _("Address saved."))
            return _back(request)
    return render(request, "fulfilment/address_form.html", {"form": form, "address": address})


@role_required(Role.PATIENT)
@require_POST
def address_retire(request, address_id):
    address = selectors.access_address(user=request.user, public_id=address_id)
    services.address_retire(address=address, actor=Actor.of(request.user, request))
    messages.success(request, _("Address removed."))
    return redirect("fulfilment:addresses")

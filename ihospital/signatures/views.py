"""The signing-PIN page of doctors and pharmacists: their certificate, and setting or changing the PIN."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from ihospital.accounts.models import Role
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.core.web import attach_error, role_required
from ihospital.signatures import selectors, services
from ihospital.signatures.forms import SigningPinForm


@role_required(Role.DOCTOR, Role.PHARMACIST)
@never_cache
@require_http_methods(["GET", "POST"])
def signing_pin(request):
    credential = selectors.credential_current(holder=request.user)
    first = credential is None or credential.pin_set_at is None
    form = SigningPinForm(request.POST if request.method == "POST" else None, first=first)
    if request.method == "POST" and credential is not None and form.is_valid():
        try:
            services.signing_pin_set(
                holder=request.user,
                current_pin=form.cleaned_data.get("current_pin"),
                new_pin=form.cleaned_data["new_pin"],
                actor=Actor.of(request.user, request),
            )
        except DomainError as error:
            attach_error(form, error)
        else:
            messages.success(request, _("Your signing PIN is set. You will enter it each time you sign."))
            return redirect("signatures:signing_pin")
    context = {
        "credential": credential,
        "certificate": credential.certificate if credential else None,
        "usable": selectors.credential_usable(credential),
        "first": first,
        "form": form,
    }
    return render(request, "signatures/signing_pin.html", context)

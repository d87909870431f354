"""For other apps' pages that need a fresh identity check (issue 4 point 7: before each consultation)::

    from ihospital.accounts.guards import identity_check_required

    @identity_check_required
    def consultation_start(request, ...): ...

API operations call ``ihospital.accounts.identity.require_identity_confirmed(user)`` instead, which
raises the coded error ``account.identity_check_required``.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode, urlsplit

from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from ihospital.accounts.identity import identity_confirmed_within
from ihospital.accounts.models import CLINICAL_ROLES
from ihospital.core.web import role_required


def confirm_identity_url(next_path: str) -> str:
    """The identity check page, coming back to ``next_path`` (a local path) once confirmed."""
    return f"{reverse('accounts:confirm_identity')}?{urlencode({'next': next_path})}"


def identity_check_required(view):
    """Clinical staff only (``role_required``: visitors go to the sign-in page, other roles get 403), and
    only with an identity confirmation younger than STAFF_IDENTITY_CHECK_SECONDS; without one, the doctor
    is sent to the check page and comes back here. After a POST (a "start consultation" button) they come
    back to the page the button was on, so they press it again rather than replaying the form. htmx
    requests get ``HX-Redirect``."""

    @role_required(*CLINICAL_ROLES)
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if identity_confirmed_within(request.user) is None:
            target = confirm_identity_url(_come_back_to(request))
            if request.headers.get("HX-Request"):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = target
                return response
            return redirect(target)
        return view(request, *args, **kwargs)

    return wrapper


def _come_back_to(request) -> str:
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(referer)
        return f"{parts.path}?{parts.query}" if parts.query else parts.path
    return request.path

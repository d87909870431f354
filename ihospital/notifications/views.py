"""The message centre: a patient's (mobile) and a staff member's (workstation) list of their own messages.
Each area has its own pages so each is guarded by its own sign-in; the handlers are shared."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render, resolve_url
from django.views.decorators.http import require_POST

from ihospital.accounts.models import STAFF_ROLES
from ihospital.accounts.views import patient_required
from ihospital.core.errors import DomainError
from ihospital.notifications import selectors, services


def staff_required(view):
    """Any staff role; patients and visitors are sent to the staff sign-in page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated or request.user.role not in STAFF_ROLES:
            return redirect_to_login(request.get_full_path(), resolve_url("accounts:staff_sign_in"))
        return view(request, *args, **kwargs)

    return wrapper


def _centre(request, area: str):
    return render(
        request,
        f"notifications/{area}_messages.html",
        {
            "notifications": selectors.notifications_for(request.user),
            "unread": selectors.unread_count(request.user),
            "open_name": f"notifications:{area}_open",
            "read_all_name": f"notifications:{area}_mark_all_read",
        },
    )


def _mark_all_read(request, area: str):
    services.notification_mark_all_read(user=request.user)
    return redirect(f"notifications:{area}_messages")


def _open(request, area: str, notification_id):
    """Mark the message read and follow its link (or come back to the message centre)."""
    try:
        notification = selectors.access_notification(user=request.user, public_id=notification_id)
    except DomainError:
        raise Http404 from None
    services.notification_mark_read(user=request.user, notification_id=notification.public_id)
    if notification.link and services.is_local_link(notification.link):
        return redirect(notification.link)
    return redirect(f"notifications:{area}_messages")


@patient_required
def patient_messages(request):
    return _centre(request, "patient")


@patient_required
@require_POST
def patient_mark_all_read(request):
    return _mark_all_read(request, "patient")


@patient_required
def patient_open(request, notification_id):
    return _open(request, "patient", notification_id)


@staff_required
def staff_messages(request):
    return _centre(request, "staff")


@staff_required
@require_POST
def staff_mark_all_read(request):
    return _mark_all_read(request, "staff")


@staff_required
def staff_open(request, notification_id):
    return _open(request, "staff", notification_id)

"""The message centre: a patient's (mobile) and a staff member's (workstation) list of their own messages.
Each area has its own pages so each is guarded by its own sign-in; the handlers are shared."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ihospital.accounts.models import STAFF_ROLES, Role
from ihospital.core.web import role_required
from ihospital.notifications import selectors, services


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
    notification = selectors.access_notification(user=request.user, public_id=notification_id)
    services.notification_mark_read(user=request.user, notification_id=notification.public_id)
    if notification.link and services.is_local_link(notification.link):
        return redirect(notification.link)
    return redirect(f"notifications:{area}_messages")


@role_required(Role.PATIENT)
def patient_messages(request):
    return _centre(request, "patient")


@role_required(Role.PATIENT)
@require_POST
def patient_mark_all_read(request):
    return _mark_all_read(request, "patient")


@role_required(Role.PATIENT)
def patient_open(request, notification_id):
    return _open(request, "patient", notification_id)


@role_required(*STAFF_ROLES)
def staff_messages(request):
    return _centre(request, "staff")


@role_required(*STAFF_ROLES)
@require_POST
def staff_mark_all_read(request):
    return _mark_all_read(request, "staff")


@role_required(*STAFF_ROLES)
def staff_open(request, notification_id):
    return _open(request, "staff", notification_id)

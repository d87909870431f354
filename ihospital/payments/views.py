"""The provider's notify endpoint (public, verified by signature) and the payer's receipt pages."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from ihospital.accounts.models import Role
from ihospital.audit.services import Actor
from ihospital.core import ratelimit
from ihospital.core.errors import CoreError, DomainError
from ihospital.core.money import format_fen
from ihospital.core.web import coded_response, role_required
from ihospital.payments import selectors, services
from ihospital.payments.services import his_reconcile
from ihospital.payments.services.notifications import MAX_BODY_BYTES

logger = logging.getLogger(__name__)


def _content_length(request) -> int:
    value = request.META.get("CONTENT_LENGTH", "")
    return int(value) if value.isdigit() else 0


@csrf_exempt  # the provider can't send a CSRF token; the signature is what authenticates it
@require_POST
def notify(request, provider: str):
    """Anyone can post here, so before anything is read or stored: posts per address are limited (429
    with Retry-After; a real provider retries) and a body over the size cap is refused unread (413)."""
    address = request.META.get("REMOTE_ADDR", "")
    limit = settings.PAYMENT_NOTIFY_PER_ADDRESS_PER_MINUTE
    if wait := ratelimit.hit("payments.notify", address, limit=limit, seconds=60):
        logger.warning("payment notification from %s refused: over %s per minute", address, limit)
        refused = coded_response(request, DomainError(CoreError.RATE_LIMITED))
        refused["Retry-After"] = str(wait)
        return refused
    if _content_length(request) > MAX_BODY_BYTES:
        return coded_response(request, DomainError(CoreError.TOO_LARGE))
    status, body = services.payment_notification_receive(
        provider_name=provider, headers=dict(request.headers), body=request.body
    )
    if body is None:
        return HttpResponse(status=status)
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


@role_required(Role.PATIENT)  # the payer; the selector limits it to their own orders
@require_http_methods(["GET", "POST"])
def receipt(request, order_id):
    """One order: its state, amount and refunds. POST "pay" sends an unpaid order to the cashier."""
    order = selectors.access_payment_order(user=request.user, public_id=order_id)
    if request.method == "POST":
        try:
            return HttpResponseRedirect(services.payment_checkout(order=order, actor=Actor.of(request.user, request)))
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("payments:receipt", order_id=order.public_id)
    refunds = [(refund, format_fen(refund.amount_fen)) for refund in order.refunds.all()]
    context = {
        "order": order,
        "amount": format_fen(order.amount_fen),
        "refunded": format_fen(order.refunded_fen),
        "refunds": refunds,
        "can_pay": order.status == order.Status.CREATED,
    }
    return render(request, "payments/receipt.html", context)


@role_required(Role.PATIENT)  # the payer; the selector limits it to their own orders
def receipts(request):
    orders = [(order, format_fen(order.amount_fen)) for order in selectors.payment_receipts(user=request.user)]
    return render(request, "payments/receipts.html", {"orders": orders})


@role_required(Role.HOSPITAL_ADMIN)
def his_mismatches(request):
    """对账差异: what the daily reconciliation with the HIS found, for the hospital administrator."""
    return render(request, "payments/his_mismatches.html", {"mismatches": selectors.his_mismatches()[:500]})


@role_required(Role.HOSPITAL_ADMIN)
@require_POST
def his_mismatch_resolve(request, mismatch_id):
    mismatch = selectors.access_his_mismatch(public_id=mismatch_id)
    try:
        his_reconcile.his_mismatch_resolve(
            mismatch=mismatch,
            note=request.POST.get("note", ""),
            resolved_by=request.user,
            actor=Actor.of(request.user, request),
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Marked resolved."))
    return redirect("payments:his_mismatches")

"""The sandbox's pages: the cashier a payer sees (only while the sandbox is the configured provider) and
a developer page to arm notification faults (only with DEV_INBOX_ENABLED)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ihospital.core.money import format_fen
from ihospital.integrations.models import SandboxNotification
from ihospital.integrations.payproviders import provider
from ihospital.integrations.payproviders.base import PayProviderError
from ihospital.integrations.payproviders.sandbox import control, trades
from ihospital.integrations.payproviders.sandbox.provider import SandboxPayProvider


def _sandbox_or_404() -> None:
    # Never offer a pretend "pay" button while a real provider takes the money.
    if not isinstance(provider(), SandboxPayProvider):
        raise Http404


@require_http_methods(["GET", "POST"])
def cashier(request, out_trade_no: str):
    _sandbox_or_404()
    try:
        payment = trades.payment_get(out_trade_no)
    except PayProviderError:
        raise Http404 from None
    problem = ""
    if request.method == "POST":
        if request.POST.get("action") == "cancel":  # the order stays unpaid; the payer may come back
            return HttpResponseRedirect(payment.return_url)
        try:
            trades.pay(out_trade_no)
            return HttpResponseRedirect(payment.return_url)
        except trades.CannotPay as exc:
            problem = str(exc.message)
    context = {
        "payment": payment,
        "merchant_name": settings.PAYMENT_SANDBOX_MERCHANT_NAME,
        "amount": format_fen(payment.amount_fen),
        "payable": payment.state == payment.State.NOTPAY,
        "problem": problem,
    }
    return render(request, "integrations/sandbox_pay/cashier.html", context, status=409 if problem else 200)


@require_http_methods(["GET", "POST"])
def faults(request):
    if not settings.DEV_INBOX_ENABLED:
        raise Http404
    if request.method == "POST":
        if request.POST.get("mode") == "clear":
            control.clear()
            messages.info(request, _("Faults cleared."))
        else:
            try:
                control.fault_next(
                    request.POST.get("mode", ""),
                    count=int(request.POST.get("count") or 1),
                    delay=int(request.POST.get("delay") or 0),
                )
                messages.success(request, _("Fault armed."))
            except ValueError as exc:
                messages.error(request, str(exc))
        return redirect("sandbox_pay:faults")
    fault, remaining = control.pending()
    context = {
        "fault": fault,
        "remaining": remaining,
        "modes": control.MODES,
        "notifications": SandboxNotification.objects.all()[:30],
    }
    return render(request, "integrations/sandbox_pay/faults.html", context)

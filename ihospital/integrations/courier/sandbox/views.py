"""The courier sandbox's developer page (only with DEV_INBOX_ENABLED, like the other sandboxes' pages):
parcels and their pushes; move a parcel on now, make its delivery fail, push an update again (a replay),
arm faults for the next shipments and pushes."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ihospital.integrations.courier.sandbox import control, route
from ihospital.integrations.models import SandboxCourierEvent, SandboxShipment


def _act(request) -> None:
    action = request.POST.get("action", "")
    if action == "fault":
        try:
            control.fault_next(request.POST.get("mode", ""), count=int(request.POST.get("count") or 1))
            messages.success(request, _("Fault armed."))
        except ValueError as exc:
            messages.error(request, str(exc))
    elif action == "clear":
        control.clear()
        messages.info(request, _("Faults cleared."))
    elif action == "advance":
        shipment = SandboxShipment.objects.filter(waybill_no=request.POST.get("waybill", "")).first()
        if shipment is None or route.advance(shipment.pk) is None:
            messages.error(request, _("This parcel can't move on any more."))
    elif action == "fail":
        if not route.arm_failure(request.POST.get("waybill", "")):
            messages.error(request, _("This parcel already arrived."))
    elif action == "replay":
        event = SandboxCourierEvent.objects.filter(event_id=request.POST.get("event", "")).first()
        if event is None:
            raise Http404
        route.replay(event.pk)
        messages.info(request, _("Update pushed again."))


@require_http_methods(["GET", "POST"])
def console(request):
    if not settings.DEV_INBOX_ENABLED:
        raise Http404
    if request.method == "POST":
        _act(request)
        return redirect("sandbox_courier:console")
    shipments = SandboxShipment.objects.prefetch_related("events")[:30]
    context = {"shipments": shipments, "faults": control.pending(), "modes": control.MODES}
    return render(request, "integrations/sandbox_courier/console.html", context)

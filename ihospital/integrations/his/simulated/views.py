"""The simulated HIS's control page (/dev/his/): the hospital "performs" an online order — the laboratory
or the imaging department releases its reports, normal, abnormal or with a critical value — and the
reports are pushed to the app. Answers 404 unless DEV_INBOX_ENABLED; never in production."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ihospital.integrations.his import simulated
from ihospital.integrations.his.simulated import reports, tasks
from ihospital.integrations.his.simulated.common import Refusal


@require_http_methods(["GET", "POST"])
def his_control(request):
    if not settings.DEV_INBOX_ENABLED:
        raise Http404
    his = simulated.configured()
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "push_twice":
            tasks.his_sim_push(copies=2)
            messages.info(request, _("Pending reports pushed twice."))
        elif action in reports.OUTCOMES:
            try:
                his.perform(request.POST.get("request_no", ""), action)
            except Refusal as refusal:
                messages.error(request, str(refusal))
            else:
                tasks.his_sim_push()
                messages.success(request, _("Order performed; its reports are released and pushed."))
        return redirect("dev:his_control")
    context = {"orders": his.recent_orders(), "pending": his.pending_notices(50), "outcomes": reports.OUTCOMES}
    return render(request, "integrations/sandbox_his/control.html", context)

"""Report pages (报告查询): the patient's reports (online orders and in-person visits), a report on a phone,
its PDF, its key images and a repeated item's trend; the same list for a doctor consulting the patient;
the doctor's acknowledgement of a critical value; and the inbound endpoint the hospital side pushes
released reports to (signed, see integrations/his/push.py).

Thin: authenticate (role or signature) → access_* (authorises and audits the read) → service → render.
"""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ihospital.accounts.models import Role
from ihospital.audit.services import Actor
from ihospital.core.errors import CoreError, DomainError
from ihospital.core.files.responses import private_file_response
from ihospital.core.time import local
from ihospital.core.web import role_required
from ihospital.integrations.his import push
from ihospital.labs import selectors, services
from ihospital.labs.models import Report
from ihospital.labs.pdf import report_pdf
from ihospital.labs.trend import trend_svg

logger = logging.getLogger("ihospital.labs.results")


def _actor(request) -> Actor:
    return Actor.of(request.user, request)


def _base(request) -> str:
    return "web/patient_base.html" if request.user.role == Role.PATIENT else "web/staff_base.html"


def _page(request) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


# --- the patient's and the doctor's lists ---------------------------------------------------------------
@role_required(Role.PATIENT)
def my_reports(request):
    persons = selectors.patient_persons(request.user)
    for person in persons:
        services.reports_sync_soon(person=person)  # new in-person reports show on a later visit
    shown = selectors.reports_of(user=request.user, persons=persons, page=_page(request), actor=_actor(request))
    return render(request, "labs/reports/list.html", {"base_template": _base(request), "page": shown, "person": None})


@role_required(Role.DOCTOR)
def patient_reports(request, person_id):
    person = selectors.access_visit_person_reports(request.user, person_id)
    services.reports_sync_soon(person=person)
    shown = selectors.reports_of(user=request.user, persons=[person], page=_page(request), actor=_actor(request))
    return render(request, "labs/reports/list.html", {"base_template": _base(request), "page": shown, "person": person})


# --- one report ------------------------------------------------------------------------------------------
def _chart(trend: selectors.Trend) -> str:
    points = [(local(point.reported_at), point.value, point.flag) for point in trend.points]
    title = _("%(name)s over time") % {"name": trend.name}
    return mark_safe(trend_svg(points=points, low=trend.low, high=trend.high, unit=trend.unit, title=title))  # noqa: S308 - every text escaped by trend_svg


@role_required(Role.PATIENT, Role.DOCTOR)
def report_detail(request, report_id):
    actor = _actor(request)
    report = selectors.access_report(request.user, report_id, actor=actor)
    repeated = selectors.repeated_items(report)
    chart = None
    numeric = [value for value in report.values.all() if value.numeric is not None]
    if len(numeric) == 1 and numeric[0].code in repeated:  # one repeated item (HbA1c): its trend on the page
        trend = selectors.trend_of(report=report, code=numeric[0].code, actor=actor)
        chart = _chart(trend) if trend else None
    context = {"base_template": _base(request), "report": report, "repeated": repeated, "chart": chart}
    return render(request, "labs/reports/detail.html", context)


def _trend_rows(trend: selectors.Trend) -> list[dict]:
    """The trend's values for its list, newest first, as plain text (one address computed for all)."""
    url = selectors.report_urls()
    return [
        {
            "url": url(point.report_id),
            "day": local(point.reported_at).date().isoformat(),
            "value": point.value.normalize(),
            "flag": point.flag,
            "critical": point.flag in ("HH", "LL"),
        }
        for point in reversed(trend.points)
    ]


@role_required(Role.PATIENT, Role.DOCTOR)
def report_trend(request, report_id, code):
    actor = _actor(request)
    report = selectors.access_report(request.user, report_id, actor=actor)
    trend = selectors.trend_of(report=report, code=code, actor=actor)
    if trend is None:
        raise DomainError(CoreError.NOT_FOUND)
    context = {"base_template": _base(request), "report": report, "trend": trend, "chart": _chart(trend)}
    context["rows"] = _trend_rows(trend)
    return render(request, "labs/reports/trend.html", context)


@require_GET
@role_required(Role.PATIENT, Role.DOCTOR)
def report_pdf_download(request, report_id):
    report = selectors.access_report(request.user, report_id, actor=_actor(request))
    data = report_pdf(report=report, hospital=settings.CA_ORGANIZATION)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="report-{report.his_report_no}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@role_required(Role.PATIENT, Role.DOCTOR)
def report_image(request, report_id, position):
    actor = _actor(request)
    report = selectors.access_report(request.user, report_id, actor=actor)
    image = selectors.access_key_image(report, position, actor=actor)
    return private_file_response(
        request, image.rendered, content_type="image/png", filename=f"{report.his_report_no}-{position}.png"
    )


# --- critical values (危急值) ------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@role_required(Role.DOCTOR)
def critical_alert(request, alert_id):
    alert = selectors.access_critical_alert(request.user, alert_id)
    if request.method == "POST":
        try:
            services.critical_alert_acknowledge(
                alert=alert, doctor=request.user, note=request.POST.get("note", ""), actor=_actor(request)
            )
        except DomainError as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, _("Acknowledged. The acknowledgement is recorded."))
        return redirect("labs:critical_alert", alert.public_id)
    context = {"alert": alert, "report": alert.report, "open_alerts": selectors.open_critical_alerts(request.user)}
    return render(request, "labs/reports/critical_alert.html", context)


# --- the hospital side's push -----------------------------------------------------------------------------
def _push_answer(code: str, status: int, message: str = "") -> JsonResponse:
    return JsonResponse({"code": code, "message": message}, status=status)


@csrf_exempt
@require_POST
def push_reports(request):
    """A released report pushed by the hospital side: 200 once applied (or already), 401 for a bad
    signature, 409 for a replayed nonce, 400 unreadable, 422/404 for a report refused (audited)."""
    body = request.body
    headers = {name: request.headers.get(name, "") for name in push.HEADERS}
    try:
        nonce = push.verify(
            settings.HIS_PUSH_SECRET, headers=headers, body=body, tolerance_seconds=settings.HIS_PUSH_TOLERANCE_SECONDS
        )
        if not cache.add(f"his-push-nonce:{nonce}", 1, timeout=2 * settings.HIS_PUSH_TOLERANCE_SECONDS):
            raise push.PushRefused("push.replayed", "nonce seen before")
        pushed = push.parse(body)
    except push.PushRefused as refusal:
        logger.warning("his push refused: %s", refusal.code)
        status = {"push.unreadable": 400, "push.replayed": 409}.get(refusal.code, 401)
        return _push_answer(refusal.code, status, str(refusal))
    try:
        applied = services.report_apply(report=pushed.report, via=Report.Via.PUSH)
    except DomainError as refusal:
        return _push_answer(refusal.code, refusal.status, refusal.message)
    code = "report.applied" if applied.created else "report.duplicate"
    return HttpResponse(
        json.dumps({"code": code, "report": str(applied.report.public_id)}), content_type="application/json"
    )

"""Shell pages: the front door and the staff workstation's landing page per role."""

import json
import logging

from django.conf import settings
from django.http import HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from ihospital.accounts.models import STAFF_ROLES, Role
from ihospital.accounts.services import account_language_set
from ihospital.audit.services import Actor
from ihospital.core import ratelimit
from ihospital.core.errors import CoreError, DomainError
from ihospital.core.web import error_response, role_required

# What each role's landing page offers: only work that exists, each entry a link that opens. A role's
# queues are added here when they are built (prescriptions, pharmacist review, nursing questions).
WORKSTATION_SECTIONS = {
    Role.DOCTOR: ["consultations", "messages"],
    Role.PHARMACIST: ["prescription_review", "messages"],
    Role.NURSE: ["labs_checkin", "messages"],
    Role.HOSPITAL_ADMIN: ["admin", "messages"],
    Role.SECURITY_ADMIN: ["admin", "messages"],
    Role.AUDITOR: ["admin", "messages"],
}


def home(request):
    return render(request, "web/home.html")


@role_required(*STAFF_ROLES)
def staff_home(request):
    return render(request, "web/staff_home.html", {"sections": WORKSTATION_SECTIONS.get(request.user.role, [])})


def healthz(request):
    """For load balancers and monitors: the process answers. No database access, no session."""
    return HttpResponse("ok", content_type="text/plain")


@require_POST
def language_set(request):
    """Django's ``set_language`` (cookie and redirect back), and for a signed-in person the choice is
    also kept on the account: their messages, sent later by others, are written in it."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        account_language_set(user=request.user, language=language, actor=Actor.of(request.user, request))
    return response


# Django's error handlers (config/urls.py handler403/404/500), on the one error page of core.web.


def page_not_found(request, exception=None):
    return error_response(request, DomainError(CoreError.NOT_FOUND))


def permission_denied(request, exception=None):
    return error_response(request, DomainError(CoreError.FORBIDDEN))


def csrf_failure(request, reason=""):
    """settings.CSRF_FAILURE_VIEW: Django's own page is unbranded, in English terms and styled inline
    (which the Content-Security-Policy blocks)."""
    return error_response(request, DomainError(CoreError.CSRF_FAILED))


def server_error(request):
    """Rendered without the request: what failed may be the database or the session, which the signed-in
    user, the messages and the CSRF token would touch again."""
    error = DomainError(CoreError.SERVER_ERROR)
    context = {"error": error, "message": error.message, "status": error.status}
    return HttpResponseServerError(loader.render_to_string(settings.WEB_ERROR_TEMPLATE, context))


csp_logger = logging.getLogger("ihospital.web.csp")
CSP_REPORT_MAX_BYTES = 16 * 1024
# What a report says, in either format: report-uri's {"csp-report": {...}} or the Reporting API's
# [{"type": "csp-violation", "body": {...}}].
_CSP_FIELDS = {
    "page": ("document-uri", "documentURL"),
    "directive": ("effective-directive", "violated-directive", "effectiveDirective"),
    "blocked": ("blocked-uri", "blockedURL"),
    "source": ("source-file", "sourceFile"),
    "line": ("line-number", "lineNumber"),
}


def _csp_violations(body: bytes) -> list[dict]:
    try:
        parsed = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return []
    items = parsed if isinstance(parsed, list) else [parsed]
    found = []
    for item in items:
        if isinstance(item, dict):
            report = item.get("csp-report") or item.get("body")
            if isinstance(report, dict):
                found.append(report)
    return found


@csrf_exempt  # browsers post reports without a CSRF token
@require_POST
def csp_report(request):
    """Where browsers report Content-Security-Policy violations: each is logged on one bounded line
    (``ihospital.web.csp``, WARNING). Anyone can post here: limited per address, small bodies only."""
    address = request.META.get("REMOTE_ADDR", "")
    limit = settings.CSP_REPORTS_PER_ADDRESS_PER_MINUTE
    if wait := ratelimit.hit("web.csp_report", address, limit=limit, seconds=60):
        return HttpResponse(status=429, headers={"Retry-After": str(wait)})
    length = request.META.get("CONTENT_LENGTH", "")
    if length.isdigit() and int(length) > CSP_REPORT_MAX_BYTES:
        return HttpResponse(status=413)
    for report in _csp_violations(request.body)[:10]:
        shown = {
            name: next((str(report[k]) for k in keys if k in report), "")[:200] for name, keys in _CSP_FIELDS.items()
        }
        csp_logger.warning(
            "CSP violation from %s: %s blocked %s on %s (%s:%s)",
            address,
            shown["directive"],
            shown["blocked"],
            shown["page"],
            shown["source"],
            shown["line"],
        )
    return HttpResponse(status=204)

"""Shell pages: the front door and the staff workstation's landing page per role."""

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from ihospital.accounts.models import STAFF_ROLES, Role
from ihospital.accounts.services import account_language_set
from ihospital.audit.services import Actor
from ihospital.core.web import role_required

# What each role's landing page offers. Later issues fill in the work queues behind these entries.
WORKSTATION_SECTIONS = {
    Role.DOCTOR: ["consultations", "prescriptions", "records"],
    Role.PHARMACIST: ["prescription_review", "drug_consultations"],
    Role.NURSE: ["nursing_consultations"],
    Role.HOSPITAL_ADMIN: ["admin"],
    Role.SECURITY_ADMIN: ["admin"],
    Role.AUDITOR: ["admin"],
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

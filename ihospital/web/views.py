"""Shell pages: the front door and the staff workstation's landing page per role."""

from django.http import HttpResponse
from django.shortcuts import render

from ihospital.accounts.models import STAFF_ROLES, Role
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

"""Shell pages: the front door and the staff workstation's landing page per role."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render

from ihospital.accounts.models import Role

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


@login_required
def staff_home(request):
    role = request.user.role
    if role == Role.PATIENT:
        return redirect("accounts:patient_home")
    return render(request, "web/staff_home.html", {"sections": WORKSTATION_SECTIONS.get(role, [])})


def healthz(request):
    """For load balancers and monitors: the process answers. No database access, no session."""
    return HttpResponse("ok", content_type="text/plain")

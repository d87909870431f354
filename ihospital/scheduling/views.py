from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import ngettext

from ihospital.accounts.models import Role
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.core.web import attach_error, role_required
from ihospital.scheduling.forms import WeekForm
from ihospital.scheduling.models import Period
from ihospital.scheduling.selectors import access_doctor, doctor_fees
from ihospital.scheduling.services import WeekPlan, schedule_create_week


@role_required(*Role.values)
def doctor_photo(request, doctor_id):
    """A doctor's portrait for the patient pages and the app. Uploads stay outside the static root; this
    serves only the photo of an active doctor, to signed-in users."""
    doctor = access_doctor(doctor_id)
    if not doctor.photo:
        raise Http404
    response = FileResponse(doctor.photo.open("rb"))
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@role_required(Role.HOSPITAL_ADMIN)
def schedule_week(request):
    """The hospital administrator creates a week of a doctor's sessions at once (all or none)."""
    initial = {
        name: request.GET[key] for name, key in (("doctor", "doctor"), ("week_start", "week")) if key in request.GET
    }
    form = WeekForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        plan = WeekPlan(
            doctor=form.cleaned_data["doctor"],
            department=form.cleaned_data["department"],
            week_start=form.week(),
            sessions=form.sessions,
            slot_minutes=form.cleaned_data["slot_minutes"],
        )
        try:
            created = schedule_create_week(plan=plan, actor=Actor.of(request.user, request))
        except DomainError as error:
            attach_error(form, error)
        else:
            count = len(created)
            messages.success(
                request,
                ngettext(
                    "%(count)d session created for %(doctor)s in the week of %(week)s.",
                    "%(count)d sessions created for %(doctor)s in the week of %(week)s.",
                    count,
                )
                % {"count": count, "doctor": plan.doctor.user.display_name, "week": plan.week_start.isoformat()},
            )
            return redirect(f"{reverse('scheduling:schedule_week')}?doctor={plan.doctor.public_id}")
    fees = {
        str(doctor.public_id): {category: f"{fee / 100:.2f}" for category, fee in doctor_fees(doctor).items()}
        for doctor in form.fields["doctor"].queryset
    }
    return render(request, "scheduling/schedule_week.html", {"form": form, "fees": fees, "periods": Period.choices})

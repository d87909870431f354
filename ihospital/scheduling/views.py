from django.http import FileResponse, Http404

from ihospital.accounts.models import Role
from ihospital.core.web import role_required
from ihospital.scheduling.selectors import access_doctor


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

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404

from ihospital.core.errors import DomainError
from ihospital.scheduling.selectors import access_doctor


@login_required
def doctor_photo(request, doctor_id):
    """A doctor's portrait for the patient pages and the app. Uploads stay outside the static root; this
    serves only the photo of an active doctor, to signed-in users."""
    try:
        doctor = access_doctor(doctor_id)
    except DomainError:
        raise Http404 from None
    if not doctor.photo:
        raise Http404
    response = FileResponse(doctor.photo.open("rb"))
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response

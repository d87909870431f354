import io

from django.core.files.base import ContentFile
from django.test import Client
from PIL import Image

from ihospital.appointments.tests.factories import doctor_profile


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "navy").save(out, "PNG")
    return out.getvalue()


def test_doctor_photo_is_served_to_signed_in_users_only(alice, dr_bob):
    profile = doctor_profile(dr_bob)
    profile.photo.save("bob.png", ContentFile(_png()))
    url = f"/doctors/{profile.public_id}/photo"
    assert Client().get(url).status_code == 302  # anonymous: to sign-in
    client = Client()
    client.force_login(alice)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"\x89PNG")
    page = client.get(f"/p/book/doctors/{profile.public_id}/").content.decode()
    assert 'data-testid="doctor-photo"' in page


def test_no_photo_is_not_found(alice, dr_bob):
    client = Client()
    client.force_login(alice)
    assert client.get(f"/doctors/{doctor_profile(dr_bob).public_id}/photo").status_code == 404

"""A doctor's photo from the back office: checked and cleaned like patients' uploads (patients see it),
written to storage before the admin page's transaction opens, and removed if that page saves nothing."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from ihospital.audit.models import AuditEvent
from ihospital.core.testing.storage import storage_writes, stored_files
from ihospital.scheduling.models import Department, DoctorProfile

GPS_IFD = 0x8825


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[GPS_IFD] = {1: "N", 2: (31.0, 18.0, 0.0), 3: "E", 4: (120.0, 37.0, 0.0)}
    out = BytesIO()
    Image.new("RGB", (16, 12), "navy").save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


@pytest.fixture
def profile(dr_bob):
    cardiology = Department.objects.create(code="cardiology", name_zh="心血管内科", name_en="Cardiology")
    profile = DoctorProfile.objects.create(user=dr_bob)
    profile.departments.set([cardiology])
    return profile


def change_page(client, profile, photo: bytes, **overrides):
    form = {
        "departments": [d.pk for d in profile.departments.all()], "specialties": "", "introduction": "",
        "fee_video": "", "fee_text": "", "fee_onsite": "", "_save": "Save",
        "photo": SimpleUploadedFile("me.jpg", photo, "image/jpeg"),
    }  # fmt: skip
    return client.post(f"/admin/scheduling/doctorprofile/{profile.pk}/change/", {**form, **overrides})


def test_a_doctors_photo_is_stored_before_the_page_transaction_and_without_its_location(admin_client_for, profile):
    with storage_writes() as writes:
        response = change_page(admin_client_for("hospital_admin"), profile, jpeg_with_gps())
    assert response.status_code == 302, response.context["adminform"].form.errors
    profile.refresh_from_db()
    assert [(w.name, w.depth) for w in writes] == [(profile.photo.name, 0)]
    assert stored_files() == [profile.photo.name]
    with profile.photo.open("rb") as stored, Image.open(stored) as image:
        assert image.format == "JPEG" and not image.getexif().get_ifd(GPS_IFD)
    entry = AuditEvent.objects.get(action="doctor_profile.update")
    assert entry.details == {"photo": ["", profile.photo.name]}


def test_a_photo_on_a_refused_form_leaves_no_file(admin_client_for, profile):
    response = change_page(admin_client_for("hospital_admin"), profile, jpeg_with_gps(), specialties="x" * 201)
    assert response.status_code == 200 and response.context["adminform"].form.errors
    assert stored_files() == []
    profile.refresh_from_db()
    assert not profile.photo


def test_a_photo_whose_page_rolls_back_leaves_no_file(admin_client_for, profile, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the fee table is unavailable")

    monkeypatch.setattr("ihospital.scheduling.admin.doctor_fees_set", broken)
    with pytest.raises(RuntimeError):
        change_page(admin_client_for("hospital_admin"), profile, jpeg_with_gps(), fee_video="30")
    assert stored_files() == []
    profile.refresh_from_db()
    assert not profile.photo and not AuditEvent.objects.filter(action="doctor_profile.update").exists()


def test_a_pdf_is_not_a_doctors_photo(admin_client_for, profile):
    response = change_page(admin_client_for("hospital_admin"), profile, b"%PDF-1.4\n%%EOF\n")
    assert response.status_code == 200 and "photo" in response.context["adminform"].form.errors
    assert stored_files() == []


def test_a_role_that_may_not_change_doctors_stores_nothing(admin_client_for, profile):
    assert change_page(admin_client_for("auditor"), profile, jpeg_with_gps()).status_code == 403
    assert stored_files() == []

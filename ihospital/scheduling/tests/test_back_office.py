"""The hospital administrator's back office: departments, doctor profiles and fees are saved through
services that audit the old and new values; other roles are refused; nothing is deleted."""

from datetime import date, time, timedelta

import pytest

from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.scheduling.models import Department, DoctorFee, DoctorProfile, Schedule
from ihospital.scheduling.services import ScheduleInput, department_update, doctor_fees_set, schedule_create


@pytest.fixture
def cardiology(db):
    return Department.objects.create(code="cardiology", name_zh="心血管内科", name_en="Cardiology")


@pytest.fixture
def internal(db):
    return Department.objects.create(code="internal", name_zh="内科", name_en="Internal Medicine")


def last_entry(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).latest("id")


def department_form(department: Department, **overrides) -> dict:
    data = {
        "name_zh": department.name_zh,
        "name_en": department.name_en,
        "parent": department.parent_id or "",
        "is_online": "on" if department.is_online else "",
        "description": department.description,
        "sort_order": department.sort_order,
        "_save": "Save",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not False}


def test_a_new_department_is_created_through_the_service_and_audited(admin_client_for, internal):
    client = admin_client_for("hospital_admin")
    response = client.post(
        "/admin/scheduling/department/add/",
        {"code": "geriatrics", "name_zh": "老年科", "name_en": "Geriatrics", "parent": internal.pk, "is_online": "on",
         "description": "", "sort_order": 3, "_save": "Save"},
    )  # fmt: skip
    assert response.status_code == 302, response.context["adminform"].form.errors
    created = Department.objects.get(code="geriatrics")
    assert created.parent == internal
    entry = last_entry("department.create")
    assert entry.target_id == str(created.public_id) and entry.actor_role == "hospital_admin"
    assert entry.details["parent"] == "internal" and entry.details["name_zh"] == "老年科"


def test_taking_a_department_offline_and_moving_it_records_old_and_new(admin_client_for, cardiology, internal):
    client = admin_client_for("hospital_admin")
    response = client.post(
        f"/admin/scheduling/department/{cardiology.pk}/change/",
        department_form(cardiology, is_online=False, parent=internal.pk),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    cardiology.refresh_from_db()
    assert (cardiology.is_online, cardiology.parent) == (False, internal)
    assert last_entry("department.update").details == {"is_online": [True, False], "parent": [None, "internal"]}


def test_a_department_cannot_sit_under_its_own_sub_department(admin_client_for, cardiology, internal):
    Department.objects.filter(pk=cardiology.pk).update(parent=internal)
    client = admin_client_for("hospital_admin")
    internal.refresh_from_db()
    response = client.post(
        f"/admin/scheduling/department/{internal.pk}/change/", department_form(internal, parent=cardiology.pk)
    )
    assert response.status_code == 200 and "parent" in response.context["adminform"].form.errors
    with pytest.raises(DomainError) as refused:
        department_update(department=internal, changes={"parent": cardiology}, actor=Actor.system())
    assert refused.value.code == "department.invalid"
    assert Department.objects.get(pk=internal.pk).parent is None
    assert not AuditEvent.objects.filter(action="department.update").exists()


def test_a_doctor_profile_is_created_with_fees_through_the_services(admin_client_for, dr_bob, cardiology):
    client = admin_client_for("hospital_admin")
    response = client.post(
        "/admin/scheduling/doctorprofile/add/",
        {"user": dr_bob.pk, "departments": [cardiology.pk], "specialties": "高血压", "introduction": "",
         "fee_video": "30", "fee_text": "12.50", "fee_onsite": "", "_save": "Save"},
    )  # fmt: skip
    assert response.status_code == 302, response.context["adminform"].form.errors
    profile = DoctorProfile.objects.get(user=dr_bob)
    assert list(profile.departments.all()) == [cardiology]
    assert dict(profile.fees.values_list("category", "fee_fen")) == {"video": 3000, "text": 1250}
    assert last_entry("doctor_profile.create").details["departments"] == ["cardiology"]
    assert last_entry("doctor_fee.set").details == {"video": [None, 3000], "text": [None, 1250]}


def test_changing_a_doctors_departments_introduction_and_fees_records_old_and_new(
    admin_client_for, dr_bob, cardiology, internal
):
    profile = DoctorProfile.objects.create(user=dr_bob, introduction="旧介绍")
    profile.departments.set([cardiology])
    DoctorFee.objects.create(doctor=profile, category="video", fee_fen=3000)
    DoctorFee.objects.create(doctor=profile, category="onsite", fee_fen=1000)
    client = admin_client_for("hospital_admin")
    response = client.post(
        f"/admin/scheduling/doctorprofile/{profile.pk}/change/",
        {"departments": [cardiology.pk, internal.pk], "specialties": "", "introduction": "新介绍",
         "fee_video": "50.00", "fee_text": "", "fee_onsite": "", "_save": "Save"},
    )  # fmt: skip
    assert response.status_code == 302, response.context["adminform"].form.errors
    profile.refresh_from_db()
    assert profile.introduction == "新介绍"
    assert dict(profile.fees.values_list("category", "fee_fen")) == {"video": 5000}
    assert last_entry("doctor_profile.update").details == {
        "departments": [["cardiology"], ["cardiology", "internal"]],
        "introduction": ["旧介绍", "新介绍"],
    }
    assert last_entry("doctor_fee.set").details == {"video": [3000, 5000], "onsite": [1000, None]}


def test_saving_an_unchanged_profile_writes_no_audit_entry(admin_client_for, dr_bob, cardiology):
    profile = DoctorProfile.objects.create(user=dr_bob, specialties="高血压")
    profile.departments.set([cardiology])
    client = admin_client_for("hospital_admin")
    response = client.post(
        f"/admin/scheduling/doctorprofile/{profile.pk}/change/",
        {"departments": [cardiology.pk], "specialties": "高血压", "introduction": "", "fee_video": "",
         "fee_text": "", "fee_onsite": "", "_save": "Save"},
    )  # fmt: skip
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action__in=["doctor_profile.update", "doctor_fee.set"]).exists()


def test_fees_are_never_negative(dr_bob):
    profile = DoctorProfile.objects.create(user=dr_bob)
    with pytest.raises(DomainError) as refused:
        doctor_fees_set(doctor=profile, fees={"video": -1}, actor=Actor.system())
    assert refused.value.code == "doctor_fee.invalid" and not DoctorFee.objects.exists()


@pytest.mark.parametrize("role", ["security_admin", "auditor"])
def test_other_roles_cannot_change_departments_or_doctors(role, admin_client_for, cardiology, dr_bob):
    profile = DoctorProfile.objects.create(user=dr_bob)
    client = admin_client_for(role)
    page = f"/admin/scheduling/department/{cardiology.pk}/change/"
    assert client.post(page, department_form(cardiology, is_online=False)).status_code == 403
    assert client.post(f"/admin/scheduling/doctorprofile/{profile.pk}/change/", {}).status_code == 403
    assert Department.objects.get(pk=cardiology.pk).is_online


def test_departments_and_profiles_are_never_deleted_from_the_back_office(admin_client_for, cardiology, dr_bob):
    profile = DoctorProfile.objects.create(user=dr_bob)
    client = admin_client_for("hospital_admin")
    assert client.post(f"/admin/scheduling/department/{cardiology.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(f"/admin/scheduling/doctorprofile/{profile.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Department.objects.filter(pk=cardiology.pk).exists() and DoctorProfile.objects.filter(pk=profile.pk).exists()


def test_a_page_with_no_service_behind_it_saves_nothing(admin_client_for, dr_bob, cardiology):
    """The roster's page only copies and stops schedules (through services): saving one is refused."""
    profile = DoctorProfile.objects.create(user=dr_bob)
    schedule = schedule_create(
        data=ScheduleInput(
            doctor=profile, department=cardiology, date=date.today() + timedelta(days=3), period="morning",
            category="video", capacity=5, fee_fen=3000,
        ),
        actor=Actor.system(),
    )  # fmt: skip
    client = admin_client_for("hospital_admin")
    assert client.post(f"/admin/scheduling/schedule/{schedule.pk}/change/", {"_save": "Save"}).status_code == 403


def test_the_new_profile_account_list_offers_only_doctors_without_a_profile(
    admin_client_for, dr_bob, dr_erin, alice, carol, cardiology
):
    DoctorProfile.objects.create(user=dr_bob)
    response = admin_client_for("hospital_admin").get("/admin/scheduling/doctorprofile/add/")
    offered = list(response.context["adminform"].form.fields["user"].queryset)
    assert offered == [dr_erin]


def test_fees_are_shown_in_yuan_in_the_back_office(admin_client_for, dr_bob, cardiology):
    schedule_create(
        data=ScheduleInput(
            doctor=DoctorProfile.objects.create(user=dr_bob), department=cardiology,
            date=date.today() + timedelta(days=2), period="morning", category="video", capacity=3, fee_fen=3050,
            starts_at_time=time(9),
        ),
        actor=Actor.system("test"),
    )  # fmt: skip
    client = admin_client_for("hospital_admin")
    listing = client.get("/admin/scheduling/schedule/").content.decode()
    assert "¥30.50" in listing and "3050" not in listing
    schedule = Schedule.objects.get()
    page = client.get(f"/admin/scheduling/schedule/{schedule.pk}/change/").content.decode()
    assert "¥30.50" in page and "3050" not in page

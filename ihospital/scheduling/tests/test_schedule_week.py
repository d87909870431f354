"""Hospital administrators create a week of a doctor's sessions from a staff page: all at once or none,
fees from the doctor's fee table unless entered, duplicates named per session, audited."""

from datetime import date, timedelta

import pytest
from django.test import Client

from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.core.time import local, now
from ihospital.scheduling.models import Department, DoctorFee, DoctorProfile, Schedule
from ihospital.scheduling.services import ScheduleInput, WeekPlan, WeekSession, schedule_create, schedule_create_week

PAGE = "/staff/schedules/week/"


@pytest.fixture
def cardiology(db):
    return Department.objects.create(code="cardiology", name_zh="心血管内科", name_en="Cardiology")


@pytest.fixture
def bob(dr_bob, cardiology):
    profile = DoctorProfile.objects.create(user=dr_bob)
    profile.departments.set([cardiology])
    DoctorFee.objects.create(doctor=profile, category="video", fee_fen=3000)
    return profile


def next_monday() -> date:
    today = local(now()).date()
    return today + timedelta(days=7 - today.weekday())


def week_form(doctor, department, **cells) -> dict:
    data = {
        "doctor": str(doctor.public_id),
        "department": str(department.public_id),
        "week_start": next_monday().isoformat(),
        "slot_minutes": "10",
    }
    data.update(cells)
    return data


def test_a_hospital_admin_creates_a_week_with_the_doctors_fee_unless_another_is_entered(
    admin_client_for, bob, cardiology
):
    client = admin_client_for("hospital_admin")
    page = client.get(PAGE)
    assert page.status_code == 200 and "doctor-fees" in page.content.decode()
    response = client.post(
        PAGE,
        week_form(
            bob,
            cardiology,
            **{"d0-morning": "video", "d0-morning-capacity": "12"},
            **{"d2-afternoon": "text", "d2-afternoon-capacity": "6", "d2-afternoon-fee": "25.50"},
        ),
    )
    assert response.status_code == 302
    sessions = list(Schedule.objects.filter(doctor=bob).order_by("date").values_list(
        "date", "period", "category", "capacity", "fee_fen", "department"
    ))  # fmt: skip
    monday = next_monday()
    assert sessions == [
        (monday, "morning", "video", 12, 3000, cardiology.pk),
        (monday + timedelta(days=2), "afternoon", "text", 6, 2550, cardiology.pk),
    ]
    assert Schedule.objects.get(doctor=bob, period="morning").slots.count() == 12
    entry = AuditEvent.objects.get(action="schedule.create_week")
    assert entry.actor_role == "hospital_admin" and entry.target_id == str(bob.public_id)
    assert [s[:5] for s in entry.details["sessions"]] == [
        [monday.isoformat(), "morning", "video", 12, 3000],
        [(monday + timedelta(days=2)).isoformat(), "afternoon", "text", 6, 2550],
    ]


def test_a_duplicate_session_refuses_the_whole_week_and_names_the_session(admin_client_for, bob, cardiology):
    schedule_create(
        data=ScheduleInput(
            doctor=bob, department=cardiology, date=next_monday() + timedelta(days=1), period="evening",
            category="video", capacity=5, fee_fen=3000,
        ),
        actor=Actor.system(),
    )  # fmt: skip
    client = admin_client_for("hospital_admin")
    response = client.post(
        PAGE,
        week_form(
            bob,
            cardiology,
            **{"d0-morning": "video", "d0-morning-capacity": "12"},
            **{"d1-evening": "video", "d1-evening-capacity": "12"},
        ),
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["d1-evening"]
    assert 'data-testid="error-d1-evening"' in response.content.decode()
    assert Schedule.objects.filter(doctor=bob).count() == 1
    assert not AuditEvent.objects.filter(action="schedule.create_week").exists()


def test_a_category_without_a_fee_on_file_needs_a_fee(admin_client_for, bob, cardiology):
    client = admin_client_for("hospital_admin")
    response = client.post(PAGE, week_form(bob, cardiology, **{"d3-morning": "onsite", "d3-morning-capacity": "20"}))
    assert response.status_code == 200 and "d3-morning" in response.context["form"].errors
    assert not Schedule.objects.exists()


def test_the_service_refuses_past_sessions_and_departments_the_doctor_is_not_in(bob, admin):
    elsewhere = Department.objects.create(code="surgery", name_zh="外科", name_en="Surgery")
    last_week = next_monday() - timedelta(days=14)
    plan = WeekPlan(
        doctor=bob, department=elsewhere, week_start=last_week, sessions=[WeekSession(0, "morning", "video", 5)]
    )
    with pytest.raises(DomainError) as refused:
        schedule_create_week(plan=plan, actor=Actor.of(admin))
    assert refused.value.code == "schedule.invalid"
    assert set(refused.value.fields) == {"department", "d0-morning"}
    assert not Schedule.objects.exists()


@pytest.mark.parametrize("role", ["security_admin", "auditor"])
def test_other_back_office_roles_are_refused(role, admin_client_for, bob, cardiology):
    client = admin_client_for(role)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, week_form(bob, cardiology, **{"d0-morning": "video"})).status_code == 403
    assert not Schedule.objects.exists()


def test_clinical_staff_and_patients_are_refused(dr_erin, alice):
    for user in (dr_erin, alice):
        client = Client()
        client.force_login(user)
        assert client.get(PAGE).status_code == 403


def test_anonymous_visitors_are_sent_to_the_staff_sign_in(db):
    response = Client().get(PAGE)
    assert response.status_code == 302 and response.url.startswith("/staff/sign-in/")


def test_the_page_is_linked_for_hospital_admins_only(admin_client_for, dr_bob):
    client = admin_client_for("hospital_admin")
    assert 'data-testid="go-schedule-week"' in client.get("/staff/").content.decode()
    assert 'data-testid="go-schedule-week"' in client.get("/admin/scheduling/schedule/").content.decode()
    doctor = Client()
    doctor.force_login(dr_bob)
    assert 'data-testid="go-schedule-week"' not in doctor.get("/staff/").content.decode()

"""Who may hold which place: one visit person is in one place at a time (no two active bookings whose
slots overlap), and a department with an age range sees only patients of those ages (whole years on the
session's date, from the birth date in the resident ID)."""

from datetime import date, timedelta

import pytest

from ihospital.accounts import services as accounts
from ihospital.appointments.models import Appointment
from ihospital.appointments.services import appointment_book, appointment_cancel
from ihospital.appointments.tests.factories import (
    SYSTEM,
    booking,
    department,
    online_schedule,
    resident_id,
    visit_person,
)
from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.scheduling.models import Department


def refused(call) -> DomainError:
    with pytest.raises(DomainError) as error:
        call()
    return error.value


def book(account, person, schedule):
    return appointment_book(account=account, data=booking(person, schedule), actor=Actor.of(account))


def child_of(account, *, born: date, sequence: int = 50):
    return accounts.visit_person_create(
        account=account,
        data=accounts.VisitPersonInput(
            relationship="child",
            name="小明",
            id_number=resident_id(sequence, born),
            phone=account.phone,
            guardian_name="李爱丽",
            guardian_id_number=resident_id(sequence + 1),
            guardian_phone=account.phone,
        ),
        actor=SYSTEM,
    )


# --- overlapping bookings ---------------------------------------------------------------------------


def test_one_visit_person_cannot_hold_two_bookings_at_overlapping_times(alice, dr_bob, dr_erin):
    person = visit_person(alice)
    book(alice, person, online_schedule(dr_bob))
    same_time_other_doctor = online_schedule(dr_erin)
    error = refused(lambda: book(alice, person, same_time_other_doctor))
    assert error.code == "appointment.time_conflict"
    assert Appointment.objects.filter(visit_person=person).count() == 1
    assert same_time_other_doctor.slots.filter(status="free").count() == same_time_other_doctor.capacity


def test_another_visit_person_of_the_account_may_book_the_same_time(alice, dr_bob, dr_erin):
    book(alice, visit_person(alice, 1), online_schedule(dr_bob))
    book(alice, visit_person(alice, 2), online_schedule(dr_erin))
    assert Appointment.objects.count() == 2


def test_bookings_that_do_not_overlap_are_allowed(alice, dr_bob, dr_erin):
    person = visit_person(alice)
    book(alice, person, online_schedule(dr_bob))
    book(alice, person, online_schedule(dr_erin, starts_in=timedelta(days=2)))
    assert Appointment.objects.filter(visit_person=person).count() == 2


def test_a_cancelled_booking_frees_its_time_for_the_person(alice, dr_bob, dr_erin):
    person = visit_person(alice)
    first = book(alice, person, online_schedule(dr_bob))
    appointment_cancel(account=alice, appointment=first, actor=SYSTEM)
    book(alice, person, online_schedule(dr_erin))
    assert Appointment.objects.filter(visit_person=person, status__in=Appointment.ACTIVE).count() == 1


# --- age ranges -------------------------------------------------------------------------------------


def test_a_child_cannot_be_booked_into_an_adults_only_department(alice, dr_bob):
    Department.objects.filter(pk=department().pk).update(min_age_years=18)
    schedule = online_schedule(dr_bob)
    child = child_of(alice, born=schedule.date.replace(year=schedule.date.year - 10))
    error = refused(lambda: book(alice, child, schedule))
    assert error.code == "appointment.age_not_seen"
    assert "18" in error.fields["visit_person"] and "10" in error.fields["visit_person"]
    assert not Appointment.objects.exists()
    book(alice, visit_person(alice), schedule)  # an adult may


def test_age_is_counted_in_whole_years_on_the_sessions_date(alice, dr_bob):
    Department.objects.filter(pk=department().pk).update(min_age_years=18)
    schedule = online_schedule(dr_bob)
    eighteen_that_day = schedule.date.replace(year=schedule.date.year - 18)
    eighteen_next_day = eighteen_that_day + timedelta(days=1)
    assert refused(lambda: book(alice, child_of(alice, born=eighteen_next_day), schedule)).code == (
        "appointment.age_not_seen"
    )
    book(alice, child_of(alice, born=eighteen_that_day, sequence=60), schedule)


def test_a_childrens_department_refuses_adults(alice, dr_bob):
    Department.objects.filter(pk=department().pk).update(max_age_years=14)
    error = refused(lambda: book(alice, visit_person(alice), online_schedule(dr_bob)))
    assert error.code == "appointment.age_not_seen"


def test_the_age_range_is_set_in_the_back_office_through_the_audited_service(admin_client_for):
    clinic = department()
    client = admin_client_for("hospital_admin")
    form = {
        "name_zh": clinic.name_zh, "name_en": clinic.name_en, "parent": "", "is_online": "on", "description": "",
        "sort_order": 0, "min_age_years": 18, "max_age_years": "", "_save": "Save",
    }  # fmt: skip
    response = client.post(f"/admin/scheduling/department/{clinic.pk}/change/", form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    clinic.refresh_from_db()
    assert (clinic.min_age_years, clinic.max_age_years) == (18, None)
    entry = AuditEvent.objects.filter(action="department.update").latest("id")
    assert entry.details == {"min_age_years": [None, 18]}
    response = client.post(
        f"/admin/scheduling/department/{clinic.pk}/change/", {**form, "min_age_years": 18, "max_age_years": 12}
    )
    assert response.status_code == 200 and "max_age_years" in response.context["adminform"].form.errors

"""Earlier visits: online ones from our database and in-person ones from the HIS, for the doctor of the
patient's consultation and for the patient; every read audited; the last copy shown when the HIS is down."""

import pytest
from django.urls import reverse

from ihospital.accounts.models import VisitPerson
from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.consultations.services import consultation_complete

SEEDED_WITH_VISITS = "00000001"  # the simulated HIS's persona with 14 in-person visits


@pytest.fixture
def person(in_progress):
    person = in_progress.appointment.visit_person
    VisitPerson.objects.filter(pk=person.pk).update(his_patient_id=SEEDED_WITH_VISITS)
    return person


def doctor_page(client, consultation):
    return client.get(reverse("consultations:doctor_history", kwargs={"consultation_id": consultation.public_id}))


def patient_page(client, person):
    return client.get(reverse("consultations:my_visits", kwargs={"visit_person_id": person.public_id}))


def test_the_doctor_sees_online_and_in_person_visits_with_diagnoses(client, dr_bob, in_progress, person, commit):
    consultation_complete(doctor=dr_bob, consultation=in_progress, actor=Actor.of(dr_bob))
    client.force_login(dr_bob)
    page = doctor_page(client, in_progress)
    assert page.status_code == 200
    body = page.content.decode()
    assert body.count('class="list-group-item small"') == 14 + 1  # 14 in-person, this online one
    assert "I10" in body and 'data-his-state="live"' in body
    event = AuditEvent.objects.filter(action="visit_history.read", target_id=str(person.public_id)).get()
    assert event.details == {"his": "live", "online": 1, "in_person": 14}


def test_the_patient_sees_their_visit_persons_history(client, alice, person):
    client.force_login(alice)
    page = patient_page(client, person)
    assert page.status_code == 200 and "I10" in page.content.decode()
    assert AuditEvent.objects.filter(action="visit_history.read", target_id=str(person.public_id)).count() == 1


def test_another_doctor_and_another_patient_are_refused(client, dr_erin, mallory, in_progress, person):
    client.force_login(dr_erin)
    assert doctor_page(client, in_progress).status_code == 404
    client.force_login(mallory)
    assert patient_page(client, person).status_code == 404
    assert not AuditEvent.objects.filter(action="visit_history.read").exists()


def test_when_the_his_is_down_the_last_copy_is_shown_with_its_time(client, dr_bob, in_progress, person, his_sim):
    client.force_login(dr_bob)
    assert 'data-his-state="live"' in doctor_page(client, in_progress).content.decode()
    his_sim.fault_next("down", count=10)
    body = doctor_page(client, in_progress).content.decode()
    assert 'data-his-state="copy"' in body and 'data-testid="his-down"' in body
    assert body.count("I10") >= 1
    assert AuditEvent.objects.filter(action="visit_history.read", details__his="copy").exists()


def test_when_the_his_is_down_and_nothing_was_read_before_the_page_says_so(
    client, dr_bob, in_progress, person, his_sim
):
    his_sim.fault_next("down", count=10)
    client.force_login(dr_bob)
    body = doctor_page(client, in_progress).content.decode()
    assert 'data-his-state="unavailable"' in body and 'data-testid="his-down"' in body

"""Doctor productivity: personal and department record templates, and common phrases, offered in the editor."""

import json

import pytest

from ihospital.audit.services import Actor
from ihospital.consultations.tests.conftest import code_of
from ihospital.records.services import RecordContent, phrase_create, template_create
from ihospital.scheduling.models import Department

pytestmark = pytest.mark.django_db


def post_json(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_a_personal_template_and_a_department_one_are_offered_when_writing(client, draft, dr_bob, dr_erin):
    department = draft.record.consultation.appointment.schedule.department
    content = RecordContent(treatment_advice="多饮水，注意休息。", diagnoses=["J06.9"])
    template_create(doctor=dr_bob, name="上感", content=content, department=None, actor=Actor.of(dr_bob))
    client.force_login(dr_bob)
    url = f"/staff/records/{draft.record.public_id}/templates/"
    shared = post_json(client, url, {"name": "科室上感", "shared": True, "follow_up_advice": "三天复诊"})
    assert shared.status_code == 201 and shared.json()["template"]["shared"]
    phrase_create(doctor=dr_bob, text="无发热", actor=Actor.of(dr_bob))
    state = client.post(f"/staff/consultations/{draft.record.consultation.public_id}/record/").json()
    names = {t["name"]: t for t in state["templates"]}
    assert set(names) == {"上感", "科室上感"} and state["phrases"] == ["无发热"]
    assert names["上感"]["content"]["diagnoses"] == [{"code": "J06.9", "name": "急性上呼吸道感染"}]
    # Another doctor writing a record in that department is offered the department's, never dr_bob's own.
    from ihospital.records.selectors import templates_for

    assert [t.name for t in templates_for(doctor=dr_erin, department_id=department.pk)] == ["科室上感"]


def test_a_template_is_shared_only_with_a_department_the_doctor_works_in(dr_bob):
    elsewhere = Department.objects.create(code="zz", name_zh="别的科", name_en="Elsewhere")
    call = lambda: template_create(  # noqa: E731
        doctor=dr_bob, name="x", content=RecordContent(), department=elsewhere, actor=Actor.of(dr_bob)
    )
    assert code_of(call) == "record.not_your_department"


def test_bad_templates_and_phrases_are_refused_with_codes(dr_bob):
    actor = Actor.of(dr_bob)
    no_name = lambda: template_create(doctor=dr_bob, name=" ", content=RecordContent(), department=None, actor=actor)  # noqa: E731
    assert code_of(no_name) == "record.template_name"
    bad_code = lambda: template_create(  # noqa: E731
        doctor=dr_bob, name="x", content=RecordContent(diagnoses=["ZZZ"]), department=None, actor=actor
    )
    assert code_of(bad_code) == "record.unknown_icd_code"
    assert code_of(lambda: phrase_create(doctor=dr_bob, text="", actor=actor)) == "record.phrase_text"
    assert phrase_create(doctor=dr_bob, text="同上", actor=actor) == phrase_create(
        doctor=dr_bob, text="同上", actor=actor
    )


# --- retiring (never deleting) templates and phrases ------------------------------------------------------


def offered(client, draft) -> tuple[set[str], list[str]]:
    state = client.post(f"/staff/consultations/{draft.record.consultation.public_id}/record/").json()
    return {t["name"] for t in state["templates"]}, state["phrases"]


def test_the_author_retires_a_template_and_a_phrase_from_the_page_they_are_kept_but_no_longer_offered(
    client, draft, dr_bob
):
    from ihospital.audit.models import AuditEvent
    from ihospital.records.models import Phrase, RecordTemplate

    department = draft.record.consultation.appointment.schedule.department
    own = template_create(doctor=dr_bob, name="上感", content=RecordContent(), department=None, actor=Actor.of(dr_bob))
    shared = template_create(
        doctor=dr_bob, name="科室上感", content=RecordContent(), department=department, actor=Actor.of(dr_bob)
    )
    phrase = phrase_create(doctor=dr_bob, text="无发热", actor=Actor.of(dr_bob))
    client.force_login(dr_bob)
    page = client.get("/staff/record-templates/").content.decode()
    assert "上感" in page and "科室上感" in page and "无发热" in page
    assert page.count('data-testid="template-retire"') == 2
    for url in (
        f"/staff/record-templates/{own.public_id}/retire/",
        f"/staff/record-templates/{shared.public_id}/retire/",
        f"/staff/record-phrases/{phrase.public_id}/retire/",
    ):
        assert client.post(url).status_code == 302
    assert offered(client, draft) == (set(), [])
    page = client.get("/staff/record-templates/").content.decode()
    assert 'data-testid="template-row"' not in page and 'data-testid="phrase-row"' not in page
    assert RecordTemplate.objects.filter(retired_at__isnull=False).count() == 2  # kept, not deleted
    assert Phrase.objects.get(pk=phrase.pk).retired_at is not None
    assert AuditEvent.objects.filter(action="record.template_retire").count() == 2
    assert AuditEvent.objects.filter(action="record.phrase_retire", target_id=str(phrase.public_id)).count() == 1
    # Retiring again changes nothing; adding the phrase again offers it again.
    assert client.post(f"/staff/record-templates/{own.public_id}/retire/").status_code == 302
    assert AuditEvent.objects.filter(action="record.template_retire").count() == 2
    phrase_create(doctor=dr_bob, text="无发热", actor=Actor.of(dr_bob))
    assert offered(client, draft) == (set(), ["无发热"])


def test_a_colleague_in_the_department_sees_a_shared_template_but_cannot_retire_it(client, draft, dr_bob, dr_erin):
    from ihospital.appointments.tests.factories import doctor_profile
    from ihospital.records.models import RecordTemplate
    from ihospital.records.services import template_retire

    department = draft.record.consultation.appointment.schedule.department
    doctor_profile(dr_erin).departments.add(department)
    shared = template_create(
        doctor=dr_bob, name="科室上感", content=RecordContent(), department=department, actor=Actor.of(dr_bob)
    )
    own = template_create(doctor=dr_bob, name="私人", content=RecordContent(), department=None, actor=Actor.of(dr_bob))
    client.force_login(dr_erin)
    page = client.get("/staff/record-templates/").content.decode()
    assert "科室上感" in page and "私人" not in page and 'data-testid="template-retire"' not in page
    refused = client.post(f"/staff/record-templates/{shared.public_id}/retire/", follow=True).content.decode()
    assert "只有模板的创建者可以停用它" in refused
    assert client.post(f"/staff/record-templates/{own.public_id}/retire/").status_code == 404
    assert code_of(lambda: template_retire(user=dr_erin, template=shared, actor=Actor.of(dr_erin))) == (
        "record.template_not_yours"
    )
    assert not RecordTemplate.objects.filter(retired_at__isnull=False).exists()


def test_the_hospital_administrator_retires_a_department_template_never_a_doctors_own(client, draft, dr_bob, admin):
    from ihospital.records.models import RecordTemplate
    from ihospital.records.services import template_retire

    department = draft.record.consultation.appointment.schedule.department
    shared = template_create(
        doctor=dr_bob, name="科室上感", content=RecordContent(), department=department, actor=Actor.of(dr_bob)
    )
    own = template_create(doctor=dr_bob, name="私人", content=RecordContent(), department=None, actor=Actor.of(dr_bob))
    client.force_login(admin)
    page = client.get("/staff/record-templates/").content.decode()
    assert "科室上感" in page and "私人" not in page and 'data-testid="phrases"' not in page
    assert client.post(f"/staff/record-templates/{own.public_id}/retire/").status_code == 404
    assert code_of(lambda: template_retire(user=admin, template=own, actor=Actor.of(admin))) == (
        "record.template_not_yours"
    )
    assert client.post(f"/staff/record-templates/{shared.public_id}/retire/").status_code == 302
    assert RecordTemplate.objects.get(pk=shared.pk).retired_at is not None
    assert RecordTemplate.objects.get(pk=own.pk).retired_at is None


def test_a_doctor_cannot_retire_another_doctors_phrase(client, dr_bob, dr_erin):
    from ihospital.records.services import phrase_retire

    phrase = phrase_create(doctor=dr_bob, text="无发热", actor=Actor.of(dr_bob))
    client.force_login(dr_erin)
    assert client.post(f"/staff/record-phrases/{phrase.public_id}/retire/").status_code == 404
    assert code_of(lambda: phrase_retire(doctor=dr_erin, phrase=phrase, actor=Actor.of(dr_erin))) == (
        "record.phrase_not_yours"
    )

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

"""The record's pages: the doctor's editor endpoints (autosave, stale tab, ICD search, signing with the PIN),
the patient's records and PDF (Chinese text, signer, certificate serial, signing time, QR code to the
verification page), and who may see what."""

import io
import json

import pytest
from pypdf import PdfReader

from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.records.models import RecordVersion
from ihospital.records.services import record_sign
from ihospital.records.tests.conftest import PIN, written

pytestmark = pytest.mark.django_db


def post_json(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def signed(draft, can_sign, django_capture_on_commit_callbacks):
    version = written(draft, can_sign)
    with django_capture_on_commit_callbacks(execute=True):
        return record_sign(
            doctor=can_sign, version=version, revision=version.revision, pin=PIN, actor=Actor.of(can_sign)
        )


def test_the_doctor_opens_autosaves_and_a_stale_tab_gets_a_coded_refusal(client, in_progress, dr_bob):
    client.force_login(dr_bob)
    opened = client.post(f"/staff/consultations/{in_progress.public_id}/record/").json()
    version = opened["version"]
    assert version["status"] == "draft"
    url = f"/staff/records/{version['record']}/draft/"
    body = {"revision": version["revision"], "chief_complaint": "咽痛", "diagnoses": ["j06.9"]}
    saved = post_json(client, url, body)
    assert saved.status_code == 200 and saved.json()["version"]["diagnoses"][0]["code"] == "J06.9"
    stale = post_json(client, url, {**body, "chief_complaint": "旧标签页"})
    assert stale.status_code == 409 and stale.json()["code"] == "record.stale"
    unknown = post_json(client, url, {**body, "revision": version["revision"] + 1, "diagnoses": ["Q99.99"]})
    assert unknown.json()["code"] == "record.unknown_icd_code"


def test_the_doctors_room_has_the_editor_without_inline_code(client, in_progress, dr_bob):
    client.force_login(dr_bob)
    page = client.get(f"/staff/consultations/{in_progress.public_id}/").content.decode()
    assert 'data-testid="record-editor"' in page and "records/editor.js" in page
    editor = page[page.index('id="record-editor"') : page.index("records/editor.js")]
    assert "style=" not in editor and "onclick" not in editor.lower()


def test_the_room_shows_the_patients_allergies_and_conditions_once_beside_the_editor(client, in_progress, dr_bob):
    from ihospital.accounts.models import VisitPerson

    VisitPerson.objects.filter(pk=in_progress.appointment.visit_person_id).update(
        allergies="青霉素过敏", chronic_conditions="2型糖尿病"
    )
    client.force_login(dr_bob)
    page = client.get(f"/staff/consultations/{in_progress.public_id}/").content.decode()
    assert page.count("青霉素过敏") == 1 and page.count("2型糖尿病") == 1
    assert page.index('data-testid="patient-facts"') < page.index('id="record-editor"')
    opened = client.post(f"/staff/consultations/{in_progress.public_id}/record/").json()
    assert "person" not in opened  # the editor does not show them a second time
    assert opened["version"]["allergy_history"] == "青霉素过敏"  # the draft starts from them


def test_icd_search_answers_codes_names_and_pinyin(client, dr_bob):
    client.force_login(dr_bob)
    found = client.get("/staff/icd10/", {"q": "gxy"}).json()["results"]
    assert {"code": "I10", "name": "原发性高血压", "name_en": "Essential (primary) hypertension"} in found


def test_signing_with_a_wrong_pin_is_refused_with_its_code_then_the_right_one_signs(client, draft, can_sign):
    client.force_login(can_sign)
    version = written(draft, can_sign)
    url = f"/staff/records/{version.record.public_id}/sign/"
    wrong = post_json(client, url, {"revision": version.revision, "pin": "135799"})
    assert wrong.status_code == 400 and wrong.json()["code"] == "signature.pin_wrong"
    right = post_json(client, url, {"revision": version.revision, "pin": PIN})
    assert right.status_code == 200 and right.json()["version"]["status"] == "signed"
    amended = client.post(f"/staff/records/{version.record.public_id}/amend/").json()
    assert amended["version"]["number"] == 2 and amended["signed"][0]["number"] == 1


def test_the_patient_sees_the_signed_record_and_downloads_it_as_a_chinese_pdf(client, alice, signed):
    client.force_login(alice)
    listing = client.get("/p/records/").content.decode()
    assert "急性上呼吸道感染" in listing
    detail = client.get(f"/records/{signed.record.public_id}/").content.decode()
    assert "咳嗽、咽痛三天" in detail and signed.signature.certificate.serial in detail
    response = client.get(f"/records/{signed.record.public_id}/v1.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    verify_url = f"http://testserver/verify/records/{signed.signature.public_id}/"  # what the QR code holds too
    for expected in ("咳嗽、咽痛三天", "急性上呼吸道感染", "J06.9", signed.signature.certificate.serial, verify_url):
        assert expected.replace(" ", "") in text.replace(" ", ""), expected
    assert AuditEvent.objects.filter(action="record.read", target_id=str(signed.record.public_id)).exists()


def test_the_pdfs_qr_page_verifies_the_signature_without_showing_the_record(client, signed):
    page = client.get(f"/verify/records/{signed.signature.public_id}/")
    text = page.content.decode()
    assert page.status_code == 200 and signed.signature.certificate.serial in text and "alert-success" in text
    assert "咳嗽、咽痛三天" not in text


def test_a_draft_is_not_shown_to_the_patient(client, alice, draft):
    client.force_login(alice)
    assert client.get(f"/records/{draft.record.public_id}/").status_code == 404
    assert "record-row" not in client.get("/p/records/").content.decode()


def test_mallory_cannot_read_alices_record(client, mallory, signed):
    client.force_login(mallory)
    assert client.get(f"/records/{signed.record.public_id}/").status_code == 404
    assert client.get(f"/records/{signed.record.public_id}/v1.pdf").status_code == 404


def test_dr_erin_cannot_read_a_record_of_a_patient_she_has_not_consulted(client, dr_erin, signed):
    client.force_login(dr_erin)
    assert client.get(f"/records/{signed.record.public_id}/").status_code == 404
    saved = post_json(client, f"/staff/records/{signed.record.public_id}/draft/", {"revision": 1})
    assert saved.status_code == 404
    assert RecordVersion.objects.get(pk=signed.pk).chief_complaint == "咳嗽、咽痛三天"


def test_a_doctor_who_consulted_the_patient_reads_her_earlier_records(client, dr_bob, signed):
    client.force_login(dr_bob)
    assert client.get(f"/records/{signed.record.public_id}/").status_code == 200


def pdf_text(client, version) -> str:
    response = client.get(f"/records/{version.record.public_id}/v{version.number}.pdf")
    assert response.status_code == 200
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    return text.replace(" ", "").replace("\n", "")


def sign_now(draft, doctor):
    version = written(draft, doctor)
    return record_sign(doctor=doctor, version=version, revision=version.revision, pin=PIN, actor=Actor.of(doctor))


def test_the_pdf_names_the_signer_by_full_name_and_title(client, alice, draft, can_sign):
    from ihospital.accounts.models import User

    User.objects.filter(pk=can_sign.pk).update(full_name="王建国")
    can_sign.refresh_from_db()
    signed = sign_now(draft, can_sign)
    client.force_login(alice)
    assert "电子签名医生：王建国（主任医师）" in pdf_text(client, signed)


def test_the_pdf_of_a_signer_without_a_full_name_falls_back_to_the_account_then_to_a_name_given_later(
    client, alice, draft, can_sign
):
    from ihospital.accounts.models import User

    User.objects.filter(pk=can_sign.pk).update(full_name="", title="")
    can_sign.refresh_from_db()
    signed = sign_now(draft, can_sign)
    client.force_login(alice)
    assert "电子签名医生：dr_bob" in pdf_text(client, signed)  # never blank
    User.objects.filter(pk=can_sign.pk).update(full_name="王建国")
    assert "电子签名医生：王建国" in pdf_text(client, signed)

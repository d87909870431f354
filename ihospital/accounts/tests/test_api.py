"""The account endpoints end to end over HTTP: coded errors, tokens, visit persons."""

import re

import pytest
from django.test import Client

from ihospital.accounts.models import User
from ihospital.accounts.tests.totp import code, enrol
from ihospital.integrations.models import SandboxSms

P = "/api/patient/v1"
CONSENT = {"privacy_notice_version": "2026-12", "accept_privacy_notice": True, "consent_health_data": True}


@pytest.fixture(autouse=True)
def notice_version(settings):
    settings.PRIVACY_NOTICE_VERSION = CONSENT["privacy_notice_version"]


S = "/api/staff/v1"


def post(client: Client, url: str, body: dict, **headers):
    return client.post(url, body, content_type="application/json", headers=headers)


@pytest.fixture
def patient_token(db, django_capture_on_commit_callbacks):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, f"{P}/auth/sms-code", {"phone": "13800000009"}).status_code == 202
    code = re.search(r"\b(\d{6})\b", SandboxSms.objects.get().text).group(1)
    response = post(client, f"{P}/auth/token", {"phone": "13800000009", "code": code, **CONSENT})
    assert response.status_code == 201
    return response.json()["token"]


def test_patient_signs_in_reads_self_and_signs_out(patient_token):
    client = Client(headers={"Authorization": f"Bearer {patient_token}"})
    me = client.get(f"{P}/me").json()
    assert (me["role"], me["phone"]) == ("patient", "13800000009")
    assert client.delete(f"{P}/auth/token").status_code == 204
    assert client.get(f"{P}/me").status_code == 401  # the token is revoked


def test_visit_person_crud_and_coded_errors(patient_token):
    client = Client(headers={"Authorization": f"Bearer {patient_token}"})
    body = {"relationship": "self", "name": "张三", "id_number": "11010519491231002X", "phone": "13800000009"}
    created = post(client, f"{P}/visit-persons", body, Authorization=f"Bearer {patient_token}")
    assert created.status_code == 201
    person = created.json()
    assert person["id_number_masked"] == "110105********002X" and "id_number" not in person
    assert (person["sex"], person["birth_date"]) == ("female", "1949-12-31")

    bad = post(client, f"{P}/visit-persons", {**body, "id_number": "110105194912310022"})
    assert bad.status_code == 422
    assert bad.json()["code"] == "visit_person.id_number_invalid" and "id_number" in bad.json()["fields"]

    duplicate = post(client, f"{P}/visit-persons", {**body, "relationship": "other"})
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "visit_person.duplicate")

    patched = client.patch(f"{P}/visit-persons/{person['id']}", {"allergies": "花粉"}, content_type="application/json")
    assert patched.json()["allergies"] == "花粉"
    assert [p["id"] for p in client.get(f"{P}/visit-persons").json()] == [person["id"]]


def test_malformed_payloads_get_a_coded_error_naming_the_fields(patient_token):
    client = Client(headers={"Authorization": f"Bearer {patient_token}"})
    response = post(client, f"{P}/visit-persons", {"name": "x" * 51})
    assert response.status_code == 422
    payload = response.json()
    assert payload["code"] == "core.invalid_request"
    assert {"relationship", "id_number", "phone", "name"} <= set(payload["fields"])
    not_json = client.post(f"{P}/visit-persons", "{not json", content_type="application/json")
    assert not_json.status_code in (400, 422) and "code" in not_json.json()


def test_errors_speak_the_callers_language(db):
    english = post(Client(), f"{P}/auth/sms-code", {"phone": "1"}, **{"Accept-Language": "en"}).json()
    chinese = post(Client(), f"{P}/auth/sms-code", {"phone": "1"}, **{"Accept-Language": "zh-Hans"}).json()
    assert english["code"] == chinese["code"] == "account.phone_invalid"
    assert english["message"].startswith("Enter a valid")
    assert re.search(r"[\u4e00-\u9fff]", chinese["message"])


def test_staff_token_for_clinical_roles_only(dr_bob, admin):
    from ihospital.core.testing.personas import PASSWORD

    enrol(dr_bob)
    ok = post(Client(), f"{S}/auth/token", {"username": "dr_bob", "password": PASSWORD, "otp_code": code(dr_bob)})
    assert ok.status_code == 201
    me = Client(headers={"Authorization": f"Bearer {ok.json()['token']}"}).get(f"{S}/me").json()
    assert me["role"] == "doctor"
    back_office = post(Client(), f"{S}/auth/token", {"username": "admin", "password": PASSWORD})
    assert (back_office.status_code, back_office.json()["code"]) == (401, "account.credentials_wrong")


def test_each_audience_publishes_its_own_openapi_document_and_docs_page(db):
    client = Client()
    patient = client.get(f"{P}/openapi.json").json()
    staff = client.get(f"{S}/openapi.json").json()
    assert "/api/patient/v1/visit-persons" in patient["paths"]
    assert not any("visit-persons" in path for path in staff["paths"])
    assert client.get(f"{P}/docs").status_code == 200
    assert client.get(f"{S}/docs").status_code == 200


def test_session_callers_must_send_the_csrf_token(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    body = {"relationship": "self", "name": "张三", "id_number": "11010519491231002X", "phone": "13800000009"}
    refused = post(client, f"{P}/visit-persons", body)
    assert refused.status_code in (401, 403)
    assert client.get(f"{P}/me").status_code == 200  # safe methods need no token


def test_visit_person_removal_and_name_correction_over_the_api(patient_token):
    client = Client(headers={"Authorization": f"Bearer {patient_token}"})
    body = {"relationship": "self", "name": "张三", "id_number": "11010519491231002X", "phone": "13800000009"}
    person = post(client, f"{P}/visit-persons", body).json()

    markup = post(client, f"{P}/visit-persons", {**body, "name": "<b>张三</b>"})
    assert (markup.status_code, markup.json()["code"]) == (422, "visit_person.name_invalid")
    assert set(markup.json()["fields"]) == {"name"}

    url = f"{P}/visit-persons/{person['id']}/name"
    mismatch = post(client, url, {"name": "张叁", "id_number": "110105194912310021"})
    assert (mismatch.status_code, mismatch.json()["code"]) == (422, "visit_person.id_number_mismatch")
    corrected = post(client, url, {"name": "张叁", "id_number": "11010519491231002x"})
    assert (corrected.status_code, corrected.json()["name"]) == (200, "张叁")

    assert client.delete(f"{P}/visit-persons/{person['id']}").status_code == 204
    assert client.get(f"{P}/visit-persons").json() == []
    assert client.get(f"{P}/visit-persons/{person['id']}").status_code == 404
    assert client.delete(f"{P}/visit-persons/{person['id']}").status_code == 404
    assert post(client, f"{P}/visit-persons", body).status_code == 201  # the same person may come back


def test_the_api_sign_in_asks_for_both_consents_to_the_current_notice(db, django_capture_on_commit_callbacks):
    client = Client()
    notice = client.get(f"{P}/auth/privacy-notice").json()
    assert notice["version"] == "2026-12" and notice["url"].endswith("/privacy/")
    assert client.get(notice["url"]).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        post(client, f"{P}/auth/sms-code", {"phone": "13800000009"})
    code = re.search(r"\b(\d{6})\b", SandboxSms.objects.get().text).group(1)
    without = post(client, f"{P}/auth/token", {"phone": "13800000009", "code": code, "accept_privacy_notice": True})
    assert (without.status_code, without.json()["code"]) == (403, "account.consent_required")
    assert not User.objects.matching(phone="13800000009").exists()
    signed_in = post(client, f"{P}/auth/token", {"phone": "13800000009", "code": code, **CONSENT})
    assert signed_in.status_code == 201


def test_field_errors_of_a_malformed_payload_speak_the_callers_language(patient_token):
    client = Client(headers={"Authorization": f"Bearer {patient_token}"})
    chinese = post(client, f"{P}/visit-persons", {"name": "x" * 51}).json()["fields"]
    assert chinese["relationship"] == "此项为必填项。" and chinese["name"] == "最多 50 个字符。"
    english = post(client, f"{P}/visit-persons", {"name": "x" * 51}, **{"Accept-Language": "en"}).json()["fields"]
    assert english["relationship"] == "This field is required." and english["name"] == "At most 50 characters."

"""Bad input never gives a server error (issue 10, item 1): a NUL byte or invalid UTF-8 anywhere in a
request, or a body its content type can't parse, is refused at the edge with the coded error shape
``{code, message, fields}`` — JSON on the APIs, the error page elsewhere — before it reaches a service or
the database (PostgreSQL refuses NUL in text; before this, each gave a 500 HTML page)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.test import Client

from ihospital.accounts.services import api_token_issue
from ihospital.appointments.models import Appointment
from ihospital.appointments.tests.factories import SYSTEM, online_schedule, resident_id, visit_person
from ihospital.payments.models import PaymentNotification

pytestmark = pytest.mark.django_db

P = "/api/patient/v1"
S = "/api/staff/v1"


def client_for(user) -> Client:
    secret, _ = api_token_issue(user=user, actor=SYSTEM)
    return Client(headers={"Authorization": f"Bearer {secret}"})


def refused_as_json(response, status: int = 400, code: str = "core.bad_input") -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert body["code"] == code and body["message"] and isinstance(body["fields"], dict)
    return body


def test_a_nul_in_a_visit_persons_name_or_allergies_is_refused_with_the_field_named(alice):
    api = client_for(alice)
    person = {"relationship": "other", "name": "张\x00三", "id_number": resident_id(7), "phone": "13800000001"}
    body = refused_as_json(api.post(f"{P}/visit-persons", person, content_type="application/json"))
    assert "name" in body["fields"]
    created = visit_person(alice)
    patch = api.patch(
        f"{P}/visit-persons/{created.public_id}", {"allergies": "青霉素\x00"}, content_type="application/json"
    )
    assert "allergies" in refused_as_json(patch)["fields"]


def test_a_nul_in_a_bookings_complaint_is_refused_the_same_way_on_every_retry(alice, dr_bob):
    clinic = online_schedule(dr_bob, capacity=4)
    payload = {
        "visit_person_id": str(visit_person(alice).public_id),
        "schedule_id": str(clinic.public_id),
        "complaint": "糖尿病复诊，空腹血糖偏高\x00",
        "prior_visit_date": str(date.today() - timedelta(days=30)),
        "prior_hospital": "苏州市立医院",
        "prior_diagnosis": "2型糖尿病",
    }
    api = client_for(alice)
    for _attempt in range(2):
        answer = api.post(
            f"{P}/appointments", payload, content_type="application/json", headers={"Idempotency-Key": "nul-1"}
        )
        assert "complaint" in refused_as_json(answer)["fields"]
    assert not Appointment.objects.exists()
    payload["complaint"] = "糖尿病复诊，空腹血糖偏高"
    fixed = api.post(
        f"{P}/appointments", payload, content_type="application/json", headers={"Idempotency-Key": "nul-2"}
    )
    assert fixed.status_code == 201, fixed.content


def test_a_nul_in_the_staff_token_username_is_refused(dr_bob):
    answer = Client().post(
        f"{S}/auth/token", {"username": "dr_bob\x00", "password": "x"}, content_type="application/json"
    )
    assert "username" in refused_as_json(answer)["fields"]


def test_a_raw_nul_byte_and_invalid_utf8_in_a_json_body_are_refused(alice):
    api = client_for(alice)
    raw_nul = b'{"relationship": "other", "name": "a\x00b"}'
    refused_as_json(api.post(f"{P}/visit-persons", raw_nul, content_type="application/json"))
    latin1 = '{"name": "Zoë"}'.encode("latin-1")
    refused_as_json(api.post(f"{P}/visit-persons", latin1, content_type="application/json"))
    lone_surrogate = b'{"name": "\\ud800"}'
    refused_as_json(api.post(f"{P}/visit-persons", lone_surrogate, content_type="application/json"))


def test_a_json_body_that_is_not_json_is_refused_as_json(alice):
    refused_as_json(
        client_for(alice).post(f"{P}/visit-persons", b"{not json", content_type="application/json"),
        code="core.bad_input",
    )


def test_a_nul_in_the_query_string_is_refused_on_api_and_pages(alice):
    refused_as_json(client_for(alice).get(f"{P}/appointments?x=%00"))
    page = Client().get("/?q=a%00b")
    assert page.status_code == 400
    assert page["Content-Type"].startswith("text/html")
    bad_utf8 = Client().get("/?q=%ff%fe")
    assert bad_utf8.status_code == 400


def test_a_nul_in_a_form_field_is_refused_with_the_error_page(client, alice):
    client.force_login(alice)
    answer = client.post("/p/visit-persons/new/", {"relationship": "other", "name": "a\x00b"})
    assert answer.status_code == 400
    assert answer["Content-Type"].startswith("text/html")


def test_multipart_without_a_boundary_on_the_attachment_upload_is_refused_as_json(alice, dr_bob):
    from ihospital.appointments.services import appointment_book
    from ihospital.appointments.tests.factories import booking

    data = booking(visit_person(alice), online_schedule(dr_bob, capacity=4))
    appointment = appointment_book(account=alice, data=data, actor=SYSTEM)
    answer = client_for(alice).post(
        f"{P}/appointments/{appointment.public_id}/attachments", b"--x\r\n", content_type="multipart/form-data"
    )
    refused_as_json(answer)


def test_multipart_without_a_boundary_on_a_page_gives_the_400_page(client, alice):
    client.force_login(alice)
    answer = client.post("/p/visit-persons/new/", b"--x\r\n", content_type="multipart/form-data")
    assert answer.status_code == 400 and answer["Content-Type"].startswith("text/html")


def test_a_nul_in_a_payment_notification_body_is_refused_and_stores_nothing(client):
    body = json.dumps({"id": "n1", "resource": {"ciphertext": "a\u0000b"}}).encode()
    answer = client.post("/payments/notify/sandbox/", body, content_type="application/json")
    refused_as_json(answer)
    assert not PaymentNotification.objects.exists()


def test_a_nul_in_a_payment_notification_body_of_another_type_is_stored_without_it(client):
    answer = client.post("/payments/notify/sandbox/", b"a\x00b" * 10, content_type="text/plain")
    assert answer.status_code < 500
    note = PaymentNotification.objects.get()
    assert "\x00" not in note.body


@pytest.mark.parametrize("path", [f"{P}/departments", f"{P}/me", f"{S}/me"])
def test_api_errors_are_json_even_for_an_unparseable_body(path):
    answer = Client().generic("POST", path, b"\xff\x00", content_type="application/x-www-form-urlencoded")
    assert answer["Content-Type"].startswith("application/json")
    assert answer.status_code in (400, 401, 405)


def test_an_unknown_api_url_and_a_wrong_method_answer_coded_json():
    refused_as_json(Client().get(f"{P}/no-such-thing"), status=404, code="core.not_found")
    wrong_method = Client().delete(f"{P}/departments")
    refused_as_json(wrong_method, status=405, code="core.method_not_allowed")
    assert "GET" in wrong_method["Allow"]


def test_a_cookie_holding_a_nul_is_ignored_not_a_server_error(client):
    client.cookies["sessionid"] = "\x00" * 40
    assert client.get("/").status_code == 200


def test_a_json_body_sent_as_another_content_type_to_an_api_is_refused_415(dr_bob):
    """Found by schemathesis: django-ninja reads JSON whatever the Content-Type, so a NUL in a text/plain
    body slipped past the JSON check and reached PostgreSQL."""
    body = b'{"username": "\\u0000", "password": "x"}'
    answer = Client().post(f"{S}/auth/token", body, content_type="text/plain")
    refused_as_json(answer, status=415, code="core.unsupported_media_type")

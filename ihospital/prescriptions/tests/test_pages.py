"""The prescription pages through HTTP: the writer's htmx answers (a refusal shown with its code, nothing
changed), the catalogue search, the check endpoint's timing, the review pages, review times for administrators,
and the pharmacists' live queue over its WebSocket."""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.test import Client

from ihospital.audit.models import AuditEvent
from ihospital.notifications.tests.ws import WebsocketClient, session_headers
from ihospital.prescriptions.models import PrescriptionItem, PrescriptionVersion
from ihospital.prescriptions.tests.factories import added, amlodipine, opened, submitted, too_much_amlodipine, warn_keys
from ihospital.records.tests.conftest import PIN

pytestmark = pytest.mark.django_db(transaction=True)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def item_form(version, **changes) -> dict:
    data = {"drug_code": "YP00001", "dose": "5", "dose_unit": "mg", "frequency": "qd", "route": "po", "days": "7"}
    return data | {"revision": str(version.revision)} | changes


def test_the_writer_adds_a_drug_and_shows_its_quantity_and_the_amount(in_progress, signed_record, dr_bob):
    client = signed_in(dr_bob)
    answer = client.post(f"/staff/consultations/{in_progress.public_id}/prescription/open/")
    assert answer.status_code == 200 and b'data-status="draft"' in answer.content
    version = PrescriptionVersion.objects.get()
    answer = client.post(f"/staff/prescriptions/{version.prescription.public_id}/items/", item_form(version))
    assert b'data-testid="rx-item" data-code="YP00001"' in answer.content
    assert "¥35.60" in answer.content.decode() and b"rx-error" not in answer.content


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"dose": "abc"}, "prescription.impossible_dose"),
        ({"dose": "-1"}, "prescription.impossible_dose"),
        ({"quantity": "-3"}, "prescription.invalid_quantity"),
        ({"quantity": "1000000"}, "prescription.invalid_quantity"),
        ({"dose_unit": "片剂"}, "prescription.unit_mismatch"),
        ({"drug_code": "NOPE"}, "prescription.unknown_drug"),
        ({"days": "seven"}, "prescription.invalid_days"),
        ({"revision": "0"}, "prescription.stale"),
    ],
)
def test_bad_input_through_the_page_shows_its_code_and_changes_nothing(
    in_progress, signed_record, dr_bob, change, code
):
    version = added(dr_bob, opened(dr_bob, in_progress), amlodipine())
    answer = signed_in(dr_bob).post(
        f"/staff/prescriptions/{version.prescription.public_id}/items/", item_form(version, **change)
    )
    assert f'data-code="{code}"'.encode() in answer.content
    assert PrescriptionItem.objects.count() == 1
    assert PrescriptionVersion.objects.get().revision == version.revision
    assert AuditEvent.objects.filter(action="prescription.edit.refused", details__code=code).count() == 1


def test_editing_after_signing_is_refused_on_the_page(in_progress, signed_record, dr_bob):
    version = submitted(dr_bob, added(dr_bob, opened(dr_bob, in_progress), amlodipine()))
    answer = signed_in(dr_bob).post(
        f"/staff/prescriptions/{version.prescription.public_id}/items/1/remove/", {"revision": version.revision}
    )
    assert b'data-code="prescription.not_editable"' in answer.content
    assert version.items.count() == 1


def test_the_catalogue_search_shows_stock_and_the_item_form_offers_the_drugs_units(in_progress, signed_record, dr_bob):
    version = opened(dr_bob, in_progress)
    client = signed_in(dr_bob)
    answer = client.get("/staff/drugs/", {"q": "aldp", "for": str(version.prescription.public_id)})
    assert b'data-code="YP00001"' in answer.content and "库存" in answer.content.decode()
    form = client.get(f"/staff/prescriptions/{version.prescription.public_id}/item-form/", {"drug": "YP00001"})
    units = form.content.decode()
    assert '<option value="mg">' in units and '<option value="片">' in units and 'value="ml"' not in units


def test_the_check_endpoint_answers_the_findings_and_the_checks_time(in_progress, signed_record, dr_bob):
    version = added(dr_bob, opened(dr_bob, in_progress), too_much_amlodipine())
    answer = signed_in(dr_bob).get(f"/staff/prescriptions/{version.prescription.public_id}/check/")
    assert b'data-rule="doses/per_day_above_max"' in answer.content
    assert answer["Server-Timing"].startswith("rules;dur=")


def test_the_pharmacist_reviews_from_the_detail_page(in_progress, signed_record, dr_bob, carol):
    version = added(dr_bob, opened(dr_bob, in_progress), too_much_amlodipine())
    version = submitted(dr_bob, version, {warn_keys(version)[0]: "短期加量"})
    client = signed_in(carol)
    page = client.get(f"/staff/prescriptions/{version.prescription.public_id}/").content.decode()
    assert "短期加量" in page and 'data-valid="true"' in page and "rx-review-forms" in page
    assert AuditEvent.objects.filter(action="record.read", actor_name="carol").exists()
    answer = client.post(f"/staff/prescriptions/{version.prescription.public_id}/approve/", {"pin": "000000"})
    assert b'data-code="signature.pin_wrong"' in answer.content
    answer = client.post(f"/staff/prescriptions/{version.prescription.public_id}/approve/", {"pin": PIN})
    assert answer.status_code == 302
    assert PrescriptionVersion.objects.get().status == "approved"


def test_administrators_see_review_times(in_progress, signed_record, dr_bob, admin):
    submitted(dr_bob, added(dr_bob, opened(dr_bob, in_progress), amlodipine()))
    page = signed_in(admin).get("/staff/prescriptions/review-times/").content.decode()
    assert 'data-testid="rt-waiting">1<' in page


def test_the_review_queue_socket_tells_pharmacists_of_a_submission(in_progress, signed_record, dr_bob, carol):
    version = added(dr_bob, opened(dr_bob, in_progress), amlodipine())
    doctor_headers, carol_headers = session_headers(dr_bob), session_headers(carol)

    async def scenario():
        doctor = WebsocketClient("/ws/prescriptions/review/", doctor_headers)
        assert await doctor.connect() == (False, 4403)  # pharmacists only
        socket = WebsocketClient("/ws/prescriptions/review/", carol_headers)
        assert await socket.connect() == (True, None)
        await database_sync_to_async(submitted)(dr_bob, version)
        assert await socket.receive_json() == {"event": "review", "what": "submitted"}
        await socket.close()

    async_to_sync(scenario)()


def test_the_review_queue_says_awaiting_review_not_the_waiting_rooms_word(in_progress, signed_record, dr_bob, carol):
    version = added(dr_bob, opened(dr_bob, in_progress), amlodipine())
    submitted(dr_bob, version, {})
    page = signed_in(carol).get("/staff/prescriptions/review/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "待审核 (" in page and "候诊中" not in page

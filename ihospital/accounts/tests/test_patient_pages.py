"""The patient web app over HTTP (the browser test drives the same pages in Chromium)."""

import re
from datetime import timedelta

from django.conf import settings
from django.test import Client
from django.urls import reverse

from ihospital.accounts.models import PrivacyConsent, SmsCode, User, VisitPerson
from ihospital.core.time import now
from ihospital.integrations.models import SandboxSms

ID = "11010519491231002X"
CONSENT = {
    "consent_privacy_notice": "on",
    "consent_health_data": "on",
    "notice_version": settings.PRIVACY_NOTICE_VERSION,
}


def test_patient_signs_in_on_the_web_with_an_sms_code(db, django_capture_on_commit_callbacks):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post("/p/sign-in/", {"phone": "13800000007", "step": "send"}, follow=True)
    assert sent.redirect_chain == [("/p/sign-in/", 302)]  # a reload of the page is then a GET
    assert 'data-testid="code-sent"' in sent.content.decode()
    code = re.search(r"\b(\d{6})\b", SandboxSms.objects.get().text).group(1)
    asked = client.post("/p/sign-in/", {"phone": "13800000007", "code": code, "step": "verify"}).content.decode()
    assert 'data-testid="consent"' in asked and 'data-testid="privacy-notice"' in asked  # a first sign-in
    assert not User.objects.matching(phone="13800000007").exists()
    only_notice = client.post(
        "/p/sign-in/",
        {
            "phone": "13800000007",
            "code": code,
            "step": "verify",
            "consent_shown": "1",
            **CONSENT,
            "consent_health_data": "",
        },
    ).content.decode()
    assert 'data-testid="consent"' in only_notice and 'data-testid="error-consent"' in only_notice
    assert f'value="{code}"' in only_notice  # the code typed is kept
    signed_in = client.post("/p/sign-in/", {"phone": "13800000007", "code": code, "step": "verify", **CONSENT})
    assert signed_in.status_code == 302 and signed_in.url == "/p/"
    assert PrivacyConsent.objects.filter(user__in=User.objects.matching(phone="13800000007")).count() == 2
    assert client.get("/p/").status_code == 200


def test_wrong_code_shows_a_message_on_the_page(db, django_capture_on_commit_callbacks):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/p/sign-in/", {"phone": "13800000007", "step": "send"})
    page = client.post("/p/sign-in/", {"phone": "13800000007", "code": "abc", "step": "verify"}).content.decode()
    assert 'data-testid="error-code"' in page


def test_add_and_edit_a_visit_person_on_the_web(alice):
    client = Client()
    client.force_login(alice)
    invalid = client.post(
        "/p/visit-persons/new/",
        {"relationship": "self", "name": "艾丽斯", "id_number": ID[:-1] + "1", "phone": "13800000001"},
    )
    assert 'data-testid="error-id_number"' in invalid.content.decode()
    assert not VisitPerson.objects.exists()
    client.post(
        "/p/visit-persons/new/", {"relationship": "self", "name": "艾丽斯", "id_number": ID, "phone": "13800000001"}
    )
    person = VisitPerson.objects.get()
    edit = client.post(f"/p/visit-persons/{person.public_id}/", {"phone": "13800000001", "allergies": "花粉"})
    assert edit.status_code == 302
    person.refresh_from_db()
    assert person.allergies == "花粉"


def test_someone_elses_visit_person_page_is_not_found(alice, mallory):
    client = Client()
    client.force_login(alice)
    client.post(
        "/p/visit-persons/new/", {"relationship": "self", "name": "艾丽斯", "id_number": ID, "phone": "13800000001"}
    )
    person = VisitPerson.objects.get()
    intruder = Client()
    intruder.force_login(mallory)
    assert intruder.get(f"/p/visit-persons/{person.public_id}/").status_code == 404
    assert intruder.post(f"/p/visit-persons/{person.public_id}/", {"phone": "13900000000"}).status_code == 404
    person.refresh_from_db()
    assert person.phone == "13800000001"


def test_staff_cannot_use_patient_pages(dr_bob):
    client = Client()
    client.force_login(dr_bob)
    assert client.get("/p/").status_code == 403


def test_the_form_refuses_markup_in_a_name_and_keeps_the_rest(alice):
    client = Client()
    client.force_login(alice)
    page = client.post(
        "/p/visit-persons/new/",
        {"relationship": "self", "name": "<script>x</script>", "id_number": ID, "phone": "13800000001"},
    ).content.decode()
    assert 'data-testid="error-name"' in page and "<script>x" not in page
    assert not VisitPerson.objects.exists()


def test_a_patient_corrects_a_name_with_the_full_id_number_then_removes_the_person(alice):
    client = Client()
    client.force_login(alice)
    client.post(
        "/p/visit-persons/new/", {"relationship": "self", "name": "艾莉斯", "id_number": ID, "phone": "13800000001"}
    )
    person = VisitPerson.objects.get()
    edit_page = client.get(f"/p/visit-persons/{person.public_id}/").content.decode()
    assert f"/p/visit-persons/{person.public_id}/name/" in edit_page
    assert f"/p/visit-persons/{person.public_id}/remove/" in edit_page

    name_url = f"/p/visit-persons/{person.public_id}/name/"
    wrong = client.post(name_url, {"name": "艾丽斯", "id_number": "110105194912310021"}).content.decode()
    assert 'data-testid="error-id_number"' in wrong
    assert client.post(name_url, {"name": "艾丽斯", "id_number": ID}).status_code == 302
    person.refresh_from_db()
    assert person.name == "艾丽斯"

    remove_url = f"/p/visit-persons/{person.public_id}/remove/"
    assert 'data-testid="confirm-remove"' in client.get(remove_url).content.decode()  # asks first
    person.refresh_from_db()
    assert person.removed_at is None
    assert client.post(remove_url).status_code == 302
    person.refresh_from_db()
    assert person.removed_at is not None
    assert 'data-testid="visit-person"' not in client.get("/p/").content.decode()
    assert client.get(f"/p/visit-persons/{person.public_id}/").status_code == 404


def test_a_reload_within_the_resend_cool_down_keeps_the_code_field_and_the_wait(db, django_capture_on_commit_callbacks):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/p/sign-in/", {"phone": "138 0000 0007", "step": "send"}, follow=True)
    reloaded = client.get("/p/sign-in/").content.decode()
    assert 'value="13800000007"' in reloaded and 'name="code"' in reloaded
    assert 'data-testid="code-pending"' in reloaded
    waiting = re.search(r'data-testid="send-code" disabled data-resend-in="(\d+)"', reloaded)
    assert waiting and 0 < int(waiting.group(1)) <= settings.SMS_RESEND_INTERVAL_SECONDS
    assert "accounts/sign-in" in reloaded and "<script>" not in reloaded  # the countdown: a module, no inline script

    SmsCode.objects.update(created_at=now() - timedelta(seconds=settings.SMS_RESEND_INTERVAL_SECONDS + 1))
    later = client.get("/p/sign-in/").content.decode()
    assert 'data-resend-in="0"' in later and 'name="code"' in later  # the wait is over, the code still valid
    SmsCode.objects.update(expires_at=now())
    expired = client.get("/p/sign-in/").content.decode()
    assert 'name="code"' not in expired  # nothing left to enter: back to "send code"


def test_the_patient_home_leads_to_every_function_a_patient_has(alice):
    """Reports were reachable only by typing their address; every patient function has its way in."""
    client = Client()
    client.force_login(alice)
    home = client.get("/p/").content.decode()
    for name in (
        "appointments:find_doctor",
        "appointments:mine",
        "records:mine",
        "labs:mine",
        "labs:reports",
        "fulfilment:prescriptions",
    ):
        assert f'href="{reverse(name)}"' in home, name
        assert client.get(reverse(name)).status_code == 200, name

"""Every main page's title and headings are in the reader's language (issue 9, item 10): under English no
Chinese, under Chinese no untranslated English. People's names and other data stay as they were entered."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from ihospital.appointments.tests.factories import department
from ihospital.consultations.tests.conftest import accepted_booking, in_consultation
from ihospital.core.testing.personas import make_user

pytestmark = pytest.mark.django_db(transaction=True)

TITLE_AND_HEADINGS = re.compile(r"<(title|h1|h2|h3)\b[^>]*>(.*?)</\1>", re.S)
CHINESE = re.compile(r"[\u3400-\u9fff]")
ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")
# Abbreviations a Chinese page uses as they are.
ACRONYMS = {"PIN", "HIS", "TOTP", "UTC", "API", "ICD", "PDF", "SMS", "CA"}


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def world(alice, dr_bob, auditor, commit):
    """alice in a video consultation with dr_bob; the pages each person opens, with who opens them."""
    from ihospital.accounts.identity import staff_identity_confirm
    from ihospital.audit.services import Actor
    from ihospital.core.testing.personas import PASSWORD

    staff_identity_confirm(user=dr_bob, password=PASSWORD, actor=Actor.of(dr_bob))
    appointment = accepted_booking(alice, dr_bob, commit)
    consultation = in_consultation(appointment, dr_bob, commit)
    person, schedule = appointment.visit_person, appointment.schedule
    c, a = consultation.public_id, appointment.public_id
    patient_pages = [
        "/",
        "/privacy/",
        "/p/",
        "/p/book/",
        f"/p/book/departments/{department().public_id}/",
        f"/p/book/doctors/{dr_bob.doctor_profile.public_id}/",
        f"/p/book/schedules/{schedule.public_id}/",
        "/p/appointments/",
        f"/p/appointments/{a}/",
        f"/p/consultations/{c}/",
        "/p/messages/",
        "/payments/receipts/",
        "/p/records/",
        "/p/visit-persons/new/",
        f"/p/visit-persons/{person.public_id}/",
        f"/p/visit-persons/{person.public_id}/visits/",
        "/device-check/",
    ]
    doctor_pages = [
        "/staff/",
        "/staff/desk/",
        "/staff/review/",
        "/staff/messages/",
        "/staff/sessions/",
        "/staff/security/",
        "/staff/confirm-identity/",
        "/staff/signing-pin/",
        f"/staff/consultations/{c}/",
        f"/staff/consultations/{c}/history/",
    ]
    auditor_pages = ["/staff/", "/staff/audit/consultations/", f"/staff/audit/consultations/{c}/"]
    admin_pages = ["/staff/", "/admin/", "/staff/schedules/week/", "/payments/staff/reconciliation/"]
    anonymous_pages = ["/p/sign-in/", "/staff/sign-in/", "/no-such-page/"]
    admin = make_user("bo_admin", "hospital_admin")
    data = {person.name, dr_bob.full_name, alice.full_name, auditor.full_name, admin.full_name}
    return data, [
        (alice, patient_pages),
        (dr_bob, doctor_pages),
        (auditor, auditor_pages),
        (admin, admin_pages),
        (None, anonymous_pages),
    ]


def titles_and_headings(user, path: str, language: str) -> list[str]:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    response = client.get(path)
    assert response.status_code in (200, 404), (path, response.status_code, response.get("Location"))
    texts = []
    for _tag, inner in TITLE_AND_HEADINGS.findall(response.content.decode()):
        text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inner)).split())
        if text:
            texts.append(text)
    assert texts, path
    return texts


def without(text: str, data: set[str]) -> str:
    for value in data:
        text = text.replace(value, "")
    return text


def test_under_english_no_page_title_or_heading_is_in_chinese(world):
    data, pages = world
    chinese = [
        (path, text)
        for user, paths in pages
        for path in paths
        for text in titles_and_headings(user, path, "en")
        if CHINESE.search(without(text, data))
    ]
    assert chinese == [], "\n".join(map(str, chinese))


def test_under_chinese_no_page_title_or_heading_is_left_in_english(world):
    data, pages = world
    english = [
        (path, text)
        for user, paths in pages
        for path in paths
        for text in titles_and_headings(user, path, "zh-hans")
        if set(ENGLISH_WORD.findall(without(text, data))) - ACRONYMS
    ]
    assert english == [], "\n".join(map(str, english))

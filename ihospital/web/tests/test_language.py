"""A person's language choice is kept on their account: their pages follow it on any device, and the
messages others cause (a booking notice, a reminder) are written in it."""

import pytest

from ihospital.audit.models import AuditEvent


@pytest.fixture
def signed_in(client, alice):
    client.force_login(alice)
    return client


def test_choosing_english_is_kept_on_the_account_and_audited(signed_in, alice):
    response = signed_in.post("/i18n/setlang/", {"language": "en", "next": "/p/"})
    assert response.status_code == 302 and response["Location"] == "/p/"
    alice.refresh_from_db()
    assert alice.language == "en"
    assert AuditEvent.objects.get(action="account.language").details == {"from": "", "to": "en"}


def test_the_accounts_language_follows_the_person_to_a_browser_without_the_cookie(client, alice):
    alice.language = "en"
    alice.save(update_fields=["language"])
    client.force_login(alice)
    assert "My appointments" in client.get("/p/").content.decode()


def test_an_unknown_language_changes_nothing(signed_in, alice):
    signed_in.post("/i18n/setlang/", {"language": "xx", "next": "/p/"})
    alice.refresh_from_db()
    assert alice.language == "" and not AuditEvent.objects.filter(action="account.language").exists()


def test_a_notice_caused_by_a_doctor_working_in_english_reaches_a_chinese_reader_in_chinese(alice, dr_bob):
    from django.utils.translation import gettext_noop, override

    from ihospital.appointments.notify import notify_patient
    from ihospital.appointments.services import appointment_book
    from ihospital.appointments.tests.factories import booking, online_schedule, visit_person
    from ihospital.audit.services import Actor
    from ihospital.notifications.models import Notification

    appointment = appointment_book(
        account=alice, data=booking(visit_person(alice), online_schedule(dr_bob)), actor=Actor.of(alice)
    )
    with override("en"):  # the doctor's request runs in English
        notify_patient(appointment=appointment, event="accepted", text=gettext_noop("Booking accepted"))
    assert Notification.objects.get(user=alice).title == "预约已接受"
    alice.language = "en"
    alice.save(update_fields=["language"])
    appointment.account.refresh_from_db()
    with override("zh-hans"):
        notify_patient(appointment=appointment, event="rejected", text=gettext_noop("Booking declined"))
    assert Notification.objects.get(user=alice, kind="appointment.rejected").title == "Booking declined"

"""Stored notices are rendered per reader: the message centre shows each message in the language its
reader reads in now, while the SMS (and the stored copy) is in the recipient's language at sending."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils.translation import gettext_noop

from ihospital.core.i18n import ByLanguage, Phrase
from ihospital.core.models import OutboxMessage
from ihospital.notifications.services import live_payload, notification_send

pytestmark = pytest.mark.django_db


def accepted_notice(user):
    return notification_send(
        user=user,
        kind="appointment.accepted",
        title=Phrase(gettext_noop("Booking accepted")),
        body=[
            Phrase(
                "%(date)s %(period)s was stopped (%(reason)s): %(cancelled)d booking cancelled and refunded.",
                plural="%(date)s %(period)s was stopped (%(reason)s): %(cancelled)d bookings cancelled and refunded.",
                count=2,
                params={"date": "2026-12-08", "period": Phrase("Morning"), "reason": "会诊", "cancelled": 2},
            ),
            Phrase("%(department)s", params={"department": ByLanguage({"zh-hans": "心血管内科", "en": "Cardiology"})}),
        ],
        link="/p/appointments/",
        dedupe_key="t:1",
        sms_text=Phrase(gettext_noop("Booking accepted")),
    )


def test_a_notice_is_shown_in_the_language_its_reader_reads_in_now(alice):
    notice = accepted_notice(alice)  # alice reads Chinese (the hospital's default)
    assert notice.title == "预约已接受"
    assert OutboxMessage.objects.get(topic="sms.send").payload["text"] == "预约已接受"

    alice.language = "en"
    alice.save(update_fields=["language"])
    reader = Client()
    reader.force_login(alice)
    page = reader.get("/p/messages/").content.decode()
    assert "Booking accepted" in page and "预约已接受" not in page
    assert "2026-12-08 Morning was stopped (会诊): 2 bookings cancelled and refunded. Cardiology" in page


def test_the_live_push_is_in_the_readers_language(alice):
    alice.language = "en"
    alice.save(update_fields=["language"])
    notice = accepted_notice(alice)
    from django.utils.translation import override

    with override("en"):
        assert live_payload(notice, 1)["title"] == "Booking accepted"
    with override("zh-hans"):
        assert live_payload(notice, 1)["title"] == "预约已接受"
        assert "心血管内科" in live_payload(notice, 1)["body"]

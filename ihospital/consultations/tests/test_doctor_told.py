"""Doctors are told when a paid booking awaits their review (message centre + the live badge), and the
desk lists their accepted visits for today and the coming days."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client

from ihospital.appointments.services import appointment_book, appointment_checkout
from ihospital.appointments.tests.factories import SYSTEM, booking, online_schedule, visit_person
from ihospital.audit.services import Actor
from ihospital.consultations.tests.conftest import accepted_booking
from ihospital.core import realtime
from ihospital.integrations.payproviders.sandbox import trades
from ihospital.notifications.models import Notification
from ihospital.notifications.services import user_group
from ihospital.payments.models import PaymentOrder


def test_the_doctor_is_told_when_a_paid_booking_awaits_review(alice, dr_bob, commit, monkeypatch):
    pushes = []
    monkeypatch.setattr(realtime, "publish", lambda group, event: pushes.append((group, event)))
    with commit():
        appointment = appointment_book(
            account=alice, data=booking(visit_person(alice), online_schedule(dr_bob)), actor=Actor.of(alice)
        )
    assert not Notification.objects.filter(user=dr_bob).exists()  # not before it is paid
    appointment_checkout(appointment=appointment, actor=SYSTEM)
    with commit():
        trades.pay(PaymentOrder.objects.get(public_id=appointment.payment_order_public_id).out_trade_no)
    (notice,) = Notification.objects.filter(user=dr_bob)
    assert notice.kind == "appointment.awaiting_review" and notice.link == "/staff/review/"
    assert notice.title == "有新的预约待您审核" and appointment.visit_person.name in notice.body
    live = [event for group, event in pushes if group == user_group(dr_bob)]
    assert live and live[-1]["type"] == "notification.new" and live[-1]["unread_count"] == 1

    doctor = Client()
    doctor.force_login(dr_bob)
    assert "有新的预约待您审核" in doctor.get("/staff/messages/").content.decode()


def test_a_free_booking_tells_the_doctor_at_once(alice, dr_bob, commit):
    with commit():
        appointment_book(
            account=alice, data=booking(visit_person(alice), online_schedule(dr_bob, fee_fen=0)), actor=Actor.of(alice)
        )
    assert Notification.objects.filter(user=dr_bob, kind="appointment.awaiting_review").count() == 1


def test_the_desk_lists_accepted_visits_for_today_and_the_coming_days(alice, mallory, dr_bob, dr_erin, commit):
    soon = accepted_booking(alice, dr_bob, commit)  # in 10 minutes
    later = accepted_booking(
        mallory, dr_bob, commit, schedule=online_schedule(dr_bob, starts_in=timedelta(days=3)), slot_in=None
    )
    far = accepted_booking(
        alice, dr_bob, commit, schedule=online_schedule(dr_bob, starts_in=timedelta(days=5)), person_seq=3,
        slot_in=timedelta(days=12),
    )  # fmt: skip
    others = accepted_booking(mallory, dr_erin, commit, person_seq=4)
    doctor = Client()
    doctor.force_login(dr_bob)
    page = doctor.get("/staff/desk/")
    days = page.context["upcoming"]
    listed = [appointment for _day, visits in days for appointment in visits]
    assert listed == [soon, later]
    assert far not in listed and others not in listed
    html = page.content.decode()
    assert html.count('data-testid="upcoming-visit"') == 2 and later.visit_person.name in html

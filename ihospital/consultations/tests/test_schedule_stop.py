"""停诊 through the declared transitions: whatever state each booking is in when its schedule stops, it
ends where the state machine says, with the money and the notices that follow from that state."""

import pytest

from ihospital.appointments.models import Appointment
from ihospital.appointments.services import (
    appointment_book,
    appointment_cancel,
    appointment_checkout,
    appointment_expire_hold,
    appointment_reject,
)
from ihospital.appointments.tests.factories import SYSTEM, booking, online_schedule, visit_person
from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.consultations.models import Consultation
from ihospital.consultations.selectors import StopPreview
from ihospital.consultations.services import (
    consultation_call,
    consultation_complete,
    consultation_mark_no_show,
    schedule_stop,
)
from ihospital.consultations.tests.conftest import accepted_booking, checked_in, code_of, in_consultation
from ihospital.core.time import now
from ihospital.integrations.payproviders.sandbox import trades
from ihospital.notifications.models import Notification
from ihospital.payments.models import PaymentOrder, Refund

REASON = "专家临时外出会诊"


def _order(appointment) -> PaymentOrder | None:
    public_id = appointment.payment_order_public_id
    return PaymentOrder.objects.get(public_id=public_id) if public_id else None


def _unpaid(alice, dr_bob, commit):
    with commit():
        return appointment_book(
            account=alice, data=booking(visit_person(alice), online_schedule(dr_bob)), actor=Actor.of(alice)
        )


def _paid(alice, dr_bob, commit):
    appointment = _unpaid(alice, dr_bob, commit)
    appointment_checkout(appointment=appointment, actor=SYSTEM)
    with commit():
        trades.pay(_order(appointment).out_trade_no)
    appointment.refresh_from_db()
    return appointment


def _expired(alice, dr_bob, commit):
    appointment = _unpaid(alice, dr_bob, commit)
    Appointment.objects.filter(pk=appointment.pk).update(hold_expires_at=now())
    appointment_expire_hold(appointment_pk=appointment.pk)
    return appointment


def _rejected(alice, dr_bob, commit):
    appointment = _paid(alice, dr_bob, commit)
    appointment_reject(doctor=dr_bob, appointment=appointment, reason="请线下就诊", actor=SYSTEM)
    return appointment


def _cancelled(alice, dr_bob, commit):
    appointment = _paid(alice, dr_bob, commit)
    appointment_cancel(account=alice, appointment=appointment, actor=SYSTEM)
    return appointment


def _waiting(alice, dr_bob, commit):
    appointment = accepted_booking(alice, dr_bob, commit)
    checked_in(appointment, commit)
    return appointment


def _calling(alice, dr_bob, commit):
    appointment = accepted_booking(alice, dr_bob, commit)
    consultation = checked_in(appointment, commit)
    with commit():
        consultation_call(doctor=dr_bob, consultation=consultation, actor=Actor.of(dr_bob))
    return appointment


def _no_show(alice, dr_bob, commit):
    appointment = accepted_booking(alice, dr_bob, commit)
    consultation_mark_no_show(doctor=dr_bob, consultation=checked_in(appointment, commit), actor=SYSTEM)
    return appointment


def _in_the_room(alice, dr_bob, commit):
    appointment = accepted_booking(alice, dr_bob, commit)
    in_consultation(appointment, dr_bob, commit)
    return appointment


def _completed(alice, dr_bob, commit):
    appointment = accepted_booking(alice, dr_bob, commit)
    consultation = in_consultation(appointment, dr_bob, commit)
    with commit():
        consultation_complete(doctor=dr_bob, consultation=consultation, actor=SYSTEM)
    return appointment


# Each state a booking can be in, reached through the services a person would use.
BUILDERS = {
    "pending_payment": _unpaid,
    "expired": _expired,
    "requested": _paid,
    "rejected": _rejected,
    "cancelled": _cancelled,
    "accepted": accepted_booking,
    "waiting": _waiting,
    "calling": _calling,  # the booking is waiting; its consultation rings
    "no_show": _no_show,
    "in_consultation": _in_the_room,
    "completed": _completed,
}


def _in_state(state, alice, dr_bob, commit):
    appointment = BUILDERS[state](alice, dr_bob, commit)
    appointment.refresh_from_db()
    return appointment


def _stop(appointment, commit):
    with commit():
        return schedule_stop(schedule=appointment.schedule, reason=REASON, actor=SYSTEM)


@pytest.mark.parametrize("state", ["requested", "accepted", "waiting", "calling"])
def test_a_paid_booking_not_yet_in_the_room_is_cancelled_refunded_and_told(state, alice, confirmed_bob, commit):
    appointment = _in_state(state, alice, confirmed_bob, commit)
    assert appointment.status == ("waiting" if state == "calling" else state)
    stopped = _stop(appointment, commit)
    appointment.refresh_from_db()
    assert (stopped.cancelled, stopped.in_consultation) == (1, 0)
    assert appointment.status == "cancelled" and appointment.reject_reason == REASON
    refund = Refund.objects.get(order=_order(appointment))
    assert refund.amount_fen == appointment.fee_fen
    assert Notification.objects.filter(user=alice, kind="appointment.schedule_stopped").count() == 1
    entry = AuditEvent.objects.get(action="appointment.cancel_by_hospital")
    assert entry.details["from"] == {"calling": "waiting"}.get(state, state)
    consultation = Consultation.objects.filter(appointment=appointment).first()
    if state in ("waiting", "calling"):
        assert consultation.status == "cancelled" and consultation.ended_at is not None
    else:
        assert consultation is None


def test_an_unpaid_booking_is_cancelled_and_its_order_closed_without_a_refund(alice, dr_bob, commit):
    appointment = _in_state("pending_payment", alice, dr_bob, commit)
    stopped = _stop(appointment, commit)
    appointment.refresh_from_db()
    assert stopped.cancelled == 1 and appointment.status == "cancelled"
    assert _order(appointment).status == "closed" and not Refund.objects.exists()


def test_a_visit_in_the_room_is_left_to_finish_and_the_doctor_is_told(alice, confirmed_bob, commit):
    appointment = _in_state("in_consultation", alice, confirmed_bob, commit)
    stopped = _stop(appointment, commit)
    appointment.refresh_from_db()
    assert (stopped.cancelled, stopped.in_consultation) == (0, 1)
    assert appointment.status == "in_consultation"
    assert Consultation.objects.get(appointment=appointment).status == "in_progress"
    assert not Refund.objects.exists()
    notice = Notification.objects.get(user=confirmed_bob, kind="schedule.stopped")
    assert REASON in notice.body
    with commit():
        consultation_complete(doctor=confirmed_bob, consultation=appointment.consultation, actor=SYSTEM)
    appointment.refresh_from_db()
    assert appointment.status == "completed"  # it finished normally after the stop


@pytest.mark.parametrize("state", ["completed", "rejected", "cancelled", "expired", "no_show"])
def test_an_ended_booking_is_left_alone(state, alice, confirmed_bob, commit):
    appointment = _in_state(state, alice, confirmed_bob, commit)
    refunds_before = Refund.objects.count()
    stopped = _stop(appointment, commit)
    appointment.refresh_from_db()
    assert (stopped.cancelled, stopped.in_consultation) == (0, 0)
    assert appointment.status == state
    assert Refund.objects.count() == refunds_before
    assert not AuditEvent.objects.filter(action="appointment.cancel_by_hospital").exists()


def test_a_stopped_schedule_takes_no_new_bookings_and_cannot_be_stopped_again(alice, dr_bob, commit):
    appointment = _in_state("requested", alice, dr_bob, commit)
    _stop(appointment, commit)
    again = booking(visit_person(alice, 2), appointment.schedule)
    assert code_of(lambda: appointment_book(account=alice, data=again, actor=SYSTEM)) == "appointment.schedule_stopped"
    assert code_of(lambda: _stop(appointment, commit)) == "schedule.already_stopped"
    assert Refund.objects.count() == 1


def test_the_doctor_reads_the_stop_notice_in_their_own_language(alice, dr_bob, commit):
    dr_bob.language = "en"
    dr_bob.save(update_fields=["language"])
    appointment = _in_state("requested", alice, dr_bob, commit)
    _stop(appointment, commit)
    assert Notification.objects.get(user=dr_bob, kind="schedule.stopped").title == "Your online clinic was stopped"


def test_the_back_offices_stop_action_goes_through_the_service(alice, dr_bob, commit, admin_client_for):
    appointment = _in_state("requested", alice, dr_bob, commit)
    client = admin_client_for("hospital_admin")
    with commit():
        response = client.post(
            "/admin/scheduling/schedule/",
            {
                "action": "stop_schedules",
                "_selected_action": [appointment.schedule_id],
                "reason": REASON,
                "confirm": "yes",
            },
            follow=True,
        )
    assert response.status_code == 200
    appointment.refresh_from_db()
    assert appointment.status == "cancelled" and Refund.objects.count() == 1
    assert AuditEvent.objects.get(action="schedule.stop").details["reason"] == REASON


def test_the_stop_action_first_says_how_many_patients_it_cancels_and_refunds_and_asks_to_confirm(
    alice, mallory, confirmed_bob, commit, admin_client_for
):
    schedule = online_schedule(confirmed_bob)
    waiting = accepted_booking(alice, confirmed_bob, commit, schedule=schedule)
    checked_in(waiting, commit)
    in_room = accepted_booking(mallory, confirmed_bob, commit, schedule=schedule, person_seq=2)
    in_consultation(in_room, confirmed_bob, commit)
    client = admin_client_for("hospital_admin")
    page = client.post(
        "/admin/scheduling/schedule/",
        {"action": "stop_schedules", "_selected_action": [schedule.pk], "reason": REASON},
    )
    assert page.status_code == 200 and page.context["preview"] == StopPreview(
        cancelled=1, refunded=1, waiting=1, in_consultation=1
    )
    text = page.content.decode()
    assert "1 项预约将被取消" in text and "1 笔已付费用将全额退还" in text and "1 位患者正在诊室" in text
    assert REASON in text and 'data-testid="stop-confirm"' in text
    schedule.refresh_from_db()
    waiting.refresh_from_db()
    assert schedule.status == "open" and waiting.status == "waiting" and not Refund.objects.exists()

    with commit():
        client.post(
            "/admin/scheduling/schedule/",
            {"action": "stop_schedules", "_selected_action": [schedule.pk], "reason": REASON, "confirm": "yes"},
        )
    schedule.refresh_from_db()
    waiting.refresh_from_db()
    assert schedule.status == "stopped" and waiting.status == "cancelled" and Refund.objects.count() == 1


def test_the_stop_action_needs_a_reason(alice, dr_bob, commit, admin_client_for):
    appointment = _in_state("requested", alice, dr_bob, commit)
    admin_client_for("hospital_admin").post(
        "/admin/scheduling/schedule/",
        {"action": "stop_schedules", "_selected_action": [appointment.schedule_id], "reason": ""},
    )
    appointment.refresh_from_db()
    assert appointment.status == "requested" and appointment.schedule.status == "open"


def test_the_waiting_patients_page_says_the_hospital_cancelled_and_offers_to_book_again(alice, confirmed_bob, commit):
    appointment = _in_state("waiting", alice, confirmed_bob, commit)
    _stop(appointment, commit)
    from django.test import Client

    patient = Client(HTTP_ACCEPT_LANGUAGE="en")
    patient.force_login(alice)
    page = patient.get(f"/p/appointments/{appointment.public_id}/waiting-room/").content.decode()
    assert 'data-testid="visit-cancelled"' in page and REASON in page
    assert 'data-testid="book-again"' in page
    assert 'data-testid="device-check-link"' not in page  # nothing left to prepare for


def test_the_doctors_notice_mentions_visits_in_the_room_only_when_there_are_some(alice, dr_bob, commit):
    dr_bob.language = "en"
    dr_bob.save(update_fields=["language"])
    _stop(_in_state("requested", alice, dr_bob, commit), commit)
    body = Notification.objects.get(user=dr_bob, kind="schedule.stopped").body
    assert "1 booking cancelled" in body and "in the room" not in body

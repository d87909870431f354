"""The booking's life in the HIS: matched at booking, written back (挂号 + 收费) once paid, reversed
(退号 + 退费) when refunded; an HIS that is down only delays it, and nothing is written twice."""

import pytest

from ihospital.appointments.models import Appointment
from ihospital.appointments.services import appointment_book, appointment_cancel
from ihospital.appointments.tests.factories import booking, online_schedule, visit_person
from ihospital.appointments.tests.test_payment_and_review import pay
from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.core import outbox
from ihospital.core.models import OutboxMessage
from ihospital.core.time import now
from ihospital.integrations.his import base, client
from ihospital.payments.models import PaymentOrder


@pytest.fixture
def booked(alice, dr_bob, commit):
    with commit():
        return appointment_book(
            account=alice, data=booking(visit_person(alice), online_schedule(dr_bob)), actor=Actor.of(alice)
        )


def test_booking_matches_the_visit_person_in_the_his(booked, his_sim):
    person = booked.visit_person
    person.refresh_from_db()
    assert person.his_patient_id
    assert his_sim.count("patient", patient_id=person.his_patient_id) == 1
    assert AuditEvent.objects.filter(action="visit_person.his_linked", target_id=str(person.public_id)).exists()


def test_a_paid_booking_is_registered_and_charged_in_the_his_once(booked, commit, his_sim):
    order = pay(booked, commit)
    booked.refresh_from_db()
    assert booked.his_registration_no.startswith("GH") and booked.his_receipt_no.startswith("SF")
    assert his_sim.count("registration", reference=str(booked.public_id)) == 1
    assert his_sim.count("receipt", reference=str(order.public_id), kind="charge") == 1
    OutboxMessage.objects.filter(topic="appointments.his_register").update(status="pending", next_attempt_at=now())
    outbox.drain()  # delivered again: the HIS answers with its first answer
    assert his_sim.count("registration", reference=str(booked.public_id)) == 1
    assert his_sim.count("receipt", kind="charge") == 1


def test_a_cancelled_and_refunded_booking_is_reversed_in_the_his(booked, alice, commit, his_sim):
    order = pay(booked, commit)
    with commit():
        appointment_cancel(account=alice, appointment=booked, actor=Actor.of(alice))
    booked.refresh_from_db()
    assert PaymentOrder.objects.get(pk=order.pk).status == "refunded"
    assert his_sim.count("registration", reference=str(booked.public_id), status="cancelled") == 1
    assert his_sim.count("receipt", reference=str(order.public_id), kind="refund") == 1
    statement = client().daily_statement(base.StatementQuery(day=now().astimezone(base_tz()).date()))
    assert (statement.total_charged_fen, statement.total_refunded_fen) == (order.amount_fen, order.amount_fen)


def base_tz():
    from ihospital.integrations.his.codec import HOSPITAL_TZ

    return HOSPITAL_TZ


def test_while_the_his_is_down_the_write_back_waits_and_is_applied_once_when_it_returns(
    booked, commit, his_sim, settings
):
    settings.HIS_BREAKER_THRESHOLD = 1000
    his_sim.fault_next("down", count=100)
    pay(booked, commit)
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.REQUESTED  # the booking itself goes on
    assert booked.his_registration_no == ""
    message = OutboxMessage.objects.get(topic="appointments.his_register")
    assert message.status == "pending" and message.attempts >= 1 and "down" in message.last_error
    his_sim.clear_faults()
    OutboxMessage.objects.filter(status="pending").update(next_attempt_at=now())
    outbox.drain()
    booked.refresh_from_db()
    assert booked.his_registration_no
    assert his_sim.count("registration", reference=str(booked.public_id)) == 1
    assert his_sim.count("receipt", kind="charge") == 1


# --- 对账: the daily reconciliation of payments with the HIS statement ---------------------------------
def _today():
    return now().astimezone(base_tz()).date()


def test_reconciliation_finds_nothing_when_every_payment_and_refund_reached_the_his(booked, alice, commit):
    from ihospital.payments.models import HisMismatch
    from ihospital.payments.services.his_reconcile import his_reconcile_day

    pay(booked, commit)
    with commit():
        appointment_cancel(account=alice, appointment=booked, actor=Actor.of(alice))
    assert his_reconcile_day(day=_today()) == {}
    assert not HisMismatch.objects.exists()
    assert AuditEvent.objects.filter(action="payment.his_reconciled", target_id=_today().isoformat()).exists()


def test_reconciliation_lists_each_difference_once_and_the_administrator_resolves_it_with_a_note(
    booked, commit, his_sim, settings, admin
):
    from ihospital.core.errors import DomainError
    from ihospital.payments.models import HisMismatch
    from ihospital.payments.services.his_reconcile import his_mismatch_resolve, his_reconcile_day

    settings.HIS_BREAKER_THRESHOLD = 1000
    his_sim.fault_next("down", count=100)
    order = pay(booked, commit)  # its write-back waits in the outbox
    his_sim.clear_faults()
    client().charge(
        base.ChargeRequest(
            transaction_id="SF-walk-in",
            patient_id="00000001",
            amount_fen=1200,
            channel="cash",
            trade_no="",
            item="挂号费",
            reference="walk-in-1",
        )
    )
    assert his_reconcile_day(day=_today()) == {"missing_in_his": 1, "missing_here": 1}
    assert his_reconcile_day(day=_today()) == {}  # kept once
    missing = HisMismatch.objects.get(reference=str(order.public_id))
    assert (missing.kind, missing.problem, missing.ours_fen, missing.his_fen) == (
        "charge",
        "missing_in_his",
        order.amount_fen,
        None,
    )
    with pytest.raises(DomainError) as no_note:
        his_mismatch_resolve(mismatch=missing, note=" ", resolved_by=admin, actor=Actor.of(admin))
    assert no_note.value.code == "payment.his_note_required"
    his_mismatch_resolve(
        mismatch=missing,
        note="write-back delayed by an HIS outage; delivered",
        resolved_by=admin,
        actor=Actor.of(admin),
    )
    with pytest.raises(DomainError) as twice:
        his_mismatch_resolve(mismatch=missing, note="again", resolved_by=admin, actor=Actor.of(admin))
    assert twice.value.code == "payment.his_already_resolved"
    entry = AuditEvent.objects.get(action="payment.his_mismatch_resolved")
    assert entry.target_id == str(missing.public_id) and "outage" in entry.details["note"]


def test_reconciliation_waits_when_the_his_is_down(his_sim, settings, db):
    from ihospital.core.errors import DomainError
    from ihospital.payments.services.his_reconcile import his_reconcile_day

    his_sim.fault_next("down", count=10)
    with pytest.raises(DomainError) as down:
        his_reconcile_day(day=_today())
    assert down.value.code == "payment.his_unavailable"


def test_the_administrator_sees_and_resolves_differences_on_a_page(client, admin, db):
    from django.urls import reverse

    from ihospital.payments.models import HisMismatch

    mismatch = HisMismatch.objects.create(
        day=_today(), kind="charge", reference="walk-in-2", problem="missing_here", his_fen=1200
    )
    client.force_login(admin)
    page = client.get(reverse("payments:his_mismatches"))
    assert page.status_code == 200 and "walk-in-2" in page.content.decode()
    url = reverse("payments:his_mismatch_resolve", kwargs={"mismatch_id": mismatch.public_id})
    assert client.post(url, {"note": "cash walk-in registration at the window"}).status_code == 302
    mismatch.refresh_from_db()
    assert mismatch.resolved_by == admin and mismatch.note.startswith("cash")

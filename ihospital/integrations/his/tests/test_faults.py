"""Failures of the HIS and of the way to it: each client turns them into the same HisError codes, writes
stay exactly-once, and the circuit breaker stops calling for a while."""

from __future__ import annotations

from datetime import date

import pytest

from ihospital.core import breaker as breaker_module
from ihospital.core import outbox
from ihospital.core.models import OutboxMessage
from ihospital.integrations.his import base, codec
from ihospital.integrations.his.base import HisError
from ihospital.integrations.his.guard import breaker

pytestmark = pytest.mark.django_db


def registration(txn: str = "GH-TXN-F1", slot: int = 1) -> base.RegistrationRequest:
    return base.RegistrationRequest(
        transaction_id=txn,
        patient_id="00000001",
        department_code="cardiology",
        doctor_code="dr_bob",
        session_date=date.today(),
        period="morning",
        slot_number=slot,
        fee_fen=5000,
        reference=f"booking-{txn}",
    )


def history() -> base.HistoryQuery:
    return base.HistoryQuery(patient_id="00000001")


def test_an_answer_slower_than_the_read_timeout_is_a_transient_timeout(his_client, his_sim, settings):
    settings.HIS_READ_TIMEOUT_SECONDS = 1.5
    his_sim.fault_next("timeout", delay=4.0)
    with pytest.raises(HisError) as failed:
        his_client.register_visit(registration())
    assert failed.value.code == HisError.TIMEOUT and not failed.value.permanent
    # The HIS went on and applied it; the retry under the same transaction gets the first answer.
    retried = his_client.register_visit(registration())
    assert retried.status == "registered"
    assert his_sim.count("registration", reference="booking-GH-TXN-F1") == 1


def test_a_busy_his_is_transient_and_unavailable(his_client, his_sim):
    his_sim.fault_next("error")
    with pytest.raises(HisError) as failed:
        his_client.visit_history(history())
    assert failed.value.code == HisError.UNAVAILABLE and not failed.value.permanent
    assert his_client.visit_history(history()).visits


def test_an_his_that_does_not_answer_is_unavailable(his_client, his_sim):
    his_sim.fault_next("down")
    with pytest.raises(HisError) as failed:
        his_client.visit_history(history())
    assert failed.value.code == HisError.UNAVAILABLE and not failed.value.permanent


def test_a_malformed_reply_is_a_bad_reply_and_the_retried_write_is_not_applied_twice(his_client, his_sim):
    his_sim.fault_next("malformed")
    with pytest.raises(HisError) as failed:
        his_client.register_visit(registration())
    assert failed.value.code == HisError.BAD_REPLY and not failed.value.permanent
    assert his_client.register_visit(registration()).status == "registered"
    assert his_sim.count("registration", reference="booking-GH-TXN-F1") == 1


def test_a_write_delivered_twice_is_applied_once(his_client, his_sim):
    his_sim.fault_next("duplicate")
    registered = his_client.register_visit(registration())
    assert his_sim.deliveries("GH-TXN-F1") == 2
    assert his_sim.count("registration", reference="booking-GH-TXN-F1") == 1
    assert his_client.register_visit(registration()) == registered


def test_the_circuit_opens_after_repeated_failures_and_closes_after_a_successful_probe(
    his_client, his_sim, settings, monkeypatch
):
    settings.HIS_BREAKER_THRESHOLD = 2
    settings.HIS_BREAKER_COOLDOWN_SECONDS = 30
    clock = [1_000_000.0]
    monkeypatch.setattr(breaker_module, "_clock", lambda: clock[0])
    his_sim.fault_next("down", count=3)
    for _ in range(2):
        with pytest.raises(HisError):
            his_client.visit_history(history())
    calls = his_sim.count("call_log")
    with pytest.raises(HisError) as stopped:
        his_client.visit_history(history())
    assert stopped.value.code == HisError.CIRCUIT_OPEN and not stopped.value.permanent
    assert his_sim.count("call_log") == calls  # nothing went out while open
    clock[0] += 31  # half-open: one probe; it fails (the third "down"), so the circuit opens again
    with pytest.raises(HisError) as probe:
        his_client.visit_history(history())
    assert probe.value.code == HisError.UNAVAILABLE
    with pytest.raises(HisError) as reopened:
        his_client.visit_history(history())
    assert reopened.value.code == HisError.CIRCUIT_OPEN
    clock[0] += 31
    assert his_client.visit_history(history()).visits  # the probe succeeds: closed again
    assert breaker(his_client.name).state() == "closed"
    assert his_client.visit_history(history()).visits


def test_writes_queued_while_the_his_is_down_are_each_applied_once_when_it_is_back(his_client, his_sim, settings):
    settings.HIS_CLIENT = f"{type(his_client).__module__}.{type(his_client).__name__}"
    settings.HIS_BREAKER_THRESHOLD = 100
    his_sim.fault_next("down", count=1000)
    from django.db import transaction

    with transaction.atomic():
        for n in range(3):
            request = registration(txn=f"GH-Q-{n}", slot=n)
            outbox.enqueue(
                topic="his.RegisterVisit", payload=codec.as_payload(request), idempotency_key=request.transaction_id
            )
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"pending"}
    assert his_sim.count("registration") == 0
    his_sim.clear_faults()
    OutboxMessage.objects.update(next_attempt_at=outbox.now())
    assert outbox.drain() == {"sent": 3}
    OutboxMessage.objects.update(status="pending", next_attempt_at=outbox.now())  # a redelivery of all three
    assert outbox.drain() == {"sent": 3}
    for n in range(3):
        assert his_sim.count("registration", reference=f"booking-GH-Q-{n}") == 1
        assert his_sim.deliveries(f"GH-Q-{n}") == 2

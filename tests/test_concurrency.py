"""Races that real row locks must settle. They need PostgreSQL (SQLite serialises every writer anyway);
CI runs the suite a second time with DATABASE_URL pointing at PostgreSQL, where these run."""

from __future__ import annotations

from datetime import date

import pytest
from django.conf import settings

from ihospital.accounts import services
from ihospital.accounts.idcard import check_character
from ihospital.accounts.models import SmsCode, VisitPerson
from ihospital.audit.chain import verify
from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor, record
from ihospital.core.errors import DomainError
from ihospital.core.testing.concurrency import needs_row_locks, race

pytestmark = needs_row_locks


def resident_id(sequence: int) -> str:
    first17 = f"320505{date(1970, 1, 1):%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


def test_concurrent_adds_never_exceed_five_visit_persons(alice):
    def add(i: int):
        data = services.VisitPersonInput(
            relationship="other",
            name="亲属" + "甲乙丙丁戊己庚辛壬癸子丑"[i],
            id_number=resident_id(i + 1),
            phone="13800000001",
        )
        return services.visit_person_create(account=alice, data=data, actor=Actor.of(alice))

    results = race(12, add)
    refused = [r for r in results if isinstance(r, DomainError)]
    assert VisitPerson.objects.filter(account=alice).count() == 5
    assert len(refused) == 7 and {r.code for r in refused} == {"visit_person.limit_reached"}


def test_one_sms_code_signs_in_once_however_many_requests_race(db, django_capture_on_commit_callbacks):
    import re

    from ihospital.integrations.models import SandboxSms

    services.sms_code_send(phone="13912340000", actor=Actor())
    from ihospital.core import outbox

    outbox.drain()
    code = re.search(r"\b(\d{6})\b", SandboxSms.objects.get().text).group(1)
    consent = services.ConsentGiven(
        notice_version=settings.PRIVACY_NOTICE_VERSION, privacy_notice=True, health_data=True
    )
    results = race(
        8, lambda i: services.patient_sign_in(phone="13912340000", code=code, actor=Actor(), consent=consent)
    )
    assert sum(not isinstance(r, DomainError) for r in results) == 1
    assert SmsCode.objects.filter(used_at__isnull=False).count() == 1


def test_concurrent_audit_writers_and_chainers_keep_one_unbroken_chain(db):
    """Writers take no lock; chainers racing them (and each other) chain every entry exactly once."""
    from ihospital.audit.services import audit_chain

    def write_or_chain(i: int):
        return audit_chain(batch=3) if i % 4 == 0 else record(actor=Actor.system(), action="race", details={"i": i})

    results = race(24, write_or_chain)  # writers chain too, right after their commit (huey immediate mode)
    assert not [r for r in results if isinstance(r, Exception)]
    audit_chain()
    assert AuditEvent.objects.filter(seq__isnull=True).count() == 0
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, 19))
    assert next(verify(AuditEvent.objects.order_by("seq")), None) is None


def test_fifty_bookers_racing_for_five_places_get_exactly_five(dr_bob, django_user_model):
    """The flash crowd: capacity 5, 50 patients at the same instant → 5 holds, 45 slot_full, no oversell."""
    from ihospital.appointments.models import Appointment
    from ihospital.appointments.services import appointment_book
    from ihospital.appointments.tests.factories import booking, online_schedule, visit_person
    from ihospital.core.testing.personas import make_user
    from ihospital.scheduling.models import Slot

    clinic = online_schedule(dr_bob, capacity=5)
    patients = [make_user(f"crowd{i}", "patient", phone=f"1390000{i:04d}") for i in range(50)]
    persons = [visit_person(p, i + 1) for i, p in enumerate(patients)]
    results = race(
        50,
        lambda i: appointment_book(account=patients[i], data=booking(persons[i], clinic), actor=Actor.of(patients[i])),
    )
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 45 and {r.code for r in refused} == {"appointment.slot_full"}
    assert Appointment.objects.filter(schedule=clinic).count() == 5
    assert Slot.objects.filter(schedule=clinic, status="held").count() == 5
    assert len(set(Appointment.objects.filter(schedule=clinic).values_list("slot", flat=True))) == 5


def test_the_database_refuses_two_active_bookings_of_one_slot(alice, mallory, dr_bob):
    """Even if a code path skipped the compare-and-set, the partial unique constraint holds the line."""
    from django.db import IntegrityError, transaction

    from ihospital.appointments.models import Appointment
    from ihospital.appointments.services import appointment_book
    from ihospital.appointments.tests.factories import booking, online_schedule, visit_person

    clinic = online_schedule(dr_bob, capacity=1)
    first = appointment_book(account=alice, data=booking(visit_person(alice), clinic), actor=Actor.of(alice))
    other = visit_person(mallory, 2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(
            account=mallory,
            visit_person=other,
            schedule=clinic,
            slot=first.slot,
            complaint="x" * 10,
            prior_visit_date=first.prior_visit_date,
            prior_hospital="h",
            prior_diagnosis="d",
            fee_fen=1,
            hold_expires_at=first.hold_expires_at,
        )


def test_simultaneous_code_requests_for_one_number_send_one_code(db):
    from datetime import timedelta

    from ihospital.accounts.models import SmsCode
    from ihospital.accounts.services import sms_code_send
    from ihospital.core.time import now

    sms_code_send(phone="13912349999", actor=Actor())  # the number is known (its throttle row exists) …
    SmsCode.objects.update(created_at=now() - timedelta(minutes=2))  # … and may get a new code now
    results = race(8, lambda i: sms_code_send(phone="13912349999", actor=Actor()))
    refused = [r for r in results if isinstance(r, DomainError)]
    assert SmsCode.objects.filter(phone="13912349999").count() == 2
    assert len(refused) == 7 and {r.code for r in refused} == {"account.sms_resend_too_soon"}

"""Races that real row locks must settle. They need PostgreSQL (SQLite serialises every writer anyway);
CI runs the suite a second time with DATABASE_URL pointing at PostgreSQL, where these run."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

import pytest
from django.db import connection

from ihospital.accounts import services
from ihospital.accounts.idcard import check_character
from ihospital.accounts.models import SmsCode, VisitPerson
from ihospital.audit.chain import verify
from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor, record
from ihospital.core.errors import DomainError

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row-lock races need PostgreSQL (CI runs it)"),
]


def race(n: int, work: Callable[[int], object]) -> list[object]:
    """Run ``work(i)`` in n threads released at the same instant; return results or raised DomainErrors."""
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except DomainError as error:
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def resident_id(sequence: int) -> str:
    first17 = f"320505{date(1970, 1, 1):%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


def test_concurrent_adds_never_exceed_five_visit_persons(alice):
    def add(i: int):
        data = services.VisitPersonInput(
            relationship="other", name=f"亲属{i}", id_number=resident_id(i + 1), phone="13800000001"
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
    results = race(8, lambda i: services.patient_sign_in(phone="13912340000", code=code, actor=Actor()))
    assert sum(not isinstance(r, DomainError) for r in results) == 1
    assert SmsCode.objects.filter(used_at__isnull=False).count() == 1


def test_concurrent_audit_writers_keep_one_unbroken_chain(db):
    race(20, lambda i: record(actor=Actor.system(), action="race", details={"i": i}))
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, 21))
    assert next(verify(AuditEvent.objects.order_by("seq")), None) is None

"""The audit trail is append-only and tamper-evident: audit_verify finds the first broken entry."""

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from ihospital.audit.chain import entry_hash, row_values
from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor, record

ALICE = Actor(public_id="a1", name="alice", role="patient", ip="10.0.0.8", user_agent="phone")


@pytest.fixture
def trail(db):
    for n in range(5):
        record(
            actor=ALICE, action="visit_person.read", target_type="visit_person", target_id=f"vp-{n}", details={"n": n}
        )
    return list(AuditEvent.objects.order_by("seq"))


def _verify() -> str:
    from io import StringIO

    out = StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


def _sql(statement: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement.replace("{t}", AuditEvent._meta.db_table), params)


def test_entries_are_chained_in_order_and_keep_who_what_where(trail):
    assert [e.seq for e in trail] == [1, 2, 3, 4, 5]
    assert trail[0].prev_hash == "0" * 64
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(trail, trail[1:], strict=False))
    first = trail[0]
    assert (first.actor_name, first.actor_role, first.ip, first.user_agent) == ("alice", "patient", "10.0.0.8", "phone")
    assert "intact: 5 entries" in _verify()


def test_entries_cannot_be_changed_or_deleted_through_the_orm(trail):
    event = trail[0]
    event.action = "something.else"
    with pytest.raises(PermissionDenied):
        event.save()
    with pytest.raises(PermissionDenied):
        event.delete()


def test_an_edited_entry_is_reported(trail):
    _sql("UPDATE {t} SET details = %s WHERE seq = 3", ['{"n": 99}'])
    with pytest.raises(CommandError, match=r"#3: edited"):
        _verify()


def test_a_deleted_entry_is_reported(trail):
    _sql("DELETE FROM {t} WHERE seq = 2", [])
    with pytest.raises(CommandError, match=r"#3: deleted"):
        _verify()


def test_an_inserted_entry_is_reported_even_with_a_plausible_hash(trail):
    """Someone with database access but not the chain key cannot forge a valid entry."""
    import hashlib

    last = trail[-1]
    values = {**row_values(last), "seq": 6, "action": "forged"}
    forged_hash = hashlib.sha256((last.hash + str(values)).encode()).hexdigest()
    _sql(
        "INSERT INTO {t} (seq, created_at, actor_id, actor_name, actor_role, action, target_type, target_id, ip, "
        "user_agent, details, prev_hash, hash) "
        "VALUES (6, %s, '', 'x', 'doctor', 'forged', '', '', NULL, '', '{}', %s, %s)",
        [last.created_at, last.hash, forged_hash],
    )
    with pytest.raises(CommandError, match=r"#6: inserted"):
        _verify()


def test_the_first_problem_is_the_one_reported(trail):
    _sql("UPDATE {t} SET action = 'x' WHERE seq = 4", [])
    _sql("UPDATE {t} SET action = 'y' WHERE seq = 2", [])
    with pytest.raises(CommandError, match=r"#2: edited"):
        _verify()


def test_an_entry_recorded_inside_a_rolled_back_transaction_disappears_without_breaking_the_chain(trail):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        record(actor=ALICE, action="doomed")
        raise RuntimeError("service failed")
    record(actor=ALICE, action="after")
    assert AuditEvent.objects.filter(action="doomed").count() == 0
    assert "intact: 6 entries" in _verify()


def test_hash_depends_on_the_chain_key(trail, settings):
    event = trail[0]
    original = entry_hash(event.prev_hash, row_values(event))
    settings.AUDIT_CHAIN_KEY = "another-key"
    assert entry_hash(event.prev_hash, row_values(event)) != original


def test_cutting_off_the_newest_entries_is_reported(trail):
    _sql("DELETE FROM {t} WHERE seq >= 4", [])
    with pytest.raises(CommandError, match=r"#4: deleted"):
        _verify()

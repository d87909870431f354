"""The audit trail is append-only and tamper-evident: audit_verify finds the first broken entry. Entries are
written with their own MAC and chained after commit, once and in order."""

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from ihospital.audit.chain import entry_hash, row_values
from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor, audit_chain, record

ALICE = Actor(public_id="a1", name="alice", role="patient", ip="10.0.0.8", user_agent="phone")


@pytest.fixture
def trail(db):
    for n in range(5):
        record(
            actor=ALICE, action="visit_person.read", target_type="visit_person", target_id=f"vp-{n}", details={"n": n}
        )
    assert audit_chain() == 5
    return list(AuditEvent.objects.order_by("seq"))


def _verify(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("audit_verify", *args, stdout=out)
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
        "user_agent, details, mac, prev_hash, hash) "
        "VALUES (6, %s, '', 'x', 'doctor', 'forged', '', '', NULL, '', '{}', '', %s, %s)",
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


# --- chaining after commit ---------------------------------------------------------------------------


def test_an_entry_is_written_unchained_with_its_own_mac_and_chained_once_in_order(db):
    for n in range(3):
        record(actor=ALICE, action="act", details={"n": n})
    pending = list(AuditEvent.objects.order_by("id"))
    assert all(e.seq is None and e.hash == e.prev_hash == "" and len(e.mac) == 64 for e in pending)
    assert audit_chain(batch=2) == 3  # two batches
    chained = list(AuditEvent.objects.order_by("id"))
    assert [e.seq for e in chained] == [1, 2, 3]
    assert [e.details["n"] for e in chained] == [0, 1, 2]
    assert [e.hash for e in chained[:-1]] == [e.prev_hash for e in chained[1:]]
    assert audit_chain() == 0  # nothing is chained twice
    record(actor=ALICE, action="later")
    assert audit_chain() == 1 and AuditEvent.objects.get(action="later").prev_hash == chained[-1].hash
    assert "intact: 4 entries" in _verify()


def test_verify_chains_pending_entries_first_and_reports_them(trail):
    record(actor=ALICE, action="pending")
    assert "intact: 6 entries verified; 1 newly chained" in _verify()
    record(actor=ALICE, action="pending again")
    assert "intact: 6 entries verified; 1 not chained yet (their MACs verified)" in _verify("--no-chain")
    assert AuditEvent.objects.get(action="pending again").seq is None


def test_an_entry_changed_before_it_was_chained_is_reported(trail):
    record(actor=ALICE, action="pending", details={"amount": 1})
    _sql("UPDATE {t} SET details = %s WHERE seq IS NULL", ['{"amount": 1000}'])
    with pytest.raises(CommandError, match=r"forged — entry id \d+ \(not chained yet\)"):
        _verify("--no-chain")
    with pytest.raises(CommandError, match=r"#6: edited"):  # chaining does not launder it
        _verify()


def test_an_unchained_entry_without_a_valid_mac_is_reported(trail):
    _sql(
        "INSERT INTO {t} (seq, created_at, actor_id, actor_name, actor_role, action, target_type, target_id, ip, "
        "user_agent, details, mac, prev_hash, hash) "
        "VALUES (NULL, %s, '', 'x', 'doctor', 'forged', '', '', NULL, '', '{}', %s, '', '')",
        [trail[-1].created_at, "0" * 64],
    )
    with pytest.raises(CommandError, match=r"forged"):
        _verify("--no-chain")


def test_a_commit_schedules_one_chaining_task(db, django_capture_on_commit_callbacks, monkeypatch):
    from django.core.cache import cache
    from huey.contrib.djhuey import HUEY

    from ihospital.audit import tasks

    scheduled = []
    monkeypatch.setattr(HUEY, "immediate", False)  # as with a consumer
    monkeypatch.setattr(tasks.audit_chain_task, "schedule", lambda **kw: scheduled.append(kw))
    cache.delete("audit:chain_pending")
    with django_capture_on_commit_callbacks(execute=True):
        record(actor=ALICE, action="one")
        record(actor=ALICE, action="two")
    assert scheduled == [{"delay": 1}]
    assert AuditEvent.objects.filter(seq__isnull=True).count() == 2
    assert tasks.audit_chain_sweep.call_local() == 2


def test_without_a_consumer_entries_are_chained_right_after_commit(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # huey's immediate mode, as in these tests
        record(actor=ALICE, action="one")
    assert AuditEvent.objects.get().seq == 1

"""``audit.record(...)``: the only way entries are written. Call it inside the service's transaction.
``audit_chain()``: gives committed entries their place in the hash chain (a task runs it soon after).

See docs/decisions/0002-audit-chain-after-commit.md."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import transaction

from ihospital.audit.chain import entry_hash, entry_mac, row_values
from ihospital.audit.models import AuditChainHead, AuditEvent
from ihospital.core.time import now


@dataclass(frozen=True)
class Actor:
    """Who did it, as the trail keeps it. ``anonymous`` for unauthenticated callers (failed sign-ins)."""

    public_id: str = ""
    name: str = ""
    role: str = "anonymous"
    ip: str | None = None
    user_agent: str = ""

    @classmethod
    def of(cls, user: Any, request: Any = None) -> Actor:
        """``request`` is an HttpRequest or, in a consumer, the ASGI scope."""
        ip, agent = client_of(request)
        if user is None or not getattr(user, "is_authenticated", False):
            return cls(ip=ip, user_agent=agent)
        return cls(public_id=str(user.public_id), name=user.get_username(), role=user.role, ip=ip, user_agent=agent)

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(name=name, role="system")


def client_of(request: Any) -> tuple[str | None, str]:
    """(address, user agent) of an HTTP request, or of a WebSocket's ASGI scope (a dict)."""
    if request is None:
        return None, ""
    if isinstance(request, dict):
        client = request.get("client") or [None]
        headers = dict(request.get("headers") or [])
        return client[0] or None, headers.get(b"user-agent", b"").decode("latin-1")[:300]
    meta = getattr(request, "META", {})
    return meta.get("REMOTE_ADDR") or None, meta.get("HTTP_USER_AGENT", "")[:300]


CHAIN_DELAY_SECONDS = 1  # entries committed within this long are chained together, by one task
CHAIN_BATCH = 500  # entries chained per transaction of the chaining step
_CHAIN_PENDING = "audit:chain_pending"


@transaction.atomic(savepoint=False)  # always inside the caller's transaction: no savepoint needed
def record(
    *,
    actor: Actor,
    action: str,
    target_type: str = "",
    target_id: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one entry, with an HMAC of its content, in the caller's transaction: if the caller rolls
    back, its entry disappears with it. No lock is taken; after commit, ``audit_chain`` (a task a
    second later, and a sweeper every minute) gives the entry its place in the hash chain."""
    moment = now()
    values = {
        "created_at": moment.isoformat(),
        "actor_id": actor.public_id,
        "actor_name": actor.name,
        "actor_role": actor.role,
        "action": action,
        "target_type": target_type,
        "target_id": str(target_id),
        "ip": actor.ip or "",
        "user_agent": actor.user_agent,
        "details": details or {},
    }
    event = AuditEvent.objects.create(
        **{**values, "created_at": moment, "ip": actor.ip},
        mac=entry_mac(values),
    )
    transaction.on_commit(_chain_soon, robust=True)  # if it fails, the minute sweeper chains the entry
    return event


def _chain_soon() -> None:
    """One chaining task per CHAIN_DELAY_SECONDS however many entries commit meanwhile: the task runs
    after the mark expires, so it sees every entry committed while the mark stood. In huey's immediate
    mode no consumer would ever run a delayed task: the entries are chained at once."""
    from huey.contrib.djhuey import HUEY

    from ihospital.audit.tasks import audit_chain_task

    if HUEY.immediate:
        audit_chain_task()
    elif cache.add(_CHAIN_PENDING, True, timeout=CHAIN_DELAY_SECONDS):
        audit_chain_task.schedule(delay=CHAIN_DELAY_SECONDS)


def audit_chain(*, batch: int = CHAIN_BATCH) -> int:
    """Chain every committed entry that is not chained yet, in the order they were written (by id), and
    return how many were chained. Each entry is chained exactly once: under the chain head's row lock,
    only rows still without a ``seq`` are filled in, and the head moves to the last one.

    Side effects: ``seq``, ``prev_hash`` and ``hash`` of those entries (set once, never changed), the
    chain head. Content is chained as stored; an entry changed before it was chained still fails its MAC
    in ``audit_verify``.
    """
    chained = 0
    while True:
        with transaction.atomic():
            head = _locked_head()
            rows = list(AuditEvent.objects.filter(seq__isnull=True).order_by("id")[:batch])
            if not rows:
                return chained
            seq, prev = head.last_seq, head.last_hash
            for row in rows:
                seq += 1
                row.seq, row.prev_hash = seq, prev
                row.hash = prev = entry_hash(prev, row_values(row))
            updated = AuditEvent.objects.filter(seq__isnull=True).bulk_update(rows, ["seq", "prev_hash", "hash"])
            if updated != len(rows):  # cannot happen under the head lock; never chain anything twice
                raise RuntimeError(f"audit chain: {len(rows) - updated} entries were chained concurrently")
            AuditChainHead.objects.filter(pk=head.pk).update(last_seq=seq, last_hash=prev)
        chained += len(rows)
        if len(rows) < batch:
            return chained


def _locked_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:  # a flushed database (tests); the migration creates it for real installs
        AuditChainHead.objects.bulk_create([AuditChainHead(pk=1)], ignore_conflicts=True)
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head

"""``audit.record(...)``: the only way entries are written. Call it inside the service's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from ihospital.audit.chain import entry_hash
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
        ip, agent = client_of(request)
        if user is None or not getattr(user, "is_authenticated", False):
            return cls(ip=ip, user_agent=agent)
        return cls(public_id=str(user.public_id), name=user.get_username(), role=user.role, ip=ip, user_agent=agent)

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(name=name, role="system")


def client_of(request: Any) -> tuple[str | None, str]:
    if request is None:
        return None, ""
    meta = getattr(request, "META", {})
    return meta.get("REMOTE_ADDR") or None, meta.get("HTTP_USER_AGENT", "")[:300]


@transaction.atomic(savepoint=False)  # always inside the caller's transaction: no savepoint needed
def record(
    *,
    actor: Actor,
    action: str,
    target_type: str = "",
    target_id: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one entry. Serialised by a row lock on the chain head (held until the caller commits), so
    entries are chained in commit order; if the caller rolls back, its entry disappears with it."""
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:  # a flushed database (tests); the migration creates it for real installs
        AuditChainHead.objects.bulk_create([AuditChainHead(pk=1)], ignore_conflicts=True)
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    moment = now()
    values = {
        "seq": head.last_seq + 1,
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
    digest = entry_hash(head.last_hash, values)
    event = AuditEvent.objects.create(
        **{**values, "created_at": moment, "ip": actor.ip},
        prev_hash=head.last_hash,
        hash=digest,
    )
    AuditChainHead.objects.filter(pk=head.pk).update(last_seq=values["seq"], last_hash=digest)
    return event

from dataclasses import dataclass

from django.db.models import QuerySet

from ihospital.audit.chain import GENESIS, verify, verify_unchained
from ihospital.audit.models import AuditChainHead, AuditEvent


def audit_events_for_target(*, target_type: str, target_id: str) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(target_type=target_type, target_id=str(target_id))


@dataclass(frozen=True)
class TrailVerdict:
    chained: int  # entries verified in the chain
    pending: int  # entries not chained yet, their MACs verified
    problem: str  # "" when intact


def audit_trail_verify(*, using: str = "default") -> TrailVerdict:
    """Walk the chain of database ``using`` in ``seq`` order and check every entry's hash and MAC, that
    the newest entry is the one the chain head remembers (so cut-off entries show as deleted), and the
    MAC of every entry not chained yet. Reads only; ``problem`` names the first break."""
    events = AuditEvent.objects.using(using)
    rows = events.filter(seq__isnull=False).order_by("seq").iterator(chunk_size=2000)
    newest = events.filter(seq__isnull=False).order_by("-seq").values_list("seq", "hash").first()
    last_seq, last_hash = (newest[0] or 0, newest[1]) if newest else (0, GENESIS)
    pending = events.filter(seq__isnull=True).order_by("id")
    pending_count = pending.count()

    def verdict(problem: str = "") -> TrailVerdict:
        return TrailVerdict(chained=last_seq, pending=pending_count, problem=problem)

    broken = next(verify(rows), None)
    if broken is not None:
        return verdict(f"audit trail broken at entry #{broken.seq}: {broken.kind} — {broken.explanation}")
    head = AuditChainHead.objects.using(using).values_list("last_seq", "last_hash").first() or (0, GENESIS)
    if (last_seq, last_hash) != tuple(head):
        return verdict(
            f"audit trail broken at entry #{last_seq + 1}: deleted — entries #{last_seq + 1}…#{head[0]} are missing"
        )
    unchained = next(verify_unchained(pending.iterator(chunk_size=2000)), None)
    if unchained is not None:
        return verdict(f"audit trail broken: {unchained.kind} — {unchained.explanation}")
    return verdict()

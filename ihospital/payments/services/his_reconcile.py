"""对账: the daily comparison of our payments and refunds with the HIS's statement, and resolving what differs.

Both sides name an order by its public id (the HIS keeps it as the external reference of each charge and
refund: see appointments' HIS write-back). Per order and day: the amount charged (our ``paid_at`` on that
hospital-local day) and the amount refunded (our refunds succeeded that day) against the HIS's charge and
refund lines of that day. Each difference is kept once (``HisMismatch``, unique per day, kind and order).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from ihospital.accounts.models import User
from ihospital.audit.services import Actor, record
from ihospital.core.errors import DomainError
from ihospital.core.time import now
from ihospital.integrations import his
from ihospital.integrations.his.base import HisError, StatementQuery
from ihospital.payments.errors import PaymentError
from ihospital.payments.models import HisMismatch, PaymentOrder, Refund

SYSTEM = Actor.system("his-reconciliation")


def _local_day_bounds(day: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(settings.TIME_ZONE)
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, start + timedelta(days=1)


def _ours(day: date) -> dict[str, dict[str, int]]:
    start, end = _local_day_bounds(day)
    totals: dict[str, dict[str, int]] = {"charge": defaultdict(int), "refund": defaultdict(int)}
    for public_id, amount in PaymentOrder.objects.filter(paid_at__gte=start, paid_at__lt=end).values_list(
        "public_id", "amount_fen"
    ):
        totals["charge"][str(public_id)] += amount
    refunds = Refund.objects.filter(status=Refund.Status.SUCCEEDED, succeeded_at__gte=start, succeeded_at__lt=end)
    for public_id, amount in refunds.values_list("order__public_id", "amount_fen"):
        totals["refund"][str(public_id)] += amount
    return totals


def his_reconcile_day(*, day: date) -> dict[str, int]:
    """Compare ``day`` (hospital-local) and keep each difference once. Returns counts per problem.

    Calls the HIS first, outside any transaction; raises DomainError(payment.his_unavailable) when it
    cannot be reached (the task runs again). Side effects: new ``HisMismatch`` rows and one audit entry
    ``payment.his_reconciled`` with the counts, in one transaction.
    """
    try:
        statement = his.client().daily_statement(StatementQuery(day=day))
    except HisError as error:
        raise DomainError(PaymentError.HIS_UNAVAILABLE) from error
    theirs: dict[str, dict[str, int]] = {"charge": defaultdict(int), "refund": defaultdict(int)}
    for line in statement.lines:
        if line.kind in theirs:
            theirs[line.kind][line.reference] += line.amount_fen
    ours = _ours(day)
    counts: dict[str, int] = defaultdict(int)
    with transaction.atomic():
        for kind in ("charge", "refund"):
            for reference in sorted(set(ours[kind]) | set(theirs[kind])):
                mine, their = ours[kind].get(reference), theirs[kind].get(reference)
                if mine == their:
                    continue
                problem = (
                    HisMismatch.Problem.MISSING_IN_HIS
                    if their is None
                    else HisMismatch.Problem.MISSING_HERE
                    if mine is None
                    else HisMismatch.Problem.AMOUNT_DIFFERS
                )
                _mismatch, created = HisMismatch.objects.get_or_create(
                    day=day,
                    kind=kind,
                    reference=reference,
                    defaults={"problem": problem, "ours_fen": mine, "his_fen": their},
                )
                if created:
                    counts[problem] += 1
        record(
            actor=SYSTEM,
            action="payment.his_reconciled",
            target_type="day",
            target_id=day.isoformat(),
            details={"lines": len(statement.lines), **{str(k): v for k, v in counts.items()}},
        )
    return {str(problem): count for problem, count in counts.items()}


def his_reconcile_yesterday() -> dict[str, int]:
    """The periodic task's work: yesterday in the hospital's time zone."""
    today = now().astimezone(ZoneInfo(settings.TIME_ZONE)).date()
    return his_reconcile_day(day=today - timedelta(days=1))


@transaction.atomic
def his_mismatch_resolve(*, mismatch: HisMismatch, note: str, resolved_by: User, actor: Actor) -> HisMismatch:
    """The hospital administrator marks a difference resolved, saying how (a note is required).

    Refuses: payment.his_note_required, payment.his_already_resolved (compare-and-set on resolved_at).
    Audited ``payment.his_mismatch_resolved`` with the note.
    """
    note = note.strip()
    if not note:
        raise DomainError(PaymentError.HIS_NOTE_REQUIRED, fields={"note": PaymentError.HIS_NOTE_REQUIRED.message})
    moment = now()
    resolved = HisMismatch.objects.filter(pk=mismatch.pk, resolved_at__isnull=True).update(
        resolved_at=moment, resolved_by=resolved_by, note=note[:1000]
    )
    if not resolved:
        raise DomainError(PaymentError.HIS_ALREADY_RESOLVED)
    record(
        actor=actor,
        action="payment.his_mismatch_resolved",
        target_type="his_mismatch",
        target_id=str(mismatch.public_id),
        details={"note": note[:1000]},
    )
    mismatch.refresh_from_db()
    return mismatch

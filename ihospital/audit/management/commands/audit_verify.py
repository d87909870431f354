from django.core.management.base import BaseCommand, CommandError

from ihospital.audit.chain import GENESIS, ChainProblem, verify, verify_unchained
from ihospital.audit.models import AuditChainHead, AuditEvent
from ihospital.audit.services import audit_chain


class Command(BaseCommand):
    help = (
        "Chain the entries not chained yet, then verify the audit trail's hash chain and every entry's MAC; "
        "report the first edited, inserted, deleted or forged entry."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-chain", action="store_true", help="verify only: do not chain pending entries first (read-only)"
        )

    def handle(self, *args, **options):
        chained = 0 if options["no_chain"] else audit_chain()
        rows = AuditEvent.objects.filter(seq__isnull=False).order_by("seq").iterator(chunk_size=2000)
        problem = next(verify(rows), None)
        if problem is not None:
            raise CommandError(f"audit trail broken at entry #{problem.seq}: {problem.kind} — {problem.explanation}")
        # The chain alone cannot show that its newest entries were cut off; the head row remembers them.
        chain = AuditEvent.objects.filter(seq__isnull=False)
        last = chain.order_by("-seq").values_list("seq", "hash").first() or (0, GENESIS)
        head = AuditChainHead.objects.values_list("last_seq", "last_hash").first() or (0, GENESIS)
        if tuple(last) != tuple(head):
            raise CommandError(
                f"audit trail broken at entry #{last[0] + 1}: deleted — entries #{last[0] + 1}…#{head[0]} are missing"
            )
        # Entries committed since the chaining above (or all pending ones with --no-chain): MACs only.
        pending = AuditEvent.objects.filter(seq__isnull=True).order_by("id")
        unchained = next(verify_unchained(pending.iterator(chunk_size=2000)), None)
        if unchained is not None:
            raise CommandError(_broken(unchained))
        waiting = pending.count()
        note = f"; {chained} newly chained" if chained else ""
        note += f"; {waiting} not chained yet (their MACs verified)" if waiting else ""
        self.stdout.write(self.style.SUCCESS(f"audit trail intact: {last[0]} entries verified{note}"))


def _broken(problem: ChainProblem) -> str:
    return f"audit trail broken: {problem.kind} — {problem.explanation}"

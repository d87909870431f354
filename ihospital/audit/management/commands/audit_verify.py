from django.core.management.base import BaseCommand, CommandError

from ihospital.audit.chain import GENESIS, verify
from ihospital.audit.models import AuditChainHead, AuditEvent


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; report the first edited, inserted or deleted entry."

    def handle(self, *args, **options):
        rows = AuditEvent.objects.order_by("seq").iterator(chunk_size=2000)
        problem = next(verify(rows), None)
        if problem is not None:
            raise CommandError(f"audit trail broken at entry #{problem.seq}: {problem.kind} — {problem.explanation}")
        # The chain alone cannot show that its newest entries were cut off; the head row remembers them.
        last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first() or (0, GENESIS)
        head = AuditChainHead.objects.values_list("last_seq", "last_hash").first() or (0, GENESIS)
        if tuple(last) != tuple(head):
            raise CommandError(
                f"audit trail broken at entry #{last[0] + 1}: deleted — entries #{last[0] + 1}…#{head[0]} are missing"
            )
        self.stdout.write(self.style.SUCCESS(f"audit trail intact: {last[0]} entries verified"))

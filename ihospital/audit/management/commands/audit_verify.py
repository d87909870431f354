from django.core.management.base import BaseCommand, CommandError

from ihospital.audit.chain import verify
from ihospital.audit.models import AuditEvent


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; report the first edited, inserted or deleted entry."

    def handle(self, *args, **options):
        rows = AuditEvent.objects.order_by("seq").iterator(chunk_size=2000)
        problem = next(verify(rows), None)
        total = AuditEvent.objects.count()
        if problem is None:
            self.stdout.write(self.style.SUCCESS(f"audit trail intact: {total} entries verified"))
            return
        raise CommandError(f"audit trail broken at entry #{problem.seq}: {problem.kind} — {problem.explanation}")

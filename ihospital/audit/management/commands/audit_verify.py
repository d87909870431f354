from django.core.management.base import BaseCommand, CommandError

from ihospital.audit.selectors import audit_trail_verify
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
        verdict = audit_trail_verify()
        if verdict.problem:
            raise CommandError(verdict.problem)
        note = f"; {chained} newly chained" if chained else ""
        note += f"; {verdict.pending} not chained yet (their MACs verified)" if verdict.pending else ""
        self.stdout.write(self.style.SUCCESS(f"audit trail intact: {verdict.chained} entries verified{note}"))

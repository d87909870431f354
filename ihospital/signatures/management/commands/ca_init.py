from django.conf import settings
from django.core.management.base import BaseCommand

from ihospital.audit.services import Actor
from ihospital.signatures import services
from ihospital.signatures.models import Algorithm


class Command(BaseCommand):
    help = (
        "Make signing ready (idempotent): trust the CA's root and issue certificates to the hospital seal and to "
        "every active doctor and pharmacist who has no valid one. Each sets a signing PIN before first signing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--algorithm",
            choices=Algorithm.values,
            default=None,
            help="default: settings.SIGNATURE_ALGORITHM",
        )

    def handle(self, *args, **options):
        algorithm = options["algorithm"] or settings.SIGNATURE_ALGORITHM
        setup = services.ca_setup(actor=Actor.system("ca_init"), algorithm=algorithm)
        self.stdout.write(f"CA ({setup.algorithm}): {setup.authority}")
        self.stdout.write(f"hospital seal: {'issued' if setup.seal_issued else 'already valid'}")
        if setup.issued_to:
            self.stdout.write(f"certificates issued to: {', '.join(setup.issued_to)}")
        else:
            self.stdout.write("every doctor and pharmacist already has a valid certificate")

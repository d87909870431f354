from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ihospital.accounts.models import User
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.signatures import services


class Command(BaseCommand):
    help = (
        "Import an outside CA's certificate chain (PEM: its root, trusted from now on, and any intermediates) "
        "and, optionally, a certificate it issued with the private key, for a doctor or pharmacist (--user) "
        "or for the hospital seal (--seal). The key is kept encrypted; a person sets a signing PIN before use."
    )

    def add_arguments(self, parser):
        parser.add_argument("chain", type=Path, help="PEM file with the CA certificates")
        parser.add_argument("--certificate", type=Path, help="PEM file with the holder's certificate")
        parser.add_argument("--key", type=Path, help="PEM file with its private key")
        parser.add_argument("--key-password-file", type=Path, help="file holding the key's password, if encrypted")
        who = parser.add_mutually_exclusive_group()
        who.add_argument("--user", help="the doctor's or pharmacist's user name")
        who.add_argument("--seal", action="store_true", help="the certificate is the hospital seal's")

    def handle(self, *args, **options):
        if bool(options["certificate"]) != bool(options["key"]):
            raise CommandError("--certificate and --key go together")
        if options["certificate"] and not (options["user"] or options["seal"]):
            raise CommandError("say whose certificate it is: --user NAME or --seal")
        holder = None
        if options["user"]:
            holder = User.objects.filter(username=options["user"]).first()
            if holder is None:
                raise CommandError(f"no user {options['user']!r}")
        password_file = options["key_password_file"]
        data = services.CertificateImport(
            chain_pem=options["chain"].read_text(),
            certificate_pem=options["certificate"].read_text() if options["certificate"] else "",
            key_pem=options["key"].read_bytes() if options["key"] else b"",
            key_password=password_file.read_bytes().strip() if password_file else None,
        )
        try:
            certificate = services.certificate_import(
                data=data, holder=holder, seal=options["seal"], actor=Actor.system("ca_import")
            )
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        self.stdout.write(f"imported: {certificate.subject} [{certificate.serial}]")

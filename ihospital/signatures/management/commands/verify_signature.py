import base64
import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.core.time import format_local
from ihospital.signatures import selectors, services
from ihospital.signatures.models import Certificate


class Command(BaseCommand):
    help = (
        "Check a stored signature: its digest, the signature over the signed document, the certificate chain to "
        "a trusted CA, and the certificate's validity and revocation at the signing time. Exits non-zero when "
        "any check fails. --document compares a current document (JSON) with the one signed; --export writes "
        "document.json, signature.der, certificate.pem and chain.pem for outside tools (openssl)."
    )

    def add_arguments(self, parser):
        parser.add_argument("signature_id", help="the signature's public id")
        parser.add_argument("--document", type=Path, help="a JSON file: is it the document that was signed?")
        parser.add_argument("--export", type=Path, help="a folder to write the signed parts into")

    def handle(self, *args, **options):
        try:
            signature = selectors.access_signature(signature_id=options["signature_id"])
        except (DomainError, ValueError, ValidationError):
            raise CommandError(f"no signature {options['signature_id']!r}") from None
        payload = json.loads(options["document"].read_text()) if options["document"] else None
        result = services.signature_check(signature=signature, payload=payload, actor=Actor.system("verify_signature"))
        certificate = signature.certificate
        self.stdout.write(f"document:    {signature.document_type} {signature.document_id} v{signature.version}")
        self.stdout.write(f"algorithm:   {signature.algorithm}")
        self.stdout.write(f"signer:      {certificate.subject} [serial {certificate.serial}]")
        self.stdout.write(f"signed at:   {format_local(signature.signed_at, '%Y-%m-%d %H:%M:%S')} (Asia/Shanghai)")
        self.stdout.write(f"digest:      {signature.digest}")
        self.stdout.write(f"chain:       {' → '.join(result.chain) or '(none)'}")
        for name, passed in result.checks.items():
            self.stdout.write(f"  {'ok  ' if passed else 'FAIL'} {name}")
        if options["export"]:
            self._export(options["export"], signature)
        if not result.valid:
            raise CommandError(f"{result.code}: {result.message}")
        self.stdout.write(self.style.SUCCESS(f"{result.code}: {result.message}"))

    def _export(self, folder: Path, signature) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "document.json").write_bytes(signature.document.encode())
        (folder / "signature.der").write_bytes(bytes(signature.value))
        (folder / "signature.b64").write_text(base64.b64encode(bytes(signature.value)).decode() + "\n")
        (folder / "certificate.pem").write_text(signature.certificate.pem)
        chain, current = [], signature.certificate.issued_by
        while current is not None and len(chain) < 5:
            chain.append(current.pem)
            current = current.issued_by
        if not chain:
            chain = list(
                Certificate.objects.filter(trusted=True, algorithm=signature.algorithm).values_list("pem", flat=True)
            )
        (folder / "chain.pem").write_text("".join(chain))
        self.stdout.write(f"exported to {folder}")

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from ihospital.audit.services import Actor, record
from ihospital.core import crypto
from ihospital.core.fields import encrypted_fields, reencrypt, values_by_key


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted identity (phone and ID numbers) with the current key, the first of "
        "FIELD_ENCRYPTION_KEYS. To rotate: put a new key first (--new-key-id prints one), restart, run this, "
        "then remove the old key once --status counts nothing under it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--status", action="store_true", help="only count the stored values under each key id")
        parser.add_argument("--new-key-id", metavar="KID", help="print a new kid:key entry to put first, and stop")

    def handle(self, *args, **options):
        if options["new_key_id"]:
            try:
                self.stdout.write(crypto.new_key_entry(options["new_key_id"]))
            except ValueError as error:
                raise CommandError(str(error)) from None
            return
        models = [model for model in apps.get_models() if encrypted_fields(model)]
        if not options["status"]:
            self._rotate(models)
        current = crypto.current_key_id()
        for model in models:
            counts = ", ".join(f"{kid}: {n}" for kid, n in sorted(values_by_key(model).items())) or "none"
            self.stdout.write(f"{model._meta.label}: values by key — {counts}")
        self.stdout.write(f"current key: {current}")

    def _rotate(self, models) -> None:
        current = crypto.current_key_id()
        total = skipped = 0
        counts = {}
        for model in models:
            try:
                done, missed = reencrypt(model)
            except crypto.DecryptionError as error:
                raise CommandError(f"{model._meta.label}: {error}") from None
            counts[model._meta.label] = done
            total, skipped = total + done, skipped + missed
        with transaction.atomic():
            record(
                actor=Actor.system("rotate_keys"),
                action="security.keys_rotated",
                target_type="key",
                target_id=current,
                details={"reencrypted": counts, "skipped_rows": skipped},
            )
        self.stdout.write(self.style.SUCCESS(f"re-encrypted {total} values with key {current}"))
        if skipped:
            self.stdout.write(self.style.WARNING(f"{skipped} rows changed meanwhile and were skipped: run it again"))

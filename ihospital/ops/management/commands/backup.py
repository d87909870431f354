from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from ihospital.audit.services import Actor, record
from ihospital.ops.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Back up the database (SQLite online backup or pg_dump), the media files and the keys into one "
        "archive encrypted under BACKUP_PASSPHRASE, in BACKUP_DIR. Check it with `restore --verify`."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output-dir", type=Path, help="where to write the archive (default: BACKUP_DIR)")
        parser.add_argument(
            "--keep-last", type=int, metavar="N", help="then delete all but the newest N archives in that folder"
        )

    def handle(self, *args, **options):
        output_dir = options["output_dir"] or Path(settings.BACKUP_DIR)
        try:
            result = backup_create(output_dir=output_dir, passphrase=settings.BACKUP_PASSPHRASE)
        except BackupError as error:
            raise CommandError(str(error)) from None
        with transaction.atomic():
            record(
                actor=Actor.system("backup"),
                action="ops.backup",
                target_type="backup",
                target_id=result.path.name,
                details={"tables": result.tables, "rows": result.rows, "media_files": result.media_files},
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.path} ({result.size / 1e6:.1f} MB): {result.rows} rows in {result.tables} tables, "
                f"{result.media_files} media files, the keys"
            )
        )
        if options["keep_last"]:
            archives = sorted(output_dir.glob("ihospital-backup-*.ihbk"), reverse=True)  # names sort by time
            for old in archives[max(1, options["keep_last"]) :]:
                old.unlink()
                self.stdout.write(f"deleted {old.name}")
        if not settings.BACKUP_PASSPHRASE_FROM_ENV:
            self.stdout.write(
                self.style.WARNING(
                    "The passphrase was generated into var/backup_passphrase: keep a copy away from this machine "
                    "(or set BACKUP_PASSPHRASE), or the archive can't be read."
                )
            )

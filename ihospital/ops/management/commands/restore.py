from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ihospital.ops.archive import ArchiveError
from ihospital.ops.restore import extract, restore_verify


class Command(BaseCommand):
    help = (
        "--verify: restore a backup archive into a scratch database and check its row counts against the "
        "manifest, the audit hash chain and every encrypted identity; the live database is not touched. "
        "--extract DIR: decrypt and unpack it for a real restore (docs/operations.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help="an archive, or a folder: its newest archive")
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument("--verify", action="store_true", help="restore into a scratch database and check it")
        action.add_argument("--extract", type=Path, metavar="DIR", help="unpack the archive into DIR")
        parser.add_argument("--scratch-db", default="", help="PostgreSQL: the scratch database's name")
        parser.add_argument("--keep", action="store_true", help="PostgreSQL: keep the scratch database")

    def handle(self, *args, **options):
        passphrase = settings.BACKUP_PASSPHRASE
        if options["archive"].is_dir():
            archives = sorted(options["archive"].glob("ihospital-backup-*.ihbk"))
            if not archives:
                raise CommandError(f"no archive in {options['archive']}")
            options["archive"] = archives[-1]
        try:
            if options["extract"]:
                options["extract"].mkdir(parents=True, exist_ok=True, mode=0o700)
                found = extract(archive=options["archive"], passphrase=passphrase, into=options["extract"])
                self.stdout.write(self.style.SUCCESS(f"{len(found)} files unpacked into {options['extract']}"))
                return
            report = restore_verify(
                archive=options["archive"],
                passphrase=passphrase,
                scratch_name=options["scratch_db"],
                keep=options["keep"],
            )
        except (ArchiveError, OSError) as error:
            raise CommandError(f"{options['archive']}: {error}") from None
        self.stdout.write(
            f"backup of {report.created_at} ({report.engine}): {report.rows} rows in {report.tables} tables, "
            f"{report.audit_entries} audit entries, {report.identities} encrypted identities, "
            f"{report.media_files} media files"
        )
        if report.problems:
            for problem in report.problems:
                self.stderr.write(f"  {problem}")
            raise CommandError(f"restore check FAILED: {len(report.problems)} problems")
        self.stdout.write(self.style.SUCCESS("restore check passed: counts match the manifest, audit chain intact"))

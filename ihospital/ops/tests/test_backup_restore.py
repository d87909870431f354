"""``ihospital manage backup`` and ``restore --verify``: a full round trip on the database the suite runs
on (SQLite, or PostgreSQL when DATABASE_URL points at it), and what the check refuses."""

from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor, audit_chain, record
from ihospital.ops import restore
from ihospital.ops.archive import ArchiveError

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]
PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def hospital(settings, alice):
    """Some of everything a backup holds: an encrypted identity, chained audit entries, a media file."""
    settings.BACKUP_PASSPHRASE = PASSPHRASE
    photo = Path(settings.MEDIA_ROOT) / "attachments" / "2026" / "photo.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"\xff\xd8\xff" + bytes(range(256)) * 40)
    from django.db import transaction

    with transaction.atomic():
        for n in range(5):
            record(actor=Actor.system("test"), action="test.entry", target_id=str(n))
    audit_chain()
    return alice


def run(*args, **options) -> str:
    out, err = StringIO(), StringIO()
    try:
        call_command(*args, stdout=out, stderr=err, **options)
    except CommandError as error:
        raise CommandError(f"{error}\n{err.getvalue()}") from None
    return out.getvalue() + err.getvalue()


def backup(tmp_path) -> Path:
    run("backup", output_dir=tmp_path / "backups")
    (archive,) = (tmp_path / "backups").glob("*.ihbk")
    return archive


def test_a_backup_restores_into_a_scratch_database_with_the_same_rows_and_an_intact_audit_chain(hospital, tmp_path):
    archive = backup(tmp_path)
    assert archive.stat().st_mode & 0o077 == 0  # readable by its owner only
    assert b"13800000001" not in archive.read_bytes()

    output = run("restore", str(archive), verify=True)
    assert "restore check passed" in output
    users = get_user_model().objects.count()
    assert users >= 1 and "1 encrypted identities" in output and "1 media files" in output
    if connection.vendor == "postgresql":  # the scratch database was dropped again
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_database WHERE datname LIKE %s", ["%_restore_check"])
            assert cursor.fetchone()[0] == 0


def test_the_newest_archive_of_a_folder_is_checked_and_old_ones_pruned(hospital, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    for stamp in ("20200101T000000Z", "20200102T000000Z"):
        (folder / f"ihospital-backup-{stamp}.ihbk").write_bytes(b"old")
    output = run("backup", output_dir=folder, keep_last=2)
    assert "deleted ihospital-backup-20200101T000000Z.ihbk" in output
    assert len(list(folder.glob("*.ihbk"))) == 2
    assert "restore check passed" in run("restore", str(folder), verify=True)


def test_the_extracted_archive_holds_the_database_the_media_and_the_keys(hospital, tmp_path, settings):
    settings.CA_KEY_SECRET = "the-signing-keys-secret-kept-with-the-backup"
    archive = backup(tmp_path)
    run("restore", str(archive), extract=tmp_path / "out")
    out = tmp_path / "out"
    assert (out / "media/attachments/2026/photo.jpg").read_bytes().startswith(b"\xff\xd8\xff")
    assert (out / ("database.sqlite3" if connection.vendor == "sqlite" else "database.pgdump")).stat().st_size > 0
    assert settings.FIELD_ENCRYPTION_KEYS in (out / "keys.json").read_text()
    assert settings.CA_KEY_SECRET in (out / "keys.json").read_text()


def test_a_broken_audit_chain_fails_the_restore_check(hospital, tmp_path):
    entry = AuditEvent.objects.filter(action="test.entry").order_by("seq")[2]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {AuditEvent._meta.db_table} SET action = %s WHERE id = %s", ["edited", entry.pk])
    archive = backup(tmp_path)
    with pytest.raises(CommandError, match=f"audit trail broken at entry #{entry.seq}: edited"):
        run("restore", str(archive), verify=True)


def test_an_identity_that_no_longer_decrypts_fails_the_restore_check(hospital, tmp_path):
    user_table = get_user_model()._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {user_table} SET phone = %s WHERE id = %s", ["enc1$gone$AAAA", hospital.pk])
    archive = backup(tmp_path)
    with pytest.raises(CommandError, match="accounts.User: no key 'gone'"):
        run("restore", str(archive), verify=True)


def test_row_counts_that_differ_from_the_manifest_are_reported():
    report = restore.RestoreReport()
    restore._check_counts("default", {"accounts_user": 10**6, "no_such_table": 1}, report)
    assert any(p.startswith("table accounts_user:") for p in report.problems)
    assert any(p.startswith("table no_such_table: None rows restored") for p in report.problems)


def test_an_altered_archive_is_refused(hospital, tmp_path):
    archive = backup(tmp_path)
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0x01
    archive.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="damaged"):
        run("restore", str(archive), verify=True)


def test_a_truncated_archive_is_refused(hospital, tmp_path):
    archive = backup(tmp_path)
    archive.write_bytes(archive.read_bytes()[:-40])
    with pytest.raises(CommandError, match="damaged|truncated"):
        run("restore", str(archive), verify=True)


def test_the_wrong_passphrase_is_refused(hospital, tmp_path, settings):
    archive = backup(tmp_path)
    settings.BACKUP_PASSPHRASE = "not the passphrase"
    with pytest.raises(CommandError, match="wrong passphrase"):
        run("restore", str(archive), verify=True)


def test_a_member_outside_the_folder_is_refused(tmp_path):
    import io
    import tarfile

    from ihospital.ops.archive import EncryptingWriter

    archive = tmp_path / "evil.ihbk"
    with archive.open("wb") as out:
        writer = EncryptingWriter(out, PASSPHRASE)
        with tarfile.open(fileobj=writer, mode="w|gz") as tar:
            info = tarfile.TarInfo("../escape.txt")
            info.size = 2
            tar.addfile(info, io.BytesIO(b"hi"))
        writer.close()
    with pytest.raises(ArchiveError, match="unexpected member"):
        restore.extract(archive=archive, passphrase=PASSPHRASE, into=tmp_path / "in")
    assert not (tmp_path / "escape.txt").exists()

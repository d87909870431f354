"""``ihospital manage backup``: the database, the media files and the keys in one encrypted archive.

The archive (``ops/archive.py``: gzip'd tar, sealed with AES-256-GCM under BACKUP_PASSPHRASE) holds

- ``database.sqlite3`` (SQLite's online backup API: a consistent copy while the site runs) or
  ``database.pgdump`` (``pg_dump --format=custom`` of a snapshot exported by a REPEATABLE READ
  transaction, in which the rows are also counted, so the counts are exactly those of the dump);
- ``media/…``: every file under MEDIA_ROOT;
- ``keys.json``: SECRET_KEY, AUDIT_CHAIN_KEY, FIELD_ENCRYPTION_KEYS, BLIND_INDEX_KEY and CA_KEY_SECRET,
  without which the encrypted identities can't be read, the audit chain verified, nor a signing key opened;
- ``manifest.json``: when, from which engine, the row count of every table, the audit chain's head,
  and the SHA-256 and size of every other member. ``restore --verify`` checks the archive against it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from ihospital.audit.models import AuditChainHead
from ihospital.ops.archive import EncryptingWriter

FORMAT = 1
KEY_SETTINGS = ("SECRET_KEY", "AUDIT_CHAIN_KEY", "FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY", "CA_KEY_SECRET")


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class BackupResult:
    path: Path
    tables: int
    rows: int
    media_files: int
    size: int


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def count_rows(cursor, tables: list[str], quote) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608  (names from the catalogue)
        counts[table] = cursor.fetchone()[0]
    return counts


Dump = tuple[Path, dict[str, int], dict[str, Any]]  # the file, row count per table, the audit chain head


def _dump_sqlite(folder: Path) -> Dump:
    target = folder / "database.sqlite3"
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)  # a consistent snapshot, pages copied while others write
        cursor = copy.cursor()
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        tables = [name for (name,) in cursor.fetchall()]
        counts = count_rows(cursor, tables, lambda name: '"' + name.replace('"', '""') + '"')
        head = _audit_head(cursor, lambda name: '"' + name + '"')
    finally:
        copy.close()
    return target, counts, head


def pg_environment(settings_dict: dict[str, Any], database: str) -> dict[str, str]:
    """libpq's environment for pg_dump / pg_restore: the password never goes on a command line."""
    environment = {**os.environ, "PGDATABASE": database}
    for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if settings_dict.get(key):
            environment[variable] = str(settings_dict[key])
    return environment


def _dump_postgresql(folder: Path) -> Dump:
    target = folder / "database.pgdump"
    environment = pg_environment(connection.settings_dict, connection.settings_dict["NAME"])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        (snapshot,) = cursor.fetchone()
        # pg_dump reads the very snapshot the rows are counted in, while this transaction stays open.
        done = subprocess.run(  # noqa: S603  (a fixed command line)
            ["pg_dump", "--format=custom", f"--snapshot={snapshot}", "--no-owner", f"--file={target}"],  # noqa: S607
            env=environment,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
        tables = connection.introspection.table_names(cursor)
        counts = count_rows(cursor, tables, connection.ops.quote_name)
        head = _audit_head(cursor, connection.ops.quote_name)
    return target, counts, head


def _media_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return []
    return sorted(path for path in root.rglob("*") if path.is_file() and not path.is_symlink())


def _audit_head(cursor, quote) -> dict[str, Any]:
    """The chain head as the dump has it (read in the dump's own snapshot)."""
    cursor.execute(f"SELECT last_seq, last_hash FROM {quote(AuditChainHead._meta.db_table)}")  # noqa: S608
    row = cursor.fetchone() or (0, "")
    return {"last_seq": row[0], "last_hash": row[1]}


def backup_create(*, output_dir: Path, passphrase: str) -> BackupResult:
    """Write ``ihospital-backup-<UTC time>.ihbk`` into ``output_dir`` (created 0700 if missing) and
    return what it holds. Raises BackupError if the database can't be dumped."""
    output_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    created = datetime.now(UTC)
    path = output_dir / f"ihospital-backup-{created:%Y%m%dT%H%M%SZ}.ihbk"
    with tempfile.TemporaryDirectory(prefix="ihospital-backup-") as scratch:
        folder = Path(scratch)
        if connection.vendor == "sqlite":
            dump, counts, head = _dump_sqlite(folder)
        elif connection.vendor == "postgresql":
            dump, counts, head = _dump_postgresql(folder)
        else:
            raise BackupError(f"no backup for the {connection.vendor} engine")
        keys = json.dumps({name: getattr(settings, name) for name in KEY_SETTINGS}).encode()
        members: dict[str, dict[str, Any]] = {}
        partial = path.with_suffix(".partial")
        with partial.open("wb") as out:
            os.chmod(partial, 0o600)
            writer = EncryptingWriter(out, passphrase)
            with tarfile.open(fileobj=writer, mode="w|gz") as tar:  # type: ignore[call-overload]
                _add_bytes(tar, "keys.json", keys, members)
                _add_file(tar, dump, dump.name, members)
                media_root = Path(settings.MEDIA_ROOT)
                for file in _media_files():
                    _add_file(tar, file, "media/" + file.relative_to(media_root).as_posix(), members)
                manifest = {
                    "format": FORMAT,
                    "created_at": created.isoformat(),
                    "engine": connection.vendor,
                    "database": dump.name,
                    "tables": counts,
                    "audit_head": head,
                    "members": members,
                }
                _add_bytes(tar, "manifest.json", json.dumps(manifest, indent=2).encode(), {})  # last: it lists all
            writer.close()
        partial.rename(path)  # only a complete archive gets the final name
    media = sum(1 for name in members if name.startswith("media/"))
    return BackupResult(path, len(counts), sum(counts.values()), media, path.stat().st_size)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, members: dict) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), 0o600
    tar.addfile(info, io.BytesIO(data))
    members[name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def _add_file(tar: tarfile.TarFile, path: Path, name: str, members: dict) -> None:
    """Add a file as read once: its hash is of exactly the bytes archived. A media file deleted since it
    was listed (an upload whose transaction rolled back) is skipped."""
    try:
        data = path.read_bytes() if path.stat().st_size <= 64 * 1024 * 1024 else None
    except FileNotFoundError:
        return
    if data is not None:
        _add_bytes(tar, name, data, members)
        return
    digest = sha256_of(path)  # a large file (a long recording): hashed, then streamed
    info = tar.gettarinfo(str(path), arcname=name)
    with path.open("rb") as source:
        tar.addfile(info, source)
    members[name] = {"sha256": digest, "size": info.size}

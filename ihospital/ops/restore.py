"""``ihospital manage restore --verify``: prove that a backup archive restores.

The archive is decrypted and unpacked into a temporary folder (every member checked against the
manifest's SHA-256 and size), its database restored into a scratch database (the unpacked SQLite file
itself, or a PostgreSQL database ``<name>_restore_check`` made with pg_restore), and then, under the
keys the archive carries:

- every table's row count is compared with the manifest;
- the audit trail is verified as ``audit_verify`` does (``audit.selectors.audit_trail_verify``), and its
  head compared with the manifest's;
- every encrypted identity is decrypted, and its blind index recomputed and compared.

The live database is never written. ``extract`` unpacks an archive for a real restore (docs/operations.md).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from django.apps import apps
from django.db import connection, connections
from django.db.utils import load_backend
from django.test.utils import override_settings

from ihospital.audit.models import AuditChainHead
from ihospital.audit.selectors import audit_trail_verify
from ihospital.core import crypto
from ihospital.core.fields import encrypted_fields, index_fields
from ihospital.ops.archive import ArchiveError, DecryptingReader
from ihospital.ops.backup import FORMAT, count_rows, pg_environment

ALIAS = "restore_check"


@dataclass
class RestoreReport:
    engine: str = ""
    created_at: str = ""
    tables: int = 0
    rows: int = 0
    media_files: int = 0
    audit_entries: int = 0
    identities: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def extract(*, archive: Path, passphrase: str, into: Path) -> dict[str, dict[str, Any]]:
    """Decrypt and unpack ``archive`` into the folder ``into``; return {member: {sha256, size}} as read.
    Only regular files with relative paths are accepted. Raises ArchiveError."""
    found: dict[str, dict[str, Any]] = {}
    with archive.open("rb") as source:
        reader = DecryptingReader(source, passphrase)
        try:
            with tarfile.open(fileobj=reader, mode="r|gz") as tar:  # type: ignore[call-overload]
                for member in tar:
                    found[member.name] = _extract_member(tar, member, into)
        except (tarfile.TarError, EOFError, OSError) as error:
            raise ArchiveError(f"the archive's contents are damaged: {error}") from None
    return found


def _extract_member(tar: tarfile.TarFile, member: tarfile.TarInfo, into: Path) -> dict[str, Any]:
    name = PurePosixPath(member.name)
    if not member.isfile() or name.is_absolute() or ".." in name.parts:
        raise ArchiveError(f"unexpected member in the archive: {member.name!r}")
    target = into.joinpath(*name.parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    source = tar.extractfile(member)
    assert source is not None
    with target.open("wb") as out:
        for block in iter(lambda: source.read(1024 * 1024), b""):
            digest.update(block)
            size += len(block)
            out.write(block)
    return {"sha256": digest.hexdigest(), "size": size}


def restore_verify(*, archive: Path, passphrase: str, scratch_name: str = "", keep: bool = False) -> RestoreReport:
    """Restore ``archive`` into a scratch database and check it (see the module's docstring)."""
    report = RestoreReport()
    with tempfile.TemporaryDirectory(prefix="ihospital-restore-") as scratch:
        folder = Path(scratch)
        found = extract(archive=archive, passphrase=passphrase, into=folder)
        manifest = _manifest(folder, found, report)
        keys = json.loads((folder / "keys.json").read_text(encoding="utf-8"))
        report.media_files = sum(1 for name in found if name.startswith("media/"))
        with _scratch_database(folder / manifest["database"], manifest["engine"], scratch_name, keep) as alias:
            _check_counts(alias, manifest["tables"], report)
            keyed = {name: keys[name] for name in ("AUDIT_CHAIN_KEY", "FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY")}
            with override_settings(**keyed):
                _check_audit(alias, manifest["audit_head"], report)
                _check_identities(alias, report)
    return report


def _manifest(folder: Path, found: dict[str, dict[str, Any]], report: RestoreReport) -> dict[str, Any]:
    if "manifest.json" not in found:
        raise ArchiveError("the archive has no manifest")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise ArchiveError(f"archive format {manifest.get('format')!r}, this version reads {FORMAT}")
    report.engine, report.created_at = manifest["engine"], manifest["created_at"]
    listed = manifest["members"]
    for name in sorted(set(listed) | set(found) - {"manifest.json"}):
        if listed.get(name) != found.get(name):
            what = "missing" if name not in found else "not in the manifest" if name not in listed else "altered"
            report.problems.append(f"{name}: {what}")
    for required in ("keys.json", manifest["database"]):
        if required not in found:
            raise ArchiveError(f"the archive has no {required}")
    return manifest


@contextmanager
def _scratch_database(dump: Path, engine: str, scratch_name: str, keep: bool) -> Iterator[str]:
    """A database alias ALIAS on the restored copy; dropped afterwards (a PostgreSQL one unless ``keep``)."""
    if engine == "sqlite":
        if scratch_name:
            shutil.copyfile(dump, scratch_name)
            dump = Path(scratch_name)
        _connect(ENGINE="django.db.backends.sqlite3", NAME=str(dump), OPTIONS={})
    elif engine == "postgresql":
        if connection.vendor != "postgresql":
            raise ArchiveError("a PostgreSQL archive is restored with DATABASE_URL pointing at a PostgreSQL server")
        name = scratch_name or f"{connection.settings_dict['NAME']}_restore_check"
        if name == connection.settings_dict["NAME"]:
            raise ArchiveError("the scratch database must not be the live one")
        _pg_restore(dump, name)
        options = {k: v for k, v in connection.settings_dict.get("OPTIONS", {}).items() if k != "pool"}
        _connect(NAME=name, OPTIONS=options)
    else:
        raise ArchiveError(f"unknown engine {engine!r} in the manifest")
    try:
        yield ALIAS
    finally:
        connections[ALIAS].close()
        del connections[ALIAS]
        if engine == "postgresql" and not keep:
            _pg_admin(f'DROP DATABASE IF EXISTS "{name}"')


def _connect(**overrides: Any) -> None:
    """Open the alias ALIAS on the scratch database, in this thread only and without touching
    settings.DATABASES: the ORM (``using(ALIAS)``) reads it like any database, and nothing else sees it."""
    settings_dict = {**connection.settings_dict, **overrides}
    connections[ALIAS] = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, alias=ALIAS)


def _pg_admin(sql: str) -> None:
    """Run ``sql`` on the server's maintenance database with the live connection's credentials."""
    done = subprocess.run(  # noqa: S603  (a fixed command line)
        ["psql", "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--command", sql],  # noqa: S607
        env=pg_environment(connection.settings_dict, "postgres"),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise ArchiveError(f"psql: {done.stderr.strip()}")


def _pg_restore(dump: Path, name: str) -> None:
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
    _pg_admin(f'CREATE DATABASE "{name}"')
    done = subprocess.run(  # noqa: S603  (a fixed command line)
        ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={name}", str(dump)],  # noqa: S607
        env=pg_environment(connection.settings_dict, name),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise ArchiveError(f"pg_restore failed: {done.stderr.strip()}")


def _check_counts(alias: str, expected: dict[str, int], report: RestoreReport) -> None:
    scratch = connections[alias]
    with scratch.cursor() as cursor:
        tables = [t for t in scratch.introspection.table_names(cursor) if not t.startswith("sqlite_")]
        counts = count_rows(cursor, tables, scratch.ops.quote_name)
    for table in sorted(set(expected) | set(counts)):
        if expected.get(table) != counts.get(table):
            report.problems.append(f"table {table}: {counts.get(table)} rows restored, {expected.get(table)} backed up")
    report.tables, report.rows = len(counts), sum(counts.values())


def _check_audit(alias: str, head: dict[str, Any], report: RestoreReport) -> None:
    verdict = audit_trail_verify(using=alias)
    report.audit_entries = verdict.chained + verdict.pending
    if verdict.problem:
        report.problems.append(verdict.problem)
    restored = AuditChainHead.objects.using(alias).values_list("last_seq", "last_hash").first()
    if restored is not None and tuple(restored) != (head["last_seq"], head["last_hash"]):
        report.problems.append("the audit chain head differs from the manifest's")


def _check_identities(alias: str, report: RestoreReport) -> None:
    """Every encrypted value decrypts under the archive's keys, and its blind index matches."""
    for model in apps.get_models():
        fields = encrypted_fields(model)
        if not fields:
            continue
        indexes = index_fields(model)
        names = [f.name for f in fields] + [index.attname for index in indexes.values()]
        rows = model._default_manager.using(alias).order_by("pk").values_list("pk", *names)
        try:
            for pk, *values in rows.iterator(chunk_size=1000):
                row = dict(zip(names, values, strict=True))
                report.identities += sum(1 for f in fields if row[f.name])
                for source, index in indexes.items():
                    if row[index.attname] != index.index_of(row[source]):
                        report.problems.append(f"{model._meta.label} {pk}: {source}'s blind index does not match")
        except crypto.DecryptionError as error:
            report.problems.append(f"{model._meta.label}: {error}")

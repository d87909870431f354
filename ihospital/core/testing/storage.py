"""Watching file storage in tests: where a file was written relative to the open transactions, and what
is left in MEDIA_ROOT (a fresh folder per test, see the suite's conftest)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import connection


@dataclass(frozen=True)
class StorageWrite:
    name: str
    depth: int  # atomic blocks open on the default connection, beyond those open when watching began


@contextmanager
def storage_writes(*, then: Callable[[], object] | None = None) -> Iterator[list[StorageWrite]]:
    """Record each file written to a FileSystemStorage inside the block, with the transaction depth at
    that moment measured from the block's start (pytest-django runs each test inside a transaction of
    its own, so absolute depth says nothing): 0 means no transaction the code under test opened, hence
    no row lock either. ``then`` runs right after each write, at the writer's depth: what another
    request might do meanwhile (end the visit, take the last place)."""
    writes: list[StorageWrite] = []
    baseline = len(connection.atomic_blocks)
    original = FileSystemStorage._save  # type: ignore[attr-defined]  # the one method every write goes through

    def watched(storage: FileSystemStorage, name: str, content) -> str:
        stored = original(storage, name, content)
        writes.append(StorageWrite(name=stored, depth=len(connection.atomic_blocks) - baseline))
        if then is not None:
            then()
        return stored

    with mock.patch.object(FileSystemStorage, "_save", watched):
        yield writes


def stored_files() -> list[str]:
    """Every file under MEDIA_ROOT, relative to it."""
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())

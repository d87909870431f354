"""Storing an upload without holding a transaction open (ARCHITECTURE §4.4: nothing external inside a
transaction; a write to remote storage can take seconds, and row locks would wait for it).

The file is checked and written first, under a fresh name; then a short transaction checks what may
have changed meanwhile (state, limits) and inserts the row naming the file; if that transaction refuses
or rolls back, the file is deleted, after the rollback, so no file is left that no row names:

    checked = check_upload(...)
    attachment.file.save(f"{attachment.public_id}.{checked.extension}", ContentFile(checked.content), save=False)
    with removed_if_refused(attachment.file):
        _record(attachment)  # @transaction.atomic: lock, count, insert, audit

Call such a service outside any transaction: a block that commits inside an outer one can still be
rolled back by it, and nothing would then delete the file. A caller that must group several uploads
with other writes in one transaction stores them all first and deletes them if its block fails.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.files.storage import Storage
from django.db.models.fields.files import FieldFile

logger = logging.getLogger(__name__)


@contextmanager
def removed_if_refused(*files: FieldFile) -> Iterator[None]:
    """Around the (outermost) transaction that records files already stored: if it raises (a refusal, an
    IntegrityError, any error that rolled it back), the files are deleted and the error goes on."""
    try:
        yield
    except BaseException:
        for file in files:
            discard(file.storage, file.name)
        raise


def discard(storage: Storage, name: str | None) -> None:
    """Delete a stored file of ours that no row names. A failure to delete is logged, not raised: the
    caller is already answering another error, and a stray file harms nobody (no row points at it)."""
    if not name:
        return
    try:
        storage.delete(name)
    except Exception:
        logger.exception("could not delete the unrecorded file %s", name)

"""``Idempotency-Key`` for creating endpoints: the same key from the same user on the same endpoint gets
the first answer again (status and body), and the work is done once.

    status, body = idempotency.replay_or_run(request, endpoint="appointments.book", run=lambda: ...)

``run`` returns ``(status, json-able body)``; a ``DomainError`` it raises is remembered as its coded
answer too. While the first request runs, a concurrent retry gets ``core.idempotency_in_progress``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction

from ihospital.core.errors import CoreError, DomainError
from ihospital.core.models import IdempotencyRecord

HEADER = "Idempotency-Key"
VALID_KEY = re.compile(r"^[\x21-\x7e]{1,100}$")

Answer = tuple[int, Any]


def replay_or_run(request, *, endpoint: str, run: Callable[[], Answer]) -> Answer:
    key = request.headers.get(HEADER)
    if key is None:
        return run()
    if not VALID_KEY.match(key):
        raise DomainError(CoreError.IDEMPOTENCY_KEY_INVALID)
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(user=request.user, key=key, endpoint=endpoint)
    except IntegrityError:
        first = IdempotencyRecord.objects.get(user=request.user, key=key, endpoint=endpoint)
        if first.status_code is None:
            raise DomainError(CoreError.IDEMPOTENCY_IN_PROGRESS) from None
        return first.status_code, first.response
    try:
        status, body = run()
    except DomainError as refusal:
        _remember(record, refusal.status, refusal.as_dict())
        raise
    except Exception:
        IdempotencyRecord.objects.filter(pk=record.pk).delete()  # a crash is not an answer: allow a retry
        raise
    _remember(record, status, body)
    return status, body


def _remember(record: IdempotencyRecord, status: int, body: Any) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk).update(status_code=status, response=body)

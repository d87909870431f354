"""Races for tests that need real row locks (PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection

# Mark a module: its tests race threads against each other and need PostgreSQL (CI runs it).
needs_row_locks = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row-lock races need PostgreSQL (CI runs it)"),
]


def race(n: int, work: Callable[[int], object]) -> list[object]:
    """Run ``work(i)`` in n threads released at the same instant; return what each returned or raised
    (exceptions are returned, for the test to inspect). Each thread closes its own connection."""
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as error:
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results

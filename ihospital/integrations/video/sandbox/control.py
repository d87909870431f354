"""Failures on demand for the cloud-video sandbox::

    control.fail_next()                 # the next request answers 503
    control.fail_next(3, status=500)    # the next 3 answer 500

Stored in the cache, as the SMS sandbox does, so a test or a developer's shell arms it for the web
process too (with Redis; the embedded mode's in-memory cache is per process). The count is taken with
an atomic ``decr``: two concurrent requests never use up the same failure.
"""

from __future__ import annotations

from django.core.cache import cache

COUNT_KEY = "sandbox:video:fail_next:count"
STATUS_KEY = "sandbox:video:fail_next:status"
LIFETIME_SECONDS = 3600


def fail_next(count: int = 1, *, status: int = 503) -> None:
    if count < 1 or not 400 <= status <= 599:
        raise ValueError("count must be at least 1 and status an HTTP error (4xx or 5xx)")
    cache.set_many({COUNT_KEY: count, STATUS_KEY: status}, timeout=LIFETIME_SECONDS)


def clear() -> None:
    cache.delete_many([COUNT_KEY, STATUS_KEY])


def take() -> int | None:
    """The status the request about to be answered must fail with, or None."""
    try:
        remaining = cache.decr(COUNT_KEY)
    except ValueError:  # nothing armed (or it expired)
        return None
    if remaining < 0:
        return None
    return cache.get(STATUS_KEY, 503)

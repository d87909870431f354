"""Fixed-window counters in the cache (Redis in production: shared by every process), for limits that
services enforce on something other than a request: failed sign-ins per user name, SMS codes per address
and for the whole site, notifications per address. (The APIs' per-user and per-address request limits are
django-ninja's throttles, ihospital.core.api.)

    if wait := ratelimit.hit("sms.address", actor.ip, limit=10, seconds=3600):
        raise DomainError(AccountError.SMS_ADDRESS_LIMIT, seconds=wait)

``hit`` counts one event and answers 0 while the window's count is within ``limit``, else the seconds until
the window ends (what ``Retry-After`` says). ``count`` reads without counting. The identity is hashed into
the key, so neither user names nor addresses sit in the cache in clear, and any string is a valid key.
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache


def _window(seconds: int) -> tuple[int, int]:
    moment = int(time.time())
    return moment // seconds, seconds - moment % seconds


def _key(scope: str, ident: str, seconds: int, window: int) -> str:
    digest = hashlib.sha256(ident.encode("utf-8", errors="replace")).hexdigest()[:32]
    return f"ratelimit:{scope}:{seconds}:{window}:{digest}"


def hit(scope: str, ident: str, *, limit: int, seconds: int) -> int:
    """Count one event of ``ident`` in ``scope``; 0 if the window holds at most ``limit``, else seconds left."""
    window, left = _window(seconds)
    key = _key(scope, ident, seconds, window)
    cache.add(key, 0, timeout=seconds + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=seconds + 1)
        count = 1
    return left if count > limit else 0


def count(scope: str, ident: str, *, seconds: int) -> int:
    """How many events ``ident`` has in the current window of ``scope``."""
    window, _left = _window(seconds)
    return int(cache.get(_key(scope, ident, seconds, window), 0))


def seconds_left(seconds: int) -> int:
    """Seconds until the current window of this length ends."""
    return _window(seconds)[1]

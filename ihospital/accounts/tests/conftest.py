from datetime import timedelta

import pytest
from django.utils import timezone


@pytest.fixture
def clock(monkeypatch):
    """Moves the clock forward instead of waiting: ``clock.move(minutes=16)``. ihospital.core.time.now (and
    Django's timezone.now, used by sessions and django-otp's throttling) read it; django-otp's TOTP codes
    follow the real clock, so tests compute codes before moving it."""

    class Clock:
        offset = timedelta(0)

        def move(self, **delta) -> None:
            self.offset += timedelta(**delta)

    clock = Clock()
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + clock.offset)
    return clock

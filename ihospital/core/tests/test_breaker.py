import pytest

from ihospital.core import breaker as module
from ihospital.core.breaker import Breaker


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(module, "_clock", lambda: now[0])
    return now


def test_opens_after_the_threshold_of_failures_in_a_row(clock):
    guard = Breaker("t", threshold=3, cooldown_seconds=10)
    guard.failure()
    guard.failure()
    guard.success()  # a success in between starts the count again
    guard.failure()
    guard.failure()
    assert guard.allow() and guard.state() == "closed"
    guard.failure()
    assert guard.state() == "open" and not guard.allow()


def test_half_open_lets_one_probe_through_and_its_outcome_decides(clock):
    guard = Breaker("t", threshold=1, cooldown_seconds=10)
    guard.failure()
    clock[0] += 11
    assert guard.state() == "half_open"
    assert guard.allow() and not guard.allow()  # only the first caller probes
    guard.failure()
    assert guard.state() == "open"
    clock[0] += 11
    assert guard.allow()
    guard.success()
    assert guard.state() == "closed" and guard.allow() and guard.allow()

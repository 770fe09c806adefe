from __future__ import annotations

import pytest

from qlik_jwt.embedding.ratelimit import RateLimiter
from tests.support.webapp import FakeClock


def test_allows_a_burst_of_limit_then_refuses_with_the_wait() -> None:
    clock = FakeClock(0)
    limiter = RateLimiter(3, 60, clock=clock)
    assert [limiter.acquire("u") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.acquire("u")
    assert wait == pytest.approx(20.0)
    assert RateLimiter.retry_after(wait) == "20"


def test_refills_over_time() -> None:
    clock = FakeClock(0)
    limiter = RateLimiter(2, 60, clock=clock)
    limiter.acquire("u")
    limiter.acquire("u")
    assert limiter.acquire("u") > 0
    clock.advance(30)
    assert limiter.acquire("u") == 0.0
    assert limiter.acquire("u") > 0


def test_keys_are_counted_separately() -> None:
    limiter = RateLimiter(1, 60, clock=FakeClock(0))
    assert limiter.acquire("a") == 0.0
    assert limiter.acquire("b") == 0.0
    assert limiter.acquire("a") > 0


def test_retry_after_is_at_least_one_second() -> None:
    assert RateLimiter.retry_after(0.01) == "1"


def test_idle_buckets_are_pruned() -> None:
    clock = FakeClock(0)
    limiter = RateLimiter(1, 60, clock=clock)
    for i in range(1023):
        limiter.acquire(f"user-{i}")
    clock.advance(61)
    limiter.acquire("late")
    assert len(limiter._buckets) == 1


def test_rejects_nonsense_limits() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0)

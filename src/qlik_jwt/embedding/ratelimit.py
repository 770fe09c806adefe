"""A per-key token bucket: ``limit`` requests per minute, refilled continuously.

Used to cap how many Qlik tokens one user can obtain. Time comes from an injected clock, so
tests move it instead of sleeping. State is per process (each worker counts on its own).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Protocol

from qlik_jwt.embedding.refusals import WebError

__all__ = ["Limit", "RateLimiter", "rate_limited"]

PRUNE_EVERY = 1024


class RateLimiter:
    """``limit`` events per ``period`` seconds per key, with bursts up to ``limit``."""

    def __init__(
        self, limit: int, period: float = 60.0, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1 or period <= 0:
            raise ValueError("limit must be >= 1 and period > 0")
        self.limit = limit
        self.rate = limit / period
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()
        self._calls = 0

    def acquire(self, key: str) -> float:
        """Take one event for ``key``: 0.0 when allowed, else the seconds until one is."""
        now = self.clock()
        with self._lock:
            self._calls += 1
            if self._calls % PRUNE_EVERY == 0:
                self._prune(now)
            tokens, stamp = self._buckets.get(key, (float(self.limit), now))
            tokens = min(float(self.limit), tokens + (now - stamp) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate

    @staticmethod
    def retry_after(wait: float) -> str:
        """A ``Retry-After`` header value: whole seconds, at least 1."""
        return str(max(1, math.ceil(wait)))

    def _prune(self, now: float) -> None:
        full_after = self.limit / self.rate
        for key in [k for k, (_, stamp) in self._buckets.items() if now - stamp >= full_after]:
            del self._buckets[key]


class Limit(Protocol):
    """What a refusal needs of a limiter (this module's, or the shared one in Redis)."""

    limit: int

    def retry_after(self, wait: float) -> str: ...


def rate_limited(limiter: Limit, wait: float, what: str, fix: str) -> WebError:
    """The 429 for a user who asked ``limiter`` for more ``what`` than it allows, with
    ``Retry-After``."""
    return WebError(
        429,
        "rate-limited",
        f"More than {limiter.limit} {what} a minute were asked for this user.",
        fix,
        headers={"Retry-After": limiter.retry_after(wait)},
    )

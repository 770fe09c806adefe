"""The per-user token rate limit counted in Redis, so that every app instance (and every
worker) sharing that Redis allows one limit between them, not one each.

The same token bucket as :class:`~qlik_jwt.embedding.ratelimit.RateLimiter` (``limit`` per
``period``, bursts up to ``limit``), kept in one hash per user,
``qlik-jwt:token-rate:<sha256 of sub>``, updated atomically by a Lua script on Redis's own
clock (``TIME``), so the instances' clocks need not agree. Keys expire once their bucket
would be full again. The URL may carry a password; it is never put in an error message.
"""

from __future__ import annotations

import hashlib

import redis
import redis.exceptions

from qlik_jwt.embedding.ratelimit import RateLimiter
from qlik_jwt.embedding.refusals import WebError

__all__ = ["KEY_PREFIX", "SharedRateLimiter"]

KEY_PREFIX = "qlik-jwt:token-rate:"
TIMEOUT_SECONDS = 5.0

# KEYS[1] the bucket; ARGV limit, refill per second. Returns the wait in seconds, as text
# (Lua numbers become integers in replies).
TAKE = """
local limit, rate = tonumber(ARGV[1]), tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(state[1]) or limit
local stamp = tonumber(state[2]) or now
tokens = math.min(limit, tokens + math.max(0, now - stamp) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil((limit - tokens) / rate) + 1)
return tostring(wait)
"""


class SharedRateLimiter:
    """``limit`` events per ``period`` seconds per key, counted in the Redis at ``url``
    (connected on first use)."""

    def __init__(self, url: str, limit: int, period: float = 60.0) -> None:
        if limit < 1 or period <= 0:
            raise ValueError("limit must be >= 1 and period > 0")
        self.limit = limit
        self.rate = limit / period
        self._url = url
        self._client: redis.Redis | None = None

    def acquire(self, key: str) -> float:
        """Take one event for ``key``: 0.0 when allowed, else the seconds until one is.

        Raises WebError 503 ``rate-limit-unavailable`` when Redis cannot be reached: no
        token is minted uncounted.
        """
        bucket = KEY_PREFIX + hashlib.sha256(key.encode("utf-8")).hexdigest()
        try:
            wait = self._redis().eval(TAKE, 1, bucket, self.limit, repr(self.rate))
        except redis.exceptions.RedisError as exc:
            raise WebError(
                503,
                "rate-limit-unavailable",
                f"The token rate limit is counted in Redis, which failed ({type(exc).__name__}).",
                "Check that the Redis of QLIK_PROXY_SESSION_STORE is running and reachable.",
            ) from None
        return float(wait)

    retry_after = staticmethod(RateLimiter.retry_after)

    def _redis(self) -> redis.Redis:
        if self._client is None:
            self._client = redis.Redis.from_url(
                self._url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
            )
        return self._client

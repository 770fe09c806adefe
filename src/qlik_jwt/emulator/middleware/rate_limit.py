"""Qlik's rate limits: Tier 1 (reads, 1000/min) and Tier 2 (jwt-session and writes, 100/min).

Counted per tenant (or, with ``rate_limit_per_address``, per source address) over a sliding
window of the tenant's clock: a minute, or ``rate_limit_window_seconds`` to scale it down.
Over the limit: 429 in Qlik's body with ``Retry-After`` (whole seconds until a slot frees).
Preflights, the OpenAPI pages and ``/_emulator/*`` are not counted.
"""

from __future__ import annotations

import math
import threading
from collections import deque

from starlette.types import ASGIApp, Receive, Scope, Send

from qlik_jwt.emulator.errors import QlikError
from qlik_jwt.emulator.middleware.base import TenantMiddleware
from qlik_jwt.emulator.tenant import EmulatedTenant

__all__ = ["RateLimitMiddleware", "RateLimiter", "tier_of"]

_UNCOUNTED = ("/_emulator", "/docs", "/redoc", "/openapi.json")
_TIER2_PATHS = ("/login/jwt-session", "/oauth/token")
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def tier_of(method: str, path: str) -> int | None:
    """The rate-limit tier of a request (1 or 2), or None when it is not counted."""
    if method == "OPTIONS" or path.startswith(_UNCOUNTED):
        return None
    if path in _TIER2_PATHS or (path.startswith("/api/") and method in _WRITES):
        return 2
    return 1


class RateLimiter:
    """Sliding-window counters, one per tier and caller (``None``: the whole tenant).
    Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hits: dict[tuple[int, str | None], deque[float]] = {}

    def hit(
        self, tier: int, limit: int, now: float, *, window: float = 60.0, caller: str | None = None
    ) -> float | None:
        """Count one request; return the seconds to wait instead when over ``limit``."""
        with self._lock:
            hits = self._hits.setdefault((tier, caller), deque())
            while hits and hits[0] <= now - window:
                hits.popleft()
            if len(hits) >= limit:
                return hits[len(hits) - limit] + window - now
            hits.append(now)
            return None


class RateLimitMiddleware(TenantMiddleware):
    def __init__(self, app: ASGIApp, tenant: EmulatedTenant) -> None:
        super().__init__(app, tenant)
        self.limiter = RateLimiter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        tier = tier_of(scope["method"], scope["path"]) if scope["type"] == "http" else None
        if tier is None:
            await self.app(scope, receive, send)
            return
        options, faults = self.tenant.options, self.tenant.faults.settings
        if tier == 1:
            limit = faults.tier1_per_minute or options.tier1_per_minute
        else:
            limit = faults.tier2_per_minute or options.tier2_per_minute
        client = scope.get("client")
        caller = client[0] if options.rate_limit_per_address and client else None
        window = options.rate_limit_window_seconds
        wait = self.limiter.hit(tier, limit, self.tenant.now(), window=window, caller=caller)
        if wait is None:
            await self.app(scope, receive, send)
            return
        headers = {"Retry-After": str(max(1, math.ceil(wait)))} if options.send_retry_after else {}
        error = QlikError(
            429,
            detail=f"Over the Tier {tier} limit of {limit} requests per minute; retry later."
            if window == 60
            else f"Over the Tier {tier} limit of {limit} requests per {window} s; retry later.",
            reason="rate_limited",
            headers=headers,
        )
        await self.refuse(error, scope, receive, send)

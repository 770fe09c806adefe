"""The queue proxy-mode logins wait in, so that Qlik's rate limit on ``/login/jwt-session``
(Tier 2: 100 a minute, all of them from the app's own address) never reaches a user as a
failure.

Logins take their turn first come, first served (fair across users: each browser has at
most one login in the queue), at most :data:`CONCURRENT_LOGINS` at a time. When the tenant
answers 429, the queue closes until its ``Retry-After`` has passed, then opens again in
order; the login that met the 429 keeps its place at the head. At most
:data:`MAX_QUEUED_LOGINS` wait; more are refused with 503 and a ``Retry-After``.

:meth:`LoginQueue.estimate` tells a waiting browser its place and about how long it will
wait: the time the queue stays closed plus its place over the rate at which logins have
recently gone through (Qlik's documented 100 a minute until any have).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from qlik_jwt.web.errors import WebError

__all__ = ["CONCURRENT_LOGINS", "LOGIN_HEADER", "MAX_QUEUED_LOGINS", "LoginQueue", "queued"]

LOGIN_HEADER = "qlik-jwt-login"  # "new": a session made for the page; "queued": waiting

CONCURRENT_LOGINS = 8
MAX_QUEUED_LOGINS = 10_000
DOCUMENTED_PER_SECOND = 100 / 60  # Qlik's Tier 2 limit, until logins have been seen
RATE_WINDOW = 60.0


class LoginQueue:
    """First come, first served turns for logins; closed while the tenant says 429."""

    def __init__(
        self, *, max_waiting: int = MAX_QUEUED_LOGINS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_waiting = max_waiting
        self.clock = clock
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._running = 0
        self._closed_until = 0.0
        self._reopen: asyncio.TimerHandle | None = None
        self._done: deque[float] = deque()  # when recent logins went through

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def ticket(self) -> asyncio.Future[None]:
        """A place at the end of the queue (pass it to :meth:`turn`). Raises WebError 503
        ``qlik-login-queue-full`` when ``max_waiting`` logins are waiting already."""
        if len(self._waiting) >= self.max_waiting:
            raise WebError(
                503,
                "qlik-login-queue-full",
                f"{len(self._waiting)} logins to Qlik are already waiting their turn.",
                "Retry in a minute.",
                headers={"Retry-After": "60"},
            )
        ticket: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(ticket)
        return ticket

    @asynccontextmanager
    async def turn(self, ticket: asyncio.Future[None]) -> AsyncIterator[None]:
        """Wait for ``ticket``'s turn; the body is the login."""
        self._wake()
        try:
            await ticket
        except BaseException:
            if ticket in self._waiting:
                self._waiting.remove(ticket)
            elif ticket.done() and not ticket.cancelled():
                self._finish()  # its turn came just as it was given up
            raise
        try:
            yield
        finally:
            self._finish()

    def position(self, ticket: asyncio.Future[None]) -> int:
        """1 for the next login to go, 0 when ``ticket``'s login is under way."""
        try:
            return self._waiting.index(ticket) + 1
        except ValueError:
            return 0

    def estimate(self, position: int) -> float:
        """About how many seconds until the login at ``position`` is done."""
        closed = max(0.0, self._closed_until - self.clock())
        return closed + max(position, 1) / self._rate()

    def succeeded(self) -> None:
        """Note a login that went through (for :meth:`estimate`)."""
        now = self.clock()
        self._done.append(now)
        while self._done and self._done[0] < now - RATE_WINDOW:
            self._done.popleft()

    def close_for(self, seconds: float) -> None:
        """The tenant said 429: no login starts for ``seconds``."""
        until = self.clock() + seconds
        if until <= self._closed_until:
            return
        self._closed_until = until
        if self._reopen is not None:
            self._reopen.cancel()
        # A little late rather than early: a wake before the clock passes does nothing.
        self._reopen = asyncio.get_running_loop().call_later(seconds + 0.01, self._wake)

    async def reopened(self) -> None:
        """Wait until the tenant's ``Retry-After`` has passed."""
        while (wait := self._closed_until - self.clock()) > 0:
            await asyncio.sleep(wait)

    def _rate(self) -> float:
        if len(self._done) < 2:
            return DOCUMENTED_PER_SECOND
        span = max(self.clock() - self._done[0], 1.0)
        return len(self._done) / span

    def _finish(self) -> None:
        self._running -= 1
        self._wake()

    def _wake(self) -> None:
        if self.clock() < self._closed_until:
            return
        while self._waiting and self._running < CONCURRENT_LOGINS:
            ticket = self._waiting.popleft()
            if not ticket.done():
                self._running += 1
                ticket.set_result(None)


def queued(position: int, seconds: float) -> WebError:
    """The answer to a call whose login is still waiting (503 ``qlik-login-queued``, header
    ``qlik-jwt-login: queued``): the page shows the message and asks again after
    ``Retry-After`` (1 to 5 s, so that it shows a fresh estimate)."""
    ahead = f"{position - 1} login{'s' if position > 2 else ''} ahead, " if position > 1 else ""
    return WebError(
        503,
        "qlik-login-queued",
        f"Waiting for Qlik to accept the login: {ahead}about {math.ceil(seconds)} s.",
        "Nothing to do: the page asks again by itself.",
        headers={"Retry-After": str(min(5, max(1, math.ceil(seconds)))), LOGIN_HEADER: "queued"},
    )

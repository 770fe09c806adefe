"""How many password checks run at once: each is a scrypt working in 16 MiB, so a flood of
sign-ins with distinct names (the per-name limit does not slow it) would otherwise take the
process's memory with it: 120 at once took the demo from 265 to 764 MiB.

:class:`HashingGate` lets ``at_once`` checks run (on threads of its own), ``waiting`` more wait
for a turn, and one client address hold at most ``per_client`` of those places. A sign-in
beyond that is refused at once, before any hashing: 429 ``sign-in-busy`` when its own address
holds its share, 503 ``server-busy`` when the queue is full; both with ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from qlik_jwt.embedding.refusals import WebError

__all__ = ["HashingGate"]

T = TypeVar("T")

HASHES_AT_ONCE = 2
WAITING = 16
PER_CLIENT = 2
RETRY_AFTER = "1"


class HashingGate:
    """Bounds the password hashing of one app (see the module's text)."""

    def __init__(
        self, at_once: int = HASHES_AT_ONCE, *, waiting: int = WAITING, per_client: int = PER_CLIENT
    ) -> None:
        if at_once < 1 or waiting < 0 or per_client < 1:
            raise ValueError("at_once and per_client must be >= 1, waiting >= 0")
        self.capacity = at_once + waiting
        self.per_client = per_client
        # Threads of their own: scrypt's 16 MiB come from the allocator's arena of the thread
        # that ran it, which keeps them, so every pool thread that ever hashed kept 16 MiB.
        self._threads = ThreadPoolExecutor(at_once, thread_name_prefix="password-check")
        self._lock = threading.Lock()
        self._held = 0
        self._by_client: dict[str, int] = {}
        self.running = 0
        self.most_running = 0  # the most checks seen running at once (tests, figures)

    async def run(self, client: str | None, check: Callable[..., T], *args: object) -> T:
        """``check(*args)`` in a worker thread once a turn is free; WebError 429/503 when
        ``client`` (an address; None: unknown) or everyone already holds every place."""
        key = client or "unknown"
        self._enter(key)
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._threads, self._counted, check, *args)
        finally:
            with self._lock:
                self._held -= 1
                self._by_client[key] -= 1
                if not self._by_client[key]:
                    del self._by_client[key]

    def _enter(self, key: str) -> None:
        with self._lock:
            if self._by_client.get(key, 0) >= self.per_client:
                raise WebError(
                    429,
                    "sign-in-busy",
                    f"{self.per_client} sign-ins from your address are being checked already.",
                    "Wait for them, then try again in a second.",
                    {"Retry-After": RETRY_AFTER},
                )
            if self._held >= self.capacity:
                raise WebError(
                    503,
                    "server-busy",
                    "The server is checking many other sign-ins at the moment.",
                    "Try again in a second.",
                    {"Retry-After": RETRY_AFTER},
                )
            self._held += 1
            self._by_client[key] = self._by_client.get(key, 0) + 1

    def _counted(self, check: Callable[..., T], *args: object) -> T:
        with self._lock:
            self.running += 1
            self.most_running = max(self.most_running, self.running)
        try:
            return check(*args)
        finally:
            with self._lock:
                self.running -= 1

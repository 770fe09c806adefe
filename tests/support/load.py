"""Bounded load on loopback: a few client threads for a fixed time, counted, never unbounded.

:func:`sustain` runs ``call`` from ``clients`` threads, each with its own httpx client, for
``seconds`` (but at least ``min_requests`` and at most ``max_requests`` calls, and never past
:data:`HARD_LIMIT` seconds), and counts what came back. :func:`rss_mib` reads a process's
resident memory from ``/proc``.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

__all__ = ["HARD_LIMIT", "LoadResult", "rss_mib", "sustain"]

HARD_LIMIT = 60.0


@dataclass
class LoadResult:
    """What a load run did: calls made, answers by status, failures (first few) and time."""

    seconds: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    failed: int = 0  # no HTTP answer at all
    failures: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values()) + self.failed

    @property
    def errors(self) -> int:
        """Calls without an answer, or answered with a 4xx or 5xx."""
        return self.failed + sum(n for status, n in self.statuses.items() if status >= 400)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def summary(self, what: str) -> str:
        return (
            f"{what}: {self.requests} requests in {self.seconds:.1f} s "
            f"({self.rate:.0f}/s), {self.errors} errors"
        )


def sustain(
    call: Callable[[httpx.Client], httpx.Response],
    *,
    make_client: Callable[[], httpx.Client],
    clients: int,
    seconds: float,
    min_requests: int = 0,
    max_requests: int = 100_000,
) -> LoadResult:
    """Call ``call(client)`` from ``clients`` threads until the time and counts say stop."""
    result = LoadResult()
    lock = threading.Lock()
    started = time.monotonic()

    def more() -> bool:
        elapsed = time.monotonic() - started
        with lock:
            done = result.requests
        if done >= max_requests or elapsed >= HARD_LIMIT:
            return False
        return elapsed < seconds or done < min_requests

    def worker(client: httpx.Client) -> None:
        try:
            while more():
                try:
                    status = call(client).status_code
                except httpx.HTTPError as exc:
                    with lock:
                        result.failed += 1
                        if len(result.failures) < 10:
                            result.failures.append(f"{type(exc).__name__}: {exc}")
                    continue
                with lock:
                    result.statuses[status] += 1
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(make_client(),)) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - started
    return result


def rss_mib(pid: int) -> float:
    """Resident memory of process ``pid`` in MiB (Linux ``/proc``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")

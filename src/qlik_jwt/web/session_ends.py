"""A session has an owner and an end: what is opened for a browser's session is registered
under it and closed when that session ends, on every app instance.

The owner is an opaque string naming one browser's session (proxy mode uses the browser's
store key, the SHA-256 of its proxy cookie). Two ways to register:

- :meth:`SessionEnds.hold`: one open thing (an engine websocket) with its ``close(reason)``,
  an optional deadline (when the host session expires) and an optional ``still_valid()``
  check, re-run every :data:`RECHECK_SECONDS` (for identify hooks whose expiry is unknown),
  both compared every :data:`SWEEP_SECONDS` by one task per instance;
- :meth:`SessionEnds.on_end`: a hook called with ``(owner, reason)`` whenever any session
  ends on any instance (to drop cached credentials, say).

:meth:`SessionEnds.end` closes the owner's holdings in this process, calls the hooks and,
through a :class:`Broadcast` (Redis pub/sub when instances share a Redis store), tells the
other instances to do the same. Without one the registry is this process's only.

Reasons (:data:`SIGNED_OUT`, :data:`USER_CHANGED`, :data:`SESSION_EXPIRED`) travel as the
close reason of a websocket, so they are short and name no secret.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

__all__ = [
    "RECHECK_SECONDS",
    "SESSION_EXPIRED",
    "SIGNED_OUT",
    "SWEEP_SECONDS",
    "USER_CHANGED",
    "Broadcast",
    "Holding",
    "SessionEnds",
]

log = logging.getLogger("qlik_jwt.web.session_ends")

SIGNED_OUT = "signed-out"
USER_CHANGED = "user-changed"
SESSION_EXPIRED = "session-expired"
SWEEP_SECONDS = 0.25  # how often deadlines are compared with the clock
RECHECK_SECONDS = 30.0  # how often still_valid() is asked

Close = Callable[[str], Awaitable[None]]
EndHook = Callable[[str, str], Awaitable[None]]


class Broadcast(Protocol):
    """Carries ended sessions between instances. ``listen`` runs until cancelled, calling
    ``ended(owner, reason)`` for each; ``ready`` is set once it receives."""

    async def publish(self, owner: str, reason: str) -> None: ...

    async def listen(self, ended: EndHook, ready: asyncio.Event) -> None: ...

    async def close(self) -> None: ...


@dataclass(eq=False)
class Holding:
    """One open thing of ``owner``; ``ended`` is the reason once its session ended."""

    owner: str
    close: Close
    deadline: float | None = None
    still_valid: Callable[[], Awaitable[bool]] | None = None
    ended: str | None = None
    checked_at: float = field(default_factory=time.monotonic)
    _registry: SessionEnds | None = field(default=None, repr=False)

    def release(self) -> None:
        """The thing closed on its own: forget it (idempotent)."""
        if self._registry is not None:
            self._registry._release(self)


class SessionEnds:
    """The registry of one app instance. ``clock`` (UNIX time) is compared with deadlines."""

    def __init__(
        self,
        *,
        broadcast: Broadcast | None = None,
        clock: Callable[[], float] = time.time,
        recheck_seconds: float = RECHECK_SECONDS,
    ) -> None:
        self.broadcast = broadcast
        self.clock = clock
        self.recheck_seconds = recheck_seconds
        self._held: dict[str, set[Holding]] = {}
        self._hooks: list[EndHook] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._listening: asyncio.Event | None = None
        # What a passed deadline or failed check calls: by default end() alone; the proxy
        # sets its own, which also forgets the stored Qlik session and ends it at the tenant.
        self.ender: EndHook = self.end

    def on_end(self, hook: EndHook) -> None:
        """Call ``hook(owner, reason)`` whenever a session ends (here or on another instance)."""
        self._hooks.append(hook)

    async def hold(
        self,
        owner: str,
        close: Close,
        *,
        deadline: float | None = None,
        still_valid: Callable[[], Awaitable[bool]] | None = None,
    ) -> Holding:
        """Register one open thing; ``close(reason)`` is awaited when ``owner`` ends, its
        deadline passes or ``still_valid()`` says False. Once this returns, an end
        announced by any instance reaches it: check afterwards that the session still
        exists, to catch an end announced just before."""
        await self._start()
        holding = Holding(owner, close, deadline, still_valid, _registry=self)
        self._held.setdefault(owner, set()).add(holding)
        return holding

    async def end(self, owner: str, reason: str, *, everywhere: bool = True) -> None:
        """End ``owner`` here and, unless ``everywhere`` is False (nothing of it can be open
        elsewhere), on every instance the broadcast reaches."""
        await self._ended(owner, reason)
        if everywhere and self.broadcast is not None:
            try:
                await self.broadcast.publish(owner, reason)
            except Exception as exc:  # the local end stands; say why others missed it
                log.warning("other instances were not told of a session end: %s", exc)

    def holding_count(self, owner: str) -> int:
        return len(self._held.get(owner, ()))

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self._listening = None
        if self.broadcast is not None:
            await self.broadcast.close()

    # -- internals ------------------------------------------------------------------------

    async def _ended(self, owner: str, reason: str) -> None:
        for holding in self._held.pop(owner, set()):
            await self._close(holding, reason)
        for hook in self._hooks:
            try:
                await hook(owner, reason)
            except Exception:  # one failing hook must not keep the others open
                log.exception("a session-end hook failed")

    async def _close(self, holding: Holding, reason: str) -> None:
        holding.ended = reason
        holding._registry = None
        try:
            await holding.close(reason)
        except Exception:  # a close that fails leaves the rest to close
            log.exception("closing what a session held failed")

    def _release(self, holding: Holding) -> None:
        held = self._held.get(holding.owner)
        if held is not None:
            held.discard(holding)
            if not held:
                del self._held[holding.owner]
        holding._registry = None

    async def _start(self) -> None:
        """Start the sweeper and the listener on first use, in the serving event loop."""
        if self._listening is not None:
            await self._listening.wait()
            return
        self._listening = asyncio.Event()
        self._tasks.append(asyncio.create_task(self._sweep()))
        if self.broadcast is None:
            self._listening.set()
            return
        self._tasks.append(asyncio.create_task(self._listen(self._listening)))
        await self._listening.wait()

    async def _listen(self, ready: asyncio.Event) -> None:
        assert self.broadcast is not None
        while True:
            try:
                await self.broadcast.listen(self._ended, ready)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis went away: retry, keep serving
                log.warning("listening for session ends failed (%s); retrying", exc)
                ready.set()  # holdings still work locally meanwhile
                await asyncio.sleep(1.0)

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            now, tick = self.clock(), time.monotonic()
            for holdings in list(self._held.values()):
                for holding in list(holdings):
                    await self._check(holding, now, tick)

    async def _check(self, holding: Holding, now: float, tick: float) -> None:
        if holding.deadline is not None and now >= holding.deadline:
            await self._expire(holding.owner, SESSION_EXPIRED)
            return
        if holding.still_valid is None or tick - holding.checked_at < self.recheck_seconds:
            return
        holding.checked_at = tick
        try:
            valid = await holding.still_valid()
        except Exception as exc:  # the identify hook failed now: ask again later
            log.warning("re-checking a session's user failed: %s", exc)
            return
        if not valid:
            await self._expire(holding.owner, SIGNED_OUT)

    async def _expire(self, owner: str, reason: str) -> None:
        try:
            await self.ender(owner, reason)
        except Exception as exc:  # e.g. the store is down: close here at least
            log.warning("ending an expired session failed (%s); closing what it held here", exc)
            await self.end(owner, reason)

"""The registry of what a browser's session holds, ended here or by another instance."""

from __future__ import annotations

import asyncio

from qlik_jwt.web.session_ends import (
    SESSION_EXPIRED,
    SIGNED_OUT,
    SWEEP_SECONDS,
    EndHook,
    SessionEnds,
)
from tests.support.webapp import FakeClock


class Closed:
    """A holding's close callback that records its reasons."""

    def __init__(self) -> None:
        self.reasons: list[str] = []

    async def __call__(self, reason: str) -> None:
        self.reasons.append(reason)


class LoopBroadcast:
    """Registries' broadcasts in one process: what one publishes, the others receive."""

    def __init__(self, listeners: list[tuple[LoopBroadcast, EndHook]]) -> None:
        self.listeners = listeners  # shared by every peer

    async def publish(self, owner: str, reason: str) -> None:
        for peer, ended in self.listeners:
            if peer is not self:
                await ended(owner, reason)

    async def listen(self, ended: EndHook, ready: asyncio.Event) -> None:
        self.listeners.append((self, ended))
        ready.set()
        await asyncio.Event().wait()

    async def close(self) -> None:
        pass


def test_ending_an_owner_closes_its_holdings_and_calls_the_hooks_once() -> None:
    async def scenario() -> None:
        ends = SessionEnds()
        ended: list[tuple[str, str]] = []

        async def hook(owner: str, reason: str) -> None:
            ended.append((owner, reason))

        ends.on_end(hook)
        mine, other, released = Closed(), Closed(), Closed()
        holding = await ends.hold("browser-a", mine)
        await ends.hold("browser-b", other)
        (await ends.hold("browser-a", released)).release()
        await ends.end("browser-a", SIGNED_OUT)
        await ends.end("browser-a", SIGNED_OUT)  # twice: nothing left to close
        assert mine.reasons == [SIGNED_OUT] and holding.ended == SIGNED_OUT
        assert other.reasons == [] and released.reasons == []
        assert ended == [("browser-a", SIGNED_OUT)] * 2
        assert ends.holding_count("browser-a") == 0
        await ends.aclose()

    asyncio.run(scenario())


def test_an_end_on_one_instance_reaches_the_holdings_of_another() -> None:
    async def scenario() -> None:
        listeners: list[tuple[LoopBroadcast, EndHook]] = []
        first = SessionEnds(broadcast=LoopBroadcast(listeners))
        second = SessionEnds(broadcast=LoopBroadcast(listeners))
        closed = Closed()
        await first.hold("browser", closed)
        await second.hold("unrelated", Closed())  # starts the second's listener
        await second.end("browser", SIGNED_OUT)
        assert closed.reasons == [SIGNED_OUT]
        await first.aclose()
        await second.aclose()

    asyncio.run(scenario())


def test_a_passed_deadline_or_a_failed_check_ends_the_owner() -> None:
    async def scenario() -> None:
        clock = FakeClock(1000.0)
        ends = SessionEnds(clock=clock, recheck_seconds=0)
        expiring, checked = Closed(), Closed()
        valid = [True]

        async def still_valid() -> bool:
            return valid[0]

        await ends.hold("a", expiring, deadline=1010.0)
        await ends.hold("b", checked, still_valid=still_valid)
        await asyncio.sleep(SWEEP_SECONDS * 3)
        assert expiring.reasons == [] and checked.reasons == []
        clock.advance(10)
        valid[0] = False
        await asyncio.sleep(SWEEP_SECONDS * 3)
        assert expiring.reasons == [SESSION_EXPIRED]
        assert checked.reasons == [SIGNED_OUT]
        await ends.aclose()

    asyncio.run(scenario())

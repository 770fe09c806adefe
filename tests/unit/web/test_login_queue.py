"""The proxy's login queue: first come first served, a bounded number at once, closed while
the tenant says 429, and an estimate for those waiting."""

from __future__ import annotations

import asyncio

import pytest

from qlik_jwt.web.errors import WebError
from qlik_jwt.web.proxy.login_queue import CONCURRENT_LOGINS, LoginQueue, queued


def test_turns_go_in_arrival_order_a_few_at_a_time() -> None:
    async def run() -> tuple[list[int], int]:
        queue = LoginQueue()
        order: list[int] = []
        running = most = 0
        release = asyncio.Event()

        async def login(number: int) -> None:
            nonlocal running, most
            async with queue.turn(queue.ticket()):
                order.append(number)
                running += 1
                most = max(most, running)
                await release.wait()
                running -= 1

        tasks = [asyncio.create_task(login(n)) for n in range(3 * CONCURRENT_LOGINS)]
        await asyncio.sleep(0.01)
        assert len(order) == CONCURRENT_LOGINS and queue.waiting == 2 * CONCURRENT_LOGINS
        release.set()
        await asyncio.gather(*tasks)
        return order, most

    order, most = asyncio.run(run())
    assert order == sorted(order) and most == CONCURRENT_LOGINS


def test_a_429_closes_the_queue_until_retry_after() -> None:
    async def run() -> float:
        queue = LoginQueue()
        queue.close_for(0.2)
        started = asyncio.get_running_loop().time()
        async with queue.turn(queue.ticket()):
            return asyncio.get_running_loop().time() - started

    assert asyncio.run(run()) >= 0.2


def test_waiting_browsers_get_their_place_and_an_estimate() -> None:
    async def run() -> tuple[int, float]:
        queue = LoginQueue(clock=lambda: 100.0)
        queue.close_for(30)
        first, second = queue.ticket(), queue.ticket()
        place = queue.position(second)
        estimate = queue.estimate(place)
        assert queue.position(first) == 1
        return place, estimate

    place, estimate = asyncio.run(run())
    assert place == 2 and estimate == pytest.approx(30 + 2 * 60 / 100)
    refusal = queued(place, estimate)
    assert refusal.status == 503 and refusal.code == "qlik-login-queued"
    assert refusal.headers == {"Retry-After": "5", "qlik-jwt-login": "queued"}
    assert "1 login ahead, about 32 s" in refusal.message


def test_the_queue_is_bounded() -> None:
    async def run() -> None:
        queue = LoginQueue(max_waiting=2)
        queue.close_for(60)
        queue.ticket()
        queue.ticket()
        with pytest.raises(WebError) as full:
            queue.ticket()
        assert full.value.status == 503 and full.value.headers["Retry-After"] == "60"

    asyncio.run(run())

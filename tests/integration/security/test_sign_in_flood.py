"""A flood of sign-ins cannot take the app's memory: password checks run two at a time.

Each unknown user name still costs a scrypt of 16 MiB (the answer must not tell unknown names
from wrong passwords), and the per-name limit does not slow a flood of distinct names: 120
at once took the demo from 265 to 764 MiB. Now at most ``HASHES_AT_ONCE`` run, a few more
wait, and the rest are refused at once with ``Retry-After`` (not timed here: the figures are
``bench/sign_in_flood.py``'s).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from qlik_jwt.embedding.refusals import WebError
from qlik_jwt.web.hashing import HASHES_AT_ONCE, HashingGate
from tests.support.servers import ServerThread
from tests.support.webapp import make_app, web_settings


def test_the_gate_runs_at_most_at_once_and_refuses_beyond_its_queue() -> None:
    gate = HashingGate(2, waiting=3, per_client=2)
    release = threading.Event()

    def check(_: int) -> bool:
        assert release.wait(10)
        return True

    async def flood() -> list[object]:
        tasks = [asyncio.create_task(gate.run("10.9.9.9", check, i)) for i in range(3)]
        tasks += [asyncio.create_task(gate.run(f"10.0.0.{i}", check, i)) for i in range(8)]
        await asyncio.sleep(0.2)
        assert gate.running == 2  # the others wait for a turn or were refused
        release.set()
        return await asyncio.gather(*tasks, return_exceptions=True)

    answers = asyncio.run(flood())
    refused = [a for a in answers if isinstance(a, WebError)]
    assert answers.count(True) == 5  # 2 running + 3 waiting
    assert sorted(e.status for e in refused) == [429] + [503] * 5  # one address's third
    assert all(e.headers["Retry-After"] == "1" for e in refused)
    assert gate.most_running == 2 and gate.running == 0


@pytest.fixture(scope="module")
def server(key_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    settings = web_settings(key_dir, db=tmp_path_factory.mktemp("flood") / "web.sqlite3")
    with ServerThread(make_app(settings)) as running:
        yield running


def sign_in_from(server: ServerThread, address: str, name: str) -> httpx.Response:
    """A sign-in with an unknown name, from ``address`` (any 127.x.y.z reaches loopback)."""
    transport = httpx.HTTPTransport(local_address=address)
    with httpx.Client(base_url=server.url, transport=transport, timeout=60) as client:
        return client.post(
            "/sign-in",
            data={"username": name, "password": "wrong"},
            headers={"Origin": server.url},
        )


def test_a_flood_of_distinct_names_never_hashes_more_than_the_bound(server: ServerThread) -> None:
    jobs = [("127.0.9.9", f"same-address-{i}") for i in range(8)]
    jobs += [(f"127.0.{i // 250}.{2 + i % 250}", f"flood-{i}") for i in range(60)]
    with ThreadPoolExecutor(max_workers=40) as pool:
        answers = list(pool.map(lambda job: sign_in_from(server, *job), jobs))
    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {401, 429, 503}, statuses
    assert statuses[:8].count(429) >= 1, statuses  # one address cannot fill the queue
    for answer in answers:
        if answer.status_code in (429, 503):
            assert answer.headers["Retry-After"] == "1"
            assert "again in a second" in answer.text
    gate: HashingGate = server.app.state.hashing  # type: ignore[attr-defined]
    assert 1 <= gate.most_running <= HASHES_AT_ONCE

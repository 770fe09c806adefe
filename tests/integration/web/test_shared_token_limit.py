"""The per-user token limit across app instances: one limit for all the instances (and
workers) sharing a real redis-server, one limit each when counted per process."""

from __future__ import annotations

import subprocess
from contextlib import ExitStack
from pathlib import Path

import httpx
import jwt
import pytest
import redis

from qlik_jwt.embedding.refusals import WebError
from qlik_jwt.embedding.shared_ratelimit import SharedRateLimiter
from tests.support.redis_server import redis_url
from tests.support.servers import ServerProcess, ServerThread, free_port, qlik_jwt_command
from tests.support.webapp import (
    ADA,
    make_app,
    page_csrf_token,
    seeded_store,
    serve_environment,
    sign_in,
    web_settings,
)

__all__ = ["redis_url"]

LIMIT = 3


@pytest.fixture(autouse=True)
def _empty_redis(redis_url: str) -> None:
    """Each test starts with every user's bucket full."""
    redis.Redis.from_url(redis_url).flushdb()


def _mint(client: httpx.Client, url: str, origin: str, csrf_token: str) -> int:
    headers = {"Origin": origin, "Sec-Fetch-Site": "same-origin", "X-CSRF-Token": csrf_token}
    answer = client.post(f"{url}/token", headers=headers)
    if answer.status_code == 200:
        claims = jwt.decode(answer.json()["token"], options={"verify_signature": False})
        assert claims["sub"] == "demo|ada"
    else:
        assert answer.status_code == 429, answer.text
        assert int(answer.headers["Retry-After"]) >= 1
        assert answer.json()["error"]["code"] == "rate-limited"
    return answer.status_code


@pytest.mark.parametrize(("shared", "accepted"), [(True, LIMIT), (False, 2 * LIMIT)])
def test_two_instances_count_one_limit_through_redis(
    key_dir: Path, tmp_path: Path, redis_url: str, shared: bool, accepted: int
) -> None:
    port = free_port()
    origin = f"http://127.0.0.1:{port}"  # one public origin, as behind a load balancer
    db = tmp_path / "web.sqlite3"
    store = redis_url if shared else f"sqlite:///{tmp_path / 'sessions.sqlite3'}"
    settings = web_settings(
        key_dir, db, token_rate_limit=LIMIT, proxy_session_store=store, public_origin=origin
    )
    with ExitStack() as stack:
        first = stack.enter_context(
            ServerThread(make_app(settings, user_store=seeded_store(db)), port=port)
        )
        second = stack.enter_context(ServerThread(make_app(settings, user_store=seeded_store(db))))
        client = stack.enter_context(httpx.Client(base_url=first.url, timeout=30))
        assert sign_in(client, ADA.username, ADA.password).status_code == 303
        csrf_token = page_csrf_token(client)
        statuses = [
            _mint(client, (first, second)[n % 2].url, origin, csrf_token)
            for n in range(2 * LIMIT + 2)
        ]
    assert statuses.count(200) == accepted
    assert statuses[:accepted] == [200] * accepted


def test_serve_workers_share_the_limit_through_redis(
    key_dir: Path, tmp_path: Path, redis_url: str
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = serve_environment(
        key_dir,
        port,
        tmp_path / "web.sqlite3",
        token_rate_limit=str(LIMIT),
        proxy_session_store=redis_url,
        public_origin=base,
    )
    command = qlik_jwt_command("serve", "--demo-users", "--workers", "2")
    with ServerProcess(command, f"{base}/healthz", env=env, cwd=tmp_path) as server:
        assert server.proc is not None
        children = subprocess.run(
            ["ps", "--ppid", str(server.proc.pid), "-o", "pid="],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        assert len(children) >= 2  # the two workers (and uvicorn's resource tracker)
        with httpx.Client(base_url=base, timeout=30) as client:
            assert sign_in(client, ADA.username, ADA.password).status_code == 303
            csrf_token = page_csrf_token(client)
        statuses = []
        for _ in range(2 * LIMIT):
            # A new connection each time: the kernel hands them to either worker.
            with httpx.Client(base_url=base, timeout=30, cookies=client.cookies) as fresh:
                statuses.append(_mint(fresh, base, base, csrf_token))
    assert statuses == [200] * LIMIT + [429] * LIMIT
    assert "with 2 workers" in server.output and "Traceback" not in server.output


def test_an_unreachable_redis_refuses_to_mint_uncounted() -> None:
    limiter = SharedRateLimiter(f"redis://:pw-not-shown@127.0.0.1:{free_port()}/0", LIMIT)
    with pytest.raises(WebError) as refused:
        limiter.acquire("demo|ada")
    assert refused.value.status == 503 and refused.value.code == "rate-limit-unavailable"
    assert "pw-not-shown" not in str(refused.value.as_dict())

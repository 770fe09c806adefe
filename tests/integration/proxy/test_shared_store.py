"""Several app instances behind a load balancer share proxy sessions through a real
redis-server: one browser's calls may land on any instance, with one Qlik login."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
import redis
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from qlik_jwt.web.proxy.redis_store import KEY_PREFIX
from qlik_jwt.web.proxy.store import store_key
from tests.support.proxy import (
    ECHO_PATH,
    ProxiedTenant,
    cookie_header,
    engine,
    proxy_web_app,
    sign_in_client,
)
from tests.support.redis_server import redis_server
from tests.support.servers import ServerThread, free_port
from tests.support.webapp import page_csrf_token, seeded_store


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


def _instances(
    tenant: ProxiedTenant, tmp_path: Path, store: str, stack: ExitStack
) -> list[ServerThread]:
    """Two app instances sharing the users database and the session store ``store``."""
    settings = tenant.settings(tmp_path, proxy_session_store=store)
    return [
        stack.enter_context(
            proxy_web_app(tenant, settings, user_store=seeded_store(tmp_path / "web.sqlite3"))
        )
        for _ in range(2)
    ]


def _signed_in_to_two(
    tenant: ProxiedTenant, tmp_path: Path, redis_url: str, stack: ExitStack
) -> tuple[ServerThread, ServerThread, httpx.Client]:
    """Two instances on one Redis store, and a browser signed in through the first.

    Both instances are on 127.0.0.1: the browser's cookies go to either (ports do not
    separate cookies), as behind one load balancer's host name."""
    first, second = _instances(tenant, tmp_path, redis_url, stack)
    browser = stack.enter_context(httpx.Client(base_url=first.url, timeout=30))
    sign_in_client(browser)
    return first, second, browser


def test_two_instances_serve_one_browser_alternately(
    tenant: ProxiedTenant, tmp_path: Path, redis_url: str
) -> None:
    with ExitStack() as stack:
        first, second, browser = _signed_in_to_two(tenant, tmp_path, redis_url, stack)
        answers = []
        for round_ in range(3):
            for instance in (first, second):
                url = instance.url
                answers.append(browser.get(url + "/api/v1/csrf-token").status_code)
                me = browser.get(url + "/api/v1/users/me", follow_redirects=True)
                answers.append(me.status_code)
                assert me.json()["subject"] == "demo|ada"
                posted = browser.post(
                    url + "/api/v1/spaces", json={"name": f"s{round_}"}, headers={"Origin": url}
                )
                assert posted.json()["errors"][0]["meta"]["reason"] == "not_admin"
                with connect(
                    url.replace("http", "ws", 1) + ECHO_PATH,
                    origin=url,  # type: ignore[arg-type]
                    additional_headers={"Cookie": cookie_header(browser)},
                ) as websocket:
                    websocket.send(f"via {url}")
                    assert websocket.recv(timeout=30) == f"via {url}"
        assert set(answers) == {204, 200}
        assert tenant.log.logins() == 1  # one Qlik session, shared through Redis
        keys = redis.Redis.from_url(redis_url).keys("qlik-jwt:proxy-session:*")
        assert len(keys) == 1

        # The session expires at the tenant: one instance renews it, the other uses that.
        tenant.emulator.clock.advance(1801)
        assert browser.get(second.url + "/api/v1/users/me").status_code == 301
        assert browser.get(first.url + "/api/v1/users/me").status_code == 301
        assert tenant.log.logins() == 2


def test_an_unreachable_store_is_a_clear_503_without_its_password(
    tenant: ProxiedTenant, tmp_path: Path
) -> None:
    store = f"redis://:hunter2-store-password@127.0.0.1:{free_port()}/0"
    with ExitStack() as stack:
        web, _ = _instances(tenant, tmp_path, store, stack)
        browser = stack.enter_context(httpx.Client(base_url=web.url, timeout=30))
        sign_in_client(browser)
        answer = browser.get("/api/v1/csrf-token")
    assert answer.status_code == 503
    error = answer.json()["error"]
    assert error["code"] == "session-store-failed"
    assert "QLIK_PROXY_SESSION_STORE" in error["fix"]
    assert "hunter2" not in answer.text
    assert tenant.log.logins() == 0


def test_sign_out_on_one_instance_closes_the_socket_held_by_another(
    tenant: ProxiedTenant, tmp_path: Path, redis_url: str
) -> None:
    with ExitStack() as stack:
        first, second, browser = _signed_in_to_two(tenant, tmp_path, redis_url, stack)
        websocket = stack.enter_context(engine(first, browser))
        websocket.send("ping")
        assert websocket.recv(timeout=30) == "ping"
        stored = KEY_PREFIX + store_key(browser.cookies["qlik-jwt-proxy"])
        assert redis.Redis.from_url(redis_url).exists(stored)
        signed_out_at = time.monotonic()
        answer = browser.post(
            second.url + "/sign-out",
            data={"csrf_token": page_csrf_token(browser)},
            headers={"Origin": second.url},
        )
        assert answer.status_code == 303
        with pytest.raises(ConnectionClosed):
            while True:
                websocket.recv(timeout=5)
        elapsed = time.monotonic() - signed_out_at
    assert (websocket.close_code, websocket.close_reason) == (4401, "signed-out")
    assert elapsed < 1.0
    assert not redis.Redis.from_url(redis_url).exists(stored)

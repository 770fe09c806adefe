"""The engine websocket through the proxy, with real clients and a real tenant: the engine's
JSON-RPC, many and large messages, backpressure, and closes from either side (clean,
with codes, and abrupt)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import socket
import struct
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.http11 import Response
from websockets.sync.client import ClientConnection, connect

from qlik_jwt.web.proxy.store import store_key
from tests.support.proxy import (
    ECHO_PATH,
    ProxiedTenant,
    TcpRelay,
    cookie_header,
    engine,
    proxy_web_app,
    rpc,
    signed_in,
)
from tests.support.sample_csv import sales_by
from tests.support.servers import ServerThread

MiB = 1024 * 1024


def assert_echoed(websocket: ClientConnection) -> None:
    """The connection works end to end: the echo engine answers."""
    websocket.send("ping")
    assert websocket.recv(timeout=30) == "ping"


def refused_handshake(
    web: ServerThread, headers: dict[str, str], path: str = ECHO_PATH, origin: str | None = None
) -> Response:
    """The web app's HTTP answer to a websocket handshake it must refuse."""
    with pytest.raises(InvalidStatus) as refused:
        connect(
            web.url.replace("http", "ws", 1) + path,
            origin=origin or web.url,  # type: ignore[arg-type]
            additional_headers=headers,
        )
    return refused.value.response


def closed_code(websocket: ClientConnection) -> tuple[int, str]:
    """Read until the proxy closes the socket; its close code and reason."""
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            websocket.recv(timeout=30)
    frame = closed.value.rcvd
    return (frame.code, frame.reason) if frame else (1006, "")


def test_the_engine_answers_through_the_proxy(tenant: ProxiedTenant, web: ServerThread) -> None:
    app_id = tenant.emulator.app_id
    with signed_in(web.url) as browser, engine(web, browser, f"/app/{app_id}") as websocket:
        assert "OnConnected" in websocket.recv(timeout=30)
        websocket.send(rpc("OpenDoc", [app_id]))
        doc = websocket.recv(timeout=30)
        handle = int(doc.split('"qHandle": ')[1].split(",")[0])
        websocket.send(rpc("GetObject", ["sales-by-region"], handle, 2))
        obj = websocket.recv(timeout=30)
        obj_handle = int(obj.split('"qHandle": ')[1].split(",")[0])
        websocket.send(rpc("GetLayout", [], obj_handle, 3))
        layout = websocket.recv(timeout=30)
    for region, total in sales_by("Region").items():
        assert region in layout and str(total.normalize()) in layout.replace(".0,", ",")
    (handshake,) = tenant.log.requests(path=f"/app/{app_id}")
    assert handshake.kind == "websocket" and handshake.header("origin") is None
    assert handshake.header("qlik-csrf-token") and "qlik-csrf-token" not in handshake.query


def test_many_messages_keep_their_order_and_type(tenant: ProxiedTenant, web: ServerThread) -> None:
    with signed_in(web.url) as browser, engine(web, browser) as websocket:
        for index in range(500):
            websocket.send(f"text {index}")
            websocket.send(index.to_bytes(4, "big"))
        answers = [websocket.recv(timeout=30) for _ in range(1000)]
    assert answers[0::2] == [f"text {index}" for index in range(500)]
    assert answers[1::2] == [index.to_bytes(4, "big") for index in range(500)]


def test_large_frames_pass_both_ways(tenant: ProxiedTenant, web: ServerThread) -> None:
    text = "q" * (4 * MiB)
    data = os.urandom(4 * MiB)
    with signed_in(web.url) as browser, engine(web, browser) as websocket:
        websocket.send(text)
        assert websocket.recv(timeout=60) == text
        websocket.send(data)
        assert websocket.recv(timeout=60) == data


def test_the_tenant_waits_while_the_browser_reads_nothing(
    tenant: ProxiedTenant, web: ServerThread
) -> None:
    """Backpressure: the proxy takes a message from the tenant only once the browser has
    taken the previous one, so a browser that stops reading stops the tenant's sender
    (bounded buffers) instead of growing the proxy's memory. Then every message arrives."""
    count, size = 120, 512 * 1024  # 60 MiB: far beyond every buffer on the way
    with signed_in(web.url) as browser, engine(web, browser, max_queue=1) as websocket:
        websocket.send(f"flood {count} {size}")
        stalled = _settled(lambda: tenant.echo.sent)
        assert 0 < stalled < count  # here about 30: TCP buffers and small queues
        for index in range(count):
            message = websocket.recv(timeout=60)
            assert message[:4] == index.to_bytes(4, "big") and len(message) == size
    # The tenant counts a message once its send returns, which may be after we received it:
    # waited for, not sampled after a quiet spell (a starved sender is quiet too).
    assert _eventually(lambda: tenant.echo.sent == count), tenant.echo.sent


def _eventually(holds: Callable[[], bool], limit: float = 60.0) -> bool:
    """Whether ``holds()`` becomes true within ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while not holds():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _settled(read: Callable[[], int], quiet: float = 1.0, limit: float = 60.0) -> int:
    """The value of ``read()`` once it is above 0 and has not changed for ``quiet`` s."""
    start = time.monotonic()
    while read() == 0 and time.monotonic() - start < limit:
        time.sleep(0.05)
    value, since = read(), time.monotonic()
    while time.monotonic() - start < limit:
        time.sleep(0.1)
        now = read()
        if now != value:
            value, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return value
    raise AssertionError(f"still changing after {limit} s: {value}")


def test_the_browsers_close_code_reaches_the_tenant(
    tenant: ProxiedTenant, web: ServerThread
) -> None:
    tenant.echo.done.clear()
    with signed_in(web.url) as browser, engine(web, browser) as websocket:
        assert_echoed(websocket)
        websocket.close(4001, "the user left the page")
    assert tenant.echo.done.wait(30)
    assert tenant.echo.closed_with[-1] == 4001


def test_the_tenants_close_code_and_reason_reach_the_browser(
    tenant: ProxiedTenant, web: ServerThread
) -> None:
    with signed_in(web.url) as browser, engine(web, browser) as websocket:
        websocket.send("close 4002 engine session ended")
        assert closed_code(websocket) == (4002, "engine session ended")


def test_the_tenants_close_wins_over_a_browser_still_sending(
    tenant: ProxiedTenant, web: ServerThread
) -> None:
    with signed_in(web.url) as browser, engine(web, browser) as websocket:
        websocket.send("close 4003 engine busy")
        with contextlib.suppress(ConnectionClosed):  # the socket may close meanwhile
            for index in range(200):
                websocket.send(f"more {index}")
        assert closed_code(websocket) == (4003, "engine busy")


def test_a_browser_that_vanishes_closes_the_tenants_socket(
    tenant: ProxiedTenant, web: ServerThread
) -> None:
    tenant.echo.done.clear()
    with signed_in(web.url) as browser, engine(web, browser) as websocket:
        assert_echoed(websocket)
        # An abortive close: RST, no close frame (a browser tab killed, a network drop).
        websocket.socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        websocket.socket.shutdown(socket.SHUT_RDWR)
        assert tenant.echo.done.wait(30)
    assert tenant.echo.closed_with[-1] == 1001  # "going away", passed on by the proxy


def test_a_tenant_that_vanishes_closes_the_browsers_socket_with_1014(
    tenant: ProxiedTenant, tmp_path: Path
) -> None:
    with TcpRelay(tenant.emulator.server.port) as relay:
        settings = tenant.settings(tmp_path, tenant_url=relay.url)
        with (
            proxy_web_app(tenant, settings) as web,
            signed_in(web.url) as browser,
            engine(web, browser) as websocket,
        ):
            assert_echoed(websocket)
            relay.cut()
            code, reason = closed_code(websocket)
    assert code == 1014  # bad gateway: the tenant's side broke off without a close frame
    assert "lost" in reason


def test_a_tenant_gone_before_the_handshake_is_a_502(tenant: ProxiedTenant, tmp_path: Path) -> None:
    relay = TcpRelay(tenant.emulator.server.port).start()
    settings = tenant.settings(tmp_path, tenant_url=relay.url)
    with proxy_web_app(tenant, settings) as web, signed_in(web.url) as browser:
        assert browser.get("/api/v1/csrf-token").status_code == 204  # logged in
        relay.stop()  # nothing listens there any more
        answer = refused_handshake(web, {"Cookie": cookie_header(browser)})
    assert answer.status_code == 502
    assert b'"code":"tenant-unreachable"' in (answer.body or b"")
    assert relay.url.encode() in (answer.body or b"")


@pytest.mark.parametrize(
    ("path", "headers", "status", "code"),
    [
        (ECHO_PATH, {}, 401, "not-signed-in"),
        ("/app/%2e%2e/x", None, 400, "bad-path"),
    ],
)
def test_refused_handshakes_answer_in_the_apps_error_shape(
    tenant: ProxiedTenant,
    web: ServerThread,
    path: str,
    headers: dict[str, str] | None,
    status: int,
    code: str,
) -> None:
    with signed_in(web.url) as browser:
        sent = headers if headers is not None else {"Cookie": cookie_header(browser)}
        answer = refused_handshake(web, sent, path)
    assert answer.status_code == status
    assert f'"code":"{code}"' in answer.body.decode()
    assert tenant.log.requests(path=ECHO_PATH) == []


def test_a_handshake_the_tenant_refuses_is_passed_on_with_qliks_code(
    tenant: ProxiedTenant, web: ServerThread
) -> None:
    """Not an expired session (no re-login): a stale CSRF token is Qlik's 403 CSRF-TOKEN-2,
    answered to the browser as ``engine-refused`` with that status and code."""
    with signed_in(web.url) as browser:
        assert browser.get("/api/v1/csrf-token").status_code == 204  # logged in
        proxy = web.server.config.app.state.proxy
        store = proxy.store  # the app's own store
        key = store_key(browser.cookies["qlik-jwt-proxy"])
        session = asyncio.run(store.get(key))
        assert session is not None
        asyncio.run(store.put(key, dataclasses.replace(session, csrf_token="stale")))
        proxy.sessions.drop_cached(key)  # changed behind the app's back: not its copy
        answer = refused_handshake(web, {"Cookie": cookie_header(browser)})
    assert answer.status_code == 403
    error = json.loads(answer.body or b"")["error"]
    assert error["code"] == "engine-refused"
    assert "403 (CSRF-TOKEN-2" in error["message"] and "stale" not in error["message"]
    assert tenant.log.logins() == 1


def test_another_sites_page_cannot_open_the_engine(
    tenant: ProxiedTenant, web: ServerThread
) -> None:
    with signed_in(web.url) as browser:
        headers = {"Cookie": cookie_header(browser)}
        answer = refused_handshake(web, headers, origin="https://evil.example")
    assert answer.status_code == 403
    assert b"cross-origin-request" in (answer.body or b"")
    assert tenant.log.logins() == 0

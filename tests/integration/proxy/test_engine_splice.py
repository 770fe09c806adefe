"""The spliced engine websocket (as `qlik-jwt serve` runs it): what passing bytes through
must keep, with real clients, a real tenant and the web app on uvicorn with the splice
protocol. The behaviour both paths share is in test_engine_socket.py (spliced) and
test_engine_relay.py (the message relay under another server)."""

from __future__ import annotations

import base64
import hashlib
import socket
import struct
import threading
import time
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.support.proxy import (
    ECHO_PATH,
    ProxiedTenant,
    TcpRelay,
    cookie_header,
    engine,
    proxy_web_app,
    signed_in,
)
from tests.support.servers import ServerThread
from tests.support.webapp import page_csrf_token

SESSION_ENDED = 4401
WEBSOCKET_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 §1.3


def test_a_deflate_offer_reaches_the_tenant_and_its_answer_comes_back(
    tenant: ProxiedTenant, web: ServerThread
) -> None:
    """The browser's permessage-deflate offer is the tenant's to answer; compressed frames
    then pass through the proxy untouched."""
    text = "sales by region " * 50_000  # 800 KB that deflate shrinks a lot
    with (
        signed_in(web.url) as browser,
        connect(
            web.url.replace("http", "ws", 1) + ECHO_PATH,
            origin=web.url,  # type: ignore[arg-type]
            additional_headers={"Cookie": cookie_header(browser)},
            compression="deflate",
            max_size=None,
        ) as websocket,
    ):
        answer = websocket.response.headers.get("Sec-WebSocket-Extensions") or ""
        websocket.send(text)
        assert websocket.recv(timeout=30) == text
    (handshake,) = tenant.log.requests(path=ECHO_PATH)
    assert "permessage-deflate" in (handshake.header("sec-websocket-extensions") or "")
    assert answer.startswith("permessage-deflate")  # the tenant's answer, passed back


def test_no_offer_means_no_deflate(tenant: ProxiedTenant, web: ServerThread) -> None:
    with signed_in(web.url) as browser, engine(web, browser) as websocket:
        assert websocket.response.headers.get("Sec-WebSocket-Extensions") is None
        websocket.send("plain")
        assert websocket.recv(timeout=30) == "plain"
    (handshake,) = tenant.log.requests(path=ECHO_PATH)
    assert handshake.header("sec-websocket-extensions") is None


def test_fragmented_messages_pass_whole(tenant: ProxiedTenant, web: ServerThread) -> None:
    with signed_in(web.url) as browser, engine(web, browser) as websocket:
        websocket.send(["frag", "mented ", "text"])
        assert websocket.recv(timeout=30) == "fragmented text"
        websocket.send([b"\x00" * 70_000, b"\x01" * 3, b"\x02" * 200])  # 16- and 64-bit lengths
        assert websocket.recv(timeout=30) == b"\x00" * 70_000 + b"\x01" * 3 + b"\x02" * 200
        websocket.send("after")
        assert websocket.recv(timeout=30) == "after"


def test_a_session_end_mid_stream_closes_at_a_frame_boundary(
    tenant: ProxiedTenant, web: ServerThread
) -> None:
    """Signed out while large frames are on their way: the browser reads every frame whole,
    then the proxy's close (a close written inside a frame would break the connection:
    the client would report a protocol error, 1002, instead)."""
    count, size = 60, 512 * 1024
    with signed_in(web.url) as browser, engine(web, browser, max_queue=1) as websocket:
        websocket.send(f"flood {count} {size}")
        first = websocket.recv(timeout=30)
        assert isinstance(first, bytes) and len(first) == size
        time.sleep(0.3)  # the proxy's buffers toward the browser fill up; reading stops
        answer = browser.post(
            "/sign-out",
            data={"csrf_token": page_csrf_token(browser)},
            headers={"Origin": web.url},
        )
        assert answer.status_code == 303
        received = 1
        with pytest.raises(ConnectionClosed):
            while True:
                message = websocket.recv(timeout=30)
                assert isinstance(message, bytes) and len(message) == size
                assert message[:4] == received.to_bytes(4, "big")
                received += 1
        assert (websocket.close_code, websocket.close_reason) == (SESSION_ENDED, "signed-out")
    assert 1 <= received < count
    assert tenant.echo.done.wait(10)  # the tenant's side is closed too


def test_a_slow_browser_holds_the_tenant_back_not_the_proxys_memory(
    tenant: ProxiedTenant, web: ServerThread
) -> None:
    """Backpressure through the splice: while the browser reads nothing, what the proxy
    holds toward it stays near one transport buffer (its high-water mark, 64 KiB, plus one
    read), however much the tenant has to send."""
    count, size = 200, 256 * 1024  # 50 MiB
    with signed_in(web.url) as browser, engine(web, browser, max_queue=1) as websocket:
        websocket.send(f"flood {count} {size}")
        time.sleep(1.5)
        buffered = _largest_write_buffer(web)
        for _ in range(count):
            assert len(websocket.recv(timeout=60)) == size
    assert buffered <= 512 * 1024, buffered
    assert tenant.echo.sent == count


def _largest_write_buffer(web: ServerThread) -> int:
    """The largest write buffer among the web app's open websocket connections."""
    connections = list(web.server.server_state.connections)
    return max((c.transport.get_write_buffer_size() for c in connections), default=0)


def test_many_sockets_at_once_each_get_their_own_answers(
    tenant: ProxiedTenant, web: ServerThread
) -> None:
    failures: list[str] = []

    def talk(browser: httpx.Client, index: int) -> None:
        try:
            with engine(web, browser) as websocket:
                for turn in range(50):
                    websocket.send(f"{index}:{turn}")
                    if websocket.recv(timeout=30) != f"{index}:{turn}":
                        failures.append(f"{index}:{turn}")
        except (OSError, ConnectionClosed) as exc:
            failures.append(f"{index}: {exc!r}")

    with signed_in(web.url) as browser:
        threads = [threading.Thread(target=talk, args=(browser, index)) for index in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert failures == []


def test_a_server_shutting_down_closes_spliced_sockets_with_1012(
    tenant: ProxiedTenant, tmp_path: Path
) -> None:
    tenant.echo.done.clear()
    with proxy_web_app(tenant, tenant.settings(tmp_path)) as web, signed_in(web.url) as browser:
        with engine(web, browser) as websocket:
            websocket.send("ping")
            assert websocket.recv(timeout=30) == "ping"
            stopping = threading.Thread(target=web.stop)
            stopping.start()
            with pytest.raises(ConnectionClosed):
                websocket.recv(timeout=30)
            assert websocket.close_code == 1012  # service restart: the browser may reconnect
        stopping.join(30)
        assert not stopping.is_alive()
    assert tenant.echo.done.wait(10)
    assert tenant.echo.closed_with[-1] == 1001


def test_both_spliced_connections_have_tcp_keepalive(web: ServerThread) -> None:
    """No pings of the proxy's own through the splice: a peer gone without a FIN is found by
    TCP keepalive, on the browser's and the tenant's connection alike."""
    with signed_in(web.url) as browser, engine(web, browser) as websocket:
        websocket.send("ping")
        assert websocket.recv(timeout=30) == "ping"
        connections = web.server.server_state.connections
        (spliced,) = [c for c in connections if getattr(c, "splice", None) is not None]
        for transport in (spliced.transport, spliced.splice.tenant.leg.transport):
            sock = transport.get_extra_info("socket")
            assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 30


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: bm90IHRoaXMga2V5\r\nSet-Cookie: _session=TENANT-SECRET\r\n\r\n",
            "Sec-WebSocket-Accept",
        ),
        (b"HTTP/1.1 101 Switching\r\nSet-Cookie: TENANT-SECRET\r\nbroken header\r\n\r\n", "HTTP"),
    ],
)
def test_a_broken_upgrade_answer_is_a_502_that_quotes_nothing_of_it(
    tenant: ProxiedTenant, tmp_path: Path, answer: bytes, said: str
) -> None:
    with TcpRelay(tenant.emulator.server.port) as relay:
        settings = tenant.settings(tmp_path, tenant_url=relay.url)
        with proxy_web_app(tenant, settings) as web, signed_in(web.url) as browser:
            assert browser.get("/api/v1/csrf-token").status_code == 204  # logged in
            relay.upgrade_answer = lambda request: answer
            with pytest.raises(InvalidStatus) as refused:
                connect(
                    web.url.replace("http", "ws", 1) + ECHO_PATH,
                    origin=web.url,  # type: ignore[arg-type]
                    additional_headers={"Cookie": cookie_header(browser)},
                )
    body = (refused.value.response.body or b"").decode()
    assert refused.value.response.status_code == 502
    assert '"code":"tenant-unreachable"' in body and said in body
    assert "TENANT-SECRET" not in body


def _accepting_then_closing(request: bytes) -> bytes:
    """A valid 101 for ``request``, a close frame right behind it, then nothing: a tenant
    that ends the engine session at once (before the proxy has answered the browser)."""
    key = next(
        line.split(b":", 1)[1].strip()
        for line in request.split(b"\r\n")
        if line.lower().startswith(b"sec-websocket-key:")
    )
    accept = base64.b64encode(hashlib.sha1(key + WEBSOCKET_GUID, usedforsecurity=False).digest())
    return (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: "
        + accept
        + b"\r\n\r\n"
        + bytes((0x88, 8))
        + struct.pack("!H", 4003)
        + b"no app"
    )


def test_a_tenant_that_closes_at_once_is_passed_on_whole(
    tenant: ProxiedTenant, tmp_path: Path
) -> None:
    """What the tenant sent with its 101 reaches the browser after the proxy's 101, and the
    tenant's end right behind it closes the browser's side (whether it came before or after
    the splice was attached)."""
    with TcpRelay(tenant.emulator.server.port) as relay:
        settings = tenant.settings(tmp_path, tenant_url=relay.url)
        with proxy_web_app(tenant, settings) as web, signed_in(web.url) as browser:
            assert browser.get("/api/v1/csrf-token").status_code == 204  # logged in
            relay.upgrade_answer = _accepting_then_closing
            with engine(web, browser) as websocket, pytest.raises(ConnectionClosed):
                websocket.recv(timeout=30)
    assert (websocket.close_code, websocket.close_reason) == (4003, "no app")

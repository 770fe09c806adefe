"""The engine websocket under a server without the splice (uvicorn's own websocket protocol,
as a host app's uvicorn serves the FastAPI drop-in): messages are relayed, with the same
answers, closes and session ends as the spliced path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed

from tests.support.proxy import ECHO_PATH, ProxiedTenant, engine, proxy_web_app, signed_in
from tests.support.servers import ServerThread
from tests.support.webapp import page_csrf_token

SESSION_ENDED = 4401


@pytest.fixture()
def relayed(tenant: ProxiedTenant, tmp_path: Path) -> Iterator[ServerThread]:
    with proxy_web_app(tenant, tenant.settings(tmp_path), ws="websockets-sansio") as server:
        yield server


def test_messages_are_relayed_without_the_splice(
    tenant: ProxiedTenant, relayed: ServerThread
) -> None:
    with signed_in(relayed.url) as browser, engine(relayed, browser) as websocket:
        websocket.send("text")
        assert websocket.recv(timeout=30) == "text"
        websocket.send(["frag", "ments"])
        assert websocket.recv(timeout=30) == "fragments"
        websocket.send(b"\x00\x01")
        assert websocket.recv(timeout=30) == b"\x00\x01"
    (handshake,) = tenant.log.requests(path=ECHO_PATH)
    assert handshake.header("qlik-csrf-token") and handshake.header("origin") is None


def test_close_codes_pass_both_ways(tenant: ProxiedTenant, relayed: ServerThread) -> None:
    tenant.echo.done.clear()
    with signed_in(relayed.url) as browser:
        with engine(relayed, browser) as websocket:
            websocket.send("close 4002 engine session ended")
            with pytest.raises(ConnectionClosed):
                websocket.recv(timeout=30)
            assert (websocket.close_code, websocket.close_reason) == (
                4002,
                "engine session ended",
            )
        with engine(relayed, browser) as websocket:
            websocket.send("ping")
            assert websocket.recv(timeout=30) == "ping"
            tenant.echo.done.clear()
            websocket.close(4001, "the user left the page")
    assert tenant.echo.done.wait(30)
    assert tenant.echo.closed_with[-1] == 4001


def test_sign_out_closes_the_relayed_socket(relayed: ServerThread) -> None:
    with signed_in(relayed.url) as browser, engine(relayed, browser) as websocket:
        websocket.send("ping")
        assert websocket.recv(timeout=30) == "ping"
        answer = browser.post(
            "/sign-out",
            data={"csrf_token": page_csrf_token(browser)},
            headers={"Origin": relayed.url},
        )
        assert answer.status_code == 303
        with pytest.raises(ConnectionClosed):
            while True:
                websocket.recv(timeout=5)
        assert (websocket.close_code, websocket.close_reason) == (SESSION_ENDED, "signed-out")

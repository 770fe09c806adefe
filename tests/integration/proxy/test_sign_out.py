"""What outlives a user's sign-out (issue 12): cached answers, the engine socket, the Qlik
session at the tenant and in the store."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.support.proxy import (
    ASSET_CACHING,
    ASSET_PATH,
    ECHO_PATH,
    ProxiedTenant,
    cookie_header,
    engine,
    proxy_web_app,
    signed_in,
)
from tests.support.servers import ServerThread
from tests.support.webapp import ADA, GRACE, FakeClock, page_csrf_token, sign_in

SESSION_ENDED = 4401  # the close code the proxy documents (not imported: tests pin the value)

USER_SPECIFIC = "private, no-store"


def test_answers_that_depend_on_the_user_are_not_cached(
    tenant: ProxiedTenant, web: ServerThread
) -> None:
    with signed_in(web.url) as browser:
        me = browser.get("/api/v1/users/me")
        assert me.status_code == 301  # the redirect a browser cached for the next user
        assert me.headers["cache-control"] == USER_SPECIFIC
        user = browser.get(me.headers["location"])
        assert user.headers["cache-control"] == USER_SPECIFIC
        single = browser.get("/single/", params={"appid": tenant.emulator.app_id})
        assert single.headers["cache-control"] == USER_SPECIFIC
        # A static asset keeps the tenant's own caching.
        asset = browser.get(ASSET_PATH)
        assert asset.status_code == 200
        assert asset.headers["cache-control"] == ASSET_CACHING


def test_sign_out_asks_the_browser_to_clear_the_sites_cache_and_storage(
    web: ServerThread,
) -> None:
    with signed_in(web.url) as browser:
        answer = browser.post(
            "/sign-out",
            data={"csrf_token": page_csrf_token(browser)},
            headers={"Origin": web.url},
        )
    assert answer.status_code == 303
    assert answer.headers["clear-site-data"] == '"cache", "storage"'


# -- the engine socket, the Qlik session and the store end with the host session ---------------


def _sign_out(web: ServerThread, browser: httpx.Client) -> httpx.Response:
    answer = browser.post(
        "/sign-out", data={"csrf_token": page_csrf_token(browser)}, headers={"Origin": web.url}
    )
    assert answer.status_code == 303
    return answer


def _closed_within(websocket: ClientConnection, seconds: float) -> tuple[int, str, float]:
    """The close code, reason and seconds until the proxy closed ``websocket``."""
    started = time.monotonic()
    with pytest.raises(ConnectionClosed):
        while True:  # whatever the engine still sends before the close
            websocket.recv(timeout=seconds)
    assert websocket.close_code is not None
    return websocket.close_code, websocket.close_reason or "", time.monotonic() - started


def test_sign_out_in_one_tab_closes_the_engine_socket_of_another(
    tenant: ProxiedTenant, web: ServerThread
) -> None:
    with signed_in(web.url) as browser, engine(web, browser) as websocket:
        websocket.send("ping")
        assert websocket.recv(timeout=30) == "ping"
        signed_out_at = time.monotonic()
        _sign_out(web, browser)
        code, reason, _ = _closed_within(websocket, 5)
        elapsed = time.monotonic() - signed_out_at
    assert (code, reason) == (SESSION_ENDED, "signed-out")
    assert elapsed < 1.0
    assert tenant.echo.done.wait(5)  # the tenant's side is closed too


def test_signing_in_as_another_user_closes_the_previous_users_socket(
    web: ServerThread,
) -> None:
    with signed_in(web.url, ADA) as browser, engine(web, browser) as websocket:
        websocket.send("ping")
        assert websocket.recv(timeout=30) == "ping"
        assert sign_in(browser, GRACE.username, GRACE.password).status_code == 303
        code, reason, elapsed = _closed_within(websocket, 5)
    assert (code, reason) == (SESSION_ENDED, "user-changed")
    assert elapsed < 1.0


def test_the_host_session_expiring_closes_the_socket(tenant: ProxiedTenant, tmp_path: Path) -> None:
    clock = FakeClock(time.time())
    settings = tenant.settings(tmp_path, web_session_lifetime=600)
    with (
        proxy_web_app(tenant, settings, clock=clock) as web,
        signed_in(web.url) as browser,
        engine(web, browser) as websocket,
    ):
        websocket.send("ping")
        assert websocket.recv(timeout=30) == "ping"
        clock.advance(599)
        websocket.send("still here")
        assert websocket.recv(timeout=30) == "still here"
        clock.advance(2)
        code, reason, elapsed = _closed_within(websocket, 5)
    assert (code, reason) == (SESSION_ENDED, "session-expired")
    assert elapsed < 1.0


def test_a_handshake_that_completes_after_sign_out_is_refused(
    tenant: ProxiedTenant, web: ServerThread
) -> None:
    tenant.echo.accept_delay = 1.0  # the tenant takes a second to accept
    with signed_in(web.url) as browser:
        assert browser.get("/api/v1/csrf-token").status_code == 204
        cookies = cookie_header(browser)
        outcome: list[BaseException | None] = []

        def open_socket() -> None:
            try:
                with connect(
                    web.url.replace("http", "ws", 1) + ECHO_PATH,
                    origin=web.url,  # type: ignore[arg-type]
                    additional_headers={"Cookie": cookies},
                    open_timeout=30,
                ):
                    outcome.append(None)
            except (InvalidStatus, ConnectionClosed) as exc:
                outcome.append(exc)

        opening = threading.Thread(target=open_socket)
        opening.start()
        time.sleep(0.4)  # the proxy is waiting for the tenant
        _sign_out(web, browser)
        opening.join(30)
    (refusal,) = outcome
    assert isinstance(refusal, InvalidStatus)
    assert refusal.response.status_code == 401
    assert b"session-ended" in refusal.response.body


def _stored_session_cookie(tenant: ProxiedTenant) -> str:
    """The Cookie header the proxy sent the tenant for the browser's Qlik session."""
    calls = [call for call in tenant.log.received if call.path.startswith("/api/")]
    cookie = calls[-1].header("cookie")
    assert cookie and "eas.sid=" in cookie
    return cookie


def test_sign_out_ends_the_qlik_session_at_the_tenant_and_in_the_store(
    tenant: ProxiedTenant, tmp_path: Path
) -> None:
    settings = tenant.settings(tmp_path)
    store = tmp_path / "proxy-sessions.sqlite3"
    with proxy_web_app(tenant, settings) as web, signed_in(web.url) as browser:
        assert browser.get("/api/v1/csrf-token").status_code == 204
        assert browser.get("/api/v1/users/me").status_code == 301
        cookie = _stored_session_cookie(tenant)
        sid = cookie.split("eas.sid=", 1)[1].split(";", 1)[0]
        assert any(sid.encode() in path.read_bytes() for path in _store_files(store))
        _sign_out(web, browser)
        # The tenant no longer knows the session.
        with httpx.Client(base_url=tenant.url) as direct:
            assert direct.get("/api/v1/users/me", headers={"Cookie": cookie}).status_code == 401
        # Nothing of it is left in the store's files, its write-ahead log included.
        assert all(sid.encode() not in path.read_bytes() for path in _store_files(store))
    assert tenant.log.requests("POST", "/logout")


def _store_files(store: Path) -> list[Path]:
    return [path for path in (store, Path(f"{store}-wal")) if path.exists()]

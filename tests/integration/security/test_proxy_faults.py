"""Proxy mode when the tenant is slow, answers 5xx, or goes away and comes back: the browser
gets a clear error within a bounded time, and the same signed-in browser works again once the
tenant does, REST and the engine websocket alike, without signing in again.

(``tests/integration/proxy`` covers a tenant down or silent from the start, and connections
cut mid-websocket; these tests add the faults of a running tenant and the recovery.)
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from qlik_jwt import keys
from qlik_jwt.embedding.audit import AUDIT_LOGGER
from qlik_jwt.signer import TokenSigner
from tests.support.emulator import RunningEmulator, TestClock, running_emulator
from tests.support.proxy import (
    ISSUER,
    KEY_ID,
    ProxiedTenant,
    cookie_header,
    proxied_tenant,
    proxy_web_app,
    rpc,
    signed_in,
)
from tests.support.servers import ServerThread, free_port
from tests.support.webapp import make_app, web_settings

BOUND = 10.0  # every failure is answered well within this


@pytest.fixture()
def tenant(key_dir: Path) -> Iterator[ProxiedTenant]:
    with proxied_tenant(key_dir) as running:
        yield running


def fault(emulator: RunningEmulator, **settings: Any) -> None:
    emulator.admin.put("/_emulator/faults", json=settings).raise_for_status()


def timed(call: Any) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    answer = call()
    return answer, time.monotonic() - started


def test_a_slow_tenant_is_a_504_then_the_same_session_works_again(
    tenant: ProxiedTenant, tmp_path: Path
) -> None:
    settings = tenant.settings(tmp_path, proxy_timeout=0.5)
    with proxy_web_app(tenant, settings) as web, signed_in(web.url) as browser:
        assert browser.get("/api/v1/csrf-token").status_code == 204  # logged in
        fault(tenant.emulator, latency_ms=3000)
        slow, took = timed(lambda: browser.get("/api/v1/csrf-token"))
        assert slow.status_code == 504
        assert slow.json()["error"]["code"] == "tenant-timeout"
        assert took < BOUND
        tenant.emulator.admin.delete("/_emulator/faults").raise_for_status()
        assert browser.get("/api/v1/csrf-token").status_code == 204
    assert tenant.log.logins() == 1  # the Qlik session outlived the fault
    print(f"\nproxy, slow tenant: 504 after {took:.2f} s (timeout 0.5 s)")


def test_a_tenant_answering_503_is_passed_on_then_recovers(
    tenant: ProxiedTenant, web: ServerThread
) -> None:
    with signed_in(web.url) as browser:
        assert browser.get("/api/v1/csrf-token").status_code == 204
        fault(tenant.emulator, errors=[{"path": "/api/v1/*", "status": 503, "count": None}])
        failing, took = timed(lambda: browser.get("/api/v1/items"))
        assert failing.status_code == 503
        assert failing.json()["errors"][0]["meta"]["reason"] == "forced_fault"  # Qlik's shape
        assert took < BOUND
        tenant.emulator.admin.delete("/_emulator/faults").raise_for_status()
        assert browser.get("/api/v1/items").status_code == 200
    assert tenant.log.logins() == 1  # a 5xx is not mistaken for an expired session


def test_a_login_refused_with_503_is_named_then_the_next_call_logs_in(
    tenant: ProxiedTenant, web: ServerThread
) -> None:
    fault(tenant.emulator, errors=[{"path": "/login/jwt-session", "status": 503, "count": 1}])
    with signed_in(web.url) as browser:
        refused, took = timed(lambda: browser.get("/api/v1/csrf-token"))
        assert refused.status_code == 502
        error = refused.json()["error"]
        assert error["code"] == "qlik-login-refused" and "503" in error["message"]
        assert took < BOUND
        assert browser.get("/api/v1/csrf-token").status_code == 204
    assert tenant.log.logins() == 2


@pytest.fixture()
def web(tenant: ProxiedTenant, tmp_path: Path) -> Iterator[ServerThread]:
    with proxy_web_app(tenant, tenant.settings(tmp_path)) as server:
        yield server


def test_a_tenant_that_restarts_drops_the_engine_socket_then_serves_the_same_browser(
    key_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port, admin_key, clock = free_port(), "restart-admin-key-0123456789abcdef", TestClock()
    state = str(tmp_path / "tenant.sqlite3")
    signer = TokenSigner(
        keys.load_private_key(key_dir / "private.pem"), KEY_ID, ISSUER, clock=clock
    )
    stack = ExitStack()  # the web app and the browser outlive the first tenant
    with running_emulator(db=state, port=port, admin_key=admin_key, clock=clock) as first:
        certificate = (key_dir / "certificate.pem").read_bytes()
        provisioned = first.provision(signer, certificate, origins=["http://unused.invalid"])
        app_id = first.app_id
        settings = web_settings(
            key_dir,
            tenant_url=first.url,
            web_integration_id=provisioned.web_integration_id,
            app_id=app_id,
            web_mode="proxy",
            proxy_session_store=f"sqlite:///{tmp_path / 'proxy-sessions.sqlite3'}",
            users_db=str(tmp_path / "web.sqlite3"),
        )
        caplog.set_level(logging.INFO, logger=AUDIT_LOGGER)
        web = stack.enter_context(ServerThread(make_app(settings, signer=signer)))
        browser = stack.enter_context(signed_in(web.url))
        assert browser.get("/api/v1/csrf-token").status_code == 204
        socket_url = web.url.replace("http", "ws", 1) + f"/app/{app_id}"
        headers = {"Cookie": cookie_header(browser)}
        engine = stack.enter_context(
            connect(socket_url, origin=web.url, additional_headers=headers)  # type: ignore[arg-type]
        )
        assert "OnConnected" in str(engine.recv(timeout=30))
        first.close(wait=True)  # the tenant goes away
    with stack:
        started = time.monotonic()
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                engine.recv(timeout=BOUND)
        dropped = time.monotonic() - started
        assert dropped < BOUND  # the browser's socket is closed, not left hanging
        code = closed.value.rcvd.code if closed.value.rcvd else 1006
        down, took = timed(lambda: browser.get("/api/v1/csrf-token"))
        assert down.status_code == 502 and down.json()["error"]["code"] == "tenant-unreachable"
        assert took < BOUND
        with running_emulator(db=state, port=port, admin_key=admin_key, clock=clock):
            back, recovered = timed(lambda: browser.get("/api/v1/csrf-token"))
            assert back.status_code == 204
            reopened = connect(socket_url, origin=web.url, additional_headers=headers)  # type: ignore[arg-type]
            with reopened as again:
                assert "OnConnected" in str(again.recv(timeout=30))
                again.send(rpc("OpenDoc", [app_id]))
                assert "qHandle" in str(again.recv(timeout=30))
    print(
        f"\nproxy, tenant restart: engine socket closed ({code}) {dropped:.2f} s after the "
        f"tenant stopped; REST 502 in {took:.2f} s; back in {recovered:.2f} s, no new login"
    )
    logins = [json.loads(r.getMessage()) for r in caplog.records if r.name == AUDIT_LOGGER]
    assert [(line["via"], line["client"]) for line in logins] == [("proxy", "127.0.0.1")]

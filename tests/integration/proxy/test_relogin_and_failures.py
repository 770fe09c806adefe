"""An expired Qlik session is renewed transparently (once); a tenant that refuses, is down
or hangs gets a clear answer in the web app's error shape, in bounded time."""

from __future__ import annotations

import socket
import time
from pathlib import Path

from websockets.sync.client import connect

from qlik_jwt.emulator import FaultSettings, ForcedError
from tests.support.proxy import (
    ECHO_PATH,
    ProxiedTenant,
    cookie_header,
    proxy_web_app,
    signed_in,
)
from tests.support.servers import ServerThread, free_port

INACTIVITY = 1800  # the emulator's default session inactivity timeout (Qlik's)


def test_an_expired_session_is_renewed_transparently(
    tenant: ProxiedTenant, web: ServerThread
) -> None:
    with signed_in(web.url) as browser:
        assert browser.get("/api/v1/users/me").status_code == 301
        assert tenant.log.logins() == 1
        tenant.emulator.clock.advance(INACTIVITY + 1)  # the tenant's clock: the session ends
        me = browser.get("/api/v1/users/me", follow_redirects=True)
        assert me.status_code == 200 and me.json()["subject"] == "demo|ada"
        assert tenant.log.logins() == 2
        # The first call, the one the tenant refused, and its retry:
        assert len(tenant.log.requests("GET", "/api/v1/users/me")) == 3

        tenant.emulator.clock.advance(INACTIVITY + 1)
        frame = browser.get(
            "/single/", params={"appid": tenant.emulator.app_id, "obj": "kpi-total-sales"}
        )
        assert frame.status_code == 200 and "/login" not in frame.text  # not the login page
        assert tenant.log.logins() == 3

        tenant.emulator.clock.advance(INACTIVITY + 1)
        url = web.url.replace("http", "ws", 1) + ECHO_PATH
        headers = {"Cookie": cookie_header(browser)}
        with connect(url, origin=web.url, additional_headers=headers) as websocket:  # type: ignore[arg-type]
            websocket.send("still here")
            assert websocket.recv(timeout=30) == "still here"
        assert tenant.log.logins() == 4
    assert tenant.emulator.tenant.sessions.count() == 1  # expired ones were dropped


def test_a_post_is_sent_again_after_the_renewal(tenant: ProxiedTenant, web: ServerThread) -> None:
    with signed_in(web.url) as browser:
        browser.get("/api/v1/csrf-token")
        tenant.emulator.clock.advance(INACTIVITY + 1)
        answer = browser.post(
            "/api/v1/spaces", json={"name": "s", "type": "shared"}, headers={"Origin": web.url}
        )
    assert answer.json()["errors"][0]["meta"]["reason"] == "not_admin"  # past the session
    posts = tenant.log.requests("POST", "/api/v1/spaces")
    assert len(posts) == 2 and posts[0].header("content-length") == posts[1].header(
        "content-length"
    )
    assert posts[0].header("qlik-csrf-token") != posts[1].header("qlik-csrf-token")  # new session


def test_one_retry_then_a_clear_error(tenant: ProxiedTenant, web: ServerThread) -> None:
    with signed_in(web.url) as browser:
        assert browser.get("/api/v1/csrf-token").status_code == 204
        tenant.emulator.tenant.faults.replace(
            FaultSettings(errors=[ForcedError(path="/api/v1/users/me", status=401, count=None)])
        )
        answer = browser.get("/api/v1/users/me")
    assert answer.status_code == 502
    error = answer.json()["error"]
    assert error["code"] == "qlik-session-refused"
    assert "GET /api/v1/users/me answered 401" in error["message"]
    assert tenant.log.logins() == 2  # the first login and exactly one renewal
    assert len(tenant.log.requests("GET", "/api/v1/users/me")) == 2


def test_a_refused_login_names_qliks_error_and_the_fix(
    tenant: ProxiedTenant, web: ServerThread
) -> None:
    admin = tenant.emulator.admin
    admin.delete(f"/api/v1/identity-providers/{tenant.provisioned.identity_provider_id}")
    with signed_in(web.url) as browser:
        answer = browser.get("/api/v1/csrf-token")
    assert answer.status_code == 502
    error = answer.json()["error"]
    assert error["code"] == "qlik-login-refused"
    assert "POST /login/jwt-session answered 401" in error["message"]
    assert "QLIK_ISSUER" in error["fix"]  # unknown issuer: the identity provider is gone
    assert "eyJ" not in answer.text  # no token in the answer


def test_a_tenant_that_is_down_is_named_at_once(tenant: ProxiedTenant, tmp_path: Path) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    with (
        proxy_web_app(tenant, tenant.settings(tmp_path, tenant_url=down)) as web,
        signed_in(web.url) as browser,
    ):
        started = time.monotonic()
        answer = browser.get("/api/v1/csrf-token")
        elapsed = time.monotonic() - started
    assert answer.status_code == 502
    assert answer.json()["error"]["code"] == "tenant-unreachable"
    assert down in answer.json()["error"]["message"]
    assert elapsed < 10  # refused at connect time: no waiting for a timeout


def test_a_tenant_that_does_not_answer_times_out_with_504(
    tenant: ProxiedTenant, tmp_path: Path
) -> None:
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        settings = tenant.settings(tmp_path, tenant_url=url, proxy_timeout=0.5)
        with proxy_web_app(tenant, settings) as web, signed_in(web.url) as browser:
            started = time.monotonic()
            answer = browser.get("/api/v1/users/me")
            elapsed = time.monotonic() - started
    assert answer.status_code == 504
    assert answer.json()["error"]["code"] == "tenant-timeout"
    assert "QLIK_PROXY_TIMEOUT" in answer.json()["error"]["fix"]
    assert elapsed < 10  # the 0.5 s timeout, not the default 15 s


def test_sign_out_drops_the_browsers_qlik_session(tenant: ProxiedTenant, web: ServerThread) -> None:
    with signed_in(web.url) as browser:
        assert browser.get("/api/v1/csrf-token").status_code == 204
        page = browser.get("/").text
        csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        out = browser.post("/sign-out", data={"csrf_token": csrf}, headers={"Origin": web.url})
        assert out.status_code == 303
        assert "qlik-jwt-proxy" not in browser.cookies
        assert browser.get("/api/v1/csrf-token").status_code == 401
    store = web.server.config.app.state.proxy.store  # the app's own store, read directly
    rows = store.database.query("SELECT count(*) AS n FROM proxy_sessions")
    assert rows[0]["n"] == 0

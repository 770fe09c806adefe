"""What crosses the proxy and what does not: none of the host app's credentials go to the
tenant, none of Qlik's reach the browser or the logs, only a signed-in user gets through,
and only as themself."""

from __future__ import annotations

import logging

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.support.proxy import ECHO_PATH, ProxiedTenant, cookie_header, signed_in
from tests.support.servers import ServerThread
from tests.support.webapp import ADA, GRACE

QLIK_COOKIES = {"eas.sid", "eas.sid.sig", "_csrfToken", "_csrfToken.sig"}
HOST_SECRETS = {
    "Authorization": "Bearer host-app-access-token",
    "X-CSRF-Token": "host-app-csrf-token",
    "X-Forwarded-For": "203.0.113.9",
    "Referer": "http://app.example/secret-page?user=ada",
}


def _qlik_secrets(tenant: ProxiedTenant) -> list[str]:
    """The session ids and CSRF tokens the tenant issued (read from its state)."""
    rows = tenant.emulator.tenant.db.query("SELECT sid, csrf_token FROM sessions")
    return [value for row in rows for value in (row["sid"], row["csrf_token"])]


def _everything(web: ServerThread, browser: httpx.Client, tenant: ProxiedTenant) -> None:
    """Every kind of proxied call, each with the host app's credentials attached."""
    browser.cookies.set("host-app-remember-me", "host-cookie-value")
    headers = {**HOST_SECRETS, "Origin": web.url}
    browser.get("/api/v1/csrf-token", headers=headers)
    browser.get("/api/v1/users/me", headers=headers, follow_redirects=True)
    browser.post("/api/v1/spaces", json={"name": "s", "type": "shared"}, headers=headers)
    browser.get(
        "/single/",
        params={"appid": tenant.emulator.app_id, "obj": "kpi-total-sales"},
        headers=headers,
    )
    url = web.url.replace("http", "ws", 1) + ECHO_PATH
    socket_headers = {"Cookie": cookie_header(browser), **HOST_SECRETS}
    with connect(url, origin=web.url, additional_headers=socket_headers) as websocket:  # type: ignore[arg-type]
        websocket.send("hello")
        assert websocket.recv(timeout=30) == "hello"


def test_the_host_apps_cookies_and_headers_never_reach_the_tenant(
    tenant: ProxiedTenant, web: ServerThread
) -> None:
    with signed_in(web.url) as browser:
        host_session = browser.cookies["qlik-jwt-session"]
        proxy_cookie = browser.cookies["qlik-jwt-proxy"]
        _everything(web, browser, tenant)
    received = [r for r in tenant.log.received if r.path != "/login/jwt-session"]
    assert {r.path for r in received} >= {
        "/api/v1/users/me",
        "/api/v1/spaces",
        "/single/",
        ECHO_PATH,
    }
    for request in received:
        names = {name for name, _ in request.headers}
        assert not names & {"authorization", "x-csrf-token", "x-forwarded-for", "referer", "origin"}
        assert request.cookie_names() <= QLIK_COOKIES, request
        for value in (host_session, proxy_cookie, "host-cookie-value", *HOST_SECRETS.values()):
            assert all(value not in header for _, header in request.headers), (request.path, value)
    (login,) = tenant.log.requests("POST", "/login/jwt-session")
    assert login.header("authorization") != HOST_SECRETS["Authorization"]  # our own token


def test_qliks_cookies_and_csrf_token_never_reach_the_browser_or_the_logs(
    tenant: ProxiedTenant, web: ServerThread, caplog: pytest.LogCaptureFixture
) -> None:
    answers: list[httpx.Response] = []

    def keep(response: httpx.Response) -> None:
        response.read()
        answers.append(response)

    with caplog.at_level(logging.DEBUG), signed_in(web.url) as browser:
        browser.event_hooks["response"] = [keep]
        _everything(web, browser, tenant)
    secrets = _qlik_secrets(tenant)
    assert secrets
    assert len(answers) >= 4
    for answer in answers:
        cookies = [v.split("=", 1)[0] for k, v in answer.headers.multi_items() if k == "set-cookie"]
        assert set(cookies) <= {"qlik-jwt-proxy"}, cookies
        assert "qlik-csrf-token" not in answer.headers
        shown = str(answer.headers) + answer.text
        assert not [s for s in secrets if s in shown], answer.request.url
        assert not QLIK_COOKIES & set(shown.replace(";", " ").replace("=", " ").split())
    # Every line at INFO and above, and every line of the web app at any level. (httpcore's
    # own DEBUG wire trace prints answer headers, Set-Cookie included: not for production.)
    ours = [
        r
        for r in caplog.records
        if not r.name.startswith("qlik_jwt.emulator")
        and (r.levelno >= logging.INFO or r.name.startswith("qlik_jwt.web"))
    ]
    logged = "\n".join(f"{r.name} {r.getMessage()}" for r in ours)
    assert "qlik_jwt.web" in logged  # the audit line, at least, was captured
    assert not [s for s in secrets if s in logged]
    assert "eyJ" not in logged  # no token either


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/csrf-token"),
        ("GET", "/api/v1/users/me"),
        ("POST", "/api/v1/spaces"),
        ("GET", "/single/?appid=x&obj=y"),
        ("GET", "/resources/x.js"),
    ],
)
def test_anonymous_callers_get_401_and_the_tenant_sees_nothing(
    tenant: ProxiedTenant, web: ServerThread, method: str, path: str
) -> None:
    with httpx.Client(base_url=web.url) as anonymous:
        answer = anonymous.request(method, path, headers={"Origin": web.url})
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "not-signed-in"
    assert tenant.log.received == []


def test_anonymous_websocket_gets_401(tenant: ProxiedTenant, web: ServerThread) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(web.url.replace("http", "ws", 1) + ECHO_PATH, origin=web.url)  # type: ignore[arg-type]
    assert refused.value.response.status_code == 401
    assert tenant.log.received == []


def test_a_borrowed_proxy_cookie_never_lends_another_users_session(
    tenant: ProxiedTenant, web: ServerThread
) -> None:
    """The proxy acts only as the signed-in user: Grace's request carrying Ada's proxy
    cookie gets a login as Grace, never Ada's Qlik session."""
    with signed_in(web.url, ADA) as ada, signed_in(web.url, GRACE) as grace:
        assert ada.get("/api/v1/csrf-token").status_code == 204
        grace.cookies.set("qlik-jwt-proxy", ada.cookies["qlik-jwt-proxy"])
        me = grace.get("/api/v1/users/me", follow_redirects=True)
        assert me.json()["subject"] == "demo|grace"
        ada_me = ada.get("/api/v1/users/me", follow_redirects=True)
        assert ada_me.json()["subject"] == "demo|ada"  # Ada logged in again: as Ada
    assert tenant.log.logins() == 3

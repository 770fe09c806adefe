"""The web app under attack, over real HTTP: the token endpoint, static paths, security headers.

Complements ``tests/unit/web`` (each rule in process) with what only a real server shows:
requests exactly as an attacker writes them (raw request lines), concurrency, and every
response the app can give checked for its security headers.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient, WebSocketDenialResponse

from qlik_jwt import jws
from qlik_jwt.embedding.audit import AUDIT_LOGGER
from tests.support.servers import ServerThread
from tests.support.webapp import (
    ADA,
    FakeClock,
    make_app,
    page_csrf_token,
    token_headers,
    web_settings,
)

LIMIT = 5
LIFETIME = 600
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "SAMEORIGIN",
    "cross-origin-opener-policy": "same-origin",
}


class WebApp:
    def __init__(self, server: ServerThread, clock: FakeClock) -> None:
        self.server = server
        self.url = server.url
        self.clock = clock

    @contextmanager
    def client(self, user=ADA) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
        """A client signed in as ``user`` (None: signed out)."""
        with httpx.Client(base_url=self.url, timeout=10) as client:
            if user is not None:
                signed = client.post(
                    "/sign-in",
                    data={"username": user.username, "password": user.password},
                    headers={"Origin": self.url},
                )
                assert signed.status_code == 303, signed.text
            yield client


@pytest.fixture(scope="module")
def web(key_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebApp]:
    """One server for the module; tests that mint first move its clock a minute on, which
    refills every user's token bucket."""
    clock = FakeClock()
    settings = web_settings(
        key_dir,
        db=tmp_path_factory.mktemp("web") / "web.sqlite3",
        token_rate_limit=LIMIT,
        web_session_lifetime=LIFETIME,
    )
    with ServerThread(make_app(settings, clock=clock, rate_clock=clock)) as server:
        yield WebApp(server, clock)


def raw_request(port: int, request_line: str) -> bytes:
    """Send one request exactly as written (no client normalises the path) and read it all."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"{request_line}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_token_without_a_live_session_is_401_and_mints_nothing(web: WebApp) -> None:
    with web.client(None) as anonymous:
        bare = anonymous.post("/token", headers={"Origin": web.url, "X-CSRF-Token": "x" * 43})
        anonymous.cookies.set("qlik-jwt-session", "forged-" + "x" * 36)
        forged = anonymous.post("/token", headers={"Origin": web.url, "X-CSRF-Token": "x" * 43})
    for response in (bare, forged):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not-signed-in"
        assert "token" not in response.json()


def test_token_after_the_session_expired_is_401(web: WebApp) -> None:
    web.clock.advance(60)
    with web.client() as client:
        headers = token_headers(client, page_csrf_token(client))
        assert client.post("/token", headers=headers).status_code == 200
        web.clock.advance(LIFETIME + 1)
        late = client.post("/token", headers=headers)
        assert late.status_code == 401 and late.json()["error"]["code"] == "not-signed-in"
        assert client.get("/", follow_redirects=False).headers["location"] == "/sign-in"


@pytest.mark.parametrize(
    "origin",
    [
        "http://localhost.evil.example",
        "null",  # a sandboxed iframe or a file:// page
        "http://127.0.0.1:1",  # same host, another port
        "https://127.0.0.1",  # another scheme
        "HTTP://127.0.0.1",
    ],
)
def test_token_for_another_sites_origin_is_403_and_never_granted_by_cors(
    web: WebApp, origin: str
) -> None:
    with web.client() as client:
        headers = {**token_headers(client, page_csrf_token(client)), "Origin": origin}
        refused = client.post("/token", headers=headers)
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "cross-origin-request"
        preflight = client.options(
            "/token",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "x-csrf-token",
            },
        )
    for response in (refused, preflight):
        assert "access-control-allow-origin" not in response.headers
        assert "access-control-allow-headers" not in response.headers
    assert preflight.status_code >= 400


def test_ten_times_the_rate_limit_mints_exactly_the_limit(
    web: WebApp, caplog: pytest.LogCaptureFixture
) -> None:
    web.clock.advance(60)
    with web.client() as client, caplog.at_level(logging.INFO, logger=AUDIT_LOGGER):
        headers = token_headers(client, page_csrf_token(client))
        with ThreadPoolExecutor(max_workers=10) as pool:
            answers = list(
                pool.map(lambda _: client.post("/token", headers=headers), range(10 * LIMIT))
            )
    minted = [a for a in answers if a.status_code == 200]
    refused = [a for a in answers if a.status_code != 200]
    assert len(minted) == LIMIT
    assert {a.status_code for a in refused} == {429}
    assert all(int(a.headers["retry-after"]) >= 1 for a in refused)
    assert all(a.json()["error"]["code"] == "rate-limited" for a in refused)
    jtis = {jws.decode(a.json()["token"]).claims["jti"] for a in minted}
    assert len(jtis) == LIMIT
    audit = [r for r in caplog.records if r.name == AUDIT_LOGGER]
    assert sorted(r.levelname for r in audit) == ["INFO"] * LIMIT + ["WARNING"] * (9 * LIMIT)
    assert {r.getMessage().count('"client": "127.0.0.1"') for r in audit} == {1}


TRAVERSALS = [
    "/static/../app.py",
    "/static/..%2fapp.py",
    "/static/%2e%2e%2fapp.py",
    "/static/%252e%252e%252fapp.py",
    "/static/..%c0%afapp.py",
    "/static/..\\app.py",
    "/static/%5c..%5capp.py",
    "/static/....//app.py",
    "/static/..;/app.py",
    "/static/.%2e/.%2e/settings.py",
    "/static/qlik-session.js%00.py",
    "/static/%2fetc%2fpasswd",
    "/static//etc/passwd",
    "/../../../../etc/passwd",
    "/static/~/.ssh/id_rsa",
    "/static/..%2f..%2f..%2fkeys%2fprivate.pem",
    "/static/%2e%2e%2f%2e%2e%2ftemplates%2fpage.html",
]


@pytest.mark.parametrize("target", TRAVERSALS)
def test_traversal_on_static_paths_reaches_nothing(web: WebApp, target: str, key_dir: Path) -> None:
    answer = raw_request(web.server.port, f"GET {target} HTTP/1.1")
    status = int(answer.split(b" ", 2)[1])
    assert status in (400, 404), answer[:200]
    body = answer.partition(b"\r\n\r\n")[2]
    for leak in (b"import ", b"PRIVATE KEY", b"root:", b"<!doctype", b"$bootstrap"):
        assert leak not in body


def test_every_response_carries_the_security_headers(web: WebApp) -> None:
    web.clock.advance(60)
    with web.client(None) as anonymous:
        answers = [
            anonymous.get("/", follow_redirects=False),  # 303 to sign-in
            anonymous.get("/sign-in"),
            anonymous.post(
                "/sign-in",
                data={"username": "ada", "password": "wrong"},
                headers={"Origin": web.url},
            ),
            anonymous.get("/config"),
            anonymous.get("/static/embed.js"),
            anonymous.get("/static/embed.js/", follow_redirects=False),  # 307
            anonymous.get("/static/missing.js"),
            anonymous.get("/healthz"),
            anonymous.get("/openapi.json"),
            anonymous.get("/docs"),
            anonymous.get("/nowhere"),
            anonymous.get("/token"),  # 405
            anonymous.post("/token", headers={"Origin": web.url}),  # 401
            anonymous.post("/token", headers={"Origin": "http://evil.example"}),  # 403
            anonymous.get("/", headers={"Host": "rebound.example"}),  # 421
        ]
    with web.client() as client:
        headers = token_headers(client, page_csrf_token(client))
        page = client.get("/")
        minted = client.post("/token", headers=headers)
        answers += [
            page,
            minted,
            client.post("/token", headers=headers, content=b"{"),  # 400
            client.post("/sign-out", data={"csrf_token": "stale"}, headers={"Origin": web.url}),
        ]
    assert {a.status_code for a in answers} >= {200, 303, 307, 400, 401, 403, 404, 405, 421}
    for answer in answers:
        where = f"{answer.request.method} {answer.request.url.path} -> {answer.status_code}"
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers.get(name) == value, where
        csp = answer.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'self'" in csp, where
        # Scripts only from the app, never inline or eval'd; inline styles only (Qlik's charts).
        assert "script-src 'self';" in csp and "unsafe-eval" not in csp, where
        assert csp.count("unsafe-inline") == 1 and "style-src 'self' 'unsafe-inline';" in csp
    for secret_bearing in (page, minted):  # the page inlines the CSRF token; /token a JWT
        assert secret_bearing.headers["cache-control"] == "no-store"
    assert answers[9].status_code == 404  # no interactive API docs


@pytest.mark.parametrize("host", ["rebound.example", "rebound.example:{port}", "127.0.0.1.nip.io"])
def test_a_host_the_app_does_not_serve_is_421_even_signed_in(web: WebApp, host: str) -> None:
    """DNS rebinding: a page on a name pointed at the app would read it as same-origin."""
    named = {"Host": host.format(port=web.server.port)}
    with web.client() as client:
        for answer in (client.get("/", headers=named), client.post("/token", headers=named)):
            assert answer.status_code == 421
            assert answer.json()["error"]["code"] == "unknown-host"
            assert answer.headers["cache-control"] == "no-store"
        assert client.get("/", headers={"Host": f"localhost:{web.server.port}"}).status_code == 200


def test_an_engine_handshake_for_another_host_is_421(key_dir: Path) -> None:
    settings = web_settings(key_dir, web_mode="proxy")
    with (
        TestClient(make_app(settings)) as client,
        pytest.raises(WebSocketDenialResponse) as refused,
        client.websocket_connect("/app/any", headers={"Host": "rebound.example"}),
    ):
        pass
    assert refused.value.status_code == 421
    assert refused.value.json()["error"]["code"] == "unknown-host"


def test_allowed_hosts_and_the_public_origin_are_served(key_dir: Path) -> None:
    settings = web_settings(
        key_dir, public_origin="https://app.example.com", allowed_hosts=["intranet.example"]
    )
    with TestClient(make_app(settings), base_url="http://10.0.0.5:8000") as client:
        for host, status in (
            ("app.example.com", 200),
            ("INTRANET.example:8443", 200),
            ("10.0.0.5:8000", 200),
            ("other.example", 421),
        ):
            assert client.get("/healthz", headers={"Host": host}).status_code == status, host


def test_an_unexpected_failure_is_a_500_in_the_error_shape_with_the_headers(
    key_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An identify hook that fails (an integrator's bug, their database down)."""

    def identify(request: object) -> None:
        raise RuntimeError("user database down: dsn=postgres://app:hunter2@db")

    app = make_app(web_settings(key_dir), identify=identify)
    with ServerThread(app) as server, httpx.Client(base_url=server.url) as client:
        answer = client.post("/token", headers={"Origin": server.url, "X-CSRF-Token": "x"})
    assert answer.status_code == 500
    assert answer.json()["error"]["code"] == "internal-error"
    assert "hunter2" not in answer.text
    assert answer.headers["cache-control"] == "no-store"
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers[name] == value
    logged = [r for r in caplog.records if r.getMessage() == "unexpected error on POST '/token'"]
    assert len(logged) == 1 and logged[0].exc_info is not None

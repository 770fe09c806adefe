"""The web app on a real uvicorn server: sign-in, /token and its rules over real HTTP(S)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from qlik_jwt import jws, keys
from tests.support.servers import ServerThread
from tests.support.webapp import (
    ADA,
    EVE,
    FakeClock,
    make_app,
    page_csrf_token,
    seeded_store,
    token_headers,
    web_settings,
)


@pytest.fixture()
def server(key_dir: Path, tmp_path: Path) -> Iterator[ServerThread]:
    # The rate limit's clock stands still: no token refills while a slow machine runs a test.
    settings = web_settings(key_dir, db=tmp_path / "web.sqlite3", token_rate_limit=5)
    app = make_app(settings, rate_clock=FakeClock())
    with ServerThread(app) as running:
        yield running


@contextmanager
def signed_in_client(url: str, user=ADA, **kwargs) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=url, **kwargs) as client:
        response = client.post(
            "/sign-in",
            data={"username": user.username, "password": user.password},
            headers={"Origin": url},
        )
        assert response.status_code == 303, response.text
        yield client


def test_full_token_flow_over_http(server: ServerThread, rsa_key: rsa.RSAPrivateKey) -> None:
    with signed_in_client(server.url) as client:
        headers = token_headers(client, page_csrf_token(client))
        response = client.post("/token", headers=headers)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    decoded = jws.decode(response.json()["token"])
    assert jws.verify_signature(decoded, rsa_key.public_key())
    assert decoded.claims["sub"] == "demo|ada"


def test_refusals_over_http(server: ServerThread) -> None:
    with httpx.Client(base_url=server.url) as anonymous:
        assert anonymous.post("/token", headers={"Origin": server.url}).status_code == 401
    with signed_in_client(server.url) as client:
        headers = token_headers(client, page_csrf_token(client))
        evil = {**headers, "Origin": "http://localhost.evil.example"}
        assert client.post("/token", headers=evil).status_code == 403
        assert client.post("/token", headers=headers, content=b"{").status_code == 400
        huge = client.post("/token", headers=headers, content=b"{" * 1_000_000)
        assert huge.status_code == 400


def test_rate_limit_counts_exactly_under_concurrency(server: ServerThread) -> None:
    with signed_in_client(server.url) as client:
        headers = token_headers(client, page_csrf_token(client))
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda _: client.post("/token", headers=headers), range(12)))
    codes = sorted(r.status_code for r in statuses)
    assert codes.count(200) == 5 and codes.count(429) == 7
    assert all(int(r.headers["retry-after"]) >= 1 for r in statuses if r.status_code == 429)


def test_users_are_limited_separately_over_http(server: ServerThread) -> None:
    with signed_in_client(server.url) as ada, signed_in_client(server.url, EVE) as eve:
        ada_headers = token_headers(ada, page_csrf_token(ada))
        for _ in range(5):
            ada.post("/token", headers=ada_headers)
        assert ada.post("/token", headers=ada_headers).status_code == 429
        eve_headers = token_headers(eve, page_csrf_token(eve))
        assert eve.post("/token", headers=eve_headers).status_code == 200


def test_sessions_survive_a_restart_with_a_file_database(key_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "web.sqlite3"
    first_app = make_app(web_settings(key_dir, db=db), user_store=seeded_store(db))
    with ServerThread(first_app) as first, signed_in_client(first.url) as client:
        cookie = client.cookies.get("qlik-jwt-session")
    app = make_app(web_settings(key_dir, db=db), user_store=seeded_store(db))
    with ServerThread(app) as second, httpx.Client(base_url=second.url) as client:
        client.cookies.set("qlik-jwt-session", cookie or "")
        assert client.get("/", follow_redirects=False).status_code == 200


def test_https_server_sets_a_secure_host_cookie(key_dir: Path, tmp_path: Path) -> None:
    tls_key = keys.generate_private_key(2048)
    cert = keys.self_signed_certificate(tls_key, ip_addresses=("127.0.0.1",))
    tls_dir = tmp_path / "tls"
    files = keys.write_key_pair(tls_dir, tls_key, cert)
    app = make_app(web_settings(key_dir))
    with ServerThread(app, certfile=files.certificate, keyfile=files.private_key) as running:
        assert running.url.startswith("https://")
        with signed_in_client(running.url, verify=False) as client:
            cookies = [c for c in client.cookies.jar]
            assert cookies[0].name == "__Host-qlik-jwt-session" and cookies[0].secure
            assert client.get("/").status_code == 200


def test_a_hint_cookie_of_a_latin1_digit_is_no_hint_and_no_500(server: ServerThread) -> None:
    """Byte 0xB2 ("²") in the mint-hint cookie reaches the app: isdigit() but not int()."""
    with signed_in_client(server.url) as client:
        session = client.cookies["qlik-jwt-session"]
    request = (
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        b"Cookie: qlik-jwt-session=" + session.encode() + b"; qlik-jwt-minted=\xb2\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as raw:
        raw.sendall(request)
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]
    assert b'"qlikSessionLikely":false' in answer

"""Proxy mode's pure rules: settings, what crosses the proxy each way, the cookie jar, the
session records and the SQLite store's expiry (in memory)."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import httpx
import pytest
from starlette.requests import Request

from qlik_jwt.embedding.refusals import WebError
from qlik_jwt.errors import ConfigurationError, SettingsError
from qlik_jwt.settings import Settings, hide_url_password, session_store_location
from qlik_jwt.web.proxy.cookie_jar import QlikCookieJar
from qlik_jwt.web.proxy.engine_relay import sendable_close_code
from qlik_jwt.web.proxy.headers import (
    bad_path_reason,
    request_headers,
    response_headers,
    tenant_query,
)
from qlik_jwt.web.proxy.rest import MAX_REPLAY_BYTES, Body
from qlik_jwt.web.proxy.sqlite_store import SqliteSessionStore
from qlik_jwt.web.proxy.store import ProxySession, open_session_store, store_key
from tests.support.webapp import FakeClock

TENANT = "https://tenant.example"


# -- settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///.qlik-jwt/proxy.sqlite3", ("sqlite", ".qlik-jwt/proxy.sqlite3")),
        ("sqlite:////var/lib/app/proxy.sqlite3", ("sqlite", "/var/lib/app/proxy.sqlite3")),
        ("sqlite:///:memory:", ("sqlite", ":memory:")),
        ("redis://127.0.0.1:6379/0", ("redis", "redis://127.0.0.1:6379/0")),
        ("rediss://:pw@cache.internal:6380/2", ("redis", "rediss://:pw@cache.internal:6380/2")),
    ],
)
def test_session_store_urls(url: str, expected: tuple[str, str]) -> None:
    assert session_store_location(url) == expected


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("sqlite://proxy.db", "sqlite:///relative/path"),
        ("sqlite:///", "sqlite:///relative/path"),
        ("postgres://db/x", "must start with sqlite:/// "),
        ("redis://", "has no host"),
        ("redis://host:port/0", "invalid port"),
        ("/tmp/proxy.sqlite3", "must start with sqlite:/// "),
    ],
)
def test_bad_session_store_urls_say_what_to_write(url: str, says: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.load(env_file=None, proxy_session_store=url)
    problem = refused.value.problems[0]
    assert problem.field == "proxy_session_store" and says in problem.problem
    assert "QLIK_PROXY_SESSION_STORE" in problem.fix


def test_a_store_password_is_never_shown() -> None:
    url = "redis://:s3cret-pass@cache:6379/0"
    assert hide_url_password(url) == "redis://:***@cache:6379/0"
    assert hide_url_password("redis://user:pw@cache/0") == "redis://user:***@cache/0"
    assert hide_url_password("sqlite:///x") == "sqlite:///x"
    shown = Settings.load(env_file=None, proxy_session_store=url).redacted()
    assert shown["proxy_session_store"] == "redis://:***@cache:6379/0"
    with pytest.raises(SettingsError) as refused:
        Settings.load(env_file=None, proxy_session_store="mysql://:s3cret-pass@db/x")
    assert "s3cret-pass" not in str(refused.value)


def test_proxy_mode_needs_jwt_login() -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.load(env_file=None, web_mode="proxy", login_mode="interactive")
    problem = refused.value.problems[0]
    assert problem.field == "web_mode" and "QLIK_LOGIN_MODE=jwt" in problem.problem
    assert Settings.load(env_file=None, web_mode="proxy").web_mode == "proxy"
    with pytest.raises(SettingsError, match="web_mode"):
        Settings.load(env_file=None, web_mode="tunnel")


def test_an_unopenable_sqlite_store_names_the_setting(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigurationError) as refused:
        open_session_store(f"sqlite:///{blocker}/proxy.sqlite3", lifetime=60)
    assert refused.value.field == "proxy_session_store"
    assert "sqlite:///" in refused.value.fix


# -- headers, paths, queries, close codes ---------------------------------------------------


def _raw(pairs: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(name.encode(), value.encode()) for name, value in pairs]


def test_only_allow_listed_request_headers_go_to_the_tenant() -> None:
    given = [
        ("accept", "application/json"),
        ("Content-Type", "application/json"),
        ("Authorization", "Bearer host"),
        ("Cookie", "qlik-jwt-session=abc"),
        ("X-CSRF-Token", "t"),
        ("Origin", "http://app"),
        ("Referer", "http://app/x"),
        ("X-Forwarded-For", "1.2.3.4"),
        ("qlik-csrf-token", "browser"),
        ("qlik-web-integration-id", "wi"),
        ("Connection", "keep-alive"),
        ("If-None-Match", '"v1"'),
    ]
    assert request_headers(_raw(given)) == _raw(
        [
            ("accept", "application/json"),
            ("content-type", "application/json"),
            ("if-none-match", '"v1"'),
            ("accept-encoding", "identity"),  # bodies pass unchanged: ask for what all can read
        ]
    )
    assert request_headers(_raw([("Accept-Encoding", "gzip")])) == _raw(
        [("accept-encoding", "gzip")]
    )


def test_qliks_cookies_token_cors_and_hop_headers_never_reach_the_browser() -> None:
    given = [
        ("Content-Type", "application/json"),
        ("Set-Cookie", "eas.sid=abc; Path=/; Expires=Wed, 21 Oct 2099 07:28:00 GMT"),
        ("Set-Cookie", "_csrfToken=t; Path=/"),
        ("qlik-csrf-token", "t"),
        ("Access-Control-Allow-Origin", "http://app"),
        ("Access-Control-Allow-Credentials", "true"),
        ("Connection", "close, X-Hop"),
        ("X-Hop", "1"),
        ("Transfer-Encoding", "chunked"),
        ("Strict-Transport-Security", "max-age=1"),
        ("Location", f"{TENANT}/api/v1/users/abc"),
        ("Content-Security-Policy", "frame-ancestors 'self'"),
    ]
    assert response_headers(_raw(given), tenant_url=TENANT, path="/api/v1/users/me") == _raw(
        [
            ("content-type", "application/json"),
            ("location", "/api/v1/users/abc"),
            ("content-security-policy", "frame-ancestors 'self'"),
            ("cache-control", "private, no-store"),
        ]
    )
    elsewhere = _raw([("location", "https://idp.example/login")])
    assert response_headers(elsewhere, tenant_url=TENANT, path="/single/") == [
        *elsewhere,
        (b"cache-control", b"private, no-store"),
    ]


@pytest.mark.parametrize(
    ("path", "tenant_says", "browser_gets"),
    [
        # Answers for a user: never kept, whatever the tenant says.
        ("/api/v1/users/me", [], "private, no-store"),
        ("/api/v1/users/me", [("Cache-Control", "public, max-age=3600")], "private, no-store"),
        ("/single/", [("Cache-Control", "max-age=60")], "private, no-store"),
        # A static asset: the tenant's caching when it states one, else not kept either.
        ("/resources/a.js", [("Cache-Control", "public, max-age=3600")], "public, max-age=3600"),
        ("/assets/b.css", [("Cache-Control", "max-age=60")], "max-age=60"),
        ("/resources/a.js", [], "private, no-store"),
        ("/resources/a.js", [("Expires", "Wed, 21 Oct 2099 07:28:00 GMT")], "private, no-store"),
    ],
)
def test_answers_that_depend_on_the_user_are_never_cached(
    path: str, tenant_says: list[tuple[str, str]], browser_gets: str
) -> None:
    kept = response_headers(_raw(tenant_says), tenant_url=TENANT, path=path)
    assert [value for name, value in kept if name == b"cache-control"] == [browser_gets.encode()]
    if browser_gets == "private, no-store":
        assert not any(name in (b"expires", b"pragma") for name, _ in kept)


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ("/api/v1/users/me", False),
        ("/single/", False),
        ("/api/v1/items/a.b..c", False),
        ("/api/v1/../login/jwt-session", True),
        ("/api/v1/%2e%2e/login", True),
        ("/api/v1/%2E/x", True),
        ("/single/./x", True),
        ("/api/v1/a\\..\\b", True),
    ],
)
def test_paths_that_could_leave_the_forwarded_prefixes(path: str, refused: bool) -> None:
    assert (bad_path_reason(path) is not None) is refused


def test_the_browsers_csrf_parameter_is_dropped_and_the_rest_kept() -> None:
    assert tenant_query(b"appid=a&obj=b&opt=ctxmenu,currsel") == "appid=a&obj=b&opt=ctxmenu,currsel"
    assert tenant_query(b"") == ""
    assert (
        tenant_query(b"qlik-web-integration-id=w&qlik-csrf-token=x") == "qlik-web-integration-id=w"
    )


def _upload(content_length: str, body: bytes = b"") -> Request:
    """A browser's POST declaring ``content_length`` (one Latin-1 header) with ``body``."""

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    headers = [(b"content-length", content_length.encode("latin-1"))]
    return Request({"type": "http", "method": "POST", "headers": headers}, receive)


def test_bodies_up_to_the_replay_bound_are_held_and_larger_ones_streamed() -> None:
    held = asyncio.run(Body.read(_upload("5", b"hello")))
    assert held.replayable and held.data == b"hello"
    for length in (str(MAX_REPLAY_BYTES + 1), "9" * 5000):  # int() refuses 5,000 digits
        streamed = asyncio.run(Body.read(_upload(length)))
        assert not streamed.replayable and streamed.stream is not None


@pytest.mark.parametrize("length", ["\u00b2", "12a", "-1"])
def test_a_content_length_that_is_no_number_is_a_400(length: str) -> None:
    """A "²" passes isdigit() but not int(): a 400, not a 500."""
    with pytest.raises(WebError) as refused:
        asyncio.run(Body.read(_upload(length)))
    assert (refused.value.status, refused.value.code) == (400, "bad-content-length")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (1000, 1000),
        (4002, 4002),
        (1011, 1011),
        (1006, None),
        (1005, None),
        (1015, None),
        (None, None),
        (2000, None),
        (5000, None),
    ],
)
def test_close_codes_are_passed_on_when_a_frame_may_carry_them(
    code: int | None, expected: int | None
) -> None:
    assert sendable_close_code(code, 1014) == (1014 if expected is None else expected)


# -- cookie jar and session records ----------------------------------------------------------


def _login_answer(url: str, *cookies: str) -> httpx.Response:
    request = httpx.Request("POST", url)
    return httpx.Response(200, request=request, headers=[("set-cookie", c) for c in cookies])


def test_the_cookie_jar_parses_dates_with_commas_and_follows_cookie_rules() -> None:
    jar = QlikCookieJar()
    changed = jar.extract(
        _login_answer(
            f"{TENANT}/login/jwt-session",
            "eas.sid=s1; Path=/; Secure; HttpOnly; Expires=Wed, 21 Oct 2099 07:28:00 GMT",
            "_csrfToken=c1; Path=/; Secure; SameSite=None",
            "AWSALB=lb; Path=/api",
            "old=x; Path=/; Expires=Wed, 21 Oct 2015 07:28:00 GMT",
        )
    )
    assert changed and jar.names() == {"eas.sid", "_csrfToken", "AWSALB"}
    assert jar.value("_csrfToken") == "c1"
    assert jar.header_for(f"{TENANT}/api/v1/users/me") == "AWSALB=lb; eas.sid=s1; _csrfToken=c1"
    assert jar.header_for("wss://tenant.example/app/x") == "eas.sid=s1; _csrfToken=c1"
    assert jar.header_for("http://tenant.example/api/v1/x") == "AWSALB=lb"  # Secure: https only
    assert jar.header_for("https://other.example/") is None
    again = QlikCookieJar.from_json(jar.to_json())
    url = f"{TENANT}/api/v1/users/me"
    assert sorted((again.header_for(url) or "").split("; ")) == sorted(
        (jar.header_for(url) or "").split("; ")
    )
    assert not again.extract(_login_answer(f"{TENANT}/api/v1/x", "AWSALB=lb; Path=/api"))
    assert again.extract(_login_answer(f"{TENANT}/api/v1/x", "AWSALB=lb2; Path=/api"))
    assert "s1" not in repr(again)
    with pytest.raises(ValueError, match="not a stored cookie jar"):
        QlikCookieJar.from_json('[{"name": "x"}]')


def test_session_records_round_trip_and_hide_their_secrets() -> None:
    session = ProxySession("demo|ada", '[{"cookies": 1}]', "csrf-value", 12.5)
    assert ProxySession.from_json(session.to_json()) == session
    announced = dataclasses.replace(session, announced=True)
    assert ProxySession.from_json(announced.to_json()) == announced
    assert "csrf-value" not in repr(session) and "cookies" not in repr(session)
    assert ProxySession.from_json("not json") is None
    assert ProxySession.from_json('{"subject": "x"}') is None
    assert store_key("cookie") == store_key("cookie") != store_key("cookie2")
    assert len(store_key("cookie")) == 64


def test_a_renewal_reuses_only_another_login() -> None:
    stale = ProxySession("demo|ada", "[1]", "csrf-1", 10.0)
    same_login = dataclasses.replace(stale, cookies="[1, 2]", announced=True)  # AWSALB, say
    assert same_login.same_login(stale)
    assert not dataclasses.replace(stale, csrf_token="csrf-2", created_at=11.0).same_login(stale)


def test_the_sqlite_store_forgets_sessions_after_their_lifetime() -> None:
    clock = FakeClock()
    store = SqliteSessionStore(":memory:", lifetime=60, clock=clock)
    session = ProxySession("demo|ada", "[]", "c", clock())

    async def scenario() -> list[ProxySession | None]:
        seen = [await store.get("k")]
        await store.put("k", session)
        seen.append(await store.get("k"))
        clock.advance(59)
        seen.append(await store.get("k"))
        clock.advance(1)
        seen.append(await store.get("k"))
        await store.put("k", session)
        await store.delete("k")
        seen.append(await store.get("k"))
        await store.close()
        return seen

    assert asyncio.run(scenario()) == [None, session, session, None, None]

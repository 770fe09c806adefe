"""Rate-limit windows, cookie signatures and Qlik's error body, without a server."""

from __future__ import annotations

import asyncio

import pytest
from starlette.types import Message

from qlik_jwt.emulator import create_app
from qlik_jwt.emulator.cookies import CookieJar
from qlik_jwt.emulator.errors import QlikError, validation_problems
from qlik_jwt.emulator.middleware.rate_limit import RateLimiter, tier_of
from qlik_jwt.emulator.options import EmulatorOptions
from qlik_jwt.emulator.state.db import Database


@pytest.mark.parametrize(
    ("method", "path", "tier"),
    [
        ("POST", "/login/jwt-session", 2),
        ("POST", "/oauth/token", 2),
        ("PATCH", "/api/v1/web-integrations/x", 2),
        ("GET", "/api/v1/web-integrations", 1),
        ("GET", "/single/", 1),
        ("OPTIONS", "/login/jwt-session", None),
        ("GET", "/_emulator/faults", None),
        ("GET", "/openapi.json", None),
    ],
)
def test_tiers(method: str, path: str, tier: int | None) -> None:
    assert tier_of(method, path) == tier


def test_the_window_slides() -> None:
    limiter = RateLimiter()
    assert [limiter.hit(2, 3, t) for t in (0.0, 10.0, 20.0)] == [None, None, None]
    assert limiter.hit(2, 3, 30.0) == pytest.approx(30.0)  # the hit at 0 frees a slot at 60
    assert limiter.hit(1, 3, 30.0) is None  # tiers count apart
    assert limiter.hit(2, 3, 60.0) is None
    assert limiter.hit(2, 3, 61.0) == pytest.approx(9.0)


def test_callers_count_apart_over_a_scaled_window() -> None:
    limiter = RateLimiter()
    assert limiter.hit(2, 1, 0.0, window=2.0, caller="10.0.0.1") is None
    assert limiter.hit(2, 1, 0.5, window=2.0, caller="10.0.0.2") is None
    assert limiter.hit(2, 1, 0.5, window=2.0, caller="10.0.0.1") == pytest.approx(1.5)
    assert limiter.hit(2, 1, 2.0, window=2.0, caller="10.0.0.1") is None


def test_cookie_signatures_verify_and_detect_tampering() -> None:
    jar = CookieJar("secret", EmulatorOptions())
    cookies = {
        "eas.sid": "sid-value",
        "eas.sid.sig": jar.sign("eas.sid", "sid-value"),
        "_csrfToken": "csrf-value",
        "_csrfToken.sig": jar.sign("_csrfToken", "csrf-value"),
    }
    verified = jar.read_session(cookies)
    assert verified is not None and verified.sid == "sid-value"
    assert "sid-value" not in repr(verified)
    assert len(cookies["eas.sid.sig"]) == 86
    assert jar.read_session({**cookies, "eas.sid": "other"}) is None
    assert CookieJar("another secret", EmulatorOptions()).read_session(cookies) is None
    assert jar.read_session({"eas.sid": "sid-value"}) is None


def test_error_bodies_carry_qliks_fields_and_hide_reasons_when_strict() -> None:
    error = QlikError(401, "LOGIN-10", "returnto not included", "detail", reason="why")
    body = error.body(strict=False)
    assert body["errors"] == [
        {
            "code": "LOGIN-10",
            "title": "returnto not included",
            "detail": "detail",
            "status": "401",
            "meta": {"reason": "why"},
        }
    ]
    assert len(body["traceId"]) == 32
    assert "meta" not in error.body(strict=True)["errors"][0]
    assert QlikError(404).body(strict=True)["errors"][0] == {
        "code": "HTTP-404",
        "title": "Not found",
        "status": "404",
    }


def test_validation_errors_name_field_and_value() -> None:
    problems = validation_problems(
        [
            {
                "loc": ("body", "options", "issuer"),
                "msg": "Input should be a valid string",
                "type": "string_type",
                "input": 5,
            },
            {
                "loc": ("body", "extra"),
                "msg": "Extra inputs are not permitted",
                "type": "extra_forbidden",
            },
            {
                "loc": ("query", "limit"),
                "msg": "Input should be greater than 0",
                "type": "greater_than",
                "input": "0",
            },
        ]
    )
    assert [p.detail for p in problems] == [
        "options/issuer: Input should be a valid string (got 5).",
        "extra: unknown field; remove it.",
        "limit: Input should be greater than 0 (got '0').",
    ]
    assert problems[0].source == {"pointer": "/options/issuer"}
    assert problems[2].source == {"parameter": "limit"}


async def post_logout(content_length: bytes) -> int:
    """The status of an empty ``POST /logout`` declaring ``content_length``, sent straight to
    the app: HTTP servers refuse odd values before an app sees them, other ASGI hosts may not."""
    app = create_app()
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/logout",
        "raw_path": b"/logout",
        "query_string": b"",
        "headers": [(b"content-length", content_length)],
        "scheme": "http",
        "server": ("127.0.0.1", 8080),
        "client": ("127.0.0.1", 50000),
        "root_path": "",
        "http_version": "1.1",
    }
    try:
        await app(scope, receive, send)
    finally:
        app.state.tenant.close()
    status: int = sent[0]["status"]
    return status


@pytest.mark.parametrize(
    ("declared", "status"),
    [
        (b"\xb2", 204),  # "²": isdigit() but not int(), a 500
        (b"9" * 5000, 413),  # too many digits for int(), a 500
        (b"0" * 5000 + b"7", 204),
        (b"1e3", 204),
        (b"65537", 413),
    ],
)
def test_any_declared_content_length_passes_or_is_413(declared: bytes, status: int) -> None:
    assert asyncio.run(post_logout(declared)) == status


def test_dropping_expired_jtis_uses_an_index_not_a_scan() -> None:
    """Every login first deletes the expired (iss, jti) records; at benchmark rates the
    table holds a minute of logins, so a full scan per login cost more than the login."""
    db = Database()
    plan = db.query("EXPLAIN QUERY PLAN DELETE FROM consumed_jtis WHERE expires <= ?", (0.0,))
    details = " ".join(str(row["detail"]) for row in plan)
    assert "consumed_jtis_expiry" in details and "SCAN" not in details

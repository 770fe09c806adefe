"""Pure parsers of the emulator: origins, CSP sources, filters, fault and user flags."""

from __future__ import annotations

import pytest

from qlik_jwt.emulator.errors import QlikError
from qlik_jwt.emulator.faults import ForcedError
from qlik_jwt.emulator.routes.paging import parse_filter
from qlik_jwt.emulator.state.csp_origins import parse_csp_origin
from qlik_jwt.emulator.state.users import DirectoryUser
from qlik_jwt.emulator.state.web_integrations import header_origin, normalize_origin
from qlik_jwt.errors import ConfigurationError


@pytest.mark.parametrize(
    ("text", "origin"),
    [
        ("https://app.example.com", "https://app.example.com"),
        ("HTTPS://App.Example.COM:443", "https://app.example.com"),
        ("http://localhost:80", "http://localhost"),
        ("http://localhost:8001", "http://localhost:8001"),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
        ("http://[::1]:8080", "http://[::1]:8080"),
    ],
)
def test_origins_are_normalised(text: str, origin: str) -> None:
    assert normalize_origin(text) == origin


@pytest.mark.parametrize(
    "text",
    ["", "https://*.example.com", "https://a.example/", "a.example", "https://a_b.example", "null"],
)
def test_non_origins_are_refused(text: str) -> None:
    with pytest.raises(QlikError) as caught:
        normalize_origin(text)
    assert caught.value.status == 400
    assert header_origin(text) is None


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("example.com", (None, "example.com")),
        ("*.Example.com", (None, "*.example.com")),
        ("https://localhost:4443", ("https", "localhost:4443")),
        ("wss://socket.example", ("wss", "socket.example")),
    ],
)
def test_csp_origins_parse(text: str, parsed: tuple[str | None, str]) -> None:
    assert parse_csp_origin(text) == parsed


@pytest.mark.parametrize(
    "text", ["a.example/x", "ftp://a.example", "a..example", "a.example:70000"]
)
def test_bad_csp_origins_are_refused(text: str) -> None:
    with pytest.raises(QlikError):
        parse_csp_origin(text)


def test_filters_parse_eq_clauses_joined_by_and() -> None:
    parsed = parse_filter('subject eq "app|1" and email eq "a\\"b@x"', ("subject", "email"))
    assert parsed == {"subject": "app|1", "email": 'a"b@x'}
    assert parse_filter(None, ("name",)) == {}
    with pytest.raises(QlikError):
        parse_filter('name ne "x"', ("name",))


def test_forced_errors_parse_from_flags() -> None:
    forced = ForcedError.parse("POST /login/jwt-session=503x2")
    assert (forced.method, forced.path, forced.status, forced.count) == (
        "POST",
        "/login/jwt-session",
        503,
        2,
    )
    always = ForcedError.parse("/api/v1/*=500")
    assert always.method is None and always.count is None
    assert always.matches("GET", "/api/v1/users") and not always.matches("GET", "/login")
    for text in ("nonsense", "/x=200", "/x=abc", "/x=503x0"):
        with pytest.raises(ConfigurationError):
            ForcedError.parse(text)


def test_sign_in_users_parse_from_flags() -> None:
    person = DirectoryUser.parse("app|42;Ada Lovelace;ada@example.com;Finance, Sales")
    assert person == DirectoryUser(
        "app|42", "Ada Lovelace", "ada@example.com", ["Finance", "Sales"]
    )
    assert DirectoryUser.parse("s;n;e@x.example").groups == []
    for text in ("s;n", "s;;e@x.example", "a;b;c;d;e"):
        with pytest.raises(ConfigurationError):
            DirectoryUser.parse(text)

"""Origins as web integrations (exact) and CSP entries (host patterns) compare them."""

from __future__ import annotations

import pytest

from qlik_jwt.admin.origins import csp_covers, csp_source, normalize_origin, same_origin
from qlik_jwt.errors import ConfigurationError


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://app.example.com", "https://app.example.com"),
        ("HTTPS://App.Example.COM/", "https://app.example.com"),
        ("https://app.example.com:443", "https://app.example.com"),
        ("http://localhost:80", "http://localhost"),
        ("http://localhost:8000", "http://localhost:8000"),
        ("https://127.0.0.1:8443", "https://127.0.0.1:8443"),
        ("  https://app.example.com  ", "https://app.example.com"),
    ],
)
def test_normalize_origin(given: str, expected: str) -> None:
    assert normalize_origin(given) == expected


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("app.example.com", "no scheme"),
        ("ftp://app.example.com", "scheme 'ftp'"),
        ("https://app.example.com/page", "path"),
        ("https://app.example.com?x=1", "query"),
        ("https://user:pw@app.example.com", "credentials"),
        ("https://*.example.com", "wildcard"),
        ("https://app.example.com:99999", "invalid port"),
        ("https://", "no host"),
    ],
)
def test_normalize_origin_refuses_what_is_not_an_origin(given: str, problem: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        normalize_origin(given, field="app_origins")
    assert caught.value.field == "app_origins"
    assert problem in caught.value.problem
    assert "scheme://host[:port]" in caught.value.fix


def test_same_origin_compares_normalised_and_never_raises() -> None:
    assert same_origin("https://A.example.com:443", "https://a.example.com/")
    assert not same_origin("http://a.example.com", "https://a.example.com")
    assert not same_origin("https://a.example.com:8443", "https://a.example.com")
    assert not same_origin("not an origin", "https://a.example.com")


def test_csp_source_drops_the_scheme_and_default_port() -> None:
    assert csp_source("https://app.example.com:443") == "app.example.com"
    assert csp_source("http://localhost:8000") == "localhost:8000"


@pytest.mark.parametrize(
    ("entry", "origin", "covered"),
    [
        ("app.example.com", "https://app.example.com", True),
        ("app.example.com", "http://app.example.com", True),
        ("https://app.example.com", "https://app.example.com", True),
        ("https://app.example.com", "http://app.example.com", False),
        ("app.example.com", "https://app.example.com:8443", False),
        ("app.example.com:8443", "https://app.example.com:8443", True),
        ("localhost:8000", "http://localhost:8000", True),
        ("localhost:8001", "http://localhost:8000", False),
        ("*.example.com", "https://app.example.com", True),
        ("*.example.com", "https://example.com", False),
        ("*.example.com", "https://app.example.org", False),
        ("other.example.com", "https://app.example.com", False),
        ("APP.example.com/", "https://app.example.com", True),
        ("app.example.com:\u00b2", "https://app.example.com", True),  # unusable port ignored
        ("app.example.com:" + "9" * 5000, "https://app.example.com:8443", False),
    ],
)
def test_csp_covers(entry: str, origin: str, covered: bool) -> None:
    assert csp_covers(entry, origin) is covered

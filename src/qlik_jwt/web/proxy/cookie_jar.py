"""Qlik's cookies for one browser, kept by the web app in a real cookie jar.

``Set-Cookie`` answers are parsed by the standard library's :mod:`http.cookiejar` (through
httpx), never by splitting header text: ``Expires=`` dates contain commas. The jar decides
what to send where as a browser would: by domain, path, ``Secure`` and expiry. It travels
to the session store as JSON (every attribute of every cookie) and back.
"""

from __future__ import annotations

import json
import urllib.request
from http.cookiejar import Cookie, CookieJar
from typing import Any

import httpx

__all__ = ["CSRF_COOKIE", "QlikCookieJar"]

CSRF_COOKIE = "_csrfToken"  # its value is the session's CSRF token (reference §2.4)

NONSTANDARD_ATTRIBUTES = ("HttpOnly", "SameSite", "Partitioned")
_FIELDS = (
    "version",
    "name",
    "value",
    "port",
    "port_specified",
    "domain",
    "domain_specified",
    "domain_initial_dot",
    "path",
    "path_specified",
    "secure",
    "expires",
    "discard",
    "comment",
    "comment_url",
    "rfc2109",
)


def _http_url(url: str) -> str:
    """Cookies of ``ws(s)://`` URLs are those of the matching ``http(s)://`` URL."""
    if url.startswith("ws"):
        return "http" + url.removeprefix("ws")
    return url


class QlikCookieJar:
    """The tenant's cookies for one Qlik session. Values are secrets: never log them."""

    def __init__(self, jar: CookieJar | None = None) -> None:
        self.jar = jar if jar is not None else CookieJar()

    def __repr__(self) -> str:
        return f"QlikCookieJar(names={sorted(self.names())})"

    def names(self) -> set[str]:
        return {cookie.name for cookie in self.jar}

    def extract(self, response: httpx.Response) -> bool:
        """Take the ``Set-Cookie`` headers of ``response``; True when the jar changed."""
        if "set-cookie" not in response.headers:
            return False
        before = self.to_json()
        cookies = httpx.Cookies()
        cookies.jar = self.jar
        cookies.extract_cookies(response)
        return self.to_json() != before

    def header_for(self, url: str) -> str | None:
        """The ``Cookie`` header a browser would send to ``url`` (http, https, ws, wss)."""
        request = urllib.request.Request(_http_url(url))  # noqa: S310  (never opened)
        self.jar.add_cookie_header(request)
        return request.get_header("Cookie")

    def value(self, name: str) -> str | None:
        return next((cookie.value for cookie in self.jar if cookie.name == name), None)

    def to_json(self) -> str:
        cookies = []
        for cookie in sorted(self.jar, key=lambda c: (c.domain, c.path, c.name)):
            entry: dict[str, Any] = {name: getattr(cookie, name) for name in _FIELDS}
            entry["rest"] = {
                name: cookie.get_nonstandard_attr(name)
                for name in NONSTANDARD_ATTRIBUTES
                if cookie.has_nonstandard_attr(name)
            }
            cookies.append(entry)
        return json.dumps(cookies, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> QlikCookieJar:
        """The jar ``to_json`` wrote. Raises ValueError for anything else."""
        jar = CookieJar()
        try:
            for entry in json.loads(text):
                jar.set_cookie(
                    Cookie(**{name: entry[name] for name in _FIELDS}, rest=entry["rest"])
                )
        except (TypeError, KeyError, AttributeError) as exc:
            raise ValueError(f"not a stored cookie jar ({type(exc).__name__})") from None
        return cls(jar)

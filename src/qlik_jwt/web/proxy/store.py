"""Where proxy mode keeps each browser's Qlik session, and the factory that opens the store.

A :class:`ProxySession` is what the web app holds for one browser after logging in to the
tenant for its user: Qlik's cookies (a serialised cookie jar), the CSRF token, and the
subject it belongs to. It is stored under the SHA-256 of the browser's first-party proxy
cookie, so a copy of the store holds no usable cookie value; it does hold Qlik's session
cookies, so the store must be as private as the app's other secrets.

Stores (:class:`ProxySessionStore`): SQLite (:mod:`.sqlite_store`, one app instance) or Redis
(:mod:`.redis_store`, several instances behind a load balancer), chosen by the
``QLIK_PROXY_SESSION_STORE`` URL through :func:`open_session_store`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Protocol

from qlik_jwt.errors import ConfigurationError
from qlik_jwt.settings import hide_url_password, session_store_location
from qlik_jwt.web.proxy.cookie_jar import QlikCookieJar
from qlik_jwt.web.proxy.headers import CSRF_HEADER
from qlik_jwt.web.session_ends import Broadcast

__all__ = [
    "ProxySession",
    "ProxySessionStore",
    "SessionStoreError",
    "open_broadcast",
    "open_session_store",
    "store_key",
]


MAX_CACHED_URLS = 64


def store_key(cookie_value: str) -> str:
    """The key a browser's session is stored under: the SHA-256 of its cookie value."""
    return hashlib.sha256(cookie_value.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ProxySession:
    """One browser's Qlik session. ``cookies`` and ``csrf_token`` are secrets: never log."""

    subject: str
    cookies: str  # the cookie jar, as JSON (see QlikCookieJar)
    csrf_token: str
    created_at: float
    announced: bool = False  # the page has been told this session is new

    def __repr__(self) -> str:
        return f"ProxySession(subject={self.subject!r}, created_at={self.created_at})"

    def headers(self, url: str, *, csrf: bool) -> dict[str, str]:
        """Qlik's cookies for ``url``, and with ``csrf`` header ``qlik-csrf-token`` (a
        header, never the query: URLs end up in logs)."""
        headers = {CSRF_HEADER: self.csrf_token} if csrf else {}
        cookie = self.cookie_header(url)
        if cookie:
            headers["cookie"] = cookie
        return headers

    def query(self) -> dict[str, str]:
        return {}

    def same_login(self, other: object) -> bool:
        """Is ``other`` the same Qlik login (perhaps with cookies updated by later answers,
        or announced to the page), rather than a renewal?"""
        if not isinstance(other, ProxySession):
            return False
        return (self.created_at, self.csrf_token) == (other.created_at, other.csrf_token)

    def cookie_header(self, url: str) -> str | None:
        """The ``Cookie`` header for ``url`` (a path of the tenant, no query), worked out
        once per URL for this session, not on every call."""
        found = self._cookie_headers
        if url not in found:
            if len(found) >= MAX_CACHED_URLS:
                found.clear()
            found[url] = QlikCookieJar.from_json(self.cookies).header_for(url)
        return found[url]

    @functools.cached_property
    def _cookie_headers(self) -> dict[str, str | None]:
        return {}

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> ProxySession | None:
        """The session stored as ``text``, or None when it is not one (never raises)."""
        try:
            data = json.loads(text)
            return cls(
                str(data["subject"]),
                str(data["cookies"]),
                str(data["csrf_token"]),
                float(data["created_at"]),
                data.get("announced") is True,
            )
        except (ValueError, TypeError, KeyError):
            return None


class SessionStoreError(Exception):
    """The store could not be read or written (its message names the store, no secrets)."""


class ProxySessionStore(Protocol):
    """Async key-value storage of sessions that expire ``lifetime`` seconds after ``put``.

    Methods raise :class:`SessionStoreError` when the store cannot be reached.
    """

    lifetime: int

    async def get(self, key: str) -> ProxySession | None: ...

    async def put(self, key: str, session: ProxySession) -> None: ...

    async def delete(self, key: str) -> None: ...

    async def close(self) -> None: ...


def open_session_store(
    url: str, *, lifetime: int, clock: Callable[[], float] = time.time
) -> ProxySessionStore:
    """The store a ``QLIK_PROXY_SESSION_STORE`` URL names; nothing is connected yet for Redis.

    Raises ConfigurationError naming ``proxy_session_store`` for an unusable URL or file, or
    when Redis is asked for and the ``redis`` package (``qlik-jwt[redis]``) is missing.
    """
    try:
        kind, where = session_store_location(url)
    except ValueError as exc:
        raise ConfigurationError(
            "proxy_session_store", str(exc), hide_url_password(url), "Fix QLIK_PROXY_SESSION_STORE."
        ) from None
    if kind == "sqlite":
        from qlik_jwt.web.proxy.sqlite_store import SqliteSessionStore

        return SqliteSessionStore(where, lifetime=lifetime, clock=clock)
    try:
        from qlik_jwt.web.proxy.redis_store import RedisSessionStore
    except ImportError:
        raise ConfigurationError(
            "proxy_session_store",
            "names Redis, but the redis package is not installed",
            hide_url_password(url),
            "pip install 'qlik-jwt[redis]', or use a sqlite:/// store with one app instance.",
        ) from None
    return RedisSessionStore(where, lifetime=lifetime)


def open_broadcast(url: str) -> Broadcast | None:
    """How instances sharing the store ``url`` tell each other of ended sessions: Redis
    pub/sub for a Redis store, None for SQLite (one instance; its registry is its own).
    Call after :func:`open_session_store` has accepted the URL."""
    kind, where = session_store_location(url)
    if kind == "sqlite":
        return None
    from qlik_jwt.web.proxy.redis_broadcast import RedisBroadcast

    return RedisBroadcast(where)

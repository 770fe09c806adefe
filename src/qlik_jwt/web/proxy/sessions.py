"""The Qlik sessions the web app holds for browsers: found, created, renewed, forgotten.

Logging in is server-to-server (reference §2.1): the app mints a token for the signed-in
user, POSTs it to ``/login/jwt-session`` with no ``Origin`` and no web integration id,
and keeps the cookies the tenant sets in a :class:`QlikCookieJar`. The CSRF token is the
``_csrfToken`` cookie's value, or, when the tenant set no such cookie, what
``GET /api/v1/csrf-token`` answers.

Logins for one browser are serialised by a lock of this process: a page's first parallel
requests produce one login, not several. (Instances sharing a Redis store may each log in
once when a browser's first requests reach them at the same moment; the last session
stored wins and both stay valid at the tenant.)
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx

from qlik_jwt.embedding.tokens import TokenMinter
from qlik_jwt.signer import UserClaims
from qlik_jwt.web.errors import WebError
from qlik_jwt.web.proxy.cookie_jar import CSRF_COOKIE, QlikCookieJar
from qlik_jwt.web.proxy.failures import (
    login_refused,
    session_refused,
    store_failed,
    tenant_failure,
)
from qlik_jwt.web.proxy.headers import CSRF_HEADER
from qlik_jwt.web.proxy.store import ProxySession, ProxySessionStore, SessionStoreError

__all__ = ["QlikSessions"]

T = TypeVar("T")

JWT_SESSION = "/login/jwt-session"
CSRF_TOKEN = "/api/v1/csrf-token"


class QlikSessions:
    """Qlik sessions of browsers, kept in ``store`` under each browser's key.

    ``http`` is the client that reaches the tenant (its base URL is the tenant). Every
    method raises WebError for answers the browser should get: the tenant down or slow
    (502/504), the login refused (502), the store unreachable (503), the rate limit (429).
    """

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        minter: TokenMinter,
        store: ProxySessionStore,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.http = http
        self.tenant_url = str(http.base_url).rstrip("/")
        self.minter = minter
        self.store = store
        self.clock = clock
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def _lock(self, key: str) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock

    async def current(
        self, user: UserClaims, key: str, client: str | None = None
    ) -> tuple[ProxySession, bool]:
        """The browser's session for ``user``, logging in when there is none (or it belongs
        to another subject). The flag says whether this call just logged in. ``client``
        (the browser's address) goes to the audit line of a login."""
        found = await self._get(key)
        if found is not None and found.subject == user.sub:
            return found, False
        async with self._lock(key):
            found = await self._get(key)  # a parallel request may have logged in meanwhile
            if found is not None and found.subject == user.sub:
                return found, False
            session = await self._login(user, client)
            await self._put(key, session)
            return session, True

    async def renew(
        self, user: UserClaims, key: str, stale: ProxySession, client: str | None = None
    ) -> ProxySession:
        """A new session after the tenant refused ``stale`` (expired), unless a parallel
        request has already renewed it."""
        async with self._lock(key):
            found = await self._get(key)
            if found is not None and found.subject == user.sub and not found.same_login(stale):
                return found
            session = await self._login(user, client)
            await self._put(key, session)
            return session

    async def remember(
        self, key: str, session: ProxySession, response: httpx.Response
    ) -> ProxySession:
        """Keep cookies the tenant set (or a new CSRF token it named) on a later answer."""
        jar = QlikCookieJar.from_json(session.cookies)
        changed = jar.extract(response)
        csrf_token = response.headers.get(CSRF_HEADER) or session.csrf_token
        if not changed and csrf_token == session.csrf_token:
            return session
        updated = dataclasses.replace(session, cookies=jar.to_json(), csrf_token=csrf_token)
        await self._put(key, updated)
        return updated

    async def announce(self, key: str, session: ProxySession) -> None:
        """Note that the page has been told ``session`` is new."""
        await self._put(key, dataclasses.replace(session, announced=True))

    async def forget(self, key: str) -> None:
        await self._call(self.store.delete(key))

    async def _login(self, user: UserClaims, client: str | None) -> ProxySession:
        mint = functools.partial(self.minter.mint, user, via="proxy", client=client)
        minted = await asyncio.to_thread(mint)
        headers = {"Authorization": f"Bearer {minted.token}", "Accept": "application/json"}
        try:
            answer = await self.http.post(JWT_SESSION, headers=headers)
        except httpx.TransportError as exc:
            raise tenant_failure(exc, self.tenant_url) from None
        if answer.status_code != 200:
            raise login_refused(answer)
        jar = QlikCookieJar()
        jar.extract(answer)
        if jar.header_for(self.tenant_url + CSRF_TOKEN) is None:
            raise WebError(
                502,
                "qlik-login-refused",
                f"POST {JWT_SESSION} answered 200 but set no session cookie the app can send "
                f"back to {self.tenant_url}.",
                "Check that QLIK_TENANT_URL is the tenant's own address (scheme and host).",
            )
        csrf_token = jar.value(CSRF_COOKIE) or await self._csrf_token(jar)
        return ProxySession(user.sub, jar.to_json(), csrf_token, self.clock())

    async def _csrf_token(self, jar: QlikCookieJar) -> str:
        headers = {"Cookie": jar.header_for(self.tenant_url + CSRF_TOKEN) or ""}
        try:
            answer = await self.http.get(CSRF_TOKEN, headers=headers)
        except httpx.TransportError as exc:
            raise tenant_failure(exc, self.tenant_url) from None
        token = answer.headers.get(CSRF_HEADER)
        if answer.status_code != 204 or not token:
            raise session_refused(answer, f"GET {CSRF_TOKEN}")
        return str(token)

    async def _get(self, key: str) -> ProxySession | None:
        return await self._call(self.store.get(key))

    async def _put(self, key: str, session: ProxySession) -> None:
        await self._call(self.store.put(key, session))

    @staticmethod
    async def _call(operation: Awaitable[T]) -> T:
        try:
            return await operation
        except SessionStoreError as exc:
            raise store_failed(exc) from None

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

Sessions read or written are kept in this process until their lifetime ends, so a call
costs no store lookup; an end announced by any instance (sign-out, another user) drops the
copy, and a session renewed elsewhere is found in the store when the tenant refuses the
copy (401, then the renewal reads the store under the lock).

Every login waits its turn in a :class:`~qlik_jwt.web.proxy.login_queue.LoginQueue`, and a
429 from the tenant closes the queue for its ``Retry-After`` and is then retried (the same
token while it has :data:`MIN_TOKEN_SECONDS` left): Qlik's rate limit delays logins, it
never fails them. A call waits :data:`HOLD_SECONDS` for its browser's login; after that it
is answered 503 ``qlik-login-queued`` (its place and an estimate, ``Retry-After``) while the
login goes on, and the browser's next call finds it done or still waiting.

A session replaced by another user's (the browser's host-app user changed) is handed to
``replaced`` before the new login; :meth:`QlikSessions.log_out` ends one at the tenant.
Qlik documents no API for ending a cookie session (qlik.dev's Login API has ``GET /login``
and ``POST /login/jwt-session`` only); the app sends ``POST /logout`` with the session's
cookies and CSRF token, which the emulator implements, and a tenant that refuses it keeps
the session until its inactivity timeout (30 minutes by default).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx

from qlik_jwt.admin.client import parse_retry_after
from qlik_jwt.embedding.tokens import TokenMinter
from qlik_jwt.signer import MintedToken, UserClaims
from qlik_jwt.web.errors import WebError
from qlik_jwt.web.proxy.cookie_jar import CSRF_COOKIE, QlikCookieJar
from qlik_jwt.web.proxy.credentials import TenantCredential
from qlik_jwt.web.proxy.failures import (
    login_refused,
    session_refused,
    store_failed,
    tenant_failure,
)
from qlik_jwt.web.proxy.headers import CSRF_HEADER
from qlik_jwt.web.proxy.login_queue import LoginQueue, queued
from qlik_jwt.web.proxy.store import ProxySession, ProxySessionStore, SessionStoreError

__all__ = ["QlikSessions"]

log = logging.getLogger("qlik_jwt.web.proxy")
T = TypeVar("T")

JWT_SESSION = "/login/jwt-session"
CSRF_TOKEN = "/api/v1/csrf-token"
HOLD_SECONDS = 5.0
MIN_TOKEN_SECONDS = 10.0
NO_RETRY_AFTER_WAIT = 5.0  # a 429 without a usable Retry-After
MAX_LOGIN_WAIT = 600.0  # a tenant still saying 429 after this long fails the login
MAX_CACHED_SESSIONS = 10_000
LOGOUT = "/logout"

Replaced = Callable[[str, ProxySession], Awaitable[None]]


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
        replaced: Replaced | None = None,
    ) -> None:
        self.http = http
        self.replaced = replaced
        self.tenant_url = str(http.base_url).rstrip("/")
        self.minter = minter
        self.store = store
        self.clock = clock
        self.queue = LoginQueue()
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._logins: dict[tuple[str, str], asyncio.Task[ProxySession]] = {}
        self._tickets: dict[tuple[str, str], asyncio.Future[None]] = {}
        self._cached: dict[str, ProxySession] = {}

    def _lock(self, key: str) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock

    async def current(
        self, user: UserClaims, key: str, client: str | None = None, *, path: str = ""
    ) -> tuple[ProxySession, bool]:
        """The browser's session for ``user``, logging in when there is none (or it belongs
        to another subject). The flag says whether this call just logged in. ``client``
        (the browser's address) goes to the audit line of a login."""
        found = await self._get(key)
        if found is not None and found.subject == user.sub:
            return found, False
        which = (key, user.sub)
        task = self._logins.get(which)
        started = task is None
        if task is None:
            task = self._logins[which] = asyncio.create_task(self._log_in(user, key, client))
            task.add_done_callback(functools.partial(self._login_done, which))
        try:
            session = await asyncio.wait_for(asyncio.shield(task), HOLD_SECONDS)
        except TimeoutError:
            ticket = self._tickets.get(which)
            position = 0 if ticket is None else self.queue.position(ticket)
            raise queued(position, self.queue.estimate(position)) from None
        return session, started

    async def _log_in(self, user: UserClaims, key: str, client: str | None) -> ProxySession:
        async with self._lock(key):
            found = await self._get(key)  # a parallel request may have logged in meanwhile
            if found is not None and found.subject == user.sub:
                return found
            if found is not None and self.replaced is not None:
                await self.replaced(key, found)  # the previous user's: ended, never reused
            session = await self._login(user, client, key)
            await self._put(key, session)
            return session

    def _login_done(self, which: tuple[str, str], task: asyncio.Task[ProxySession]) -> None:
        if self._logins.get(which) is task:
            del self._logins[which]
        if not task.cancelled():
            task.exception()  # retrieved: a browser that gave up waiting is no error

    async def renew(
        self, user: UserClaims, key: str, stale: TenantCredential, client: str | None = None
    ) -> ProxySession:
        """A new session after the tenant refused ``stale`` (expired), unless a parallel
        request has already renewed it."""
        async with self._lock(key):
            found = await self._load(key)  # the store's: another instance may have renewed
            if found is not None and found.subject == user.sub and not found.same_login(stale):
                return found
            session = await self._login(user, client, key)
            await self._put(key, session)
            return session

    async def remember(
        self, key: str, session: TenantCredential, response: httpx.Response
    ) -> TenantCredential:
        """Keep cookies the tenant set (or a new CSRF token it named) on a later answer."""
        if not isinstance(session, ProxySession):
            return session
        jar = QlikCookieJar.from_json(session.cookies)
        changed = jar.extract(response)
        csrf_token = response.headers.get(CSRF_HEADER) or session.csrf_token
        if not changed and csrf_token == session.csrf_token:
            return session
        updated = dataclasses.replace(session, cookies=jar.to_json(), csrf_token=csrf_token)
        await self._put(key, updated)
        return updated

    async def announce(self, key: str, session: TenantCredential) -> None:
        """Note that the page has been told ``session`` is new."""
        if isinstance(session, ProxySession):
            await self._put(key, dataclasses.replace(session, announced=True))

    async def stored(self, key: str) -> ProxySession | None:
        """The session stored for the browser ``key``, if any (no login)."""
        return await self._get(key)

    async def forget(self, key: str) -> None:
        self.drop_cached(key)
        for which, task in list(self._logins.items()):
            if which[0] == key:
                task.cancel()  # a login still queued for the browser: nobody will use it
        await self._call(self.store.delete(key))

    async def log_out(self, session: TenantCredential) -> bool:
        """End ``session`` at the tenant (see the module); True when the tenant said so.
        Never raises: a tenant that cannot be reached keeps it until it times out."""
        if not isinstance(session, ProxySession):
            return False
        jar = QlikCookieJar.from_json(session.cookies)
        headers = {CSRF_HEADER: session.csrf_token, "Accept": "application/json"}
        cookie = jar.header_for(self.tenant_url + LOGOUT)
        if cookie:
            headers["Cookie"] = cookie
        try:
            answer = await self.http.post(LOGOUT, headers=headers)
        except httpx.TransportError as exc:
            log.warning("the tenant could not be told the session ended: %s", type(exc).__name__)
            return False
        if not answer.is_success:
            log.warning("the tenant did not end the session: %s %s", LOGOUT, answer.status_code)
        return answer.is_success

    async def _login(self, user: UserClaims, client: str | None, key: str = "") -> ProxySession:
        which = (key, user.sub)
        ticket = self._tickets[which] = self.queue.ticket()
        try:
            async with self.queue.turn(ticket):
                answer = await self._jwt_session(user, client)
        finally:
            if self._tickets.get(which) is ticket:
                del self._tickets[which]
        self.queue.succeeded()
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

    async def _jwt_session(self, user: UserClaims, client: str | None) -> httpx.Response:
        """POST a token to jwt-session until the tenant answers other than 429."""
        minted: MintedToken | None = None
        give_up = self.clock() + MAX_LOGIN_WAIT
        while True:
            if minted is None or minted.expires_at - self.clock() < MIN_TOKEN_SECONDS:
                mint = functools.partial(self.minter.mint, user, via="proxy", client=client)
                minted = await asyncio.to_thread(mint)
            headers = {"Authorization": f"Bearer {minted.token}", "Accept": "application/json"}
            try:
                answer = await self.http.post(JWT_SESSION, headers=headers)
            except httpx.RemoteProtocolError:
                # A kept-alive connection the tenant closed before any answer: once more.
                try:
                    answer = await self.http.post(JWT_SESSION, headers=headers)
                except httpx.TransportError as exc:
                    raise tenant_failure(exc, self.tenant_url) from None
            except httpx.TransportError as exc:
                raise tenant_failure(exc, self.tenant_url) from None
            if answer.status_code == 429 and self.clock() < give_up:
                wait = parse_retry_after(answer.headers.get("Retry-After"), now=self.clock())
                self.queue.close_for(NO_RETRY_AFTER_WAIT if wait is None else wait)
                await self.queue.reopened()
                continue
            if answer.status_code != 200:
                raise login_refused(answer)
            return answer

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
        cached = self._cached.get(key)
        if cached is not None and cached.created_at + self.store.lifetime > self.clock():
            return cached
        return await self._load(key)

    async def _load(self, key: str) -> ProxySession | None:
        found = await self._call(self.store.get(key))
        self._cache(key, found)
        return found

    async def _put(self, key: str, session: ProxySession) -> None:
        await self._call(self.store.put(key, session))
        self._cache(key, session)

    def drop_cached(self, key: str) -> None:
        """Forget what this process knows of ``key`` (it ended, maybe on another instance)."""
        self._cached.pop(key, None)

    async def ended(self, key: str, reason: str) -> None:
        """A :class:`~qlik_jwt.web.session_ends.SessionEnds` hook: ``key`` ended."""
        self.drop_cached(key)

    def _cache(self, key: str, session: ProxySession | None) -> None:
        if session is None:
            self._cached.pop(key, None)
            return
        if len(self._cached) >= MAX_CACHED_SESSIONS:
            self._cached.clear()
        self._cached[key] = session

    @staticmethod
    async def _call(operation: Awaitable[T]) -> T:
        try:
            return await operation
        except SessionStoreError as exc:
            raise store_failed(exc) from None

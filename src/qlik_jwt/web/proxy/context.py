"""``QlikProxy``: what every proxy route shares, and the one question each asks first —
which signed-in user is this, and which Qlik credential does the app hold for their browser?

A browser is known by a first-party cookie (``qlik-jwt-proxy``, ``__Host-`` over HTTPS,
``HttpOnly``, ``SameSite=Lax``) holding a random id; the Qlik session lives in the store
under its SHA-256. The embedding page sets the cookie; a first proxied call without one
gets it set on its answer. The session is bound to the user's subject: a browser whose
host-app user changed gets a new Qlik login, never the previous user's session.

A browser's session ends (:meth:`QlikProxy.end`) when its user signs out or signs in
again, when another user appears on it, when a call finds nobody signed in, and when the
host session expires under an open websocket: the stored session is deleted for good,
everything registered under the browser's key in :attr:`QlikProxy.ends` (engine sockets;
on every instance) is closed, and the session is ended at the tenant.

In login mode ``impersonation`` the credential is the user's access token
(:mod:`.impersonated`): nothing is stored per browser, and an ended session revokes the
token of the browser's user on every instance that cached one.
"""

from __future__ import annotations

import contextlib
import secrets
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from qlik_jwt.cookieless import cookieless_jar
from qlik_jwt.embedding.access_tokens import AccessTokenIssuer
from qlik_jwt.embedding.tokens import TokenMinter
from qlik_jwt.settings import Settings
from qlik_jwt.signer import UserClaims
from qlik_jwt.tls import tls_context
from qlik_jwt.web.cookies import FirstPartyCookie
from qlik_jwt.web.errors import WebError
from qlik_jwt.web.identity import Identify, identify_user
from qlik_jwt.web.proxy.credentials import CredentialSource, TenantCredential
from qlik_jwt.web.proxy.impersonated import ImpersonatedSessions
from qlik_jwt.web.proxy.sessions import QlikSessions
from qlik_jwt.web.proxy.store import (
    ProxySession,
    ProxySessionStore,
    open_broadcast,
    open_session_store,
    store_key,
)
from qlik_jwt.web.proxy.tenant_http import TenantPool
from qlik_jwt.web.session_ends import SIGNED_OUT, USER_CHANGED, SessionEnds

__all__ = ["COOKIE_BASE_NAME", "MAX_CONNECT_SECONDS", "ProxyCall", "QlikProxy", "SessionDeadline"]

# When the browser's host session ends (UNIX time), or None when the app cannot know.
SessionDeadline = Callable[[HTTPConnection], float | None]

COOKIE_BASE_NAME = "qlik-jwt-proxy"
MAX_CONNECT_SECONDS = 5.0


@dataclass(frozen=True)
class ProxyCall:
    """One proxied call: the user, the browser's store key, the Qlik credential, whether it
    was made just now (``fresh``), and a new cookie value to set on the answer, if any."""

    user: UserClaims
    key: str
    session: TenantCredential
    fresh: bool
    new_cookie: str | None
    client: str | None  # the browser's address, for the audit line of a login


class QlikProxy:
    """The tenant client, the credential source and the browser cookie of proxy mode.

    Login mode ``jwt`` logs in with ``minter`` and keeps Qlik sessions in the session store;
    ``impersonation`` adds the user's access token from ``access_tokens``.

    ``session_deadline`` says when a connection's host session expires, so that its open
    websockets close then; without it they are re-identified every
    :data:`~qlik_jwt.web.session_ends.RECHECK_SECONDS`. Raises ConfigurationError for an
    unusable session store URL or CA file.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        identify: Identify,
        minter: TokenMinter,
        access_tokens: AccessTokenIssuer | None = None,
        clock: Callable[[], float] = time.time,
        session_deadline: SessionDeadline | None = None,
    ) -> None:
        settings.require("tenant_url")
        assert settings.tenant_url is not None
        self.tenant_url = settings.tenant_url
        self.public_origin = settings.public_origin
        self.timeout = settings.proxy_timeout
        self.cookie_lifetime = settings.web_session_lifetime
        verify = tls_context(settings.tenant_ca_file or True)
        self.tls = verify if isinstance(verify, ssl.SSLContext) else ssl.create_default_context()
        self.http = httpx.AsyncClient(
            base_url=self.tenant_url,
            transport=httpx.AsyncHTTPTransport(verify=self.tls),
            timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, MAX_CONNECT_SECONDS)),
            follow_redirects=False,
            cookies=cookieless_jar(),  # shared by every browser: each call sends its own
        )
        self.pool = TenantPool(
            self.tenant_url,
            tls=self.tls,
            timeout=self.timeout,
            connect_timeout=min(self.timeout, MAX_CONNECT_SECONDS),
        )
        self.store: ProxySessionStore | None = None
        self.sessions: CredentialSource
        self.ends = SessionEnds(broadcast=open_broadcast(settings.proxy_session_store), clock=clock)
        self.ends.ender = self.end_key
        if access_tokens is not None:
            impersonated = ImpersonatedSessions(access_tokens)
            self.ends.on_end(impersonated.ended)
            self.sessions = impersonated
        else:
            self.store = open_session_store(
                settings.proxy_session_store, lifetime=settings.web_session_lifetime, clock=clock
            )
            qlik_sessions = QlikSessions(
                http=self.http,
                minter=minter,
                store=self.store,
                clock=clock,
                replaced=self._replaced,
            )
            self.ends.on_end(qlik_sessions.ended)  # its copies, wherever the end came from
            self.sessions = qlik_sessions
        self.cookie = FirstPartyCookie(COOKIE_BASE_NAME, settings.public_origin)
        self.identify = identify
        self.session_deadline = session_deadline

    async def user(self, connection: HTTPConnection) -> UserClaims:
        """The signed-in user of a request or websocket handshake; 401 when there is none.

        The identify hook gets a Request; for a websocket it is built from the handshake
        (same headers, cookies and URL).
        """
        request = connection if isinstance(connection, Request) else _as_request(connection)
        user = await identify_user(self.identify, request)
        if user is None:
            value = self.cookie.value(connection)
            if value is not None:  # whoever used this browser has left: end what they had
                with contextlib.suppress(WebError):  # the store is down: it expires there
                    await self.end_key(store_key(value), SIGNED_OUT)
            raise WebError(
                401,
                "not-signed-in",
                "Only a signed-in user of the web app may reach Qlik through it.",
                "Sign in to the web app, then reload the page.",
            )
        return user

    def browser_key(self, connection: HTTPConnection) -> tuple[str, str | None]:
        """The browser's store key, and a new cookie value when it has no cookie yet."""
        value = self.cookie.value(connection)
        if value is not None:
            return store_key(value), None
        value = secrets.token_urlsafe(32)
        return store_key(value), value

    async def call(self, connection: HTTPConnection) -> ProxyCall:
        """Who calls, and the Qlik session to call with (logging in when needed)."""
        user = await self.user(connection)
        key, new_cookie = self.browser_key(connection)
        client = connection.client.host if connection.client else None
        path: str = connection.scope["path"]  # the URL's path, without building the URL
        session, fresh = await self.sessions.current(user, key, client, path=path)
        return ProxyCall(user, key, session, fresh, new_cookie, client)

    def give_cookie(self, connection: HTTPConnection, response: Response) -> None:
        """Set the browser cookie on a page answer when the browser has none yet, so the
        page's first parallel calls share one key (and one login)."""
        if self.cookie.value(connection) is None:
            _, value = self.browser_key(connection)
            assert value is not None
            self.cookie.set(connection, response, value, self.cookie_lifetime)

    async def still_signed_in(self, connection: HTTPConnection, subject: str) -> bool:
        """Is ``subject`` still the signed-in user of this (websocket) connection?"""
        user = await identify_user(self.identify, _as_request(connection))
        return user is not None and user.sub == subject

    def deadline(self, connection: HTTPConnection) -> float | None:
        return None if self.session_deadline is None else self.session_deadline(connection)

    async def end(
        self, connection: HTTPConnection, response: Response, reason: str = SIGNED_OUT
    ) -> None:
        """End the browser's Qlik session (sign-out, sign-in) and clear its cookie, so the
        next page starts under a new key. Raises WebError 503 when the store is down."""
        value = self.cookie.value(connection)
        self.cookie.clear(connection, response)
        if value is not None:
            await self.end_key(store_key(value), reason)

    async def end_key(self, key: str, reason: str) -> None:
        """End everything of the browser ``key``: the stored session is deleted for good,
        what :attr:`ends` holds for it is closed on every instance, and the Qlik session
        is ended at the tenant. Raises WebError 503 when the store is down."""
        session = await self.sessions.stored(key)
        if session is not None:
            await self.sessions.forget(key)
        # Without a stored session no instance can have opened anything since; an end that
        # deleted it has told the others already (and strangers' cookies cost no publish).
        await self.ends.end(key, reason, everywhere=session is not None)
        if session is not None:
            await self.sessions.log_out(session)

    async def _replaced(self, key: str, previous: ProxySession) -> None:
        await self.ends.end(key, USER_CHANGED)
        await self.sessions.log_out(previous)

    async def aclose(self) -> None:
        await self.ends.aclose()
        await self.http.aclose()
        await self.pool.aclose()
        if self.store is not None:
            await self.store.close()


def _as_request(connection: HTTPConnection) -> Request:
    """A GET request of the connection's scope, without what earlier reads cached in it
    (the host session read at the handshake, say): identity is asked afresh."""
    scope = {
        key: value for key, value in connection.scope.items() if not key.startswith("qlik_jwt.")
    }
    return Request({**scope, "type": "http", "method": "GET"})

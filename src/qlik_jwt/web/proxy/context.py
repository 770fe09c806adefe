"""``QlikProxy``: what every proxy route shares, and the one question each asks first —
which signed-in user is this, and which Qlik session does the app hold for their browser?

A browser is known by a first-party cookie (``qlik-jwt-proxy``, ``__Host-`` over HTTPS,
``HttpOnly``, ``SameSite=Lax``) holding a random id; the Qlik session lives in the store
under its SHA-256. The embedding page sets the cookie; a first proxied call without one
gets it set on its answer. The session is bound to the user's subject: a browser whose
host-app user changed gets a new Qlik login, never the previous user's session.
"""

from __future__ import annotations

import secrets
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from qlik_jwt.cookieless import cookieless_jar
from qlik_jwt.embedding.tokens import TokenMinter
from qlik_jwt.settings import Settings
from qlik_jwt.signer import UserClaims
from qlik_jwt.tls import tls_context
from qlik_jwt.web.cookies import FirstPartyCookie
from qlik_jwt.web.errors import WebError
from qlik_jwt.web.identity import Identify, identify_user
from qlik_jwt.web.proxy.sessions import QlikSessions
from qlik_jwt.web.proxy.store import ProxySession, open_session_store, store_key

__all__ = ["COOKIE_BASE_NAME", "MAX_CONNECT_SECONDS", "ProxyCall", "QlikProxy"]

COOKIE_BASE_NAME = "qlik-jwt-proxy"
MAX_CONNECT_SECONDS = 5.0


@dataclass(frozen=True)
class ProxyCall:
    """One proxied call: the user, the browser's store key, the Qlik session, whether it
    was made just now (``fresh``), and a new cookie value to set on the answer, if any."""

    user: UserClaims
    key: str
    session: ProxySession
    fresh: bool
    new_cookie: str | None
    client: str | None  # the browser's address, for the audit line of a login


class QlikProxy:
    """The tenant client, the session store and the browser cookie of proxy mode.

    Raises ConfigurationError for an unusable session store URL or CA file.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        identify: Identify,
        minter: TokenMinter,
        clock: Callable[[], float] = time.time,
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
        self.store = open_session_store(
            settings.proxy_session_store, lifetime=settings.web_session_lifetime, clock=clock
        )
        self.sessions = QlikSessions(http=self.http, minter=minter, store=self.store, clock=clock)
        self.cookie = FirstPartyCookie(COOKIE_BASE_NAME, settings.public_origin)
        self.identify = identify

    async def user(self, connection: HTTPConnection) -> UserClaims:
        """The signed-in user of a request or websocket handshake; 401 when there is none.

        The identify hook gets a Request; for a websocket it is built from the handshake
        (same headers, cookies and URL).
        """
        request = connection if isinstance(connection, Request) else _as_request(connection)
        user = await identify_user(self.identify, request)
        if user is None:
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
        session, fresh = await self.sessions.current(user, key, client)
        return ProxyCall(user, key, session, fresh, new_cookie, client)

    def give_cookie(self, connection: HTTPConnection, response: Response) -> None:
        """Set the browser cookie on a page answer when the browser has none yet, so the
        page's first parallel calls share one key (and one login)."""
        if self.cookie.value(connection) is None:
            _, value = self.browser_key(connection)
            assert value is not None
            self.cookie.set(connection, response, value, self.cookie_lifetime)

    async def forget(self, connection: HTTPConnection, response: Response) -> None:
        """Drop the browser's Qlik session (sign-out) and clear its cookie."""
        value = self.cookie.value(connection)
        if value is not None:
            await self.sessions.forget(store_key(value))
        self.cookie.clear(connection, response)

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.store.close()


def _as_request(connection: HTTPConnection) -> Request:
    scope = {**connection.scope, "type": "http", "method": "GET"}
    return Request(scope)

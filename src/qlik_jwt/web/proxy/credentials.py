"""The proxy's credential step: what each call to the tenant carries to say who the user is.

Forwarding (REST, ``/single/``, the engine websocket) asks a :class:`CredentialSource` for the
browser's :class:`TenantCredential` and adds its :meth:`~TenantCredential.headers`; nothing
else in the forwarding code knows which login mode is on. Two implementations:

- login mode ``jwt``: :class:`~qlik_jwt.web.proxy.store.ProxySession` from
  :class:`~qlik_jwt.web.proxy.sessions.QlikSessions`: Qlik's session cookies and CSRF token,
  after a server-side ``/login/jwt-session``, kept per browser in the session store;
- login mode ``impersonation``: :class:`BearerCredential` from
  :class:`~qlik_jwt.web.proxy.impersonated.ImpersonatedSessions`: ``Authorization: Bearer``
  with the user's access token; no cookie jar, no CSRF token, nothing stored per browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import httpx

from qlik_jwt.impersonation import AccessToken
from qlik_jwt.signer import UserClaims

__all__ = ["BearerCredential", "CredentialSource", "TenantCredential"]


class TenantCredential(Protocol):
    """What proves the user to the tenant. Secret: never log it (its repr shows none)."""

    @property
    def subject(self) -> str: ...

    @property
    def announced(self) -> bool:
        """The page has been told this credential is new."""
        ...

    @property
    def csrf_token(self) -> str | None:
        """Qlik's CSRF token when the credential is a cookie session, else None."""
        ...

    def headers(self, url: str, *, csrf: bool) -> dict[str, str]:
        """The headers a call to ``url`` carries (with Qlik's CSRF token when ``csrf``)."""
        ...

    def query(self) -> dict[str, str]:
        """Query parameters the call adds (a web resource's token), usually none."""
        ...


class CredentialSource(Protocol):
    """Finds, renews and forgets the credential of each browser (by its store ``key``).

    Every method raises WebError for answers the browser should get (tenant down, grant or
    login refused, store unreachable, rate limit).
    """

    async def current(
        self, user: UserClaims, key: str, client: str | None = None, *, path: str = ""
    ) -> tuple[TenantCredential, bool]:
        """The credential for ``user`` calling ``path``, and whether this call just made it
        (``fresh``)."""
        ...

    async def renew(
        self, user: UserClaims, key: str, stale: TenantCredential, client: str | None = None
    ) -> TenantCredential:
        """A new credential after the tenant refused ``stale`` (one transparent retry)."""
        ...

    async def remember(
        self, key: str, credential: TenantCredential, response: httpx.Response
    ) -> TenantCredential:
        """``credential`` updated with what the tenant's ``response`` set (cookies)."""
        ...

    async def announce(self, key: str, credential: TenantCredential) -> None: ...

    async def stored(self, key: str) -> TenantCredential | None:
        """The credential kept for the browser ``key``, if any (without making one)."""
        ...

    async def forget(self, key: str) -> None: ...

    async def log_out(self, credential: TenantCredential) -> bool:
        """End ``credential`` at the tenant; True when it said so. Never raises."""
        ...


@dataclass(frozen=True)
class BearerCredential:
    """A user's OAuth access token (login mode ``impersonation``); for ``/single/`` also a
    token exchanged for purpose ``webresource``, sent as query ``accessToken`` (how
    ``@qlik/api`` authorizes web resources; the browser never sees it)."""

    subject: str
    access_token: AccessToken  # its repr shows no token
    webresource: AccessToken | None = None
    announced: bool = True  # nothing to announce: the page never sees a token
    csrf_token: None = None

    def headers(self, url: str, *, csrf: bool) -> dict[str, str]:
        return {"authorization": self.access_token.authorization}

    def query(self) -> dict[str, str]:
        return {} if self.webresource is None else {"accessToken": self.webresource.token}

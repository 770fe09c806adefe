"""Proxy mode in login mode ``impersonation``: each call carries the user's access token.

The app holds the token server-side (the impersonation client's per-user cache) and adds
``Authorization: Bearer`` itself: no cookie jar, no CSRF token, nothing stored per browser, and
the browser never sees a token. A page view costs no grant while the user's cached token is
fresh; a token the tenant refuses (expired or revoked between cache and use) is replaced once.

Qlik documents no way to authorize the ``/single/`` iframe with OAuth (its iframe pages say
iframes rely on cookies); the proxy serves it with a token exchanged for purpose
``webresource`` in query ``accessToken``, as ``@qlik/api`` authorizes web resources.
"""

from __future__ import annotations

import asyncio

import httpx

from qlik_jwt import log_redaction
from qlik_jwt.embedding.access_tokens import AccessTokenIssuer
from qlik_jwt.impersonation import AccessToken
from qlik_jwt.signer import UserClaims
from qlik_jwt.web.proxy.credentials import BearerCredential, TenantCredential

__all__ = ["ImpersonatedSessions"]

SINGLE = "/single/"


def _credential(token: AccessToken) -> BearerCredential:
    return BearerCredential(token.subject, token)


class ImpersonatedSessions:
    """The :class:`~qlik_jwt.web.proxy.credentials.CredentialSource` of login mode
    ``impersonation``. Grants run in a worker thread (the client is synchronous)."""

    def __init__(self, access_tokens: AccessTokenIssuer) -> None:
        self.access_tokens = access_tokens
        self._owners: dict[str, str] = {}  # browser key → subject, to revoke at its end
        # httpx logs each request's URL at INFO: /single/'s carries a webresource token.
        log_redaction.install(("httpx",))

    async def current(
        self, user: UserClaims, key: str, client: str | None = None, *, path: str = ""
    ) -> tuple[TenantCredential, bool]:
        token = await asyncio.to_thread(self.access_tokens.current, user)
        self._owners[key] = user.sub
        if path.startswith(SINGLE):
            web = await asyncio.to_thread(self.access_tokens.exchange, token, "webresource")
            return BearerCredential(token.subject, token, web), False
        return _credential(token), False

    async def renew(
        self, user: UserClaims, key: str, stale: TenantCredential, client: str | None = None
    ) -> TenantCredential:
        old = stale.access_token if isinstance(stale, BearerCredential) else None
        return _credential(await asyncio.to_thread(self.access_tokens.renew, user, old))

    async def remember(
        self, key: str, credential: TenantCredential, response: httpx.Response
    ) -> TenantCredential:
        return credential  # a bearer call sets nothing to keep

    async def announce(self, key: str, credential: TenantCredential) -> None:
        return None

    async def stored(self, key: str) -> TenantCredential | None:
        """The token cached for the browser's user, while its session has not ended."""
        subject = self._owners.get(key)
        token = None if subject is None else self.access_tokens.client.cached(subject)
        return None if token is None else _credential(token)

    async def forget(self, key: str) -> None:
        return None

    async def log_out(self, credential: TenantCredential) -> bool:
        return False

    async def ended(self, key: str, reason: str) -> None:
        """The session-end hook (every instance): revoke the token this instance cached for
        the browser's user. Tokens belong to the user, so the user's other browsers get a
        new grant on their next call."""
        subject = self._owners.pop(key, None)
        if subject is not None:
            await asyncio.to_thread(self.access_tokens.revoke, subject)

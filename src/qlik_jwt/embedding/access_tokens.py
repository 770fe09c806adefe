"""Login mode ``impersonation``: the user's Qlik access token, within the rules of a token
route, for an access-token route and for proxy mode.

:class:`AccessTokenIssuer` is the impersonation side of "get this ``UserClaims`` user a Qlik
credential" (:class:`~qlik_jwt.embedding.tokens.TokenMinter` is the JWT side). It asks the
library's :class:`~qlik_jwt.impersonation.ImpersonationClient` (which finds or creates the
user, keeps its groups in step, caches tokens per user until shortly before they expire and
holds one grant in flight per user) and adds what a web app needs around it:

- :meth:`~AccessTokenIssuer.issue` for a route the browser calls (direct mode): login mode
  ``impersonation`` (403 ``impersonation-off``), the per-user rate limit (429 with
  ``Retry-After``), one audit line (``access-token-issued``: ``sub``, ``exp``, a fingerprint
  of the token, never the token);
- :meth:`~AccessTokenIssuer.current` / :meth:`~AccessTokenIssuer.renew` for proxy mode,
  which asks on every forwarded call: no rate limit (the cache answers), no audit line;
- every refusal of the tenant as a WebError in Qlik's terms with its fix
  (:func:`grant_refused`).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable

from qlik_jwt.admin.connect import client_from_settings
from qlik_jwt.embedding.audit import TokenAudit
from qlik_jwt.embedding.ratelimit import rate_limited
from qlik_jwt.embedding.refusals import WebError
from qlik_jwt.embedding.requirements import IMPERSONATION_SETTINGS
from qlik_jwt.embedding.tokens import token_limiter
from qlik_jwt.errors import OAuthGrantError, QlikJwtError, TenantHTTPError, TenantUnreachableError
from qlik_jwt.impersonation import AccessToken, ImpersonationClient, Purpose
from qlik_jwt.settings import Settings
from qlik_jwt.signer import UserClaims

__all__ = [
    "AccessTokenIssuer",
    "access_token_answer",
    "access_token_issuer",
    "fingerprint",
    "grant_refused",
    "impersonation_client",
]

log = logging.getLogger("qlik_jwt.web")


def access_token_answer(token: AccessToken) -> dict[str, object]:
    """The JSON body of a successful access-token request (``expiresAt`` in UNIX seconds)."""
    return {"accessToken": token.token, "expiresAt": int(token.expires_at)}


def fingerprint(token: AccessToken) -> str:
    """The token's SHA-256, first 12 hex digits: names it in logs without giving it."""
    return hashlib.sha256(token.token.encode()).hexdigest()[:12]


def grant_refused(exc: QlikJwtError) -> WebError:
    """The tenant's refusal of an impersonation grant, for the browser (never a secret)."""
    if isinstance(exc, TenantUnreachableError):
        return WebError(502, "tenant-unreachable", str(exc), "Check QLIK_TENANT_URL.")
    if not isinstance(exc, TenantHTTPError):
        return WebError(500, "impersonation-failed", str(exc))
    said = " · ".join(part for part in (exc.code, exc.detail) if part) or f"HTTP {exc.status}"
    reason = exc.reason if isinstance(exc, OAuthGrantError) else None
    if exc.status == 401 or reason == "invalid_client":
        return WebError(
            502,
            "oauth-client-refused",
            f"The tenant refused the app's OAuth client ({said}): unknown client id or wrong "
            "client secret.",
            "Check QLIK_OAUTH_CLIENT_ID and QLIK_OAUTH_CLIENT_SECRET against the tenant's "
            "OAuth client; `qlik-jwt doctor` checks them, `qlik-jwt setup` makes a client.",
        )
    if reason == "too_many_tokens" or (exc.status == 403 and "token" in said.lower()):
        return WebError(
            403,
            "too-many-tokens",
            f"The tenant refused another access token for this user ({said}).",
            "Reuse the user's cached token; revoke old ones (sign out) or wait until they expire.",
        )
    if exc.status == 403:
        return WebError(
            403,
            "impersonation-refused",
            f"The tenant refused to impersonate this user ({said}).",
            "A disabled or deleted user cannot be impersonated: enable the user in the "
            "tenant's Users page, and check that the OAuth client allows grant "
            "urn:qlik:oauth:user-impersonation (`qlik-jwt doctor`).",
        )
    if exc.status == 429:
        return WebError(
            429,
            "rate-limited",
            f"The tenant limits impersonation grants ({said}).",
            "Wait and retry; cached tokens make most page views cost no grant.",
        )
    return WebError(502, "impersonation-failed", f"The tenant refused the grant ({said}).", exc.fix)


class AccessTokenIssuer:
    """User access tokens from ``client`` within the login mode, the rate limit and the
    audit trail. ``clock`` (UNIX time) dates audit lines; ``rate_clock`` drives the per-user
    limit (``settings.token_rate_limit`` per minute; see
    :func:`~qlik_jwt.embedding.tokens.token_limiter`).
    """

    def __init__(
        self,
        settings: Settings,
        client: ImpersonationClient,
        *,
        clock: Callable[[], float] = time.time,
        rate_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.login_mode = settings.login_mode
        self.client = client
        self.limiter = token_limiter(settings, rate_clock)
        self.audit = TokenAudit(clock)

    def issue(self, user: UserClaims, *, via: str, client: str | None = None) -> AccessToken:
        """The user's token for the browser, recorded on the audit log with ``via`` and
        ``client``. Raises WebError: 403 ``impersonation-off``, 429 ``rate-limited``, and
        :func:`grant_refused`'s."""
        if self.login_mode != "impersonation":
            raise WebError(
                403,
                "impersonation-off",
                f"This app uses login mode {self.login_mode!r}: it hands out no access tokens.",
                "Set QLIK_LOGIN_MODE=impersonation to give users Qlik access tokens.",
            )
        wait = self.limiter.acquire(user.sub)
        if wait:
            self.audit.rate_limited(
                user.sub, via=via, client=client, event="access-token-rate-limited"
            )
            raise rate_limited(
                self.limiter,
                wait,
                "access tokens",
                "Keep the token until shortly before expiresAt instead of asking again.",
            )
        token = self.current(user)
        self.audit.access_token_issued(
            user.sub, fingerprint(token), int(token.expires_at), via=via, client=client
        )
        return token

    def answer(self, user: UserClaims, *, via: str, client: str | None = None) -> dict[str, object]:
        """:meth:`issue`'s token as the access-token route's JSON body."""
        return access_token_answer(self.issue(user, via=via, client=client))

    def current(self, user: UserClaims) -> AccessToken:
        """The user's token (cached, or a new grant). Raises :func:`grant_refused`'s."""
        try:
            return self.client.access_token(user)
        except QlikJwtError as exc:
            raise grant_refused(exc) from None

    def exchange(self, token: AccessToken, purpose: Purpose) -> AccessToken:
        """``token`` exchanged for ``purpose``. Raises :func:`grant_refused`'s."""
        try:
            return self.client.exchange(token, purpose)
        except QlikJwtError as exc:
            raise grant_refused(exc) from None

    def renew(self, user: UserClaims, stale: AccessToken | None) -> AccessToken:
        """A new token after the tenant refused ``stale`` (unless another call renewed it)."""
        if stale is not None:
            self.client.discard(stale)
        return self.current(user)

    def revoke(self, subject: str) -> None:
        """Revoke the token cached for ``subject``; a tenant failure is logged, not raised
        (sign-out goes on, the token expires at the tenant)."""
        try:
            self.client.revoke(subject)
        except QlikJwtError as exc:
            log.warning("could not revoke the access token of %r: %s", subject, type(exc).__name__)

    def close(self) -> None:
        self.client.close()


def access_token_issuer(
    settings: Settings,
    client: ImpersonationClient | None = None,
    *,
    clock: Callable[[], float] = time.time,
    rate_clock: Callable[[], float] = time.monotonic,
) -> AccessTokenIssuer | None:
    """The issuer for login mode ``impersonation`` (None in the other modes), over
    ``client`` or else :func:`impersonation_client` of the settings.

    Raises SettingsError listing every missing setting.
    """
    if settings.login_mode != "impersonation":
        return None
    settings.require(*IMPERSONATION_SETTINGS)
    client = client or impersonation_client(settings)
    return AccessTokenIssuer(settings, client, clock=clock, rate_clock=rate_clock)


def impersonation_client(settings: Settings) -> ImpersonationClient:
    """The OAuth client of the settings; with an admin credential set (API key or admin
    OAuth client) it also finds or creates users and keeps their groups in step, else users
    must exist in the tenant already. Raises SettingsError for missing settings."""
    settings.require(*IMPERSONATION_SETTINGS)
    assert settings.tenant_url and settings.oauth_client_id and settings.oauth_client_secret
    has_admin = settings.admin_api_key is not None or settings.admin_oauth_client_id is not None
    return ImpersonationClient(
        settings.tenant_url,
        settings.oauth_client_id,
        settings.oauth_client_secret.get_secret_value(),
        admin=client_from_settings(settings) if has_admin else None,
        verify=settings.tenant_ca_file or True,
    )

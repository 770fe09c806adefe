"""The token endpoint's rules, shared by the web app and every framework integration.

A token request is checked in this order; each framework supplies the request's parts:

1. same origin (:func:`~qlik_jwt.embedding.forgery.check_same_origin`), 403;
2. no body, or exactly ``{}``, at most :data:`MAX_BODY` bytes (:func:`check_body_length`,
   :func:`check_empty_json`), 400;
3. a signed-in user (:func:`require_user`), 401;
4. the host's CSRF protection, 403;
5. then :meth:`TokenMinter.mint`: JWT login mode (403), the per-user rate limit (429 with
   ``Retry-After``), the token from the core signer, and one audit line on
   :data:`AUDIT_LOGGER` (:mod:`~qlik_jwt.embedding.audit`: time, ``sub``, groups, ``jti``,
   ``exp``, ``via``, client address; never the token).

Proxy mode's server-side logins use the same :class:`TokenMinter`.

Answers carry :data:`NO_STORE`: a cached token would log someone else in.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from qlik_jwt.embedding.audit import AUDIT_LOGGER, TokenAudit
from qlik_jwt.embedding.forgery import check_same_origin
from qlik_jwt.embedding.ratelimit import PRUNE_EVERY, RateLimiter, rate_limited
from qlik_jwt.embedding.refusals import WebError
from qlik_jwt.embedding.requirements import signer_for
from qlik_jwt.errors import ConfigurationError, QlikJwtError
from qlik_jwt.settings import Settings, hide_url_password, session_store_location
from qlik_jwt.signer import MintedToken, TokenSigner, UserClaims

if TYPE_CHECKING:
    from qlik_jwt.embedding.shared_ratelimit import SharedRateLimiter

__all__ = [
    "AUDIT_LOGGER",
    "MAX_BODY",
    "NO_STORE",
    "QLIK_SESSION_HINT_SECONDS",
    "VIA_TOKEN_ENDPOINT",
    "TokenMinter",
    "body_too_large",
    "check_body_length",
    "check_empty_json",
    "check_token_request",
    "length_within",
    "require_user",
    "token_answer",
    "token_limiter",
]

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
MAX_BODY = 1024
VIA_TOKEN_ENDPOINT = "token-endpoint"  # the audit line's ``via`` for a token route's mints
# Qlik's default session inactivity timeout: a token minted more recently than this most
# likely left a live Qlik session, so the page probes it before asking for a new token.
QLIK_SESSION_HINT_SECONDS = 1800


def body_too_large(limit: int) -> WebError:
    return WebError(
        400,
        "body-too-large",
        f"The request body is larger than {limit} bytes.",
        "Send a smaller body.",
    )


def length_within(declared: str, limit: int) -> bool:
    """Whether a ``Content-Length`` value is at most ``limit``; WebError 400 when it is not
    a number."""
    # ASCII digits only: "²" passes isdigit() but not int(); 5,000 digits pass neither limit
    if not (declared.isascii() and declared.isdigit()):
        raise WebError(400, "bad-content-length", "Content-Length is not a number.")
    return len(declared.lstrip("0")) <= len(str(limit)) and int(declared) <= limit


def check_body_length(declared: str | None, limit: int) -> None:
    """Refuse a ``Content-Length`` that is not a number or exceeds ``limit`` (400)."""
    if declared is not None and not length_within(declared, limit):
        raise body_too_large(limit)


def check_empty_json(body: bytes) -> None:
    """Accept no body, or the JSON object ``{}``; anything else is a 400."""
    body = body.strip()
    if not body:
        return
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise WebError(
            400, "malformed-body", "The body is not JSON.", "Send no body, or {}."
        ) from None
    if value != {}:
        raise WebError(
            400,
            "unexpected-body",
            "This endpoint takes no parameters: the token is always for the signed-in user.",
            "Send no body, or {}.",
        )


def check_token_request(
    expected_origin: str,
    origin: str | None,
    fetch_site: str | None,
    content_length: str | None,
    read: Callable[[int], bytes],
) -> None:
    """Steps 1 and 2 for a synchronous (WSGI-style) request, given its ``Origin``,
    ``Sec-Fetch-Site`` and ``Content-Length`` headers: the same origin, then the body, read
    with ``read(n)`` and never more than :data:`MAX_BODY` bytes. Raises WebError."""
    check_same_origin(expected_origin, origin, fetch_site)
    check_body_length(content_length, MAX_BODY)
    body = read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        raise body_too_large(MAX_BODY)
    check_empty_json(body)


def require_user(user: object, sign_in_hint: str = "Open the app and sign in.") -> UserClaims:
    """``user`` as returned by an identify hook: UserClaims, or None → WebError 401.

    Anything else is a programming error in the hook (TypeError).
    """
    if user is None:
        raise WebError(401, "not-signed-in", "Sign in to the web app first.", sign_in_hint)
    if not isinstance(user, UserClaims):
        raise TypeError(f"identify() must return UserClaims or None, not {type(user).__name__}")
    return user


def token_answer(minted: MintedToken) -> dict[str, object]:
    """The JSON body of a successful token request."""
    return {"token": minted.token, "expiresAt": minted.expires_at}


def token_limiter(
    settings: Settings, clock: Callable[[], float]
) -> RateLimiter | SharedRateLimiter:
    """The per-user token limit: counted in the Redis of ``proxy_session_store`` when it
    names one (one limit for every instance and worker sharing it), else in this process
    (``clock`` drives it; N processes then allow N times the limit).

    Raises ConfigurationError when Redis is named and the redis package is missing.
    """
    kind, where = session_store_location(settings.proxy_session_store)
    if kind == "sqlite":
        return RateLimiter(settings.token_rate_limit, clock=clock)
    try:
        from qlik_jwt.embedding.shared_ratelimit import SharedRateLimiter
    except ImportError:
        raise ConfigurationError(
            "proxy_session_store",
            "names Redis, but the redis package is not installed",
            hide_url_password(settings.proxy_session_store),
            "pip install 'qlik-jwt[redis]', or use a sqlite:/// store with one app instance.",
        ) from None
    return SharedRateLimiter(where, settings.token_rate_limit)


class TokenMinter:
    """Mints tokens for identified users, within the login mode and the rate limit: for a
    token endpoint and for proxy mode's own logins.

    ``signer`` defaults to one made from ``settings`` (JWT login mode only); ``clock`` (UNIX
    time) dates mints for :meth:`minted_recently`; ``rate_clock`` drives the rate limit
    (``settings.token_rate_limit`` per user per minute: see :func:`token_limiter`). Raises
    SettingsError listing every missing setting.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        signer: TokenSigner | None = None,
        clock: Callable[[], float] = time.time,
        rate_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.login_mode = settings.login_mode
        self.signer = signer_for(settings, signer)
        self.limiter = token_limiter(settings, rate_clock)
        self.clock = clock
        self.audit = TokenAudit(clock)
        self._minted: dict[str, float] = {}
        self._mints = 0
        self._lock = threading.Lock()

    def mint(self, user: UserClaims, *, via: str, client: str | None = None) -> MintedToken:
        """A fresh token for ``user``, recorded on the audit log with ``via`` (what asked
        for it: ``token-endpoint``, ``proxy``) and ``client`` (the requester's address).

        Raises WebError: 403 ``jwt-login-off``, 429 ``rate-limited`` (with ``Retry-After``),
        500 ``cannot-mint`` when the signer refuses the user's claims.
        """
        if self.login_mode != "jwt" or self.signer is None:
            raise WebError(
                403,
                "jwt-login-off",
                f"This app uses login mode {self.login_mode!r}: it mints no tokens.",
                "Set QLIK_LOGIN_MODE=jwt to sign users in to Qlik with tokens.",
            )
        wait = self.limiter.acquire(user.sub)
        if wait:
            self.audit.rate_limited(user.sub, via=via, client=client)
            raise rate_limited(
                self.limiter,
                wait,
                "tokens",
                "Reuse the Qlik session instead of logging in again; wait and retry.",
            )
        try:
            minted = self.signer.mint_token(user)
        except QlikJwtError as exc:
            raise WebError(
                500, "cannot-mint", f"No token can be made for this user: {exc}"
            ) from None
        self._remember(minted.sub)
        self.audit.minted(minted, via=via, client=client)
        return minted

    def answer(self, user: UserClaims, *, via: str, client: str | None = None) -> dict[str, object]:
        """:meth:`mint`'s token as a token route's JSON body (the credential seam that
        :class:`~qlik_jwt.embedding.access_tokens.AccessTokenIssuer` shares)."""
        return token_answer(self.mint(user, via=via, client=client))

    def minted_recently(self, sub: str) -> bool:
        """True when this process minted a token for ``sub`` within Qlik's default session
        inactivity timeout: the user's browser then probably holds a Qlik session."""
        with self._lock:
            minted_at = self._minted.get(sub)
        return minted_at is not None and self.clock() - minted_at < QLIK_SESSION_HINT_SECONDS

    def _remember(self, sub: str) -> None:
        now = self.clock()
        with self._lock:
            self._minted[sub] = now
            self._mints += 1
            # Stale entries go every PRUNE_EVERY mints, as the rate limiter's idle buckets: a
            # size trigger rebuilt the whole map on every mint once more users than that
            # had a token within the window.
            if self._mints % PRUNE_EVERY == 0:
                stale = now - QLIK_SESSION_HINT_SECONDS
                self._minted = {k: t for k, t in self._minted.items() if t > stale}

"""``POST /token``: a Qlik JWT for the signed-in user, and for nobody else.

Checks, in order: same origin (403), body empty or ``{}`` (400), signed in (401), CSRF
header (403), JWT login mode (403), per-user rate limit (429 + ``Retry-After``). The token
is minted by the core :class:`~qlik_jwt.signer.TokenSigner` from what the identify hook
returns, answered with ``Cache-Control: no-store``, and recorded as one audit log line
holding ``jti``, ``sub``, ``groups`` and ``exp`` (never the token).
"""

from __future__ import annotations

import inspect
import json
import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from qlik_jwt.errors import QlikJwtError
from qlik_jwt.settings import Settings
from qlik_jwt.signer import MintedToken, TokenSigner, UserClaims
from qlik_jwt.web.bodies import read_empty_json
from qlik_jwt.web.errors import WebError
from qlik_jwt.web.forgery import check_csrf_token, check_same_origin
from qlik_jwt.web.identity import Identify
from qlik_jwt.web.mint_hint import MintHint
from qlik_jwt.web.ratelimit import RateLimiter
from qlik_jwt.web.signin import HostSessionCookie

__all__ = ["AUDIT_LOGGER", "TokenMinter", "TokenResponse", "identify_user", "token_routes"]

AUDIT_LOGGER = "qlik_jwt.web.audit"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class TokenResponse(BaseModel):
    """What ``POST /token`` returns: the compact JWS and its ``exp``."""

    token: str
    expiresAt: int


async def identify_user(identify: Identify, request: Request) -> UserClaims | None:
    """Call the hook; it may be a plain function or a coroutine function."""
    found: object = identify(request)
    if inspect.isawaitable(found):
        found = await found
    if found is not None and not isinstance(found, UserClaims):
        raise TypeError(f"identify() must return UserClaims or None, not {type(found).__name__}")
    return found


class TokenMinter:
    """Mints a Qlik token for a user, for ``POST /token`` and for proxy mode's own logins.

    Refuses (WebError) outside JWT login mode (403 ``jwt-login-off``) and past the per-user
    rate limit (429 ``rate-limited`` + ``Retry-After``); writes one audit line per token
    (``jti``, ``sub``, ``groups``, ``exp`` and ``via``, never the token).
    """

    def __init__(
        self, settings: Settings, *, signer: TokenSigner | None, limiter: RateLimiter
    ) -> None:
        self.login_mode = settings.login_mode
        self.signer = signer
        self.limiter = limiter
        self.audit = logging.getLogger(AUDIT_LOGGER)

    def mint(self, user: UserClaims, *, via: str) -> MintedToken:
        if self.login_mode != "jwt" or self.signer is None:
            raise WebError(
                403,
                "jwt-login-off",
                f"This app uses login mode {self.login_mode!r}: it mints no tokens.",
                "Set QLIK_LOGIN_MODE=jwt to sign users in to Qlik with tokens.",
            )
        wait = self.limiter.acquire(user.sub)
        if wait:
            self.audit.warning(json.dumps({"event": "token-rate-limited", "sub": user.sub}))
            raise WebError(
                429,
                "rate-limited",
                f"More than {self.limiter.limit} tokens a minute were asked for this user.",
                "Reuse the Qlik session instead of logging in again; wait and retry.",
                headers={"Retry-After": self.limiter.retry_after(wait)},
            )
        try:
            minted = self.signer.mint_token(user)
        except QlikJwtError as exc:
            raise WebError(
                500, "cannot-mint", f"No token can be made for this user: {exc}"
            ) from None
        self.audit.info(
            json.dumps(
                {
                    "event": "token-minted",
                    "jti": minted.jti,
                    "sub": minted.sub,
                    "groups": list(minted.groups),
                    "exp": minted.expires_at,
                    "via": via,
                }
            )
        )
        return minted


def token_routes(
    settings: Settings,
    *,
    minter: TokenMinter,
    identify: Identify,
    cookie: HostSessionCookie,
    hint: MintHint,
) -> APIRouter:
    """The router holding ``POST /token``; a token for a built-in session is noted in
    ``hint`` (for the page's next visit)."""
    router = APIRouter()

    @router.post(
        "/token",
        response_model=TokenResponse,
        responses={400: {}, 401: {}, 403: {}, 429: {}},
        summary="Mint a Qlik JWT for the signed-in user",
    )
    async def token(request: Request) -> JSONResponse:
        check_same_origin(request, settings.public_origin)
        await read_empty_json(request)
        user = await identify_user(identify, request)
        if user is None:
            raise WebError(
                401, "not-signed-in", "Sign in to the web app first.", "Open / and sign in."
            )
        session = cookie.session(request)
        check_csrf_token(request, None if session is None else session.csrf_token)
        minted = minter.mint(user, via="token-endpoint")
        response = JSONResponse(
            {"token": minted.token, "expiresAt": minted.expires_at}, headers=NO_STORE
        )
        if session is not None:
            hint.record(request, response)
        return response

    return router

"""``POST /token``: a Qlik JWT for the signed-in user, and for nobody else.

Checks, in order: same origin (403), body empty or ``{}`` (400), signed in (401), CSRF
header (403), JWT login mode (403), per-user rate limit (429 + ``Retry-After``). The token
is minted by the core :class:`~qlik_jwt.signer.TokenSigner` from what the identify hook
returns, answered with ``Cache-Control: no-store``, and recorded as one audit log line
(:mod:`qlik_jwt.web.audit`: time, ``sub``, groups, ``jti``, ``exp``, client address; never
the token).
"""

from __future__ import annotations

import inspect

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from qlik_jwt.errors import QlikJwtError
from qlik_jwt.settings import Settings
from qlik_jwt.signer import TokenSigner, UserClaims
from qlik_jwt.web.audit import AUDIT_LOGGER, TokenAudit
from qlik_jwt.web.bodies import read_empty_json
from qlik_jwt.web.errors import WebError, error_responses
from qlik_jwt.web.forgery import check_csrf_token, check_same_origin
from qlik_jwt.web.identity import Identify
from qlik_jwt.web.ratelimit import RateLimiter
from qlik_jwt.web.signin import HostSessionCookie

__all__ = ["AUDIT_LOGGER", "TokenResponse", "identify_user", "token_routes"]

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


def token_routes(
    settings: Settings,
    *,
    signer: TokenSigner | None,
    identify: Identify,
    cookie: HostSessionCookie,
    limiter: RateLimiter,
    audit: TokenAudit,
) -> APIRouter:
    """The router holding ``POST /token``."""
    router = APIRouter()

    @router.post(
        "/token",
        response_model=TokenResponse,
        responses=error_responses(400, 401, 403, 429, 500),
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
        if settings.login_mode != "jwt" or signer is None:
            raise WebError(
                403,
                "jwt-login-off",
                f"This app uses login mode {settings.login_mode!r}: it mints no tokens.",
                "Set QLIK_LOGIN_MODE=jwt to sign users in to Qlik with tokens.",
            )
        wait = limiter.acquire(user.sub)
        if wait:
            audit.rate_limited(request, user.sub)
            raise WebError(
                429,
                "rate-limited",
                f"More than {limiter.limit} tokens a minute were asked for this user.",
                "Reuse the Qlik session instead of logging in again; wait and retry.",
                headers={"Retry-After": limiter.retry_after(wait)},
            )
        try:
            minted = signer.mint_token(user)
        except QlikJwtError as exc:
            raise WebError(
                500, "cannot-mint", f"No token can be made for this user: {exc}"
            ) from None
        if session is not None:
            cookie.sessions.record_mint(session.id)
        audit.minted(request, minted)
        return JSONResponse(
            {"token": minted.token, "expiresAt": minted.expires_at}, headers=NO_STORE
        )

    return router

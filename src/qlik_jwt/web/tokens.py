"""``POST /token``: a Qlik JWT for the signed-in user, and for nobody else; in login mode
``impersonation``, ``POST /access-token``: the user's Qlik access token, by the same rules.

The rules and their order are :mod:`qlik_jwt.embedding.tokens`'s: same origin (403), body
empty or ``{}`` (400), signed in (401), CSRF header (403; the built-in session's token),
then the :class:`TokenMinter`'s JWT login mode (403), per-user rate limit (429 +
``Retry-After``), the token from the core signer with ``Cache-Control: no-store``, and one
audit line. Proxy mode mounts no ``/token`` but logs in with the same minter.
``/access-token`` differs only in what it hands out (the
:class:`~qlik_jwt.embedding.access_tokens.AccessTokenIssuer`'s token, cached per user).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from qlik_jwt.embedding.access_tokens import AccessTokenIssuer, access_token_answer
from qlik_jwt.embedding.tokens import (
    AUDIT_LOGGER,
    NO_STORE,
    VIA_TOKEN_ENDPOINT,
    TokenMinter,
    require_user,
    token_answer,
)
from qlik_jwt.signer import UserClaims
from qlik_jwt.web.bodies import read_empty_json
from qlik_jwt.web.errors import error_responses
from qlik_jwt.web.forgery import check_csrf_token, check_request_origin
from qlik_jwt.web.identity import Identify, identify_user
from qlik_jwt.web.mint_hint import MintHint
from qlik_jwt.web.signin import HostSessionCookie

__all__ = [
    "ACCESS_TOKEN_PATH",
    "AUDIT_LOGGER",
    "AccessTokenResponse",
    "TokenResponse",
    "access_token_routes",
    "checked_request",
    "post_access_token",
    "post_token",
    "token_routes",
]

ACCESS_TOKEN_PATH = "/access-token"


_Endpoint = TypeVar("_Endpoint", bound=Callable[..., Any])


class TokenResponse(BaseModel):
    """What ``POST /token`` returns: the compact JWS and its ``exp``."""

    token: str
    expiresAt: int


class AccessTokenResponse(BaseModel):
    """What ``POST /access-token`` returns: the user's Qlik access token and its expiry
    (UNIX seconds)."""

    accessToken: str
    expiresAt: int


async def checked_request(
    request: Request, public_origin: str | None, identify: Identify, cookie: HostSessionCookie
) -> tuple[UserClaims, str | None]:
    """The rules before a credential is handed out, in order: same origin, empty body,
    signed-in user, CSRF header. Returns the user and the client's address."""
    check_request_origin(request, public_origin)
    await read_empty_json(request)
    user = require_user(await identify_user(identify, request), "Open / and sign in.")
    session = cookie.session(request)
    check_csrf_token(request, None if session is None else session.csrf_token)
    return user, request.client.host if request.client else None


def post_token(router: APIRouter) -> Callable[[_Endpoint], _Endpoint]:
    """``router``'s decorator for ``POST /token`` and its OpenAPI description, shared by
    the web app and the FastAPI integration."""
    return router.post(
        "/token",
        response_model=TokenResponse,
        responses=error_responses(400, 401, 403, 429, 500),
        summary="Mint a Qlik JWT for the signed-in user",
    )


def token_routes(
    minter: TokenMinter,
    *,
    public_origin: str | None,
    identify: Identify,
    cookie: HostSessionCookie,
    hint: MintHint,
) -> APIRouter:
    """The router holding ``POST /token``; every token is noted in ``hint`` (for the
    page's next visit), whoever identified the user."""
    router = APIRouter()

    @post_token(router)
    async def token(request: Request) -> JSONResponse:
        user, client = await checked_request(request, public_origin, identify, cookie)
        minted = minter.mint(user, via=VIA_TOKEN_ENDPOINT, client=client)
        response = JSONResponse(token_answer(minted), headers=NO_STORE)
        hint.record(request, response)
        return response

    return router


def post_access_token(router: APIRouter) -> Callable[[_Endpoint], _Endpoint]:
    """``router``'s decorator for ``POST /access-token`` and its OpenAPI description, shared
    by the web app and the FastAPI integration."""
    return router.post(
        ACCESS_TOKEN_PATH,
        response_model=AccessTokenResponse,
        responses=error_responses(400, 401, 403, 429, 500, 502),
        summary="The signed-in user's Qlik access token (OAuth impersonation)",
    )


def access_token_routes(
    issuer: AccessTokenIssuer,
    *,
    public_origin: str | None,
    identify: Identify,
    cookie: HostSessionCookie,
) -> APIRouter:
    """The router holding ``POST /access-token`` (login mode ``impersonation``, direct mode)."""
    router = APIRouter()

    @post_access_token(router)
    async def access_token(request: Request) -> JSONResponse:
        user, client = await checked_request(request, public_origin, identify, cookie)
        issue = functools.partial(issuer.issue, user, via=VIA_TOKEN_ENDPOINT, client=client)
        token = await asyncio.to_thread(issue)
        return JSONResponse(access_token_answer(token), headers=NO_STORE)

    return router

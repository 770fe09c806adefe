"""``POST /token``: a Qlik JWT for the signed-in user, and for nobody else.

The rules and their order are :mod:`qlik_jwt.embedding.tokens`'s: same origin (403), body
empty or ``{}`` (400), signed in (401), CSRF header (403; the built-in session's token),
then the :class:`TokenMinter`'s JWT login mode (403), per-user rate limit (429 +
``Retry-After``), the token from the core signer with ``Cache-Control: no-store``, and one
audit line. Proxy mode mounts no ``/token`` but logs in with the same minter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from qlik_jwt.embedding.tokens import (
    AUDIT_LOGGER,
    NO_STORE,
    VIA_TOKEN_ENDPOINT,
    TokenMinter,
    require_user,
    token_answer,
)
from qlik_jwt.web.bodies import read_empty_json
from qlik_jwt.web.errors import error_responses
from qlik_jwt.web.forgery import check_csrf_token, check_request_origin
from qlik_jwt.web.identity import Identify, identify_user
from qlik_jwt.web.mint_hint import MintHint
from qlik_jwt.web.signin import HostSessionCookie

__all__ = ["AUDIT_LOGGER", "TokenResponse", "post_token", "token_routes"]


_Endpoint = TypeVar("_Endpoint", bound=Callable[..., Any])


class TokenResponse(BaseModel):
    """What ``POST /token`` returns: the compact JWS and its ``exp``."""

    token: str
    expiresAt: int


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
        check_request_origin(request, public_origin)
        await read_empty_json(request)
        user = require_user(await identify_user(identify, request), "Open / and sign in.")
        session = cookie.session(request)
        check_csrf_token(request, None if session is None else session.csrf_token)
        client = request.client.host if request.client else None
        minted = minter.mint(user, via=VIA_TOKEN_ENDPOINT, client=client)
        response = JSONResponse(token_answer(minted), headers=NO_STORE)
        hint.record(request, response)
        return response

    return router

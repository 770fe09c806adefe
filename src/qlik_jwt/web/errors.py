"""The web app's refusals (:class:`~qlik_jwt.embedding.refusals.WebError`) and the one place
they become HTTP responses.

Body shape: ``{"error": {"code", "message", "fix"}}`` (:class:`ErrorBody` in the OpenAPI
document). Codes are stable and documented in the README; messages never contain tokens,
cookies, CSRF tokens or key material. An unexpected exception (a bug, an identify hook that
fails, a database gone) is a 500 ``internal-error`` in the same shape, its details in the
server's log only.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

from qlik_jwt.embedding.refusals import WebError

__all__ = [
    "ErrorBody",
    "UnexpectedErrorMiddleware",
    "WebError",
    "error_responses",
    "http_error_response",
    "refusal_response",
    "refuse_websocket",
    "web_error_response",
]

log = logging.getLogger("qlik_jwt.web")

_HTTP_CODES = {404: "not-found", 405: "method-not-allowed"}


class ErrorDetail(BaseModel):
    code: str
    message: str
    fix: str


class ErrorBody(BaseModel):
    """Every refusal's body, for the OpenAPI document."""

    error: ErrorDetail


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` saying that these statuses answer an :class:`ErrorBody`."""
    return {status: {"model": ErrorBody, "description": "Refused"} for status in statuses}


def refusal_response(error: WebError) -> JSONResponse:
    """``error`` as its JSON body, status and headers, never cached."""
    return JSONResponse(error.as_dict(), status_code=error.status, headers=error.response_headers())


async def refuse_websocket(websocket: WebSocket, refusal: WebError) -> None:
    """Refuse a websocket handshake with ``refusal`` as its HTTP answer."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(refusal_response(refusal))
    else:  # a server without the denial extension: a close before accepting (HTTP 403)
        await websocket.close(code=1008, reason=refusal.code)


async def web_error_response(request: Request, exc: Exception) -> Response:
    """Exception handler: WebError → :func:`refusal_response`."""
    assert isinstance(exc, WebError)
    return refusal_response(exc)


async def http_error_response(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (unknown path, wrong method) in the same body shape."""
    assert isinstance(exc, HTTPException)
    error = WebError(
        exc.status_code,
        _HTTP_CODES.get(exc.status_code, "http-error"),
        str(exc.detail),
        headers=dict(exc.headers or {}),
    )
    return refusal_response(error)


class UnexpectedErrorMiddleware:
    """Answers an unexpected exception with a 500 ``internal-error`` in the error shape.

    Installed inside the security-headers middleware, so the answer carries them too (the
    framework's own last-resort 500 is plain text without them). The exception goes to the
    ``qlik_jwt.web`` log, never to the client. One that happens after the answer started
    cannot be answered again and is re-raised.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            log.exception("unexpected error on %s %r", scope["method"], scope["path"])
            if started:
                raise
            error = WebError(500, "internal-error", "The web app failed; its log says why.")
            await refusal_response(error)(scope, receive, send)

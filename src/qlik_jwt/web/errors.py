"""The web app's refusals (:class:`~qlik_jwt.embedding.refusals.WebError`) and the one place
they become HTTP responses.

Body shape: ``{"error": {"code", "message", "fix"}}``. Codes are stable and documented in
the README; messages never contain tokens, cookies, CSRF tokens or key material.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from qlik_jwt.embedding.refusals import WebError

__all__ = ["WebError", "http_error_response", "refusal_response", "web_error_response"]

_HTTP_CODES = {404: "not-found", 405: "method-not-allowed"}


def refusal_response(error: WebError) -> JSONResponse:
    """``error`` as its JSON body, status and headers, never cached."""
    return JSONResponse(error.as_dict(), status_code=error.status, headers=error.response_headers())


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

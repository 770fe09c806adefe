"""Cross-site request forgery defences for the web app's POST endpoints, on a Starlette
request; the checks themselves are :mod:`qlik_jwt.embedding.forgery`'s.

``POST /token`` needs both: the same origin, and the ``X-CSRF-Token`` header carrying the
sign-in session's CSRF token (with an identify hook and no built-in session: any non-empty
value, which a cross-site page still cannot send without a CORS preflight).
"""

from __future__ import annotations

from fastapi import Request
from starlette.requests import HTTPConnection

from qlik_jwt.embedding.forgery import CSRF_HEADER, check_csrf_header, check_same_origin, matches

__all__ = ["CSRF_HEADER", "app_origin", "check_csrf_token", "check_request_origin"]


def app_origin(request: HTTPConnection, public_origin: str | None) -> str:
    """The origin this app is reached at: the configured one, else the request's own
    (a websocket handshake's ``ws``/``wss`` counted as ``http``/``https``)."""
    if public_origin:
        return public_origin
    scheme = {"ws": "http", "wss": "https"}.get(request.url.scheme, request.url.scheme)
    return f"{scheme}://{request.url.netloc}"


def check_request_origin(request: HTTPConnection, public_origin: str | None) -> None:
    """Raise WebError 403 when ``Origin`` or ``Sec-Fetch-Site`` shows another origin
    (for HTTP requests and websocket handshakes alike)."""
    check_same_origin(
        app_origin(request, public_origin),
        request.headers.get("origin"),
        request.headers.get("sec-fetch-site"),
    )


def check_csrf_token(request: Request, expected: str | None) -> None:
    """Raise WebError 403 unless ``X-CSRF-Token`` is present and, when the request has a
    host session (``expected``), equal to that session's token."""
    check_csrf_header(
        request.headers.get(CSRF_HEADER), None if expected is None else matches(expected)
    )

"""Cross-site request forgery defences for the web app's POST endpoints.

Two independent checks, both required on ``POST /token``:

1. **Same origin.** A browser names the page that sent a request in ``Origin`` (and, in
   current browsers, ``Sec-Fetch-Site``). Either one saying another site → 403. A request
   with neither comes from a non-browser client, which a forged cross-site request cannot be.
2. **A custom header carrying the session's CSRF token** (``X-CSRF-Token``). A cross-site
   form cannot set headers, and a cross-site ``fetch`` with one needs a CORS preflight that
   this app never grants.
"""

from __future__ import annotations

import hmac

from fastapi import Request
from starlette.requests import HTTPConnection

from qlik_jwt.web.errors import WebError

__all__ = ["CSRF_HEADER", "app_origin", "check_csrf_token", "check_same_origin"]

CSRF_HEADER = "X-CSRF-Token"


def app_origin(request: HTTPConnection, public_origin: str | None) -> str:
    """The origin this app is reached at: the configured one, else the request's own
    (a websocket handshake's ``ws``/``wss`` counted as ``http``/``https``)."""
    if public_origin:
        return public_origin
    scheme = {"ws": "http", "wss": "https"}.get(request.url.scheme, request.url.scheme)
    return f"{scheme}://{request.url.netloc}"


def check_same_origin(request: HTTPConnection, public_origin: str | None) -> None:
    """Raise WebError 403 when ``Origin`` or ``Sec-Fetch-Site`` shows another origin
    (for HTTP requests and websocket handshakes alike)."""
    expected = app_origin(request, public_origin)
    origin = request.headers.get("origin")
    if origin is not None and origin != expected:
        raise WebError(
            403,
            "cross-origin-request",
            f"This request came from the page origin {origin[:100]!r}, not {expected!r}.",
            "Only this app's own pages may call it. Behind a proxy, set QLIK_PUBLIC_ORIGIN "
            "to the origin browsers use.",
        )
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        raise WebError(
            403,
            "cross-origin-request",
            f"The browser reports this request as {fetch_site[:30]!r}, not same-origin.",
            "Only this app's own pages may call it.",
        )


def check_csrf_token(request: Request, expected: str | None) -> None:
    """Raise WebError 403 unless the ``X-CSRF-Token`` header is present and, when the
    request has a host session (``expected``), equal to that session's token."""
    given = request.headers.get(CSRF_HEADER)
    if not given:
        raise WebError(
            403,
            "csrf-token-missing",
            f"The {CSRF_HEADER} header is missing.",
            "Send the page's CSRF token in the X-CSRF-Token header (the bundled page does).",
        )
    if expected is not None and not hmac.compare_digest(given.encode(), expected.encode()):
        raise WebError(
            403,
            "csrf-token-mismatch",
            f"The {CSRF_HEADER} header does not match this sign-in session.",
            "Reload the page to get the current token.",
        )

"""Forwarding Qlik's HTTP surface for signed-in users: ``/api/v1/*``, ``/single/*`` and the
resources those pages load (``/resources/*``, ``/assets/*``).

For each call: same-origin check on modifying methods (the proxy adds Qlik's CSRF token
itself, so it must not do so for another site's forms), a path without dot segments, the
user's credential (:mod:`.credentials`, got lazily), then the request is sent with its
headers: Qlik's cookies and, on every method but GET/HEAD (and on ``/single/``), header
``qlik-csrf-token`` (login mode ``jwt``); ``Authorization: Bearer`` (``impersonation``). Bodies
stream both ways; a body up to :data:`MAX_REPLAY_BYTES` is held so that the call can be
sent once more after a transparent re-login when the tenant says the session has expired
(401, or ``/single/`` redirecting to ``/login``). A second refusal is answered 502
``qlik-session-refused``.

``GET /api/v1/csrf-token`` answers 204 once the session works, without the token: the
browser needs none, the proxy adds it. On the first such answer of each Qlik session, header
``qlik-jwt-login: new`` says the session is new (the page shows a new session rather than a
reused one), whichever parallel call logged in. With a bearer credential it answers 204
itself: such calls need no CSRF token.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from typing import TypeVar

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from qlik_jwt.admin.failures import transport_reason
from qlik_jwt.embedding.tokens import length_within
from qlik_jwt.web.errors import WebError, refusal_response
from qlik_jwt.web.forgery import check_request_origin
from qlik_jwt.web.proxy.context import ProxyCall, QlikProxy
from qlik_jwt.web.proxy.credentials import TenantCredential
from qlik_jwt.web.proxy.failures import session_refused, tenant_failure
from qlik_jwt.web.proxy.headers import (
    bad_path_reason,
    request_headers,
    response_headers,
    tenant_query,
)
from qlik_jwt.web.proxy.login_queue import LOGIN_HEADER

__all__ = ["FORWARDED_PREFIXES", "IFRAME_PREFIXES", "MAX_REPLAY_BYTES", "rest_routes"]

log = logging.getLogger("qlik_jwt.web.proxy")
T = TypeVar("T")

FORWARDED_PREFIXES = ("/api/v1", "/single", "/resources", "/assets")
IFRAME_PREFIXES = ("/single", "/resources", "/assets")  # the /single/ page and what it loads
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
SAFE_METHODS = frozenset({"GET", "HEAD"})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})
MAX_REPLAY_BYTES = 1024 * 1024
CSRF_TOKEN_PATH = "/api/v1/csrf-token"
NO_STORE = {"Cache-Control": "no-store"}
LOGGED_IN = {**NO_STORE, LOGIN_HEADER: "new"}


@dataclass(frozen=True)
class Body:
    """The browser's request body: held whole (``data``, replayable) or streamed once."""

    data: bytes | None
    stream: AsyncIterator[bytes] | None = None

    @property
    def replayable(self) -> bool:
        return self.stream is None

    @classmethod
    async def read(cls, request: Request) -> Body:
        """Held when the declared length is at most :data:`MAX_REPLAY_BYTES`, else streamed.
        Raises WebError 400 for a ``Content-Length`` that is not a number."""
        length = request.headers.get("content-length")
        if length is None and "transfer-encoding" not in request.headers:
            return cls(None)
        if length is not None and length_within(length, MAX_REPLAY_BYTES):
            return cls(await request.body() or None)
        return cls(None, request.stream())


def _expired(answer: httpx.Response) -> bool:
    """Does the tenant say the session is gone? 401, or a redirect to its login page."""
    if answer.status_code == 401:
        return True
    if not answer.is_redirect:
        return False
    try:
        return httpx.URL(answer.headers.get("location", "")).path.startswith("/login")
    except httpx.InvalidURL:
        return False


def _tenant_request(
    proxy: QlikProxy, request: Request, session: TenantCredential, body: Body
) -> httpx.Request:
    path = request.url.path
    query = tenant_query(request.scope.get("query_string", b""), session.query())
    raw_path: bytes = request.scope.get("raw_path") or path.encode("ascii")
    url = httpx.URL(proxy.tenant_url).copy_with(
        raw_path=raw_path + (b"?" + query.encode("latin-1") if query else b"")
    )
    headers = request_headers(request.headers.items())
    # Modifying calls need the CSRF token; /single/ may (Qlik's need is unknown).
    csrf = request.method not in SAFE_METHODS or path.startswith("/single/")
    headers.update(session.headers(str(url), csrf=csrf))
    content = body.stream if body.stream is not None else body.data
    return proxy.http.build_request(request.method, url, headers=headers, content=content)


async def _send(
    proxy: QlikProxy, request: Request, session: TenantCredential, body: Body
) -> httpx.Response:
    """Send once; once more when a kept-alive connection turns out closed by the tenant
    before any answer (its idle timeout met the request) and the call may be repeated."""
    retry = body.replayable and request.method in IDEMPOTENT_METHODS
    while True:
        tenant_request = _tenant_request(proxy, request, session, body)
        try:
            return await proxy.http.send(tenant_request, stream=True)
        except httpx.RemoteProtocolError as exc:
            if not retry:
                raise tenant_failure(exc, proxy.tenant_url) from None
            retry = False
        except httpx.TransportError as exc:
            raise tenant_failure(exc, proxy.tenant_url) from None


async def _refusal(answer: httpx.Response, request: Request) -> WebError:
    await answer.aread()
    await answer.aclose()
    return session_refused(answer, f"{request.method} {request.url.path}")


async def _send_renewing(
    proxy: QlikProxy, request: Request, call: ProxyCall, body: Body
) -> tuple[httpx.Response, TenantCredential]:
    """Send; after an "expired" answer log in again and send once more (when the body can
    be sent again), else answer the refusal. Also returns the session finally used."""
    answer = await _send(proxy, request, call.session, body)
    if not _expired(answer):
        return await _remembered(proxy, call.key, call.session, answer)
    if call.fresh:
        raise await _refusal(answer, request)
    if not body.replayable:  # the body is gone: renew for the next call, pass this answer on
        return answer, await _closing_on_error(
            answer, proxy.sessions.renew(call.user, call.key, call.session, call.client)
        )
    await answer.aclose()
    session = await proxy.sessions.renew(call.user, call.key, call.session, call.client)
    answer = await _send(proxy, request, session, body)
    if _expired(answer):
        raise await _refusal(answer, request)
    return await _remembered(proxy, call.key, session, answer)


async def _remembered(
    proxy: QlikProxy, key: str, session: TenantCredential, answer: httpx.Response
) -> tuple[httpx.Response, TenantCredential]:
    """``answer`` and the session updated with cookies it sets (stored)."""
    return answer, await _closing_on_error(answer, proxy.sessions.remember(key, session, answer))


async def _closing_on_error(answer: httpx.Response, step: Awaitable[T]) -> T:
    """Await ``step``; if it fails, close ``answer`` (its connection goes back) first."""
    try:
        return await step
    except BaseException:
        await answer.aclose()
        raise


async def _chunks(answer: httpx.Response) -> AsyncIterator[bytes]:
    """The tenant's body as it arrives, unchanged (still compressed if it was)."""
    try:
        async for chunk in answer.aiter_raw():
            yield chunk
    except httpx.TransportError as exc:
        log.warning("the tenant's answer broke off: %s", transport_reason(exc))
        raise
    finally:
        await answer.aclose()


def _answer(proxy: QlikProxy, request: Request, call: ProxyCall, response: Response) -> Response:
    if call.new_cookie is not None:
        proxy.cookie.set(request, response, call.new_cookie, proxy.cookie_lifetime)
    return response


async def forward(proxy: QlikProxy, request: Request) -> Response:
    """One browser call, forwarded to the tenant as the signed-in user (see the module)."""
    if request.method not in SAFE_METHODS:
        check_request_origin(request, proxy.public_origin)
    reason = bad_path_reason(request.url.path)
    if reason is not None:
        raise WebError(
            400,
            "bad-path",
            f"The path {request.url.path[:100]!r} {reason}.",
            "Call Qlik's APIs by their plain paths.",
        )
    call = await proxy.call(request)
    csrf_token = request.method == "GET" and request.url.path == CSRF_TOKEN_PATH
    if csrf_token and call.session.csrf_token is None:  # a bearer token needs no CSRF token
        headers = LOGGED_IN if call.fresh else NO_STORE
        return _answer(proxy, request, call, Response(status_code=204, headers=headers))
    if call.fresh and csrf_token:  # the session was made for this call: it works
        await proxy.sessions.announce(call.key, call.session)
        return _answer(proxy, request, call, Response(status_code=204, headers=LOGGED_IN))
    answer, session = await _send_renewing(proxy, request, call, await Body.read(request))
    raw = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in answer.headers.raw]
    if csrf_token and answer.status_code == 204 and not session.announced:
        # The session is new to the page (made by a parallel call, or renewed just now).
        await _closing_on_error(answer, proxy.sessions.announce(call.key, session))
        raw.append((LOGIN_HEADER, "new"))
    response = StreamingResponse(_chunks(answer), status_code=answer.status_code)
    response.raw_headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in response_headers(raw, tenant_url=proxy.tenant_url, path=request.url.path)
    ]
    return _answer(proxy, request, call, response)


def rest_routes(proxy: QlikProxy, prefixes: tuple[str, ...] = FORWARDED_PREFIXES) -> APIRouter:
    """The router forwarding ``prefixes`` (every method but OPTIONS)."""
    router = APIRouter()

    async def forwarded(request: Request) -> Response:
        # Refusals answered here, not by an app's exception handler: a host app that
        # includes this router (qlik_jwt.integrations.fastapi) has none of ours.
        try:
            return await forward(proxy, request)
        except WebError as refusal:
            return refusal_response(refusal)

    for prefix in prefixes:
        router.add_api_route(
            prefix + "/{path:path}", forwarded, methods=METHODS, include_in_schema=False
        )
    return router

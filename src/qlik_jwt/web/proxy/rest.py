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

The busiest path of the app takes no detour through FastAPI (its route machinery was a
sixth of the proxy's CPU per call; py-spy, the README's proxy benchmark): :func:`rest_routes`
are plain Starlette routes whose endpoint is a bare ASGI app (for host apps that include
them), and the web app puts :class:`ForwardedPaths` innermost in its middleware, so that
forwarded calls skip the router too while the security headers, the host gate and the error
handling apply as to every route.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

import httpx
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from qlik_jwt.admin.failures import transport_reason
from qlik_jwt.embedding.tokens import length_within
from qlik_jwt.web.errors import WebError, refusal_response
from qlik_jwt.web.forgery import check_request_origin
from qlik_jwt.web.proxy.context import ProxyCall, QlikProxy
from qlik_jwt.web.proxy.credentials import TenantCredential
from qlik_jwt.web.proxy.failures import session_refused, tenant_failure
from qlik_jwt.web.proxy.headers import (
    CSRF_HEADER,
    bad_path_reason,
    request_headers,
    response_headers,
    tenant_query,
)
from qlik_jwt.web.proxy.login_queue import LOGIN_HEADER
from qlik_jwt.web.proxy.tenant_http import TenantAnswer

__all__ = [
    "FORWARDED_PREFIXES",
    "IFRAME_PREFIXES",
    "MAX_REPLAY_BYTES",
    "ForwardedPaths",
    "Forwarding",
    "rest_routes",
]

log = logging.getLogger("qlik_jwt.web.proxy")
T = TypeVar("T")

FORWARDED_PREFIXES = ("/api/v1", "/single", "/resources", "/assets")
IFRAME_PREFIXES = ("/single", "/resources", "/assets")  # the /single/ page and what it loads
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
FORWARDED_METHODS = frozenset(METHODS)
SAFE_METHODS = frozenset({"GET", "HEAD"})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})
MAX_REPLAY_BYTES = 1024 * 1024
CSRF_TOKEN_PATH = "/api/v1/csrf-token"
NO_STORE = {"Cache-Control": "no-store"}
LOGGED_IN = {**NO_STORE, LOGIN_HEADER: "new"}
STATE_HEADERS = frozenset({b"set-cookie", CSRF_HEADER.encode("ascii")})
_LOGIN_NEW = (LOGIN_HEADER.encode("ascii"), b"new")


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


class Answer:
    """The tenant's answer: status and raw headers; its body still to be read."""

    def __init__(self, tenant: TenantAnswer, url: str) -> None:
        self.tenant = tenant
        self.url = url  # what was asked, for the cookies the answer sets
        self.status = tenant.status
        self.headers = tenant.headers

    def header(self, name: bytes) -> bytes | None:
        return next((value for key, value in self.headers if key.lower() == name), None)

    def sets_state(self) -> bool:
        """Does the answer set a cookie or name a CSRF token (the session must change)?"""
        return any(key.lower() in STATE_HEADERS for key, _ in self.headers)

    def as_httpx(self, content: bytes = b"") -> httpx.Response:
        """The answer as httpx's (headers and ``content``), for the cookie jar and refusals."""
        return httpx.Response(
            self.status,
            headers=self.headers,
            content=content,
            request=httpx.Request("GET", self.url),
        )

    async def refusal(self, what: str) -> WebError:
        """The tenant's refusal, read whole (the connection goes back to the pool)."""
        try:
            body = await self.tenant.read_all()
        except httpx.TransportError:
            body = b""
        finally:
            self.close()
        return session_refused(self.as_httpx(body), what)

    def close(self) -> None:
        self.tenant.close()


def _expired(answer: Answer) -> bool:
    """Does the tenant say the session is gone? 401, or a redirect to its login page."""
    if answer.status == 401:
        return True
    if not 300 <= answer.status < 400:
        return False
    location = answer.header(b"location")
    if location is None:
        return False
    try:
        return urlsplit(location).path.startswith(b"/login")
    except ValueError:
        return False


def _tenant_headers(
    proxy: QlikProxy, scope: Scope, session: TenantCredential
) -> list[tuple[bytes, bytes]]:
    path: str = scope["path"]
    headers = request_headers(scope["headers"])
    # Modifying calls need the CSRF token; /single/ may (Qlik's need is unknown).
    csrf = scope["method"] not in SAFE_METHODS or path.startswith("/single/")
    for name, value in session.headers(proxy.tenant_url + path, csrf=csrf).items():
        headers.append((name.encode("latin-1"), value.encode("latin-1")))
    return headers


async def _send(proxy: QlikProxy, scope: Scope, session: TenantCredential, body: Body) -> Answer:
    """Send once; once more when a kept-alive connection turns out closed by the tenant
    before any answer (its idle timeout met the request) and the call may be repeated."""
    method: str = scope["method"]
    retry = body.replayable and method in IDEMPOTENT_METHODS
    path: str = scope["path"]
    raw_path: bytes = scope.get("raw_path") or path.encode("ascii")
    query = tenant_query(scope.get("query_string", b""), session.query())
    target = raw_path + (b"?" + query.encode("latin-1") if query else b"")
    headers = _tenant_headers(proxy, scope, session)
    content = body.stream if body.stream is not None else body.data
    while True:
        try:
            answer = await proxy.pool.send(method.encode("ascii"), target, headers, content)
        except httpx.RemoteProtocolError as exc:
            if not retry:
                raise tenant_failure(exc, proxy.tenant_url) from None
            retry = False
            continue
        except httpx.TransportError as exc:
            raise tenant_failure(exc, proxy.tenant_url) from None
        return Answer(answer, proxy.tenant_url + path)


async def _send_renewing(
    proxy: QlikProxy, scope: Scope, call: ProxyCall, body: Body
) -> tuple[Answer, TenantCredential]:
    """Send; after an "expired" answer log in again and send once more (when the body can
    be sent again), else answer the refusal. Also returns the session finally used."""
    what = f"{scope['method']} {scope['path']}"
    answer = await _send(proxy, scope, call.session, body)
    if not _expired(answer):
        return answer, await _remembered(proxy, call.key, call.session, answer)
    if call.fresh:
        raise await answer.refusal(what)
    if not body.replayable:  # the body is gone: renew for the next call, pass this answer on
        return answer, await _closing_on_error(
            answer, proxy.sessions.renew(call.user, call.key, call.session, call.client)
        )
    answer.close()
    session = await proxy.sessions.renew(call.user, call.key, call.session, call.client)
    answer = await _send(proxy, scope, session, body)
    if _expired(answer):
        raise await answer.refusal(what)
    return answer, await _remembered(proxy, call.key, session, answer)


async def _remembered(
    proxy: QlikProxy, key: str, session: TenantCredential, answer: Answer
) -> TenantCredential:
    """The session updated with cookies ``answer`` sets (stored), if it sets any."""
    if not answer.sets_state():
        return session
    step = proxy.sessions.remember(key, session, answer.as_httpx())
    return await _closing_on_error(answer, step)


async def _closing_on_error(answer: Answer, step: Awaitable[T]) -> T:
    """Await ``step``; if it fails, close ``answer`` (its connection goes back) first."""
    try:
        return await step
    except BaseException:
        answer.close()
        raise


class Forwarded:
    """The tenant's answer passed on as it arrives, unchanged (still compressed if it was):
    an answer whose body has arrived whole goes out in one ASGI message, a longer one as
    it arrives, the next part read from the tenant once the browser took the last."""

    def __init__(self, answer: Answer, headers: list[tuple[bytes, bytes]]) -> None:
        self.answer = answer
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        tenant = self.answer.tenant
        try:
            await send(
                {"type": "http.response.start", "status": tenant.status, "headers": self.headers}
            )
            chunk = await tenant.read()
            while not tenant.finished:
                if chunk:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                chunk = await tenant.read()
        except httpx.TransportError as exc:
            log.warning("the tenant's answer broke off: %s", transport_reason(exc))
            raise
        finally:
            tenant.close()
        await send({"type": "http.response.body", "body": chunk, "more_body": False})


async def forward(proxy: QlikProxy, request: Request) -> Response | Forwarded:
    """One browser call, forwarded to the tenant as the signed-in user (see the module):
    the ASGI answer to send."""
    scope = request.scope
    method: str = scope["method"]
    path: str = scope["path"]
    if method not in SAFE_METHODS:
        check_request_origin(request, proxy.public_origin)
    reason = bad_path_reason(path)
    if reason is not None:
        raise WebError(
            400,
            "bad-path",
            f"The path {path[:100]!r} {reason}.",
            "Call Qlik's APIs by their plain paths.",
        )
    call = await proxy.call(request)
    csrf_token = method == "GET" and path == CSRF_TOKEN_PATH
    if csrf_token and call.session.csrf_token is None:  # a bearer token needs no CSRF token
        logged_in = LOGGED_IN if call.fresh else NO_STORE
        return _with_cookie(proxy, request, call, Response(status_code=204, headers=logged_in))
    if call.fresh and csrf_token:  # the session was made for this call: it works
        await proxy.sessions.announce(call.key, call.session)
        return _with_cookie(proxy, request, call, Response(status_code=204, headers=LOGGED_IN))
    answer, session = await _send_renewing(proxy, scope, call, await Body.read(request))
    headers = response_headers(answer.headers, tenant_url=proxy.tenant_url, path=path)
    if csrf_token and answer.status == 204 and not session.announced:
        # The session is new to the page (made by a parallel call, or renewed just now).
        await _closing_on_error(answer, proxy.sessions.announce(call.key, session))
        headers.append(_LOGIN_NEW)
    if call.new_cookie is not None:
        cookie = proxy.cookie.header(request, call.new_cookie, proxy.cookie_lifetime)
        headers.append((b"set-cookie", cookie.encode("latin-1")))
    return Forwarded(answer, headers)


def _with_cookie(
    proxy: QlikProxy, request: Request, call: ProxyCall, response: Response
) -> Response:
    if call.new_cookie is not None:
        proxy.cookie.set(request, response, call.new_cookie, proxy.cookie_lifetime)
    return response


class Forwarding:
    """The ASGI endpoint of the forwarded paths. Refusals are answered here, not by an
    app's exception handler: a host app that includes :func:`rest_routes`
    (qlik_jwt.integrations.fastapi) has none of ours."""

    def __init__(self, proxy: QlikProxy) -> None:
        self.proxy = proxy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            answer = await forward(self.proxy, request)
        except WebError as refusal:
            answer = refusal_response(refusal)
        await answer(scope, receive, send)


def rest_routes(proxy: QlikProxy, prefixes: tuple[str, ...] = FORWARDED_PREFIXES) -> APIRouter:
    """The router forwarding ``prefixes`` (every method but OPTIONS)."""
    router = APIRouter()
    endpoint = Forwarding(proxy)
    for prefix in prefixes:
        path = prefix + "/{path:path}"
        router.routes.append(Route(path, endpoint, methods=METHODS, include_in_schema=False))
    return router


class ForwardedPaths:
    """Pure ASGI middleware: calls to ``prefixes`` (every method of :func:`rest_routes`) go
    to :class:`Forwarding` at once, everything else to ``app``. Innermost in the web app's
    middleware, so whatever applies to the routes applies to these calls."""

    def __init__(
        self, app: ASGIApp, *, proxy: QlikProxy, prefixes: tuple[str, ...] = FORWARDED_PREFIXES
    ) -> None:
        self.app = app
        self.forwarding = Forwarding(proxy)
        self.prefixes = tuple(prefix + "/" for prefix in prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"].startswith(self.prefixes)
            and scope["method"] in FORWARDED_METHODS
        ):
            await self.forwarding(scope, receive, send)
        else:
            await self.app(scope, receive, send)

"""Forwarding the engine websocket ``/app/{appId}`` for signed-in users, both directions.

The browser's handshake is checked first (same origin, signed-in user, path), then the
tenant's websocket is opened with Qlik's cookies and header ``qlik-csrf-token``
(server-to-server, no ``Origin``; the browser's own ``qlik-csrf-token`` query parameter is
dropped); only when that succeeds is the browser's upgrade
accepted, so every refusal reaches the browser as an HTTP answer in the web app's error
shape. A tenant refusing the session (401) gets one transparent re-login.

Then, under a server offering the :data:`~qlik_jwt.web.proxy.uvicorn_splice.SPLICE`
extension (``qlik-jwt serve``, the demo), the two connections are spliced: bytes pass
through untouched (:mod:`qlik_jwt.web.proxy.splice`); the browser's subprotocols and
``Sec-WebSocket-Extensions`` offer go to the tenant and its answers back, so a deflate both
ends agree on passes compressed; message sizes are the tenant's to refuse. Under any other
server, messages are relayed (:mod:`qlik_jwt.web.proxy.engine_relay`). Either way a close
from one side reaches the other with its code and reason, and a side that vanishes makes the
proxy close the other with 1001 (the browser went away) or 1014 (the tenant went away).

Each socket is held under the browser's key in ``proxy.ends`` from its handshake on: when
the browser's session ends (sign-out, another user, the host session expiring; on any
instance) the browser's side is closed with :data:`SESSION_ENDED` and the reason
(``signed-out``, ``user-changed``, ``session-expired``), the tenant's with 1000, each at a
frame boundary. A handshake whose session ended while the tenant's socket was opening is
refused (401 ``session-ended``), also when the end was announced just before the socket was
held: the stored session is read once more after holding it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import httpx
from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import InvalidHandshake

from qlik_jwt.web.errors import WebError, refuse_websocket
from qlik_jwt.web.forgery import check_request_origin
from qlik_jwt.web.proxy.context import ProxyCall, QlikProxy
from qlik_jwt.web.proxy.credentials import TenantCredential
from qlik_jwt.web.proxy.engine_relay import open_relayed, relay
from qlik_jwt.web.proxy.failures import (
    engine_refused,
    session_refused,
    tenant_failure,
    timeout_failure,
)
from qlik_jwt.web.proxy.frames import close_frame
from qlik_jwt.web.proxy.headers import bad_path_reason, tenant_query
from qlik_jwt.web.proxy.splice import Splice
from qlik_jwt.web.proxy.tenant_upgrade import (
    TenantProtocolError,
    TenantRefused,
    TenantSocket,
    open_tenant_socket,
)
from qlik_jwt.web.proxy.uvicorn_splice import SPLICE

__all__ = ["SESSION_ENDED", "engine_routes"]

log = logging.getLogger("qlik_jwt.web.proxy")

SESSION_ENDED = 4401  # private-use code (RFC 6455 §7.4.2), read as HTTP's 401

Tenant = TenantSocket | ClientConnection


def _tenant_url(proxy: QlikProxy, websocket: WebSocket) -> str:
    base = "ws" + proxy.tenant_url.removeprefix("http")
    raw_path: bytes = websocket.scope.get("raw_path") or websocket.url.path.encode("latin-1")
    query = tenant_query(websocket.scope.get("query_string", b""))
    return f"{base}{raw_path.decode('latin-1')}" + (f"?{query}" if query else "")


def _spliced(websocket: WebSocket) -> bool:
    """Does the server hand the browser's connection over (see uvicorn_splice)?"""
    return SPLICE in (websocket.scope.get("extensions") or {})


async def _open(proxy: QlikProxy, websocket: WebSocket, session: TenantCredential) -> Tenant:
    url = _tenant_url(proxy, websocket)
    # Qlik's CSRF token goes in a header, as Qlik's own Node client sends it: never in a URL.
    headers = session.headers(url, csrf=True)
    subprotocols = list(websocket.scope.get("subprotocols") or [])
    tls = proxy.tls if url.startswith("wss://") else None
    if not _spliced(websocket):
        return await open_relayed(
            url, headers, subprotocols=subprotocols, tls=tls, timeout=proxy.timeout
        )
    offers = websocket.headers.getlist("sec-websocket-extensions")
    return await open_tenant_socket(
        url,
        headers,
        subprotocols=subprotocols,
        extensions=", ".join(offers) or None,
        tls=tls,
        timeout=proxy.timeout,
    )


async def _open_renewing(proxy: QlikProxy, websocket: WebSocket, call: ProxyCall) -> Tenant:
    session = call.session
    for attempt in (1, 2):
        try:
            return await _open(proxy, websocket, session)
        except TenantRefused as refusal:
            answer = refusal.answer
            if answer.status_code == 401 and attempt == 1 and not call.fresh:
                session = await proxy.sessions.renew(call.user, call.key, session, call.client)
                continue
            if answer.status_code == 401:
                raise session_refused(answer, "the engine websocket") from None
            raise engine_refused(answer) from None
        except TimeoutError:
            raise timeout_failure(proxy.tenant_url) from None
        except (OSError, InvalidHandshake, TenantProtocolError) as exc:
            reason = httpx.ConnectError(f"{type(exc).__name__}: {exc}")
            reason.__cause__ = exc  # so that a TLS failure is named as one
            raise tenant_failure(reason, proxy.tenant_url) from None
    raise AssertionError("unreachable")


async def _close_unused(tenant: Tenant, reason: str) -> None:
    """Close a tenant socket the browser will never use."""
    if isinstance(tenant, TenantSocket):
        if tenant.leg.transport is not None:
            tenant.leg.transport.write(close_frame(1000, reason, masked=True))
        tenant.close()
    else:
        await tenant.close(1000, reason)


async def _refuse(websocket: WebSocket, refusal: WebError) -> None:
    log.info("engine websocket refused: %s", refusal.code)
    await refuse_websocket(websocket, refusal)


def engine_routes(proxy: QlikProxy) -> APIRouter:
    """The router forwarding the websocket ``/app/{path}``."""
    router = APIRouter()

    @router.websocket("/app/{path:path}")
    async def engine_socket(websocket: WebSocket, path: str) -> None:
        ended = asyncio.Event()
        reasons: list[str] = []
        splices: list[Splice] = []  # the splice, once the browser's side is attached

        async def close(reason: str) -> None:
            reasons.append(reason)
            ended.set()
            for splice in splices:
                log.info("engine websocket closed: %s", reason)
                splice.end(SESSION_ENDED, reason)

        holding = None
        try:
            check_request_origin(websocket, proxy.public_origin)
            reason = bad_path_reason(websocket.url.path)
            if reason is not None:
                raise WebError(400, "bad-path", f"The engine path {reason}.")
            call = await proxy.call(websocket)
            holding = await proxy.ends.hold(
                call.key,
                close,
                deadline=proxy.deadline(websocket),
                still_valid=lambda: proxy.still_signed_in(websocket, call.user.sub),
            )
            tenant = await _open_renewing(proxy, websocket, call)
            if not await _still_stored(proxy, call) or ended.is_set():
                await _close_unused(tenant, reasons[0] if reasons else "session-ended")
                raise _session_ended()
        except WebError as refusal:
            if holding is not None:
                holding.release()
            await _refuse(websocket, refusal)
            return
        headers = []
        if call.new_cookie is not None:
            value = proxy.cookie.header(websocket, call.new_cookie, proxy.cookie_lifetime)
            headers.append((b"set-cookie", value.encode("latin-1")))
        try:
            if isinstance(tenant, TenantSocket):
                await _splice(websocket, tenant, headers, ended, reasons, splices)
            else:
                await _relay(websocket, tenant, headers, ended, reasons)
        finally:
            holding.release()

    return router


async def _splice(
    websocket: WebSocket,
    tenant: TenantSocket,
    headers: list[tuple[bytes, bytes]],
    ended: asyncio.Event,
    reasons: list[str],
    splices: list[Splice],
) -> None:
    splice = Splice(tenant)
    try:
        accept = {"type": "websocket.accept", "subprotocol": splice.subprotocol}
        await websocket.send({**accept, "headers": headers, SPLICE: splice})
        splices.append(splice)
        if ended.is_set():  # while the 101 was being written
            log.info("engine websocket closed: %s", reasons[0])
            splice.end(SESSION_ENDED, reasons[0])
        await asyncio.shield(splice.finished)
    finally:
        if not splice.finished.done():
            splice.abort()


async def _relay(
    websocket: WebSocket,
    tenant: ClientConnection,
    headers: list[tuple[bytes, bytes]],
    ended: asyncio.Event,
    reasons: list[str],
) -> None:
    try:
        await websocket.accept(subprotocol=tenant.subprotocol, headers=headers)
        await relay(websocket, tenant, ended)
        if ended.is_set():
            log.info("engine websocket closed: %s", reasons[0])
            await tenant.close(1000, reasons[0])
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                await websocket.close(SESSION_ENDED, reasons[0])
    finally:
        await tenant.close()


async def _still_stored(proxy: QlikProxy, call: ProxyCall) -> bool:
    """Is the browser's session still stored for this user (not ended meanwhile)?"""
    try:
        found = await proxy.sessions.stored(call.key)
    except WebError:
        return False
    return found is not None and found.subject == call.user.sub


def _session_ended() -> WebError:
    return WebError(
        401,
        "session-ended",
        "The browser's session ended (sign-out) while the engine websocket was opening.",
        "Sign in to the web app, then reload the page.",
    )

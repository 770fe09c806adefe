"""Forwarding the engine websocket ``/app/{appId}`` for signed-in users, both directions.

The browser's handshake is checked first (same origin, signed-in user, path), then the
tenant's websocket is opened with Qlik's cookies and header ``qlik-csrf-token``
(server-to-server, no ``Origin``; the browser's own ``qlik-csrf-token`` query parameter is
dropped); only when that succeeds is the browser's upgrade
accepted, so every refusal reaches the browser as an HTTP answer in the web app's error
shape. A tenant refusing the session (401) gets one transparent re-login.

Then messages are relayed one at a time in each direction, text stays text and bytes stay
bytes, and each send waits for the receiving side to take it (backpressure: nothing is
buffered beyond the websocket libraries' small queues). The tenant's leg negotiates no
permessage-deflate, so nothing the tenant sends is inflated here (CPU and ~35 KB per socket,
measured in bench/proxy.py; the browser's leg is deflated only under ``serve --ws-deflate``).
Messages up to
:data:`MAX_MESSAGE_BYTES` pass. A close from either side is passed on with its code and
reason; a side that vanishes without a close frame makes the proxy close the other with
1001 (the browser went away) or 1014 (the tenant went away: "bad gateway").

Each socket is held under the browser's key in ``proxy.ends`` from its handshake on: when
the browser's session ends (sign-out, another user, the host session expiring; on any
instance) the browser's side is closed with :data:`SESSION_ENDED` and the reason
(``signed-out``, ``user-changed``, ``session-expired``), the tenant's with 1000. A
handshake whose session ended while the tenant's socket was opening is refused (401
``session-ended``), also when the end was announced just before the socket was held: the
stored session is read once more after holding it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import httpx
from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.typing import Subprotocol

from qlik_jwt.web.errors import WebError, refuse_websocket
from qlik_jwt.web.forgery import check_request_origin
from qlik_jwt.web.proxy.context import ProxyCall, QlikProxy
from qlik_jwt.web.proxy.credentials import TenantCredential
from qlik_jwt.web.proxy.failures import (
    engine_refused,
    session_refused,
    tenant_failure,
    timeout_failure,
)
from qlik_jwt.web.proxy.headers import bad_path_reason, tenant_query

__all__ = ["MAX_MESSAGE_BYTES", "SESSION_ENDED", "engine_routes", "sendable_close_code"]

log = logging.getLogger("qlik_jwt.web.proxy")
# The websocket library's debug lines show handshake headers (Qlik's cookies): never emitted.
QUIET = logging.getLogger("qlik_jwt.web.proxy.tenant_websocket")
QUIET.setLevel(logging.WARNING)

MAX_MESSAGE_BYTES = 16 * 1024 * 1024  # as uvicorn's default for the browser's side
QUEUED_MESSAGES = 4
BROWSER_GONE = 1001
TENANT_GONE = 1014
SESSION_ENDED = 4401  # private-use code (RFC 6455 §7.4.2), read as HTTP's 401


def sendable_close_code(code: int | None, fallback: int) -> int:
    """``code`` when a close frame may carry it, else ``fallback`` (1005, 1006 and 1015
    only describe what happened locally; RFC 6455 §7.4.1)."""
    if code is None or code in (1004, 1005, 1006):
        return fallback
    return code if 1000 <= code <= 1014 or 3000 <= code <= 4999 else fallback


def _tenant_url(proxy: QlikProxy, websocket: WebSocket) -> str:
    base = "ws" + proxy.tenant_url.removeprefix("http")
    raw_path: bytes = websocket.scope.get("raw_path") or websocket.url.path.encode("latin-1")
    query = tenant_query(websocket.scope.get("query_string", b""))
    return f"{base}{raw_path.decode('latin-1')}" + (f"?{query}" if query else "")


async def _open(
    proxy: QlikProxy, websocket: WebSocket, session: TenantCredential
) -> ClientConnection:
    url = _tenant_url(proxy, websocket)
    # Qlik's CSRF token goes in a header, as Qlik's own Node client sends it: never in a URL.
    headers = session.headers(url, csrf=True)
    requested = websocket.scope.get("subprotocols") or []
    return await connect(
        url,
        additional_headers=headers,
        logger=QUIET,
        subprotocols=[Subprotocol(name) for name in requested] or None,
        ssl=proxy.tls if url.startswith("wss://") else None,
        proxy=None,
        open_timeout=proxy.timeout,
        max_size=MAX_MESSAGE_BYTES,
        max_queue=QUEUED_MESSAGES,
        user_agent_header=None,
        compression=None,  # no deflate on the tenant's leg: see the module
    )


async def _open_renewing(
    proxy: QlikProxy, websocket: WebSocket, call: ProxyCall
) -> ClientConnection:
    session = call.session
    for attempt in (1, 2):
        try:
            return await _open(proxy, websocket, session)
        except InvalidStatus as refusal:
            answer = httpx.Response(
                refusal.response.status_code,
                headers=list(refusal.response.headers.raw_items()),
                content=bytes(refusal.response.body or b""),
            )
            if answer.status_code == 401 and attempt == 1 and not call.fresh:
                session = await proxy.sessions.renew(call.user, call.key, session, call.client)
                continue
            if answer.status_code == 401:
                raise session_refused(answer, "the engine websocket") from None
            raise engine_refused(answer) from None
        except TimeoutError:
            raise timeout_failure(proxy.tenant_url) from None
        except (OSError, InvalidHandshake) as exc:
            reason = httpx.ConnectError(f"{type(exc).__name__}: {exc}")
            reason.__cause__ = exc  # so that a TLS failure is named as one
            raise tenant_failure(reason, proxy.tenant_url) from None
    raise AssertionError("unreachable")


async def _refuse(websocket: WebSocket, refusal: WebError) -> None:
    log.info("engine websocket refused: %s", refusal.code)
    await refuse_websocket(websocket, refusal)


async def _browser_to_tenant(browser: WebSocket, tenant: ClientConnection) -> bool:
    """Pass the browser's messages on. True once the browser's close reached the tenant;
    False when the tenant is closing (the other direction passes that close on)."""
    while True:
        message = await browser.receive()
        if message["type"] == "websocket.disconnect":
            code = sendable_close_code(message.get("code"), BROWSER_GONE)
            await tenant.close(code, message.get("reason") or "")
            return True
        text = message.get("text")
        try:
            await tenant.send(text if text is not None else message.get("bytes") or b"")
        except ConnectionClosed:
            return False


async def _tenant_to_browser(browser: WebSocket, tenant: ClientConnection) -> bool:
    """Pass the tenant's messages on. True once the tenant's close reached the browser;
    False when the browser went away (the other direction closes the tenant)."""
    try:
        async for data in tenant:
            if isinstance(data, str):
                await browser.send_text(data)
            else:
                await browser.send_bytes(data)
    except ConnectionClosed:
        pass  # closed without a close frame: handled below like any other close
    except WebSocketDisconnect:
        return False
    # close_code is 1006 when the tenant vanished without a close frame.
    code = sendable_close_code(tenant.close_code, TENANT_GONE)
    reason = tenant.close_reason or ""
    if code == TENANT_GONE and tenant.close_code != TENANT_GONE:
        reason = "the Qlik tenant's connection was lost"
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):  # the browser is gone too
        await browser.close(code, reason)
    return True


async def _stopped(stop: asyncio.Event) -> bool:
    await stop.wait()
    return True


async def relay(
    browser: WebSocket, tenant: ClientConnection, stop: asyncio.Event | None = None
) -> None:
    """Pass messages both ways until one side's close has reached the other, or ``stop``
    is set (then the caller closes both)."""
    pending = {
        asyncio.ensure_future(_browser_to_tenant(browser, tenant)),
        asyncio.ensure_future(_tenant_to_browser(browser, tenant)),
    }
    if stop is not None:
        pending.add(asyncio.ensure_future(_stopped(stop)))
    try:
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            if any(task.result() for task in done):
                return
    finally:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


def engine_routes(proxy: QlikProxy) -> APIRouter:
    """The router forwarding the websocket ``/app/{path}``."""
    router = APIRouter()

    @router.websocket("/app/{path:path}")
    async def engine_socket(websocket: WebSocket, path: str) -> None:
        ended = asyncio.Event()
        reasons: list[str] = []

        async def close(reason: str) -> None:
            reasons.append(reason)
            ended.set()

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
            if ended.is_set() or not await _still_stored(proxy, call):
                await tenant.close(1000, reasons[0] if reasons else "session-ended")
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
            await websocket.accept(subprotocol=tenant.subprotocol, headers=headers)
            await relay(websocket, tenant, ended)
            if ended.is_set():
                log.info("engine websocket closed: %s", reasons[0])
                await tenant.close(1000, reasons[0])
                with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                    await websocket.close(SESSION_ENDED, reasons[0])
        finally:
            holding.release()
            await tenant.close()

    return router


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

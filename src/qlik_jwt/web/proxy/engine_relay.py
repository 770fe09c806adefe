"""The engine websocket relayed message by message: the fallback of the byte splice.

Used when the ASGI server cannot hand over the browser's connection (another server than
``qlik-jwt serve``'s uvicorn protocol, e.g. a host app's own uvicorn with the FastAPI
drop-in; see :mod:`qlik_jwt.web.proxy.uvicorn_splice`). The tenant's websocket is opened with
the ``websockets`` client; then messages are relayed one at a time in each direction, text
stays text and bytes stay bytes, and each send waits for the receiving side to take it
(backpressure: nothing is buffered beyond the websocket libraries' small queues). The
tenant's leg negotiates no permessage-deflate, so nothing the tenant sends is inflated here
(the browser's leg follows the server's setting). Messages up to :data:`MAX_MESSAGE_BYTES`
pass. A close from either side is passed on with its code and reason; a side that vanishes
without a close frame makes the proxy close the other with 1001 (the browser went away) or
1014 (the tenant went away: "bad gateway").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl

import httpx
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from qlik_jwt.web.proxy.splice import BROWSER_GONE, TENANT_GONE, TENANT_LOST
from qlik_jwt.web.proxy.tenant_upgrade import TenantRefused

__all__ = ["MAX_MESSAGE_BYTES", "open_relayed", "relay", "sendable_close_code"]

# The websocket library's debug lines show handshake headers (Qlik's cookies): never emitted.
QUIET = logging.getLogger("qlik_jwt.web.proxy.tenant_websocket")
QUIET.setLevel(logging.WARNING)

MAX_MESSAGE_BYTES = 16 * 1024 * 1024  # as uvicorn's default for the browser's side
QUEUED_MESSAGES = 4


def sendable_close_code(code: int | None, fallback: int) -> int:
    """``code`` when a close frame may carry it, else ``fallback`` (1005, 1006 and 1015
    only describe what happened locally; RFC 6455 §7.4.1)."""
    if code is None or code in (1004, 1005, 1006):
        return fallback
    return code if 1000 <= code <= 1014 or 3000 <= code <= 4999 else fallback


async def open_relayed(
    url: str,
    headers: dict[str, str],
    *,
    subprotocols: list[str],
    tls: ssl.SSLContext | None,
    timeout: float,
) -> ClientConnection:
    """The tenant's websocket for the relay; a non-101 answer raises
    :class:`~qlik_jwt.web.proxy.tenant_upgrade.TenantRefused`, as the splice's opening does."""
    try:
        return await connect(
            url,
            additional_headers=headers,
            logger=QUIET,
            subprotocols=[Subprotocol(name) for name in subprotocols] or None,
            ssl=tls if url.startswith("wss://") else None,
            proxy=None,
            open_timeout=timeout,
            max_size=MAX_MESSAGE_BYTES,
            max_queue=QUEUED_MESSAGES,
            user_agent_header=None,
            compression=None,  # no deflate on the tenant's leg: see the module
        )
    except InvalidStatus as refusal:
        answer = httpx.Response(
            refusal.response.status_code,
            headers=list(refusal.response.headers.raw_items()),
            content=bytes(refusal.response.body or b""),
        )
        raise TenantRefused(answer) from None


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
        reason = TENANT_LOST
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

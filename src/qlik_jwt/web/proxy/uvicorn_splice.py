"""uvicorn's websocket protocol, able to hand an upgraded connection to a byte splice.

ASGI gives an app messages, never the browser's connection, so a proxy built on it frames,
masks and queues every message twice. :class:`SpliceWebSocketProtocol` is uvicorn's own
websocket protocol (``websockets`` sans-I/O) with one addition, used by the engine websocket
(:mod:`qlik_jwt.web.proxy.engine_socket`):

- it advertises the ASGI scope extension :data:`SPLICE` (``scope["extensions"]``);
- a ``websocket.accept`` message carrying a :class:`~qlik_jwt.web.proxy.splice.Splice` under
  the key :data:`SPLICE` is answered with the 101 as usual, but with the tenant's
  ``Sec-WebSocket-Extensions`` answer instead of uvicorn's own and without keepalive pings
  (the browser and the tenant ping each other through the splice); from then on the
  connection's bytes, flow control and end go to the splice. The app awaits
  ``splice.finished`` and returns; uvicorn's bookkeeping (open connections, shutdown, the
  app's task) is unchanged.

Any other app, and any message without the key, gets uvicorn's behaviour. Serve with
``uvicorn.Config(app, ws=SpliceWebSocketProtocol)`` (``--ws`` :data:`IMPORT_STRING` on
uvicorn's command line); under another server the engine websocket relays messages instead.
"""

from __future__ import annotations

from typing import Any

from uvicorn._types import ASGISendEvent
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import Request

from qlik_jwt.web.proxy.splice import BROWSER_GONE, Splice

__all__ = ["IMPORT_STRING", "SPLICE", "SpliceWebSocketProtocol"]

SPLICE = "qlik_jwt.splice"
IMPORT_STRING = f"{__name__}:SpliceWebSocketProtocol"
SERVER_RESTART = 1012


class SpliceWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websocket protocol plus the splice; see the module."""

    splice: Splice | None = None
    _splicing = False

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        if self.response.status_code == 101:
            self.scope["extensions"][SPLICE] = {}

    async def send(self, message: ASGISendEvent) -> None:
        splice: Any = message.get(SPLICE) if message["type"] == "websocket.accept" else None
        if not isinstance(splice, Splice) or self.handshake_complete:
            await super().send(message)
            return
        self._splicing = True
        headers = self.response.headers
        if "Sec-WebSocket-Extensions" in headers:
            del headers["Sec-WebSocket-Extensions"]  # uvicorn's own offer to the browser
        if splice.extensions:
            headers["Sec-WebSocket-Extensions"] = splice.extensions
        await super().send(message)  # writes the 101 (or raises when the browser is gone)
        if self.transport.is_closing():
            splice.browser_lost()
            return
        self.splice = splice
        splice.attach(self.transport)
        # uvicorn's websocket state machine has no more work: its parser and handshake go
        # (about 6 KB per open socket). The app sends nothing after the splice.
        self.conn = self.request = self.response = None  # type: ignore[assignment]

    def start_keepalive(self) -> None:
        if not self._splicing:
            super().start_keepalive()

    def data_received(self, data: bytes) -> None:
        if self.splice is not None:
            self.splice.from_browser(data)
        else:
            super().data_received(data)

    def pause_writing(self) -> None:
        if self.splice is not None:
            self.splice.browser_paused(True)
        else:
            super().pause_writing()

    def resume_writing(self) -> None:
        if self.splice is not None:
            self.splice.browser_paused(False)
        else:
            super().resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.splice is not None:
            self.splice.browser_lost()
        super().connection_lost(exc)

    def shutdown(self) -> None:
        if self.splice is None:
            super().shutdown()
        else:
            self.splice.end(SERVER_RESTART, "the server is restarting", BROWSER_GONE)

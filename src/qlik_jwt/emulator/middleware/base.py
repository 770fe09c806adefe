"""What every middleware of the emulator shares: its tenant, and refusing in Qlik's shape."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from qlik_jwt.emulator.errors import QlikError, error_response
from qlik_jwt.emulator.tenant import EmulatedTenant

__all__ = ["TenantMiddleware", "refuse_websocket"]


class TenantMiddleware:
    """An ASGI middleware bound to one emulated tenant."""

    def __init__(self, app: ASGIApp, tenant: EmulatedTenant) -> None:
        self.app = app
        self.tenant = tenant

    async def refuse(self, error: QlikError, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer the request with ``error`` in Qlik's body (``strict`` honoured); a
        websocket handshake gets it as the HTTP answer to its upgrade."""
        if scope["type"] == "websocket":
            await refuse_websocket(
                WebSocket(scope, receive, send), error, self.tenant.options.strict
            )
            return
        response = error_response(error, strict=self.tenant.options.strict)
        await response(scope, receive, send)


async def refuse_websocket(websocket: WebSocket, error: QlikError, strict: bool) -> None:
    """Refuse a websocket handshake with ``error`` as its HTTP answer."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(error_response(error, strict=strict))
    else:  # a server without the denial extension: close before accepting (HTTP 403)
        await websocket.close(code=1008, reason=error.problems[0].code)

"""What every middleware of the emulator shares: its tenant, and refusing in Qlik's shape."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from qlik_jwt.emulator.errors import QlikError, error_response
from qlik_jwt.emulator.tenant import EmulatedTenant

__all__ = ["TenantMiddleware"]


class TenantMiddleware:
    """An ASGI middleware bound to one emulated tenant."""

    def __init__(self, app: ASGIApp, tenant: EmulatedTenant) -> None:
        self.app = app
        self.tenant = tenant

    async def refuse(self, error: QlikError, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer the request with ``error`` in Qlik's body (``strict`` honoured)."""
        response = error_response(error, strict=self.tenant.options.strict)
        await response(scope, receive, send)

"""Refuses requests whose ``Host`` the emulator does not serve (421, Qlik's error shape).

The guard against DNS rebinding (:mod:`qlik_jwt.served_hosts`): a page on a name its owner
points at this machine must not reach a plain-HTTP emulator on a developer's laptop. It runs
first, for HTTP and websocket requests alike.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from qlik_jwt.emulator.errors import QlikError
from qlik_jwt.emulator.middleware.base import TenantMiddleware
from qlik_jwt.emulator.tenant import EmulatedTenant
from qlik_jwt.served_hosts import ServedHosts

__all__ = ["HostGate"]


class HostGate(TenantMiddleware):
    def __init__(self, app: ASGIApp, tenant: EmulatedTenant, hosts: ServedHosts) -> None:
        super().__init__(app, tenant)
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = Headers(scope=scope).get("host")
        if self.hosts.allows(host, scope.get("server")):
            await self.app(scope, receive, send)
            return
        error = QlikError(
            421,
            detail=f"This emulator does not serve host {host!r}; use the address it prints "
            "at start, or add the name with --host-name.",
            reason="unknown_host",
        )
        await self.refuse(error, scope, receive, send)

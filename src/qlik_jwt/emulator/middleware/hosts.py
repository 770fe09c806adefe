"""The emulator's answer to a request for a host it does not serve: 421 in Qlik's shape.

The guard against DNS rebinding (:mod:`qlik_jwt.served_hosts`): a page on a name its owner
points at this machine must not reach a plain-HTTP emulator on a developer's laptop. The
gate runs first, for HTTP and websocket requests alike.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from qlik_jwt.emulator.errors import QlikError
from qlik_jwt.emulator.middleware.base import TenantMiddleware
from qlik_jwt.emulator.tenant import EmulatedTenant
from qlik_jwt.served_hosts import HostGate, ServedHosts

__all__ = ["host_gate"]


def host_gate(app: ASGIApp, tenant: EmulatedTenant, hosts: ServedHosts) -> HostGate:
    """``app`` behind the gate that answers other hosts 421 ``unknown_host``."""
    answer = TenantMiddleware(app, tenant)

    async def refuse(host: str, scope: Scope, receive: Receive, send: Send) -> None:
        error = QlikError(
            421,
            detail=f"This emulator does not serve host {host!r}; use the address it prints "
            "at start, or add the name with --host-name.",
            reason="unknown_host",
        )
        await answer.refuse(error, scope, receive, send)

    return HostGate(app, hosts=hosts, refuse=refuse)

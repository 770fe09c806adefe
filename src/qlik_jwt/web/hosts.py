"""The web app's answer to a request for a host it does not serve: 421 ``unknown-host``.

The guard against DNS rebinding (:mod:`qlik_jwt.served_hosts`): a page on a name its owner
points at the app's address would otherwise be same-origin with it in the browser. Served:
IP addresses, ``localhost``, the name the app listens on, the public origin's host and
``QLIK_ALLOWED_HOSTS``. HTTP and websocket requests alike.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from qlik_jwt.embedding.refusals import WebError
from qlik_jwt.served_hosts import HostGate, ServedHosts
from qlik_jwt.settings import Settings
from qlik_jwt.web.errors import refusal_response, refuse_websocket

__all__ = ["host_gate"]


def host_gate(app: ASGIApp, settings: Settings) -> HostGate:
    """``app`` behind the gate serving the hosts ``settings`` name (public origin, allowed
    hosts) besides addresses and localhost."""
    names = [*settings.allowed_hosts, *([settings.public_origin] if settings.public_origin else [])]
    hosts = ServedHosts.from_names(names, field="allowed_hosts")

    async def refuse(host: str, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = WebError(
            421,
            "unknown-host",
            f"This app does not serve host {host!r}.",
            "Open the app at its own address; behind a reverse proxy, add the name browsers "
            "use to QLIK_ALLOWED_HOSTS (or set QLIK_PUBLIC_ORIGIN).",
        )
        if scope["type"] == "websocket":
            await refuse_websocket(WebSocket(scope, receive, send), refusal)
        else:
            await refusal_response(refusal)(scope, receive, send)

    return HostGate(app, hosts=hosts, refuse=refuse)

"""Refuses requests whose ``Host`` the web app does not serve (421 ``unknown-host``).

The guard against DNS rebinding (:mod:`qlik_jwt.served_hosts`): a page on a name its owner
points at the app's address would otherwise be same-origin with it in the browser. Served:
IP addresses, ``localhost``, the name the app listens on, the public origin's host and
``QLIK_ALLOWED_HOSTS``. HTTP and websocket requests alike.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from qlik_jwt.embedding.refusals import WebError
from qlik_jwt.served_hosts import ServedHosts
from qlik_jwt.settings import Settings
from qlik_jwt.web.errors import refusal_response, refuse_websocket

__all__ = ["HostGate", "served_hosts"]


def served_hosts(settings: Settings) -> ServedHosts:
    """The names ``settings`` add to the app's own address (public origin, allowed hosts)."""
    names = [*settings.allowed_hosts, *([settings.public_origin] if settings.public_origin else [])]
    return ServedHosts.from_names(names, field="allowed_hosts")


class HostGate:
    def __init__(self, app: ASGIApp, *, hosts: ServedHosts) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = Headers(scope=scope).get("host")
        if self.hosts.allows(host, scope.get("server")):
            await self.app(scope, receive, send)
            return
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

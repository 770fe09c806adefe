"""Which ``Host`` header values a server answers: the guard against DNS rebinding.

A page on ``http://attacker.example:8080`` whose name its owner then points at 127.0.0.1 is,
to the browser, same-origin with a server listening there: it can read the answers, and the
server sees ``Host: attacker.example:8080``. The attack always needs a name the attacker
controls, so both services answer only hosts that no attacker can name:

- IP address literals (``127.0.0.1``, ``[::1]``, ``192.168.1.5``): a page can only be on
  such an origin when it comes from that address itself;
- ``localhost`` and names under ``.localhost`` (browsers resolve them to loopback only);
- the name the server was reached at (the ASGI ``server`` entry: its listening host);
- the names configured: a public origin's host, and ``--host-name`` /
  ``QLIK_ALLOWED_HOSTS`` for the names a reverse proxy or DNS gives the server; ``*``
  turns the check off.

Ports are not compared (port mappings such as Docker's change them; the name is what an
attacker must own). A request without ``Host`` at all (HTTP/1.0, never a browser) passes.
Names compare case-insensitively, without a trailing dot.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from qlik_jwt.errors import ConfigurationError

__all__ = ["HostGate", "ServedHosts", "host_name"]


def host_name(value: str) -> str | None:
    """The lower-case name of a ``Host`` value (``name[:port]``, IPv6 in brackets), or None
    when it is not one (a path, user info, spaces, an empty name, a bad port)."""
    if not value or any(c in value for c in "/@?#\\ \t") or not value.isascii():
        return None
    try:
        parts = urlsplit(f"//{value}")
        parts.port  # noqa: B018 - raises ValueError for a port that is not one
    except ValueError:
        return None
    name = (parts.hostname or "").rstrip(".")
    return name or None


def _unnameable(name: str) -> bool:
    """True for a host no DNS-rebinding attacker can give a page: an IP literal, localhost."""
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class ServedHosts:
    """The host names a server answers besides IP literals and localhost (module text)."""

    names: frozenset[str] = frozenset()
    any_host: bool = False

    @classmethod
    def from_names(cls, names: Iterable[str], *, field: str) -> ServedHosts:
        """From configured names (``name``, ``name:port``, an origin ``scheme://name``) and
        ``*`` (any host); ConfigurationError naming ``field`` for one that is not a host."""
        parsed: set[str] = set()
        for raw in names:
            text = raw.strip()
            if text == "*":
                return cls(any_host=True)
            name = host_name(text.rpartition("://")[2])
            if name is None:
                raise ConfigurationError(
                    field,
                    "is not a host name",
                    raw,
                    "Give the names browsers use for this server, e.g. tenant.example.com; "
                    "* allows every host.",
                )
            parsed.add(name)
        return cls(frozenset(parsed))

    def allows(self, host_header: str | None, server: tuple[str, int | None] | None) -> bool:
        """True when ``host_header`` names this server, listening at ``server`` (the ASGI
        scope's ``server`` entry)."""
        if self.any_host or host_header is None:
            return True
        name = host_name(host_header)
        if name is None:
            return False
        own = (server[0] or "").lower().strip("[]").rstrip(".") if server else None
        return name in self.names or name == own or _unnameable(name)


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Refuse = Callable[[str, Scope, Receive, Send], Awaitable[None]]


class HostGate:
    """ASGI middleware: HTTP and websocket requests for a host ``hosts`` does not allow go to
    ``refuse(host, scope, receive, send)``, which answers them in its service's shape."""

    def __init__(self, app: ASGIApp, *, hosts: ServedHosts, refuse: Refuse) -> None:
        self.app = app
        self.hosts = hosts
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            raw = next((v for k, v in scope.get("headers", ()) if k == b"host"), None)
            host = None if raw is None else raw.decode("latin-1")
            if not self.hosts.allows(host, scope.get("server")):
                await self.refuse(host or "", scope, receive, send)
                return
        await self.app(scope, receive, send)

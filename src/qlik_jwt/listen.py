"""A listening socket taken before a server starts, so a port in use is one clear error
(not a banner followed by uvicorn's "address already in use" traceback)."""

from __future__ import annotations

import errno
import socket

from qlik_jwt.errors import ConfigurationError

__all__ = ["bind_port"]


def bind_port(host: str, port: int, *, field: str, fix: str) -> socket.socket:
    """A TCP socket bound to ``host:port`` (port 0: any free one), for uvicorn's
    ``Server.run(sockets=...)``. Raises ConfigurationError naming ``field`` when the port
    is taken or cannot be bound."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        taken = exc.errno == errno.EADDRINUSE
        raise ConfigurationError(
            field,
            "is already in use" if taken else f"cannot be bound on {host} ({exc.strerror})",
            port,
            fix,
        ) from None
    return sock

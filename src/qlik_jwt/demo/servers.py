"""An ASGI app served by uvicorn in a background thread, started and stopped on demand.

The demo runs two of them (the emulator and the web app) in one process; the main thread
waits for Ctrl-C and stops both. Binding happens in :meth:`start`, so a taken port fails
there with a clear error instead of in the thread.
"""

from __future__ import annotations

import errno
import socket
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

from qlik_jwt.errors import ConfigurationError

__all__ = ["BackgroundServer"]

START_TIMEOUT = 20.0


class BackgroundServer:
    """Serves ``app`` on ``host:port`` (port 0 = any free port), HTTPS when given a cert."""

    def __init__(
        self,
        app: Any,
        *,
        name: str,
        host: str = "127.0.0.1",
        port: int = 0,
        certfile: Path | None = None,
        keyfile: Path | None = None,
        log_level: str = "warning",
    ) -> None:
        self.name = name
        self.host = host
        self.requested_port = port
        self.scheme = "https" if certfile else "http"
        self.config = uvicorn.Config(
            app,
            log_level=log_level,
            ssl_certfile=str(certfile) if certfile else None,
            ssl_keyfile=str(keyfile) if keyfile else None,
            lifespan="on",
        )
        self.server = uvicorn.Server(self.config)
        self.port = port
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> BackgroundServer:
        """Bind, serve in a thread, return once accepting. Raises ConfigurationError."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.requested_port))
        except OSError as exc:
            sock.close()
            taken = exc.errno == errno.EADDRINUSE
            raise ConfigurationError(
                f"{self.name} port",
                "is already in use" if taken else f"cannot be bound ({exc.strerror})",
                self.requested_port,
                "Pick another port with the matching --port option, or stop what uses it.",
            ) from None
        self._socket = sock
        self.port = int(sock.getsockname()[1])
        self._thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, name=self.name, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the {self.name} did not start on {self.url}")
            time.sleep(0.02)
        return self

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def stop(self) -> None:
        """Ask the server to finish its requests and exit; wait for the thread."""
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()

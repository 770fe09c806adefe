"""An ASGI app served by uvicorn in a background thread, started and stopped on demand.

The demo runs two of them (the emulator and the web app) in one process; the main thread
waits for Ctrl-C and stops both. The port is bound first (:meth:`BackgroundServer.bind`), so
a taken port fails with a clear error, and the web app's origin is known before the app
that needs it (its web integration) is built.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

from qlik_jwt import log_redaction
from qlik_jwt.listen import bind_port

__all__ = ["BackgroundServer"]

START_TIMEOUT = 20.0


class BackgroundServer:
    """Serves an app on ``host:port`` (port 0 = any free port), HTTPS when given a cert."""

    def __init__(
        self,
        *,
        name: str,
        host: str = "127.0.0.1",
        port: int = 0,
        certfile: Path | None = None,
        keyfile: Path | None = None,
        log_level: str = "warning",
        splice: bool = False,
    ) -> None:
        self.name = name
        self.splice = splice  # websockets through the splice protocol, as `qlik-jwt serve`
        self.host = host
        self.requested_port = port
        self.scheme = "https" if certfile else "http"
        self.certfile = certfile
        self.keyfile = keyfile
        self.log_level = log_level
        self.port = port
        self.server: uvicorn.Server | None = None
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def bind(self) -> BackgroundServer:
        """Take the port now (``port`` then holds the real one). Raises ConfigurationError."""
        if self._socket is not None:
            return self
        sock = bind_port(
            self.host,
            self.requested_port,
            field=f"{self.name} port",
            fix="Pick another port with the matching --port option, or stop what uses it.",
        )
        self._socket = sock
        self.port = int(sock.getsockname()[1])
        return self

    def start(self, app: Any) -> BackgroundServer:
        """Serve ``app`` in a thread (binding first if needed); return once accepting."""
        # The class, not its import string: uvicorn 0.35 takes only its own names as strings.
        from qlik_jwt.web.proxy.uvicorn_splice import SpliceWebSocketProtocol as SPLICE_PROTOCOL

        self.bind()
        config = uvicorn.Config(
            app,
            log_level=self.log_level,
            ssl_certfile=str(self.certfile) if self.certfile else None,
            ssl_keyfile=str(self.keyfile) if self.keyfile else None,
            lifespan="on",
            proxy_headers=False,  # nobody's X-Forwarded-* is believed (uvicorn trusts loopback's)
            ws=SPLICE_PROTOCOL if self.splice else "auto",
        )
        log_redaction.install()
        self.server = server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [self._socket]}, name=self.name, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
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
        if self.server is not None:
            self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
            self._socket = None

"""Real servers on free loopback ports, for integration and browser tests.

``ServerThread`` runs an ASGI app with uvicorn in a background thread of the test process
(fast, and the app object stays inspectable); ``WsgiServerThread`` does the same for a WSGI
app with werkzeug's server; ``ServerProcess`` runs a command line as a real subprocess.
They print the server's own log when it fails to start.
"""

from __future__ import annotations

import io
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import httpx
import uvicorn

from qlik_jwt import log_redaction
from qlik_jwt.web.proxy.uvicorn_splice import SpliceWebSocketProtocol
from tests.support.log_audit import record_process_output

START_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerThread:
    """An ASGI app served by uvicorn on 127.0.0.1 in a daemon thread.

    ``url`` is ``http(s)://127.0.0.1:<port>`` (a free port unless ``port`` is given). Pass
    ``certfile``/``keyfile`` for HTTPS.
    """

    def __init__(
        self,
        app: Any,
        *,
        certfile: str | os.PathLike[str] | None = None,
        keyfile: str | os.PathLike[str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        **config: Any,
    ) -> None:
        self.app = app
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.port = int(self._sock.getsockname()[1])
        scheme = "https" if certfile else "http"
        self.url = f"{scheme}://{host}:{self.port}"
        self._log = io.StringIO()
        # As `qlik-jwt serve` runs: INFO with request lines, secret query values redacted.
        # No logging config of uvicorn's own: its records go to the root logger, where
        # pytest shows them with a failing test and the run's secret scan reads them.
        config.setdefault("log_level", "info")
        # As `qlik-jwt serve` runs: the engine websocket spliced (relayed when ws= is given).
        config.setdefault("ws", SpliceWebSocketProtocol)
        self._config = uvicorn.Config(
            app,
            log_config=None,
            ssl_certfile=os.fspath(certfile) if certfile else None,
            ssl_keyfile=os.fspath(keyfile) if keyfile else None,
            lifespan="on",
            ws_max_size=16 * 1024 * 1024,
            **config,
        )
        self.server = uvicorn.Server(self._config)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._error: BaseException | None = None

    def _run(self) -> None:
        try:
            self.server.run(sockets=[self._sock])
        except BaseException as exc:  # reported by start()
            self._error = exc

    def start(self) -> ServerThread:
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
            logger = logging.getLogger(name)  # undo a dictConfig another server made
            logger.handlers.clear()
            logger.propagate = True
        log_redaction.install()
        handler = logging.StreamHandler(self._log)
        logging.getLogger("uvicorn").addHandler(handler)
        try:
            self._thread.start()
            deadline = time.monotonic() + START_TIMEOUT
            while not self.server.started:
                if self._error or not self._thread.is_alive() or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"server on {self.url} did not start: {self._error!r}\n"
                        f"--- server log ---\n{self._log.getvalue()}"
                    )
                time.sleep(0.01)
        finally:
            logging.getLogger("uvicorn").removeHandler(handler)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class WsgiServerThread:
    """A WSGI app (Flask, Django) served by werkzeug's threaded server on 127.0.0.1.

    The port is bound in the constructor, so ``url`` is known before :meth:`start`.
    """

    def __init__(self, app: Any, *, host: str = "127.0.0.1") -> None:
        from werkzeug.serving import make_server

        self.server = make_server(host, 0, app, threaded=True)
        self.port = int(self.server.server_port)
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> WsgiServerThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self._thread.join(timeout=10)
        self.server.server_close()

    def __enter__(self) -> WsgiServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class ServerProcess:
    """A command that serves HTTP on 127.0.0.1, run as a real subprocess.

    ``ready_url`` is polled until it answers (any status); the process's output is printed
    in the exception when it does not. A thread reads the output as it comes (``output``),
    so a chatty server never blocks on a full pipe.
    """

    def __init__(
        self,
        args: Sequence[str],
        ready_url: str,
        *,
        env: dict[str, str] | None = None,
        cwd: str | Path | None = None,
        verify: bool = False,
    ) -> None:
        self.args = list(args)
        self.ready_url = ready_url
        self.env = {**os.environ, **(env or {})}
        self.cwd = cwd
        self.verify = verify
        self.proc: subprocess.Popen[str] | None = None
        self._lines: list[str] = []
        self._reader: threading.Thread | None = None

    @property
    def output(self) -> str:
        """Everything the process printed so far (stdout and stderr)."""
        return "".join(self._lines)

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self._lines.append(line)

    def start(self) -> ServerProcess:
        self.proc = subprocess.Popen(
            self.args,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=self.env,
            cwd=self.cwd,
        )
        assert self.proc.stdout is not None
        self._reader = threading.Thread(target=self._read, args=(self.proc.stdout,), daemon=True)
        self._reader.start()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                httpx.get(self.ready_url, timeout=1, verify=self.verify)
                return self
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"{' '.join(self.args)} did not serve {self.ready_url}\n--- output ---\n{self.output}"
        )

    def kill(self) -> None:
        """Stop it the hard way (SIGKILL), as a crash would; ``stop`` collects the output."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self, timeout: float = 10) -> str:
        """Stop with SIGINT (like Ctrl-C), then SIGKILL; return everything it printed."""
        if self.proc is None or self.proc.stdout is None or self.proc.stdout.closed:
            return self.output
        if self.proc.poll() is None:
            self.proc.send_signal(2)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        if self._reader is not None:
            self._reader.join(timeout)
            self._reader = None
            assert self.proc.stdout is not None
            self.proc.stdout.close()
            record_process_output(self.args, self.output)
        return self.output

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def qlik_jwt_command(*args: str) -> list[str]:
    """The CLI as a subprocess, run with this interpreter."""
    return [sys.executable, "-m", "qlik_jwt", *args]


def demo_command(web_port: int, emulator_port: int, state_dir: Path, *flags: str) -> list[str]:
    """``qlik-jwt demo`` as a subprocess on these ports, its state in ``state_dir``."""
    ports = ("--port", str(web_port), "--emulator-port", str(emulator_port))
    return qlik_jwt_command("demo", *flags, *ports, "--state-dir", str(state_dir))

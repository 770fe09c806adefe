"""A tenant for proxy-mode tests, and the web app in proxy mode in front of it.

:func:`proxied_tenant` starts a real emulator (provisioned over REST for the test keys) with
two ASGI layers around it, both test-side only:

- :class:`RequestLog` records every HTTP request and websocket handshake the tenant
  receives (method, path, query, headers), for assertions about what the proxy forwards;
- :class:`EchoEngine` serves the websocket ``/app/echo`` after the emulator's own checks
  (session cookies, CSRF token): it echoes each message with its type, closes with a given
  code on ``close <code> <reason>``, floods on ``flood <count> <size>``, and records the
  close code the proxy sent; ``accept_delay`` holds each handshake that long (a slow
  tenant). It lets tests push large and many frames, which the engine subset (JSON-RPC,
  1 MiB messages) does not;
- :class:`StaticAsset` answers ``GET /resources/test-asset.js`` as a CDN-cached asset (a
  public ``Cache-Control``), which the emulator does not serve.

:func:`proxy_web_app` serves the web app in proxy mode for that tenant, and
:func:`signed_in` is a browser-like client signed in to it. :class:`TcpRelay` sits
between the web app and the tenant when a test must cut connections abruptly.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from websockets.sync.client import ClientConnection, connect

from qlik_jwt import keys
from qlik_jwt.emulator import EmulatorOptions
from qlik_jwt.emulator.errors import QlikError, error_response
from qlik_jwt.emulator.routes.engine import authorize
from qlik_jwt.settings import Settings
from qlik_jwt.signer import TokenSigner, UserClaims
from qlik_jwt.web import DemoUser
from tests.support.emulator import Provisioned, RunningEmulator, TestClock, running_emulator
from tests.support.servers import ServerThread
from tests.support.webapp import ADA, make_app, web_settings

ISSUER = "tests.qlik-jwt.local"
KEY_ID = "test-kid"
ECHO_PATH = "/app/echo"
ASSET_PATH = "/resources/test-asset.js"
ASSET_CACHING = "public, max-age=3600"


@dataclass(frozen=True)
class Received:
    """One request the tenant received."""

    kind: str  # "http" or "websocket"
    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]

    def header(self, name: str) -> str | None:
        return next((v for n, v in self.headers if n == name.lower()), None)

    def cookie_names(self) -> set[str]:
        cookie = self.header("cookie") or ""
        return {part.split("=", 1)[0].strip() for part in cookie.split(";") if "=" in part}


class RequestLog:
    """ASGI layer recording every request and handshake that reaches the app inside it,
    and (``answered``) when each HTTP request arrived and the status it was answered."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.received: list[Received] = []
        self.answered: list[tuple[float, str, str, int]] = []  # (arrival, method, path, status)
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            entry = Received(
                scope["type"],
                scope.get("method", "GET"),
                scope["path"],
                scope.get("query_string", b"").decode("latin-1"),
                [(n.decode("latin-1"), v.decode("latin-1")) for n, v in scope["headers"]],
            )
            with self._lock:
                self.received.append(entry)
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        arrived = time.monotonic()

        async def noting(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer = (arrived, entry.method, entry.path, int(message["status"]))
                with self._lock:
                    self.answered.append(answer)
            await send(message)

        await self.app(scope, receive, noting)

    def requests(self, method: str | None = None, path: str | None = None) -> list[Received]:
        with self._lock:
            return [
                r
                for r in self.received
                if (method is None or r.method == method) and (path is None or r.path == path)
            ]

    def logins(self) -> int:
        return len(self.requests("POST", "/login/jwt-session"))

    def clear(self) -> None:
        with self._lock:
            self.received.clear()
            self.answered.clear()


class EchoEngine:
    """ASGI layer serving the echo engine websocket at ``/app/echo`` (see the module)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.closed_with: list[int] = []  # close codes the proxy sent, in order
        self.sent = 0  # messages sent by the latest flood so far
        self.done = threading.Event()  # set whenever an echo connection ends
        self.accept_delay = 0.0  # seconds each handshake waits before it is accepted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket" or scope["path"] != ECHO_PATH:
            await self.app(scope, receive, send)
            return
        websocket = WebSocket({**scope, "app": self.app}, receive, send)
        try:
            authorize(websocket, self.app.state.tenant)
        except QlikError as refusal:
            await websocket.send_denial_response(error_response(refusal, strict=False))
            return
        await asyncio.sleep(self.accept_delay)
        await websocket.accept()
        try:
            await self._serve(websocket)
        finally:
            self.done.set()

    async def _serve(self, websocket: WebSocket) -> None:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                self.closed_with.append(message.get("code", 1005))
                return
            text = message.get("text")
            if text is not None and text.startswith("close "):
                _, code, reason = text.split(" ", 2)
                await websocket.close(int(code), reason)
                return
            if text is not None and text.startswith("flood "):
                _, count, size = text.split()
                noise = os.urandom(int(size) - 4)  # incompressible: no deflate shrinks it
                self.sent = 0
                for index in range(int(count)):
                    await websocket.send_bytes(index.to_bytes(4, "big") + noise)
                    self.sent = index + 1
                continue
            if text is not None:
                await websocket.send_text(text)
            else:
                await websocket.send_bytes(message.get("bytes") or b"")


class StaticAsset:
    """ASGI layer serving :data:`ASSET_PATH` with :data:`ASSET_CACHING` (see the module)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != ASSET_PATH:
            await self.app(scope, receive, send)
            return
        headers = [
            (b"content-type", b"text/javascript"),
            (b"cache-control", ASSET_CACHING.encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"export const asset = 1;\n"})


@dataclass
class ProxiedTenant:
    """The running emulator, what it received, its echo engine, and the test signer."""

    emulator: RunningEmulator
    log: RequestLog
    echo: EchoEngine
    signer: TokenSigner
    provisioned: Provisioned
    key_dir: Path
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.emulator.url

    def settings(self, tmp_path: Path, **overrides: Any) -> Settings:
        """Proxy-mode settings for this tenant; the session store in ``tmp_path``."""
        values: dict[str, Any] = {
            "tenant_url": self.url,
            "web_integration_id": self.provisioned.web_integration_id,
            "app_id": self.emulator.app_id,
            "web_mode": "proxy",
            "proxy_session_store": f"sqlite:///{tmp_path / 'proxy-sessions.sqlite3'}",
            "users_db": str(tmp_path / "web.sqlite3"),
        }
        values.update(overrides)
        return web_settings(self.key_dir, **values)


def _wrap(holder: dict[str, Any]) -> Any:
    def wrap(app: FastAPI) -> Any:
        holder["echo"] = EchoEngine(app)
        holder["log"] = RequestLog(StaticAsset(holder["echo"]))
        return holder["log"]

    return wrap


@contextmanager
def proxied_tenant(
    key_dir: Path, *, clock: TestClock | None = None, options: EmulatorOptions | None = None
) -> Iterator[ProxiedTenant]:
    """A provisioned emulator (plain HTTP) with a request log and the echo engine.

    The group ``Finance`` is granted the sample app; the web integration lists a dummy
    origin (proxy mode sends no Origin). The signer (the test keys, the tenant's clock) is
    the one to give the web app, so that moving the tenant's clock moves its tokens too.
    """
    clock = clock or TestClock()
    holder: dict[str, Any] = {}
    signer = TokenSigner(
        keys.load_private_key(key_dir / "private.pem"), KEY_ID, ISSUER, clock=clock
    )
    with running_emulator(clock=clock, wrap=_wrap(holder), options=options) as emulator:
        provisioned = emulator.provision(
            signer, (key_dir / "certificate.pem").read_bytes(), origins=["http://unused.invalid"]
        )
        tenant = ProxiedTenant(
            emulator, holder["log"], holder["echo"], signer, provisioned, key_dir
        )
        tenant.log.clear()
        yield tenant


@contextmanager
def proxy_web_app(
    tenant: ProxiedTenant, settings: Settings, *, ws: Any = None, **kwargs: Any
) -> Iterator[ServerThread]:
    """The web app in proxy mode on a real server, with the tenant's signer; ``ws`` names
    uvicorn's websocket protocol when not the splice's (as `qlik-jwt serve` runs)."""
    kwargs.setdefault("signer", tenant.signer)
    options = {} if ws is None else {"ws": ws}
    with ServerThread(make_app(settings, **kwargs), **options) as server:
        yield server


def users_by_cookie(cookie: str, prefix: str) -> Callable[[Request], UserClaims | None]:
    """An identify hook for the host app's users: one per value of ``cookie`` (subject
    ``prefix|value``, group ``Finance``), so that a test needs no sign-in per user."""

    def identify(request: Request) -> UserClaims | None:
        number = request.cookies.get(cookie)
        if number is None:
            return None
        return UserClaims(
            f"{prefix}|{number}", f"User {number}", f"{prefix}{number}@example.com", True,
            ("Finance",),
        )  # fmt: skip

    return identify


def sign_in_client(client: httpx.Client, user: DemoUser = ADA) -> httpx.Client:
    """Sign ``client`` in to the web app through its form, then open the page (which
    gives the browser its proxy cookie), as a browser would."""
    origin = str(client.base_url).rstrip("/")
    answer = client.post(
        "/sign-in",
        data={"username": user.username, "password": user.password},
        headers={"Origin": origin},
    )
    assert answer.status_code == 303, answer.text
    assert client.get("/").status_code == 200
    return client


@contextmanager
def signed_in(url: str, user: DemoUser = ADA) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=30) as client:
        yield sign_in_client(client, user)


def cookie_header(client: httpx.Client) -> str:
    """The browser's cookies for the web app, for a websocket handshake."""
    return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


@contextmanager
def engine(
    web: ServerThread, browser: httpx.Client, path: str = ECHO_PATH, **options: Any
) -> Iterator[ClientConnection]:
    """A websocket to the web app's ``path`` with the browser's cookies and Origin."""
    url = web.url.replace("http", "ws", 1) + path
    headers = {"Cookie": cookie_header(browser)}
    options.setdefault("max_size", 8 * 1024 * 1024)
    with connect(
        url, origin=web.url, additional_headers=headers, compression=None, **options
    ) as websocket:  # type: ignore[arg-type]
        yield websocket


def rpc(method: str, params: Any = (), handle: int = -1, request_id: int = 1) -> str:
    return json.dumps(
        {
            "jsonrpc": "2.0",
            "id": request_id,
            "method": method,
            "handle": handle,
            "params": list(params),
        }
    )


class TcpRelay:
    """A TCP relay on 127.0.0.1 to ``target_port`` whose connections :meth:`cut` aborts
    (an RST, no websocket close frame): a network failure between the app and the tenant."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        # When set: the answer to every websocket upgrade (given the request), not the tenant's.
        self.upgrade_answer: Callable[[bytes], bytes] | None = None
        self.loop = asyncio.new_event_loop()
        self.transports: list[asyncio.Transport] = []
        self.port = 0
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        first = await reader.read(65536)
        if self.upgrade_answer is not None and b"upgrade: websocket" in first.lower():
            writer.write(self.upgrade_answer(first))
            await writer.drain()
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        up_writer.write(first)
        for stream in (writer, up_writer):
            transport = stream.transport
            assert isinstance(transport, asyncio.Transport)
            self.transports.append(transport)
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def start(self) -> TcpRelay:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)
        return self

    def cut(self) -> None:
        """Abort every relayed connection at once, both ways."""

        def abort_all() -> None:
            for transport in self.transports:
                transport.abort()

        self.loop.call_soon_threadsafe(abort_all)

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            for transport in self.transports:
                transport.abort()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> TcpRelay:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

"""The connection pool that forwards browsers' calls to the tenant, over HTTP/1.1.

Forwarding needs little of a general HTTP client: one origin, requests whose bytes are
already known, answers passed on as they arrive. So it has its own: connections are
:class:`~.tenant_connection.TenantConnection` (an asyncio protocol, httptools parsing the
answers; TLS through asyncio's ``ssl`` for an https tenant), kept alive in a free list
taken from and given back to in O(1), the most recently used first. A connection idle for
:data:`KEEPALIVE_SECONDS` is closed before the tenant's own idle timeout (uvicorn's 5 s)
would close it under a request. At most ``max_connections`` are open; a call beyond waits
for one up to the pool timeout. Logins and sign-outs, which are rare, keep the httpx client.

Failures are httpx's exception types (``ConnectError``, ``ConnectTimeout``,
``PoolTimeout``, ``ReadTimeout``, ``WriteTimeout``, ``ReadError``, ``RemoteProtocolError``,
``LocalProtocolError``), so the proxy's failure answers (:mod:`.failures`) read one family.
"""

from __future__ import annotations

import asyncio
import collections
import ssl
import time
from collections.abc import AsyncIterable

import httpx

from qlik_jwt.web.proxy.tenant_connection import TenantConnection, expire

__all__ = ["KEEPALIVE_SECONDS", "MAX_CONNECTIONS", "TenantAnswer", "TenantPool"]

KEEPALIVE_SECONDS = 4.0  # below uvicorn's 5 s: the pool drops a connection before the tenant
MAX_CONNECTIONS = 100
_LAST_CHUNK = b"0\r\n\r\n"


class TenantAnswer:
    """The tenant's answer: ``status`` and raw ``headers`` (names as sent); the body is
    :meth:`read` as it arrives. :meth:`close` gives the connection back (kept alive only
    when the body was read whole); call it whatever happens."""

    __slots__ = ("_connection", "_pool", "headers", "status")

    def __init__(self, pool: TenantPool, connection: TenantConnection) -> None:
        self._pool = pool
        self._connection: TenantConnection | None = connection
        self.status = connection.status
        self.headers = connection.headers

    @property
    def finished(self) -> bool:
        """The body has been read whole (or the answer closed)."""
        return self._connection is None or self._connection.finished

    async def read(self) -> bytes:
        """What arrived of the body since the last read (waiting when nothing did); ``b""``
        once it is complete. Raises ReadTimeout, ReadError, RemoteProtocolError."""
        connection = self._connection
        if connection is None:
            return b""
        data = await connection.read(self._pool.timeout)
        if connection.finished:
            self.close()
        return data

    async def read_all(self) -> bytes:
        """The rest of the body, whole (for small answers: refusals)."""
        chunks = []
        while not self.finished:
            chunks.append(await self.read())
        return b"".join(chunks)

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            self._pool.release(connection)


class TenantPool:
    """Keep-alive connections to ``tenant_url`` (its scheme, host and port).

    ``timeout`` bounds each wait for the tenant (its answer, each part of it, taking our
    bytes) and for a free connection; ``connect_timeout`` a new connection, TLS included.
    """

    def __init__(
        self,
        tenant_url: str,
        *,
        tls: ssl.SSLContext,
        timeout: float,
        connect_timeout: float,
        max_connections: int = MAX_CONNECTIONS,
        keepalive: float = KEEPALIVE_SECONDS,
    ) -> None:
        url = httpx.URL(tenant_url)
        self.host = url.host
        self.port = url.port or (443 if url.scheme == "https" else 80)
        self.tls = tls if url.scheme == "https" else None
        self.host_header = url.netloc
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.max_connections = max_connections
        self.keepalive = keepalive
        self.open = 0  # connections open or being opened, idle or not
        self._idle: collections.deque[TenantConnection] = collections.deque()  # oldest left
        self._waiting: collections.deque[asyncio.Future[TenantConnection | None]] = (
            collections.deque()
        )
        self._closed = False

    @property
    def idle(self) -> int:
        return len(self._idle)

    async def send(
        self,
        method: bytes,
        target: bytes,
        headers: list[tuple[bytes, bytes]],
        body: bytes | AsyncIterable[bytes] | None = None,
    ) -> TenantAnswer:
        """Send one request (``target``: path and query, as sent; ``headers`` without
        ``Host``, lower-case names, with ``Content-Length`` for a ``bytes`` body; a streamed
        body without one is sent chunked) and wait for the answer's head. Raises httpx's
        TransportError family (see the module)."""
        lines = [method, b" ", target, b" HTTP/1.1\r\nhost: ", self.host_header, b"\r\n"]
        for name, value in headers:
            lines += (name, b": ", value, b"\r\n")
        chunked = isinstance(body, AsyncIterable) and all(
            name != b"content-length" for name, _ in headers
        )
        if chunked:
            lines.append(b"transfer-encoding: chunked\r\n")
        lines.append(b"\r\n")
        head = b"".join(lines)
        if head.count(b"\n") != len(headers) + 3 + chunked or head.count(b"\r") != head.count(
            b"\n"
        ):  # a line break inside a value would start a header of the sender's choosing
            raise httpx.LocalProtocolError("a request header holds a line break")
        connection = await self._acquire()
        try:
            connection.begin(head_only=method == b"HEAD")
            if body is None or isinstance(body, bytes):
                connection.write(head + body if body else head)
                await connection.drain(self.timeout)
            else:
                connection.write(head)
                await self._stream(connection, body, chunked=chunked)
            await connection.head(self.timeout)
        except BaseException:
            self._discard(connection)
            raise
        return TenantAnswer(self, connection)

    async def _stream(
        self, connection: TenantConnection, body: AsyncIterable[bytes], *, chunked: bool
    ) -> None:
        async for chunk in body:
            if connection.head_done:  # answered before the body was whole: stop sending
                connection.keep_alive = False
                return
            if chunk:
                connection.write(b"%x\r\n%b\r\n" % (len(chunk), chunk) if chunked else chunk)
                await connection.drain(self.timeout)
        if chunked:
            connection.write(_LAST_CHUNK)
            await connection.drain(self.timeout)

    # -- the pool --

    async def _acquire(self) -> TenantConnection:
        if self._closed:
            raise httpx.ConnectError("the proxy is shutting down")
        idle = self._idle
        while idle:
            connection = idle.pop()
            if connection.error is None and time.monotonic() - connection.idle_since < (
                self.keepalive
            ):
                return connection
            self._discard(connection)
        if self.open < self.max_connections:
            self.open += 1
            return await self._connect()
        return await self._wait_for_connection()

    async def _wait_for_connection(self) -> TenantConnection:
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[TenantConnection | None] = loop.create_future()
        self._waiting.append(waiter)
        late = httpx.PoolTimeout("no connection to the tenant came free in time")
        timer = loop.call_later(self.timeout, expire, waiter, late)
        try:
            connection = await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._hand_back(waiter.result())  # handed over just as the wait ended
            elif waiter in self._waiting:
                self._waiting.remove(waiter)
            raise
        finally:
            timer.cancel()
        if connection is None:  # a slot came free (kept counted for this call): connect
            return await self._connect()
        return connection

    def _hand_back(self, connection: TenantConnection | None) -> None:
        if connection is None:
            self._free_slot()
        else:
            self.release(connection)

    async def _connect(self) -> TenantConnection:
        """A new connection in a slot already counted in :attr:`open`."""
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.connect_timeout):
                _, connection = await loop.create_connection(
                    TenantConnection,
                    self.host,
                    self.port,
                    ssl=self.tls,
                    server_hostname=self.host if self.tls is not None else None,
                )
        except BaseException as exc:
            self._free_slot()
            if isinstance(exc, TimeoutError):
                raise httpx.ConnectTimeout(
                    f"no connection to {self.host}:{self.port} in time"
                ) from None
            if isinstance(exc, OSError):  # ssl.SSLError among them: its cause names it
                raise httpx.ConnectError(str(exc) or type(exc).__name__) from exc
            raise
        return connection

    def release(self, connection: TenantConnection) -> None:
        """Take back ``connection`` after a call: kept when it may carry another."""
        if not connection.reusable or self._closed:
            self._discard(connection)
            return
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        now = time.monotonic()
        connection.idle_since = now
        idle = self._idle
        idle.append(connection)
        while now - idle[0].idle_since >= self.keepalive:  # the oldest first
            self._discard(idle.popleft())

    def _discard(self, connection: TenantConnection) -> None:
        connection.close()
        self._free_slot()

    def _free_slot(self) -> None:
        """A connection's slot is free: hand it to the first waiting call, if any."""
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.open -= 1

    async def aclose(self) -> None:
        self._closed = True
        while self._idle:
            self._discard(self._idle.pop())

"""The connection pool that forwards browsers' calls to the tenant: httpcore's, used directly.

httpx's client does per call what forwarding needs none of (a redirect request built for
every 3xx even when not followed, cookie-jar handling, URL and header objects rebuilt), and
that was half of the proxy's CPU per call (measured with py-spy; the README's proxy
benchmark). Forwarding builds one httpcore request from the bytes it has and streams the
answer; logins and sign-outs, which are rare, keep the httpx client.

httpcore's failures become httpx's exception types here, at this one boundary, so the
proxy's failure answers (:mod:`.failures`) read one family of exceptions.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterable, Iterable

import httpcore
import httpcore._backends.base as httpcore_base
import httpx

__all__ = ["KEEPALIVE_SECONDS", "AsyncioBackend", "TenantPool", "as_httpx"]

KEEPALIVE_SECONDS = 4.0  # below uvicorn's 5 s: the pool drops a connection before the tenant
MAX_CONNECTIONS = 100
READ_LIMIT = 256 * 1024

# httpcore's exceptions, most specific first, as httpx names them.
_AS_HTTPX: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
)
CORE_ERRORS = (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError)


def as_httpx(exc: Exception) -> httpx.TransportError:
    """httpx's exception for one of httpcore's (the original kept as its cause)."""
    for core, mapped in _AS_HTTPX:
        if isinstance(exc, core):
            error = mapped(str(exc))
            break
    else:
        error = httpx.TransportError(str(exc))
    error.__cause__ = exc
    return error


class _Stream(httpcore.AsyncNetworkStream):
    """One connection to the tenant on asyncio's streams (see :class:`AsyncioBackend`)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            async with asyncio.timeout(timeout):
                return await self.reader.read(max_bytes)
        except TimeoutError:
            raise httpcore.ReadTimeout("the tenant sent nothing in time") from None
        except OSError as exc:
            raise httpcore.ReadError(str(exc) or type(exc).__name__) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        try:
            self.writer.write(buffer)
            async with asyncio.timeout(timeout):
                await self.writer.drain()
        except TimeoutError:
            raise httpcore.WriteTimeout("the tenant took nothing in time") from None
        except OSError as exc:
            raise httpcore.WriteError(str(exc) or type(exc).__name__) from exc

    async def aclose(self) -> None:
        self.writer.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                await self.writer.start_tls(ssl_context, server_hostname=server_hostname)
        except TimeoutError:
            raise httpcore.ConnectTimeout("the TLS handshake took too long") from None
        except OSError as exc:  # ssl.SSLError among them: its cause names it
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        return self

    def get_extra_info(self, info: str) -> object:
        if info == "is_readable":  # idle and readable: the tenant closed it (EOF)
            return self.reader.at_eof()
        if info == "ssl_object":
            return self.writer.get_extra_info("ssl_object")
        if info in ("client_addr", "server_addr"):
            return self.writer.get_extra_info("sockname" if info == "client_addr" else "peername")
        return self.writer.get_extra_info(info)


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network on asyncio's own streams. Its default goes through anyio, whose
    per-call attribute lookups and a readability ``select`` of every idle connection at
    every request were a third of the proxy's CPU per call (py-spy); here an idle
    connection's end is the EOF asyncio has already seen."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore_base.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        local = (local_address, 0) if local_address else None
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    host, port, local_addr=local, limit=READ_LIMIT
                )
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"no connection to {host}:{port} in time") from None
        except OSError as exc:
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        return _Stream(reader, writer)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore_base.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.UnsupportedProtocol("the tenant is reached over TCP")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class TenantPool:
    """Keep-alive connections to ``tenant_url`` (its scheme, host and port)."""

    def __init__(
        self, tenant_url: str, *, tls: ssl.SSLContext, timeout: float, connect_timeout: float
    ) -> None:
        url = httpx.URL(tenant_url)
        self.scheme = url.raw_scheme
        self.host = url.raw_host
        self.port = url.port
        self.host_header = url.netloc
        self.pool = httpcore.AsyncConnectionPool(
            ssl_context=tls,
            max_connections=MAX_CONNECTIONS,
            max_keepalive_connections=MAX_CONNECTIONS,
            keepalive_expiry=KEEPALIVE_SECONDS,
            network_backend=AsyncioBackend(),
        )
        timeouts = {"connect": connect_timeout, "read": timeout, "write": timeout, "pool": timeout}
        self.extensions = {"timeout": timeouts}

    async def send(
        self,
        method: bytes,
        target: bytes,
        headers: list[tuple[bytes, bytes]],
        content: bytes | AsyncIterable[bytes] | None,
    ) -> httpcore.Response:
        """Send one request (``target``: path and query, as sent); the answer's body is
        still to be read (``aiter_stream``) and closed (``aclose``). Raises httpx's
        TransportError family."""
        url = httpcore.URL(scheme=self.scheme, host=self.host, port=self.port, target=target)
        request = httpcore.Request(
            method,
            url,
            headers=[(b"host", self.host_header), *headers],
            content=content,
            extensions=self.extensions,
        )
        try:
            return await self.pool.handle_async_request(request)
        except CORE_ERRORS as exc:
            raise as_httpx(exc) from exc

    async def aclose(self) -> None:
        await self.pool.aclose()

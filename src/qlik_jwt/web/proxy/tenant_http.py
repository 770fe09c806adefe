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

import ssl
from collections.abc import AsyncIterable

import httpcore
import httpx

__all__ = ["KEEPALIVE_SECONDS", "TenantPool", "as_httpx"]

KEEPALIVE_SECONDS = 4.0  # below uvicorn's 5 s: the pool drops a connection before the tenant
MAX_CONNECTIONS = 100

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

"""One HTTP/1.1 connection to the tenant: an asyncio protocol whose answers httptools parses.

A connection carries one call at a time: :meth:`TenantConnection.begin` readies it for an
answer, the caller writes the request (:meth:`write`, :meth:`drain`), then waits for the
answer's head (:meth:`head`) and reads its body (:meth:`read`) as it arrives. Reading from
the socket is paused while more than :data:`HIGH_WATER` bytes wait to be read (a slow
browser slows the tenant down; nothing piles up here) and resumed when they are read.

Failures are httpx's exception types, so that the proxy's answers (:mod:`.failures`) read
one family: the tenant closing before it answered is ``RemoteProtocolError`` (a kept-alive
connection its idle timeout closed: the call may be sent again), closing in the middle of
an answer ``ReadError``, an answer that is not HTTP ``RemoteProtocolError``, silence past
the read timeout ``ReadTimeout``, a tenant that takes no bytes ``WriteTimeout``.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

import httptools
import httpx

__all__ = ["HIGH_WATER", "TenantConnection"]

HIGH_WATER = 256 * 1024


def expire(waiter: asyncio.Future[Any], error: Exception) -> None:
    """Fail ``waiter`` with ``error`` unless it is done (a timer's callback)."""
    if not waiter.done():
        waiter.set_exception(error)


class TenantConnection(asyncio.Protocol):
    """A connection and the answer being read on it (see the module)."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.error: Exception | None = None  # why it can be used no more
        self.answers = 0  # answers read whole on it: 0 while it is fresh
        self.idle_since = 0.0
        self._waiter: asyncio.Future[None] | None = None
        self._drained: asyncio.Future[None] | None = None
        self._writing_paused = False
        self._reading_paused = False
        self.begin(head_only=False)

    # -- the call on it --

    def begin(self, *, head_only: bool) -> None:
        """Ready for the answer to the next request (``head_only``: to a HEAD)."""
        self.head_only = head_only
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.head_done = False
        self.complete = False
        self.keep_alive = False
        self._sized = False  # the body's end is known without the connection closing
        self._informational = False
        self._chunks: list[bytes] = []
        self._buffered = 0

    @property
    def reusable(self) -> bool:
        """The answer was read whole and the connection may carry another call."""
        return (
            self.complete
            and self.keep_alive
            and not self._buffered
            and self.error is None
            and self.transport is not None
            and not self.transport.is_closing()
        )

    def write(self, data: bytes) -> None:
        if self.error is not None:
            raise self.error
        assert self.transport is not None
        self.transport.write(data)

    async def drain(self, timeout: float) -> None:
        """Wait until the tenant takes what was written. Raises WriteTimeout, or the
        connection's failure."""
        if self.error is not None:
            raise self.error
        if not self._writing_paused:
            return
        self._drained = self.loop.create_future()
        late = httpx.WriteTimeout("the tenant took nothing in time")
        timer = self.loop.call_later(timeout, expire, self._drained, late)
        try:
            await self._drained
        finally:
            timer.cancel()
            self._drained = None

    async def head(self, timeout: float) -> None:
        """Wait for the answer's status and headers. Raises ReadTimeout or the failure."""
        while not self.head_done:
            await self._wait(timeout)

    async def read(self, timeout: float) -> bytes:
        """The body bytes that arrived since the last read, waiting when none did; ``b""``
        once the body is complete. Raises ReadTimeout or the connection's failure."""
        while not self._chunks:
            if self.complete:
                return b""
            await self._wait(timeout)
        chunks = self._chunks
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        self._chunks = []
        self._buffered = 0
        if self._reading_paused and self.transport is not None:
            self._reading_paused = False
            self.transport.resume_reading()
        return data

    @property
    def finished(self) -> bool:
        """The body has been read whole."""
        return self.complete and not self._chunks

    async def _wait(self, timeout: float) -> None:
        if self.error is not None:
            raise self.error
        waiter = self._waiter = self.loop.create_future()
        timer = self.loop.call_later(
            timeout, expire, waiter, httpx.ReadTimeout("the tenant sent nothing in time")
        )
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiter = None

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _fail(self, error: Exception) -> None:
        if self.error is None:
            self.error = error
        for waiter in (self._waiter, self._drained):
            if waiter is not None and not waiter.done():
                waiter.set_exception(self.error)

    def close(self) -> None:
        if self.error is None:
            self.error = httpx.ReadError("the connection was closed by the proxy")
        if self.transport is not None:
            self.transport.close()

    # -- asyncio.Protocol --

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except (httptools.HttpParserError, httptools.HttpParserUpgrade) as exc:
            reason = type(exc).__name__
            self._fail(httpx.RemoteProtocolError(f"the tenant's answer is not HTTP ({reason})"))
            self.close()

    def eof_received(self) -> bool:
        return False  # the transport closes itself: connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        if self.head_done and not self.complete and not self._sized and not self.head_only:
            self.complete = True  # a body that ends with the connection
            self.keep_alive = False
            self._wake()
        elif not self.head_done:
            reason = f" ({type(exc).__name__})" if exc else ""
            self._fail(httpx.RemoteProtocolError(f"the tenant closed without answering{reason}"))
        elif not self.complete:
            reason = f" ({type(exc).__name__})" if exc else ""
            self._fail(httpx.ReadError(f"the tenant's answer broke off{reason}"))
        self._fail(httpx.ReadError("the tenant closed the connection"))

    def pause_writing(self) -> None:
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    # -- httptools' callbacks --

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))
        lower = name.lower()
        if lower == b"content-length" or (lower == b"transfer-encoding" and b"chunked" in value):
            self._sized = True

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if 100 <= status < 200:  # Early Hints and the like: the real answer follows
            self._informational = True
            self.headers = []
            self._sized = False
            return
        self.status = status
        self.head_done = True
        self.keep_alive = self.parser.should_keep_alive()
        if self.head_only or status in (204, 304):
            self._sized = True
        if self.head_only:  # no body follows; the parser cannot be told, so no reuse
            self.complete = True
            self.keep_alive = False
        self._wake()

    def on_body(self, body: bytes) -> None:
        if self.head_only:
            return
        self._chunks.append(body)
        self._buffered += len(body)
        if self._buffered > HIGH_WATER and not self._reading_paused:
            assert self.transport is not None
            self._reading_paused = True
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        if self._informational:
            self._informational = False
            return
        if not self.complete:
            self.complete = True
            self.answers += 1
            self._wake()

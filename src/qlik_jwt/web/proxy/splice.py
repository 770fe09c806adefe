"""The engine websocket spliced: bytes pass between the browser's and the tenant's connections.

After both handshakes, the browser's frames are masked client frames, valid as they are
toward the tenant, and the tenant's are unmasked server frames, valid as they are toward the
browser; a permessage-deflate the two ends agreed on passes through compressed. So nothing
is parsed, unmasked, inflated or re-framed: each read is written to the other side, and the
frames' headers are followed (:class:`~qlik_jwt.web.proxy.frames.FrameBoundaries`) only to
know where a frame ends and whether a side sent its close. Message sizes are the two ends'
business: the tenant refuses what is too large for it.

Backpressure: while one side's connection cannot take more (its transport's write buffer is
above the high-water mark), the other side is not read, so a slow browser stops the tenant's
sender through TCP instead of growing the proxy's memory.

Ends:

- a close frame from either side passes through like any frame; once that side's connection
  ends, the other's is closed after what it was sent is flushed;
- a side vanishing without a close frame makes the proxy send the other a close frame of its
  own, between two frames: 1001 to the tenant (the browser went away) or 1014 with the reason
  :data:`TENANT_LOST` to the browser;
- :meth:`Splice.end` (a session ended, a server shutting down) sends each side a close frame
  at its next frame boundary and stops passing data; each connection is closed when that
  side's close answer arrives, or after :data:`CLOSE_TIMEOUT` seconds.

Keepalive: the proxy sends no pings of its own (they would have to wait for frame
boundaries, and the browser and the tenant ping each other through the splice); a peer that
vanished without a FIN (a dropped network) is noticed by TCP keepalive on both connections
(:data:`KEEPALIVE`: first probe after 30 s of silence, then 3 probes 10 s apart), so a dead
browser does not hold a tenant socket for the kernel's default two hours.

:attr:`Splice.finished` is done once both connections are closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

from qlik_jwt.web.proxy.frames import FrameBoundaries, close_frame
from qlik_jwt.web.proxy.tenant_upgrade import TenantSocket

__all__ = ["BROWSER_GONE", "CLOSE_TIMEOUT", "KEEPALIVE", "TENANT_GONE", "TENANT_LOST", "Splice"]

BROWSER_GONE = 1001
TENANT_GONE = 1014
TENANT_LOST = "the Qlik tenant's connection was lost"
CLOSE_TIMEOUT = 5.0
KEEPALIVE = {"TCP_KEEPIDLE": 30, "TCP_KEEPINTVL": 10, "TCP_KEEPCNT": 3}


class _Direction:
    """One way through the splice: the frames seen, the connection written to, and a close
    frame waiting for the current frame to end."""

    __slots__ = ("ending", "frames", "held_close", "reader", "writer")

    def __init__(self, reader: asyncio.Transport | None, writer: asyncio.Transport | None) -> None:
        self.frames = FrameBoundaries()
        self.reader = reader  # the side the frames come from
        self.writer = writer  # the side they go to
        self.held_close: bytes | None = None  # to write at the next frame boundary
        self.ending = False  # the writer was sent our close: nothing else goes to it


class Splice:
    """Bytes between one browser connection and one tenant connection; see the module.

    Created with the upgraded tenant socket (its reads are held until :meth:`attach`); the
    ASGI server calls :meth:`attach` with the browser's transport once the browser's 101 is
    written, then :meth:`from_browser`, :meth:`browser_paused` and :meth:`browser_lost`.
    """

    def __init__(self, tenant: TenantSocket) -> None:
        self.tenant = tenant
        leg = tenant.leg
        assert leg.transport is not None
        self._tenant = leg.transport
        self._held = bytearray(tenant.early) + leg.received  # in the order they came
        leg.received.clear()
        leg.receiver = self._held.extend
        self._up = _Direction(None, leg.transport)  # browser → tenant
        self._down = _Direction(leg.transport, None)  # tenant → browser
        self._browser: asyncio.Transport | None = None
        self._browser_gone = False
        self._tenant_gone = leg.lost  # before the splice was made
        self._timer: asyncio.TimerHandle | None = None
        self.finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        leg.on_pause = self._tenant_paused
        leg.on_lost = self._tenant_lost

    @property
    def subprotocol(self) -> str | None:
        return self.tenant.subprotocol

    @property
    def extensions(self) -> str | None:
        return self.tenant.extensions

    def attach(self, browser: asyncio.Transport) -> None:
        """Start passing bytes: the browser's 101 has been written to ``browser``."""
        self._browser = browser
        self._up.reader = browser
        self._down.writer = browser
        leg = self.tenant.leg
        held = bytes(self._held)
        self._held.clear()
        leg.receiver = self.from_tenant
        _keep_alive(browser)
        _keep_alive(self._tenant)
        if held:
            self.from_tenant(held)
        if self._tenant_gone:  # before the browser was there: tell it now
            self._tenant_lost()

    # The browser's side, called by the ASGI server's protocol.

    def from_browser(self, data: bytes) -> None:
        self._pass(self._up, data)

    def browser_paused(self, paused: bool) -> None:
        """The browser's write buffer is full (True) or drained (False)."""
        _pause(self._tenant, paused)

    def browser_lost(self) -> None:
        self._browser_gone = True
        if not self._up.frames.closed and not self._tenant_gone:
            self._close_at_boundary(self._up, BROWSER_GONE, "")
        self._up.ending = True
        self._tenant.close()  # after what it was sent
        self._check_finished()

    # The tenant's side, called by its TenantLeg.

    def from_tenant(self, data: bytes) -> None:
        self._pass(self._down, data)

    def _tenant_paused(self, paused: bool) -> None:
        if self._browser is not None:
            _pause(self._browser, paused)

    def _tenant_lost(self) -> None:
        self._tenant_gone = True
        if self._browser is None:  # not attached (yet): attach or browser_lost ends it
            self._check_finished()
            return
        if not self._down.frames.closed and not self._browser_gone:
            self._close_at_boundary(self._down, TENANT_GONE, TENANT_LOST)
        self._down.ending = True
        self._browser.close()  # after what it was sent
        self._check_finished()

    # Ends.

    def end(self, browser_code: int, reason: str, tenant_code: int = 1000) -> None:
        """Close both sides, each at its next frame boundary: ``browser_code`` and
        ``reason`` to the browser, ``tenant_code`` and ``reason`` to the tenant."""
        for direction, code in ((self._down, browser_code), (self._up, tenant_code)):
            if not direction.ending and not direction.frames.closed:
                self._close_at_boundary(direction, code, reason)
        if self._timer is None and not self.finished.done():
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(CLOSE_TIMEOUT, self.abort)

    def abort(self) -> None:
        """Close both connections now."""
        if self._browser is not None:
            self._browser.close()
        self._tenant.close()

    def _close_at_boundary(self, direction: _Direction, code: int, reason: str) -> None:
        frame = close_frame(code, reason, masked=direction is self._up)
        direction.ending = True
        if direction.frames.at_boundary:
            if direction.writer is not None:
                direction.writer.write(frame)
        else:
            direction.held_close = frame

    def _pass(self, direction: _Direction, data: bytes) -> None:
        if direction.held_close is None and not direction.ending:  # the usual case
            direction.frames.feed(data)
            direction.writer.write(data)  # type: ignore[union-attr]
            return
        if direction.held_close is not None:
            taken = direction.frames.feed(data, stop_at_boundary=True)
            if not direction.frames.at_boundary:
                direction.writer.write(data)  # type: ignore[union-attr]
                return
            direction.writer.write(data[:taken] + direction.held_close)  # type: ignore[union-attr]
            direction.held_close = None
            data = data[taken:]
        # The writer was sent our close: only the reader's close answer matters now.
        was_closed = direction.frames.closed
        direction.frames.feed(data)
        if direction.frames.closed and not was_closed and direction.reader is not None:
            direction.reader.close()

    def _check_finished(self) -> None:
        if self._browser_gone and self._tenant_gone and not self.finished.done():
            if self._timer is not None:
                self._timer.cancel()
            self.finished.set_result(None)


def _pause(transport: asyncio.Transport, paused: bool) -> None:
    if transport.is_closing():
        return
    if paused:
        transport.pause_reading()
    else:
        transport.resume_reading()


def _keep_alive(transport: asyncio.Transport) -> None:
    """TCP keepalive on the transport's socket (:data:`KEEPALIVE`, where the OS has them)."""
    sock = transport.get_extra_info("socket")
    if sock is None:
        return
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        for name, value in KEEPALIVE.items():
            if hasattr(socket, name):
                sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, name), value)

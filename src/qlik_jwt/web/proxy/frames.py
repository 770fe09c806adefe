"""Where websocket frames begin and end in a byte stream, read from their headers only.

The spliced engine websocket (:mod:`qlik_jwt.web.proxy.splice`) passes bytes through
untouched, but it must know where one frame ends so that a close frame it adds (a session
ended, one side vanished) lands between two frames, and it must notice a side's own close
frame. :class:`FrameBoundaries` follows one direction of a connection by reading each
frame's header (RFC 6455 §5.2): the payload is skipped, never unmasked or inflated, so the
cost per frame is a few integer operations whatever its size. Control frames (a close) may
sit between the fragments of a message (§5.4), so a frame boundary is enough.
"""

from __future__ import annotations

import os
import struct

__all__ = ["CLOSE", "FrameBoundaries", "close_frame"]

CLOSE = 0x8
_LONGEST_HEADER = 14  # 2 + 8 bytes of extended length + 4 bytes of mask


class FrameBoundaries:
    """The frame headers of one direction, fed every byte in order.

    ``at_boundary`` is true between two frames; ``closed`` once a close frame's header has
    passed (the side sent its close: nothing but its end follows).
    """

    __slots__ = ("_head", "_remaining", "closed")

    def __init__(self) -> None:
        self._remaining = 0  # payload bytes of the current frame not yet seen
        self._head = b""  # the start of a header split across reads
        self.closed = False

    @property
    def at_boundary(self) -> bool:
        return self._remaining == 0 and not self._head

    def feed(self, data: bytes, *, stop_at_boundary: bool = False) -> int:
        """Follow ``data``; return how many of its bytes were taken: all of them, or with
        ``stop_at_boundary`` those up to the first frame end reached (the caller passes
        them on and handles the rest itself)."""
        end = len(data)
        at = 0
        if self._head:  # a header split across reads: complete it first
            head = self._head + data[:_LONGEST_HEADER]
            size = _header_size(head)
            if size == 0 or len(head) < size:
                self._head = head
                return end
            at = size - len(self._head)
            self._head = b""
            self._start(head)
            if stop_at_boundary and not self._remaining:
                return at
        remaining = self._remaining
        while at < end:
            if remaining:
                taken = min(remaining, end - at)
                at += taken
                remaining -= taken
                if stop_at_boundary and not remaining:
                    break
                continue
            # The header, read in place (the hot path: one small frame per read).
            if end - at < 2:
                self._head = data[at:]
                at = end
                break
            second = data[at + 1]
            length = second & 0x7F
            size = (2 if length < 126 else 4 if length == 126 else 10) + (4 if second & 0x80 else 0)
            if end - at < size:
                self._head = data[at:]
                at = end
                break
            if length == 126:
                length = int.from_bytes(data[at + 2 : at + 4], "big")
            elif length == 127:
                length = int.from_bytes(data[at + 2 : at + 10], "big")
            if data[at] & 0x0F == CLOSE:
                self.closed = True
            at += size
            remaining = length
            if stop_at_boundary and not remaining:
                break
        self._remaining = remaining
        return at

    def _start(self, head: bytes) -> None:
        self._remaining = _payload_length(head)
        if head[0] & 0x0F == CLOSE:
            self.closed = True


def _header_size(head: bytes) -> int:
    """The length of the header starting ``head``; 0 when fewer than 2 bytes are known."""
    if len(head) < 2:
        return 0
    length = head[1] & 0x7F
    extended = 2 if length == 126 else 8 if length == 127 else 0
    return 2 + extended + (4 if head[1] & 0x80 else 0)


def _payload_length(head: bytes) -> int:
    length = head[1] & 0x7F
    if length == 126:
        return int(struct.unpack_from("!H", head, 2)[0])
    if length == 127:
        return int(struct.unpack_from("!Q", head, 2)[0])
    return length


def close_frame(code: int, reason: str, *, masked: bool) -> bytes:
    """A close frame with ``code`` and ``reason`` (cut to fit a control frame's 125 bytes);
    ``masked`` for the client's direction (toward the tenant), as RFC 6455 §5.3 requires."""
    cut = reason.encode("utf-8")[:123].decode("utf-8", "ignore")  # whole characters only
    payload = struct.pack("!H", code) + cut.encode("utf-8")
    if not masked:
        return bytes((0x80 | CLOSE, len(payload))) + payload
    mask = os.urandom(4)
    body = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
    return bytes((0x80 | CLOSE, 0x80 | len(payload))) + mask + body

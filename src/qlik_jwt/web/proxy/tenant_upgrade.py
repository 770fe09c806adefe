"""Opening the tenant's engine websocket as a raw connection, for the splice.

:func:`open_tenant_socket` connects (TLS for ``wss://``), writes the upgrade request itself
(the caller's headers: Qlik's cookies and ``qlik-csrf-token``; the browser's subprotocols and
``Sec-WebSocket-Extensions`` offer, so that the tenant answers what the browser asked) and
reads the answer with h11. A 101 whose ``Sec-WebSocket-Accept`` matches gives a
:class:`TenantSocket`: the transport, what the tenant chose, and any bytes it sent right
after the answer. Any other answer raises :class:`TenantRefused` carrying it (status,
headers, body), a broken answer :class:`TenantProtocolError`; connection failures raise
``OSError`` and a late answer ``TimeoutError``, as :func:`asyncio.open_connection` does.
Nothing here logs: the request carries the session's secrets.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit

import h11
import httpx

__all__ = [
    "TenantLeg",
    "TenantProtocolError",
    "TenantRefused",
    "TenantSocket",
    "open_tenant_socket",
]

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 §1.3
_MAX_ANSWER = 256 * 1024  # a refusal's body is a short JSON error


class TenantRefused(Exception):
    """The tenant answered the upgrade with something other than 101: ``answer``."""

    def __init__(self, answer: httpx.Response) -> None:
        super().__init__(f"the tenant answered {answer.status_code}")
        self.answer = answer


class TenantProtocolError(Exception):
    """The tenant's answer is not a valid websocket handshake (no secrets in the message)."""


class TenantLeg(asyncio.Protocol):
    """The tenant's side of the connection: bytes go to ``receiver`` (first the handshake's
    reader, then the splice); flow control and the end are passed on through the hooks."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.received = bytearray()
        self.arrived = asyncio.Event()
        self.lost = False
        self.receiver: Callable[[bytes], None] | None = None
        self.on_lost: Callable[[], None] | None = None
        self.on_pause: Callable[[bool], None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass

    def data_received(self, data: bytes) -> None:
        if self.receiver is not None:
            self.receiver(data)
        else:
            self.received += data
            self.arrived.set()

    def eof_received(self) -> None:
        return None  # close the transport: a half-closed websocket is a lost one

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.arrived.set()
        if self.on_lost is not None:
            self.on_lost()

    def pause_writing(self) -> None:
        if self.on_pause is not None:
            self.on_pause(True)

    def resume_writing(self) -> None:
        if self.on_pause is not None:
            self.on_pause(False)


@dataclass
class TenantSocket:
    """An upgraded connection to the tenant, not yet read beyond its 101 answer."""

    leg: TenantLeg
    subprotocol: str | None
    extensions: str | None  # the tenant's Sec-WebSocket-Extensions answer
    early: bytes  # frames that came with the answer (later ones wait in leg.received)

    def close(self) -> None:
        if self.leg.transport is not None:
            self.leg.transport.close()


async def open_tenant_socket(
    url: str,
    headers: dict[str, str],
    *,
    subprotocols: list[str],
    extensions: str | None,
    tls: ssl.SSLContext | None,
    timeout: float,
) -> TenantSocket:
    """The tenant's websocket at ``url`` (``ws://`` or ``wss://``), upgraded; see the module."""
    parts = urlsplit(url)
    secure = parts.scheme == "wss"
    host = parts.hostname or ""
    port = parts.port or (443 if secure else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    key = base64.b64encode(os.urandom(16)).decode("ascii")
    request = [
        ("Host", parts.netloc),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", key),
        ("Sec-WebSocket-Version", "13"),
        *headers.items(),
    ]
    if subprotocols:
        request.append(("Sec-WebSocket-Protocol", ", ".join(subprotocols)))
    if extensions:
        request.append(("Sec-WebSocket-Extensions", extensions))
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(timeout):
        _, leg = await loop.create_connection(
            TenantLeg,
            host,
            port,
            ssl=(tls or ssl.create_default_context()) if secure else None,
            server_hostname=host if secure else None,
        )
        try:
            return await _upgrade(leg, target, request, key, subprotocols)
        except BaseException:
            assert leg.transport is not None
            leg.transport.abort()
            raise


async def _upgrade(
    leg: TenantLeg,
    target: str,
    request: list[tuple[str, str]],
    key: str,
    subprotocols: list[str],
) -> TenantSocket:
    assert leg.transport is not None
    client = h11.Connection(h11.CLIENT)
    leg.transport.write(client.send(h11.Request(method="GET", target=target, headers=request)))
    leg.transport.write(client.send(h11.EndOfMessage()) or b"")
    answer: h11.Response | h11.InformationalResponse | None = None
    body = bytearray()
    while True:
        try:
            event = client.next_event()
        except h11.RemoteProtocolError:
            # Not h11's message: it may quote the answer's headers (the tenant's cookies).
            raise TenantProtocolError("the tenant's answer is not valid HTTP/1.1") from None
        if event is h11.NEED_DATA:
            while not leg.received and not leg.lost:
                await leg.arrived.wait()
                leg.arrived.clear()
            data, leg.received = bytes(leg.received), bytearray()
            if len(body) + len(data) > _MAX_ANSWER:
                raise TenantProtocolError("the tenant's answer is too long")
            client.receive_data(data)  # b"": the tenant closed the connection
            continue
        if isinstance(event, h11.InformationalResponse) and event.status_code == 101:
            return _accepted(leg, client, event, key, subprotocols)
        if isinstance(event, h11.Response):
            answer = event
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)) and answer is not None:
            raise TenantRefused(
                httpx.Response(
                    answer.status_code,
                    headers=[(bytes(name), bytes(value)) for name, value in answer.headers],
                    content=bytes(body),
                )
            )
        elif isinstance(event, h11.ConnectionClosed):
            raise ConnectionResetError("the tenant closed the connection without an answer")
        elif event is h11.PAUSED:
            raise TenantProtocolError("the tenant switched protocols without a 101")


def _accepted(
    leg: TenantLeg,
    client: h11.Connection,
    answer: h11.InformationalResponse,
    key: str,
    subprotocols: list[str],
) -> TenantSocket:
    headers = {bytes(name).lower(): bytes(value) for name, value in answer.headers}
    expected = base64.b64encode(
        hashlib.sha1(key.encode("ascii") + _GUID, usedforsecurity=False).digest()
    )
    if headers.get(b"sec-websocket-accept") != expected:
        raise TenantProtocolError("the tenant's Sec-WebSocket-Accept does not match the key")
    if headers.get(b"upgrade", b"").lower() != b"websocket":
        raise TenantProtocolError("the tenant's 101 does not upgrade to websocket")
    chosen = headers.get(b"sec-websocket-protocol")
    subprotocol = chosen.decode("latin-1") if chosen else None
    if subprotocol is not None and subprotocol not in subprotocols:
        raise TenantProtocolError("the tenant chose a subprotocol the browser did not offer")
    extensions = headers.get(b"sec-websocket-extensions")
    early, _ = client.trailing_data
    return TenantSocket(
        leg, subprotocol, extensions.decode("latin-1") if extensions else None, bytes(early)
    )

"""The forwarding pool (qlik_jwt.web.proxy.tenant_http) against real loopback servers.

Each test runs a small tenant on a free loopback port whose answers are written byte by byte
by the test (chunked, no length, HEAD, closing early...), on asyncio's loop and on uvloop's
(the one uvicorn runs on).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvloop

from qlik_jwt.admin.failures import transport_reason
from qlik_jwt.emulator.https import write_tls_certificate
from qlik_jwt.web.proxy.tenant_connection import HIGH_WATER
from qlik_jwt.web.proxy.tenant_http import TenantPool

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"


@pytest.fixture(params=["asyncio", "uvloop"])
def run(request: pytest.FixtureRequest) -> Callable[[Coroutine[Any, Any, None]], None]:
    def runner(test: Coroutine[Any, Any, None]) -> None:
        if request.param == "uvloop":
            uvloop.run(asyncio.wait_for(test, 30))
        else:
            asyncio.run(asyncio.wait_for(test, 30))

    return runner


async def read_request(reader: asyncio.StreamReader) -> tuple[list[bytes], bytes]:
    """One request: its head's lines and its body (by Content-Length, or chunked)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")[:-2]
    fields = dict(line.lower().split(b": ", 1) for line in lines[1:])
    if b"content-length" in fields:
        return lines, await reader.readexactly(int(fields[b"content-length"]))
    body = b""
    if fields.get(b"transfer-encoding") == b"chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            body += (await reader.readexactly(size + 2))[:-2]
            if not size:
                break
    return lines, body


class Tenant:
    """A loopback server answering each connection with ``handler``; counts connections."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.requests: list[tuple[list[bytes], bytes]] = []

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await self.handler(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def __aenter__(self) -> TenantPool:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        self.pool = pool(f"http://127.0.0.1:{port}")
        return self.pool

    async def __aexit__(self, *exc: object) -> None:
        await self.pool.aclose()
        self.server.close()


def pool(url: str, *, timeout: float = 5.0, **options: Any) -> TenantPool:
    return TenantPool(
        url, tls=ssl.create_default_context(), timeout=timeout, connect_timeout=2.0, **options
    )


def answering(*answers: bytes, then_close: bool = False) -> Handler:
    """Answer each request on a connection with the next of ``answers`` (the last repeats)."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for index in range(1000):
            await read_request(reader)
            writer.write(answers[min(index, len(answers) - 1)])
            await writer.drain()
            if then_close:
                return

    return handler


async def get(pool: TenantPool, method: bytes = b"GET") -> tuple[int, bytes]:
    answer = await pool.send(method, b"/api/v1/x?a=1", [(b"accept", b"*/*")])
    try:
        return answer.status, await answer.read_all()
    finally:
        answer.close()


def test_a_kept_alive_connection_carries_call_after_call(run: Any) -> None:
    async def test() -> None:
        tenant = Tenant(answering(OK))
        async with tenant as pool:
            for _ in range(5):
                assert await get(pool) == (200, b"ok")
            assert tenant.connections == 1 and pool.open == 1 and pool.idle == 1

    run(test())


def test_the_request_goes_out_as_given_with_the_tenants_host(run: Any) -> None:
    async def test() -> None:
        seen: list[tuple[list[bytes], bytes]] = []

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            seen.append(await read_request(reader))
            writer.write(OK)

        async with Tenant(handler) as pool:
            headers = [(b"content-type", b"text/plain"), (b"content-length", b"5")]
            answer = await pool.send(b"POST", b"/api/v1/items?x=%20", headers, b"hello")
            answer.close()
            port = pool.port
        lines, body = seen[0]
        assert lines[0] == b"POST /api/v1/items?x=%20 HTTP/1.1"
        assert lines[1:] == [b"host: 127.0.0.1:%d" % port, *(b"%s: %s" % h for h in headers)]
        assert body == b"hello"

    run(test())


def test_a_chunked_answer_arrives_as_the_tenant_sends_it(run: Any) -> None:
    async def test() -> None:
        next_part = asyncio.Event()

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while True:
                await read_request(reader)
                writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nfirst\r\n")
                await next_part.wait()
                next_part.clear()
                writer.write(b"6\r\nsecond\r\n0\r\n\r\n")

        tenant = Tenant(handler)
        async with tenant as pool:
            for _ in range(2):
                answer = await pool.send(b"GET", b"/x", [])
                assert await answer.read() == b"first" and not answer.finished
                next_part.set()
                assert await answer.read_all() == b"second" and answer.finished
            assert tenant.connections == 1  # read whole: kept alive

    run(test())


def test_head_204_and_304_answers_have_no_body(run: Any) -> None:
    async def test() -> None:
        head = b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\ncontent-type: text/html\r\n\r\n"
        no_content = b"HTTP/1.1 204 No Content\r\n\r\n"
        not_modified = b'HTTP/1.1 304 Not Modified\r\netag: "v1"\r\n\r\n'
        tenant = Tenant(answering(no_content, not_modified, OK))
        async with tenant as pool:
            assert await get(pool) == (204, b"")
            assert await get(pool) == (304, b"")
            assert await get(pool) == (200, b"ok")
            assert tenant.connections == 1  # each read whole at once: the connection goes on
        tenant = Tenant(answering(head))
        async with tenant as pool:
            assert await get(pool, b"HEAD") == (200, b"")
            assert await get(pool, b"HEAD") == (200, b"")  # after a HEAD: a new connection
            assert tenant.connections == 2

    run(test())


def test_an_answer_that_ends_with_the_connection_is_read_whole_and_not_reused(run: Any) -> None:
    async def test() -> None:
        until_close = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nall of it"
        closing = b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok"
        tenant = Tenant(answering(until_close, then_close=True))
        async with tenant as pool:
            assert await get(pool) == (200, b"all of it")
            assert pool.idle == 0 and pool.open == 0
        tenant = Tenant(answering(closing))
        async with tenant as pool:
            assert await get(pool) == (200, b"ok")
            assert await get(pool) == (200, b"ok")
            assert tenant.connections == 2 and pool.idle == 0

    run(test())


def test_a_connection_the_tenant_closed_while_idle_is_replaced(run: Any) -> None:
    async def test() -> None:
        tenant = Tenant(answering(OK, then_close=True))
        async with tenant as pool:
            assert await get(pool) == (200, b"ok")
            await asyncio.sleep(0.05)  # the tenant's close arrives while the connection idles
            assert await get(pool) == (200, b"ok")
            assert tenant.connections == 2 and pool.open == 1

    run(test())


def test_a_tenant_closing_without_answering_is_a_remote_protocol_error(run: Any) -> None:
    async def test() -> None:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await read_request(reader)  # then closes: the race of an idle timeout

        async with Tenant(handler) as pool:
            with pytest.raises(httpx.RemoteProtocolError, match="closed without answering"):
                await get(pool)
            assert pool.open == 0

    run(test())


def test_an_answer_that_breaks_off_is_a_read_error(run: Any) -> None:
    async def test() -> None:
        broken = b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly this"
        async with Tenant(answering(broken, then_close=True)) as pool:
            answer = await pool.send(b"GET", b"/x", [])
            with pytest.raises(httpx.ReadError, match="broke off"):
                await answer.read_all()
            answer.close()
            assert pool.open == 0

    run(test())


def test_what_is_not_http_is_a_remote_protocol_error(run: Any) -> None:
    async def test() -> None:
        async with Tenant(answering(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")) as pool:
            with pytest.raises(httpx.RemoteProtocolError, match="not HTTP"):
                await get(pool)

    run(test())


def test_a_silent_tenant_times_out_and_the_pool_goes_on(run: Any) -> None:
    async def test() -> None:
        calls = 0

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal calls
            while True:
                await read_request(reader)
                calls += 1
                if calls > 1:
                    writer.write(OK)

        tenant = Tenant(handler)
        async with tenant as running:
            silent = pool(f"http://127.0.0.1:{running.port}", timeout=0.2)
            with pytest.raises(httpx.ReadTimeout):
                await get(silent)
            assert silent.open == 0  # a connection that timed out is not used again
            assert await get(silent) == (200, b"ok")
            await silent.aclose()

    run(test())


def test_an_unreachable_tenant_is_a_connect_error(run: Any) -> None:
    async def test() -> None:
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        server.close()
        await server.wait_closed()
        gone = pool(f"http://127.0.0.1:{port}")
        with pytest.raises(httpx.ConnectError):
            await get(gone)
        assert gone.open == 0

    run(test())


def test_calls_beyond_the_connection_limit_wait_then_time_out(run: Any) -> None:
    async def test() -> None:
        tenant = Tenant(answering(OK))
        async with tenant as running:
            small = pool(f"http://127.0.0.1:{running.port}", timeout=0.3, max_connections=1)
            held = await small.send(b"GET", b"/x", [])  # not read yet: its connection is busy
            with pytest.raises(httpx.PoolTimeout):
                await get(small)
            waiting = asyncio.create_task(get(small))
            await asyncio.sleep(0.05)
            assert await held.read_all() == b"ok"  # read whole: handed to the waiting call
            held.close()
            assert await waiting == (200, b"ok")
            assert tenant.connections == 1 and small.open == 1
            await small.aclose()

    run(test())


def test_a_waiting_call_gets_the_slot_of_a_connection_that_could_not_be_kept(run: Any) -> None:
    async def test() -> None:
        tenant = Tenant(answering(OK))
        async with tenant as running:
            small = pool(f"http://127.0.0.1:{running.port}", max_connections=1)
            held = await small.send(b"GET", b"/x", [])
            waiting = asyncio.create_task(get(small))
            await asyncio.sleep(0.05)
            held.close()  # unread: the connection is closed, its slot goes to the waiting call
            assert await waiting == (200, b"ok")
            assert tenant.connections == 2 and small.open == 1
            await small.aclose()

    run(test())


def test_idle_connections_expire_before_the_tenants_keep_alive(run: Any) -> None:
    async def test() -> None:
        tenant = Tenant(answering(OK))
        async with tenant as running:
            short = pool(f"http://127.0.0.1:{running.port}", keepalive=0.05)
            assert await get(short) == (200, b"ok")
            await asyncio.sleep(0.1)
            assert await get(short) == (200, b"ok")
            assert tenant.connections == 2 and short.open == 1
            await short.aclose()

    run(test())


def test_a_slow_reader_pauses_the_tenant_instead_of_buffering(run: Any) -> None:
    async def test() -> None:
        size = 16 * 1024 * 1024
        sent = 0

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal sent
            await read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % size)
            block = b"x" * 65536
            for _ in range(size // len(block)):
                writer.write(block)
                await writer.drain()
                sent += len(block)

        async with Tenant(handler) as pool:
            answer = await pool.send(b"GET", b"/big", [])
            await asyncio.sleep(0.3)  # the reader takes nothing meanwhile
            connection = answer._connection
            assert connection is not None
            assert connection._buffered <= HIGH_WATER + 256 * 1024  # one socket read more
            assert sent < size / 2  # the tenant was held back (socket buffers aside)
            received = 0
            while not answer.finished:
                received += len(await answer.read())
            answer.close()
            assert received == size and pool.idle == 1

    run(test())


def test_a_streamed_body_goes_out_chunked_or_with_its_length(run: Any) -> None:
    async def test() -> None:
        seen: list[tuple[list[bytes], bytes]] = []

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while True:
                seen.append(await read_request(reader))
                writer.write(OK)

        async def parts() -> AsyncIterator[bytes]:
            for part in (b"one,", b"", b"two,", b"three"):
                await asyncio.sleep(0)
                yield part

        async with Tenant(handler) as pool:
            (await pool.send(b"PUT", b"/x", [], parts())).close()
            (await pool.send(b"PUT", b"/x", [(b"content-length", b"13")], parts())).close()
        assert b"transfer-encoding: chunked" in seen[0][0] and seen[0][1] == b"one,two,three"
        assert b"transfer-encoding: chunked" not in seen[1][0]
        assert seen[1][1] == b"one,two,three"

    run(test())


def test_a_line_break_in_a_header_never_reaches_the_tenant(run: Any) -> None:
    async def test() -> None:
        tenant = Tenant(answering(OK))
        async with tenant as pool:
            for header in ((b"accept", b"a\r\nx-admin: 1"), (b"accept", b"a\nb")):
                with pytest.raises(httpx.LocalProtocolError):
                    await pool.send(b"GET", b"/x", [header])
            with pytest.raises(httpx.LocalProtocolError):
                await pool.send(b"GET", b"/x HTTP/1.1\r\nx-admin: 1\r\n", [])
            assert tenant.connections == 0

    run(test())


def test_an_https_tenant_is_reached_over_verified_tls(run: Any, tmp_path: Path) -> None:
    files = write_tls_certificate(tmp_path)
    serving = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    serving.load_cert_chain(files.certificate, files.private_key)

    async def test() -> None:
        tenant = Tenant(answering(OK))
        server = await asyncio.start_server(tenant._serve, "127.0.0.1", 0, ssl=serving)
        port = server.sockets[0].getsockname()[1]
        trusted = TenantPool(
            f"https://127.0.0.1:{port}",
            tls=ssl.create_default_context(cafile=files.certificate),
            timeout=5,
            connect_timeout=2,
        )
        assert await get(trusted) == (200, b"ok")
        assert await get(trusted) == (200, b"ok")
        assert tenant.connections == 1
        stranger = pool(f"https://127.0.0.1:{port}")  # the system's CAs only
        with pytest.raises(httpx.ConnectError) as refused:
            await get(stranger)
        assert "certificate" in transport_reason(refused.value)
        await trusted.aclose()
        server.close()

    run(test())

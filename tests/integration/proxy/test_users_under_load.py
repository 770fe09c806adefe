"""Many users at once through one proxy: every answer is the asking user's own.

Forwarding reuses connections to the tenant (a pool shared by all users) and relays engine
websockets side by side, so a mix-up would show as one user's answer reaching another: a
pooled connection handed on with part of an answer still unread, a body sent to the wrong
browser, a frame on the wrong socket. :data:`USERS` users, each with their own proxy cookie,
run :data:`ROUNDS` rounds concurrently; each round mixes what a page does: ``users/me``
(its 301 and the followed answer, whose subject must be the user's), an asset (its bytes
exact), a ``HEAD``, the engine's ``GetAuthenticatedUser`` on the user's own engine socket,
and a large message through the echo engine carrying the user's name. Bounded by count,
not timed.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from qlik_jwt.emulator import EmulatorOptions
from tests.support.proxy import (
    ASSET_PATH,
    ECHO_PATH,
    ProxiedTenant,
    proxied_tenant,
    proxy_web_app,
    rpc,
    users_by_cookie,
)

USERS = 16
ROUNDS = 12
USER_COOKIE = "load-user"
ASSET = b"export const asset = 1;\n"  # what tests.support.proxy.StaticAsset serves


@pytest.fixture()
def roomy_tenant(key_dir: Path) -> Iterator[ProxiedTenant]:
    options = EmulatorOptions(tier1_per_minute=10**6, tier2_per_minute=10**6)
    with proxied_tenant(key_dir, options=options) as tenant:
        yield tenant


identify = users_by_cookie(USER_COOKIE, "load")


class User:
    """One browser: its user, its cookies, its two engine sockets."""

    def __init__(self, number: int, origin: str, app_id: str) -> None:
        self.subject = f"load|{number}"
        self.origin = origin
        self.app_id = app_id
        proxy_cookie = secrets.token_urlsafe(32)
        self.headers = {"Cookie": f"{USER_COOKIE}={number}; qlik-jwt-proxy={proxy_cookie}"}
        self.answers = 0

    def socket(self, path: str) -> connect:
        url = self.origin.replace("http", "ws", 1) + path
        return connect(
            url,
            origin=self.origin,  # type: ignore[arg-type]
            additional_headers=self.headers,
            max_size=4 * 1024 * 1024,
        )

    async def run(self) -> None:
        async with (
            httpx.AsyncClient(base_url=self.origin, headers=self.headers, timeout=60) as http,
            self.socket(f"/app/{self.app_id}") as engine,
            self.socket(ECHO_PATH) as echo,
        ):
            assert "OnConnected" in str(await engine.recv())
            for round_ in range(ROUNDS):
                await asyncio.gather(
                    self.rest(http), self.engine_user(engine, round_), self.echoed(echo, round_)
                )

    async def rest(self, http: httpx.AsyncClient) -> None:
        moved = await http.get("/api/v1/users/me")
        assert moved.status_code == 301, moved.text
        me = await http.get(moved.headers["location"])
        assert me.status_code == 200 and me.json()["subject"] == self.subject, me.text
        asset = await http.get(ASSET_PATH)
        assert asset.status_code == 200 and asset.content == ASSET
        head = await http.head(ASSET_PATH)  # a length and no body: the connection goes on
        assert head.status_code == 200 and head.content == b"", head.headers
        self.answers += 4

    async def engine_user(self, engine: ClientConnection, round_: int) -> None:
        await engine.send(rpc("GetAuthenticatedUser", request_id=round_ + 1))
        reply = json.loads(await engine.recv())
        assert reply["id"] == round_ + 1 and reply["result"]["qReturn"] == self.subject, reply
        self.answers += 1

    async def echoed(self, echo: ClientConnection, round_: int) -> None:
        text = f"{self.subject} {round_} " * (20_000 + round_ * 997)  # ~0.3 MB, sizes vary
        await echo.send(text)
        assert await echo.recv() == text
        self.answers += 1


@pytest.mark.timeout(240)
def test_every_answer_under_load_is_the_asking_users_own(
    roomy_tenant: ProxiedTenant, tmp_path: Path
) -> None:
    tenant = roomy_tenant
    settings = tenant.settings(tmp_path, proxy_timeout=120)
    with proxy_web_app(tenant, settings, identify=identify) as web:
        users = [User(n, web.url, tenant.emulator.app_id) for n in range(USERS)]

        async def everyone() -> None:
            await asyncio.gather(*(user.run() for user in users))

        asyncio.run(asyncio.wait_for(everyone(), timeout=200))
    assert [user.answers for user in users] == [ROUNDS * 6] * USERS
    assert tenant.log.logins() == USERS  # one Qlik session per user, reused by every call

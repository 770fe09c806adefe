"""Monday 9:00: 500 first visits at once in proxy mode, against a tenant that allows 100
logins per window from one address (Qlik's Tier 2 limit on /login/jwt-session, applied per
source address: the proxy's worst case, every login comes from the app). The window is
scaled down from a minute to :data:`WINDOW` seconds so that the test stays short; nothing in
it is timed.

Each visit is what the page does in proxy mode: ``GET /api/v1/csrf-token`` (asked again
after ``Retry-After`` while the answer says the login is queued), then ``users/me`` (whose
subject must be the visitor's), then a reload's ``csrf-token``. Every user must get a
session, see no error, and be answered as themselves; the tenant must accept no more logins
per window than its limit, and exactly one per user.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from qlik_jwt.emulator import EmulatorOptions
from tests.support.proxy import ProxiedTenant, proxied_tenant, proxy_web_app, users_by_cookie

USERS = 500
LIMIT = 100
WINDOW = 10  # seconds standing for Qlik's minute
USER_COOKIE = "burst-user"


@pytest.fixture()
def limited_tenant(key_dir: Path) -> Iterator[ProxiedTenant]:
    options = EmulatorOptions(
        tier2_per_minute=LIMIT,
        rate_limit_per_address=True,
        rate_limit_window_seconds=WINDOW,
        tier1_per_minute=10**6,
    )
    with proxied_tenant(key_dir, options=options) as tenant:
        yield tenant


identify = users_by_cookie(USER_COOKIE, "burst")


class Visitor:
    """One browser: its user, its cookies, and every answer it saw."""

    def __init__(self, number: int) -> None:
        self.subject = f"burst|{number}"
        self.cookie = f"{USER_COOKIE}={number}; qlik-jwt-proxy={secrets.token_urlsafe(32)}"
        self.answers: Counter[str] = Counter()
        self.waited = 0
        self.messages: list[str] = []

    async def get(self, http: httpx.AsyncClient, path: str) -> httpx.Response:
        """GET as the page does: a queued answer is asked again after its Retry-After."""
        while True:
            answer = await http.get(path, headers={"Cookie": self.cookie})
            if answer.status_code == 503 and answer.headers.get("qlik-jwt-login") == "queued":
                assert answer.json()["error"]["code"] == "qlik-login-queued"
                self.messages.append(answer.json()["error"]["message"])
                self.waited += 1
                await asyncio.sleep(int(answer.headers["Retry-After"]))
                continue
            self.answers[f"{path} {answer.status_code}"] += 1
            return answer

    async def visit(self, http: httpx.AsyncClient) -> float:
        """First visit and a reload; returns when the session was there (monotonic)."""
        first = await self.get(http, "/api/v1/csrf-token")
        assert first.status_code == 204, first.text
        ready = time.monotonic()
        moved = await self.get(http, "/api/v1/users/me")
        assert moved.status_code == 301, moved.text
        me = await self.get(http, moved.headers["location"])
        assert me.status_code == 200 and me.json()["subject"] == self.subject, me.text
        reload = await self.get(http, "/api/v1/csrf-token")  # the same session: no login
        assert reload.status_code == 204 and "qlik-jwt-login" not in reload.headers
        return ready


def most_in_a_window(arrivals: list[float]) -> int:
    """The most logins that arrived within one window (less 50 ms: the tenant's own clock
    reads the arrival a moment later than the request log)."""
    arrivals = sorted(arrivals)
    return max(
        sum(1 for t in arrivals[i:] if t < start + WINDOW - 0.05)
        for i, start in enumerate(arrivals)
    )


@pytest.mark.timeout(300)  # bounded, not timed: ~90 s on a busy 2-core machine
def test_500_first_visits_all_get_a_session_within_the_tenant_limit(
    limited_tenant: ProxiedTenant, tmp_path: Path
) -> None:
    tenant = limited_tenant
    # The tenant, the app and 500 browsers share one process on a busy machine: a forwarded
    # call may wait long for its turn, which is not what this test is about.
    settings = tenant.settings(tmp_path, token_rate_limit=10, proxy_timeout=120)
    with proxy_web_app(tenant, settings, identify=identify) as web:
        tenant.log.clear()
        visitors = [Visitor(n) for n in range(USERS)]

        async def burst() -> list[float]:
            # Idle connections dropped well before the server's 5 s keep-alive timeout (a
            # browser retries a request that meets a connection closing; httpx does not).
            limits = httpx.Limits(
                max_connections=200, max_keepalive_connections=200, keepalive_expiry=1.0
            )
            async with httpx.AsyncClient(base_url=web.url, timeout=60, limits=limits) as http:
                return await asyncio.gather(*(v.visit(http) for v in visitors))

        started = time.monotonic()
        ready = asyncio.run(asyncio.wait_for(burst(), timeout=240))
    last = max(ready) - started

    logins = [
        (at, status)
        for at, method, path, status in tenant.log.answered
        if (method, path) == ("POST", "/login/jwt-session")
    ]
    accepted = [at for at, status in logins if status == 200]
    print(
        f"500 first visits, {LIMIT} logins per {WINDOW} s window: last session after "
        f"{last:.1f} s (= {last * 60 / WINDOW / 60:.1f} min at Qlik's real minute); "
        f"{len(logins) - len(accepted)} logins met 429"
    )
    assert len(accepted) == USERS  # one login per user: the reload cost none
    assert {status for _, status in logins} <= {200, 429}
    assert most_in_a_window(accepted) <= LIMIT
    assert sum(v.waited for v in visitors) > 0  # some did wait: the limit was met
    assert all(v.answers["/api/v1/csrf-token 204"] == 2 for v in visitors)
    assert any("logins ahead" in m for v in visitors for m in v.messages)

"""Login mode ``impersonation`` in the web app, against a real emulator on loopback: the
``POST /access-token`` rules (direct mode), proxy mode's Bearer calls and engine socket, the
``/single/`` iframe through the app, sign-out revoking, and refusals in Qlik's terms."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from qlik_jwt.admin.client import TenantClient
from qlik_jwt.embedding.audit import AUDIT_LOGGER
from qlik_jwt.impersonation import ImpersonationClient
from qlik_jwt.settings import Settings
from qlik_jwt.web import DEMO_USERS
from tests.support.emulator import RunningEmulator, running_emulator
from tests.support.proxy import cookie_header, rpc, signed_in
from tests.support.servers import ServerThread
from tests.support.webapp import ADA, make_app, page_csrf_token, token_headers

EVE = DEMO_USERS[2]  # group Marketing: not granted the app's space


@pytest.fixture(scope="module")
def tenant() -> Iterator[RunningEmulator]:
    with running_emulator() as running:
        running.grant_custom_group("Finance")
        yield running


@pytest.fixture(scope="module")
def credentials(tenant: RunningEmulator) -> tuple[str, str]:
    return tenant.create_oauth_client()


def settings(
    tenant: RunningEmulator, tmp_path: Path, web_mode: str, credentials: tuple[str, str]
) -> Settings:
    return Settings.load(
        env_file=None,
        tenant_url=tenant.url,
        app_id=tenant.app_id,
        login_mode="impersonation",
        web_mode=web_mode,
        oauth_client_id=credentials[0],
        oauth_client_secret=credentials[1],
        users_db=str(tmp_path / "web.sqlite3"),
        token_rate_limit=5,
    )


class Running:
    def __init__(self, server: ServerThread, client: ImpersonationClient) -> None:
        self.server = server
        self.client = client

    @property
    def url(self) -> str:
        return self.server.url


def serve(
    tenant: RunningEmulator, tmp_path: Path, web_mode: str, credentials: tuple[str, str]
) -> Any:
    """The web app with an ImpersonationClient that provisions users (admin key)."""
    admin = TenantClient(tenant.url, api_key=tenant.admin_key)
    client = ImpersonationClient(tenant.url, *credentials, admin=admin, clock=tenant.clock)
    app = make_app(settings(tenant, tmp_path, web_mode, credentials), impersonation=client)
    return ServerThread(app), client, admin


@pytest.fixture
def direct(
    tenant: RunningEmulator, tmp_path: Path, credentials: tuple[str, str]
) -> Iterator[Running]:
    server, client, admin = serve(tenant, tmp_path, "direct", credentials)
    with server:
        yield Running(server, client)
    admin.close()


@pytest.fixture
def proxy(
    tenant: RunningEmulator, tmp_path: Path, credentials: tuple[str, str]
) -> Iterator[Running]:
    server, client, admin = serve(tenant, tmp_path, "proxy", credentials)
    with server:
        yield Running(server, client)
    admin.close()


def access_token(web: httpx.Client) -> httpx.Response:
    return web.post("/access-token", headers=token_headers(web, page_csrf_token(web)))


def as_user(tenant: RunningEmulator, token: str) -> dict[str, Any]:
    with tenant.client(headers={"Authorization": f"Bearer {token}"}) as http:
        me = http.get("/api/v1/users/me", follow_redirects=True)
    assert me.status_code == 200, me.text
    return dict(me.json())


def test_direct_mode_hands_the_users_token_to_the_page_and_a_reload_costs_no_grant(
    tenant: RunningEmulator, direct: Running, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=AUDIT_LOGGER)
    with signed_in(direct.url, ADA) as web:
        first = access_token(web)
        assert first.status_code == 200, first.text
        assert first.headers["cache-control"] == "no-store"
        body = first.json()
        assert set(body) == {"accessToken", "expiresAt"}
        me = as_user(tenant, body["accessToken"])
        assert me["subject"] == "demo|ada"
        assert [g["name"] for g in me["assignedGroups"]] == ["Finance"]
        grants = direct.client.grants
        again = access_token(web)  # a reload of the page
        assert again.json()["accessToken"] == body["accessToken"]
        assert direct.client.grants == grants  # 0 grants on a reload
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == AUDIT_LOGGER]
    issued = [line for line in lines if line["event"] == "access-token-issued"]
    assert len(issued) == 2 and issued[0]["sub"] == "demo|ada" and len(issued[0]["token"]) == 12
    assert body["accessToken"] not in caplog.text


def test_the_access_token_route_keeps_every_rule_of_the_token_route(direct: Running) -> None:
    with httpx.Client(base_url=direct.url) as anonymous:
        origin = {"Origin": direct.url, "Sec-Fetch-Site": "same-origin", "X-CSRF-Token": "x"}
        assert anonymous.post("/access-token", headers=origin).status_code == 401
    with signed_in(direct.url, ADA) as web:
        csrf = page_csrf_token(web)
        other_site = {**token_headers(web, csrf), "Origin": "https://evil.example"}
        assert web.post("/access-token", headers=other_site).status_code == 403
        no_csrf = {k: v for k, v in token_headers(web, csrf).items() if k != "X-CSRF-Token"}
        assert web.post("/access-token", headers=no_csrf).status_code == 403
        body = web.post("/access-token", headers=token_headers(web, csrf), content=b'{"sub":"x"}')
        assert body.status_code == 400
        answers = [access_token(web) for _ in range(6)]
    assert [a.status_code for a in answers][-1] == 429
    assert answers[-1].headers["retry-after"]
    assert answers[-1].json()["error"]["code"] == "rate-limited"


def test_direct_mode_frames_single_through_the_app(
    tenant: RunningEmulator, direct: Running
) -> None:
    with signed_in(direct.url, ADA) as web:
        frame = web.get("/single/", params={"appid": tenant.app_id, "opt": "currsel"})
        assert frame.status_code == 200, frame.text
        assert "qlik-data" in frame.text
        assert web.get("/api/v1/users/me").status_code == 404  # direct mode forwards no REST


def test_proxy_mode_adds_the_bearer_token_itself(tenant: RunningEmulator, proxy: Running) -> None:
    with signed_in(proxy.url, ADA) as web:
        assert "accessToken" not in web.get("/").text
        probe = web.get("/api/v1/csrf-token")
        assert probe.status_code == 204 and "qlik-csrf-token" not in probe.headers
        me = web.get("/api/v1/users/me", follow_redirects=True)
        assert me.status_code == 200, me.text
        assert me.json()["subject"] == "demo|ada"
        grants = proxy.client.grants
        for _ in range(3):
            assert web.get("/api/v1/users/me", follow_redirects=True).status_code == 200
        assert proxy.client.grants == grants
        socket_url = proxy.url.replace("http", "ws") + f"/app/{tenant.app_id}"
        headers = {"Cookie": cookie_header(web), "Origin": proxy.url}
        with connect(socket_url, additional_headers=headers) as engine:
            engine.recv()  # OnConnected
            engine.send(rpc("OpenDoc", [tenant.app_id]))
            opened = json.loads(engine.recv())
        assert "result" in opened, opened
        frame = web.get("/single/", params={"appid": tenant.app_id})
        assert frame.status_code == 200 and "qlik-data" in frame.text


def test_a_user_without_access_is_refused_at_opendoc(
    tenant: RunningEmulator, proxy: Running
) -> None:
    with signed_in(proxy.url, EVE) as web:
        assert web.get("/api/v1/users/me", follow_redirects=True).json()["subject"] == "demo|eve"
        socket_url = proxy.url.replace("http", "ws") + f"/app/{tenant.app_id}"
        headers = {"Cookie": cookie_header(web), "Origin": proxy.url}
        with connect(socket_url, additional_headers=headers) as engine:
            engine.recv()
            engine.send(rpc("OpenDoc", [tenant.app_id]))
            refused = json.loads(engine.recv())
    assert refused["error"]["code"] == 5  # Access denied


def test_sign_out_revokes_the_users_token(tenant: RunningEmulator, direct: Running) -> None:
    with signed_in(direct.url, ADA) as web:
        token = access_token(web).json()["accessToken"]
        form = {"csrf_token": page_csrf_token(web)}
        out = web.post("/sign-out", data=form, headers={"Origin": direct.url})
        assert out.status_code == 303
    with tenant.client(headers={"Authorization": f"Bearer {token}"}) as http:
        assert http.get("/api/v1/users/me").status_code == 401


def test_a_wrong_client_secret_is_explained_with_its_fix(
    tenant: RunningEmulator, tmp_path: Path, credentials: tuple[str, str]
) -> None:
    wrong = (credentials[0], "wrong-" + credentials[1][6:])
    server, _, admin = serve(tenant, tmp_path, "direct", wrong)
    with server, signed_in(server.url, ADA) as web:
        refused = access_token(web)
    admin.close()
    assert refused.status_code == 502
    error = refused.json()["error"]
    assert error["code"] == "oauth-client-refused"
    assert "QLIK_OAUTH_CLIENT_SECRET" in error["fix"]
    assert wrong[1] not in refused.text and credentials[1] not in refused.text


def test_proxy_mode_sign_out_revokes_the_token_the_app_held(
    tenant: RunningEmulator, proxy: Running
) -> None:
    with signed_in(proxy.url, ADA) as web:
        assert web.get("/api/v1/users/me", follow_redirects=True).status_code == 200
        held = proxy.client.cached("demo|ada")
        assert held is not None
        form = {"csrf_token": page_csrf_token(web)}
        assert web.post("/sign-out", data=form, headers={"Origin": proxy.url}).status_code == 303
    assert proxy.client.cached("demo|ada") is None
    with tenant.client(headers={"Authorization": held.authorization}) as http:
        assert http.get("/api/v1/users/me").status_code == 401

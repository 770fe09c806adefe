"""The FastAPI integration in proxy mode: the host app forwards Qlik's paths and logs in for
the browser, on a real server against a real emulator."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from qlik_jwt.embedding.tokens import AUDIT_LOGGER
from qlik_jwt.settings import Settings
from qlik_jwt.signer import TokenSigner
from tests.support.emulator import RunningEmulator
from tests.support.hosts import (
    page_bootstrap,
    provisioned_settings,
    running_host,
    sign_in,
    token_headers,
)
from tests.support.proxy import cookie_header
from tests.support.webapp import ADA


def _proxy_settings(
    emulator: RunningEmulator, signer: TokenSigner, key_dir: Path, tmp_path: Path
) -> Callable[[str], Settings]:
    """The host app's settings in proxy mode, for the emulator provisioned for ``signer``."""
    return provisioned_settings(
        emulator,
        signer,
        (key_dir / "certificate.pem").read_bytes(),
        web_mode="proxy",
        proxy_session_store=f"sqlite:///{tmp_path / 'proxy.sqlite3'}",
    )


def test_the_host_app_logs_in_for_the_browser_and_forwards_qlik(
    emulator: RunningEmulator,
    signer: TokenSigner,
    key_dir: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=AUDIT_LOGGER)
    settings_for = _proxy_settings(emulator, signer, key_dir, tmp_path)
    with running_host("fastapi", settings_for, signer=signer, clock=emulator.clock) as host:
        with host.client() as anonymous:
            refused = anonymous.get("/api/v1/users/me")
        assert refused.status_code == 401  # answered by the route: the host has no handler
        assert refused.json()["error"]["code"] == "not-signed-in"
        with host.client() as client:
            sign_in(client, ADA.username, ADA.password)
            bootstrap = page_bootstrap(client)
            assert bootstrap["qlikBaseUrl"] == host.url and bootstrap["tokenUrl"] is None
            assert any(name.endswith("qlik-jwt-proxy") for name in client.cookies)
            csrf = client.get("/api/v1/csrf-token")
            assert csrf.status_code == 204 and csrf.headers["qlik-jwt-login"] == "new"
            me = client.get("/api/v1/users/me", follow_redirects=True)
            assert me.status_code == 200 and me.json()["subject"] == "demo|ada"
            assert client.get("/api/v1/csrf-token").headers.get("qlik-jwt-login") is None
            assert client.post("/qlik/token", headers={"Origin": host.url}).status_code == 404
    mints = [json.loads(r.getMessage()) for r in caplog.records if r.name == AUDIT_LOGGER]
    assert [(m["sub"], m["via"]) for m in mints] == [("demo|ada", "proxy")]


def test_the_host_apps_sign_out_closes_the_engine_socket(
    emulator: RunningEmulator, signer: TokenSigner, key_dir: Path, tmp_path: Path
) -> None:
    settings_for = _proxy_settings(emulator, signer, key_dir, tmp_path)
    with (
        running_host("fastapi", settings_for, signer=signer, clock=emulator.clock) as host,
        host.client() as client,
    ):
        sign_in(client, ADA.username, ADA.password)
        bootstrap = page_bootstrap(client)
        url = host.url.replace("http", "ws", 1) + f"/app/{emulator.app_id}"
        headers = {"Cookie": cookie_header(client)}
        with connect(url, origin=host.url, additional_headers=headers) as websocket:  # type: ignore[arg-type]
            answer = client.post(
                "/sign-out",
                data={"csrf_token": bootstrap["csrfToken"]},
                headers={"Origin": host.url},
            )
            assert answer.status_code == 303
            with pytest.raises(ConnectionClosed):
                while True:
                    websocket.recv(timeout=5)
        assert (websocket.close_code, websocket.close_reason) == (4401, "signed-out")


@pytest.mark.parametrize("web_mode", ["direct", "proxy"])
def test_the_fastapi_host_app_in_login_mode_impersonation(
    emulator: RunningEmulator, signer: TokenSigner, key_dir: Path, web_mode: str
) -> None:
    client_id, secret = emulator.create_oauth_client()
    settings_for = provisioned_settings(
        emulator,
        signer,
        (key_dir / "certificate.pem").read_bytes(),
        login_mode="impersonation",
        web_mode=web_mode,
        oauth_client_id=client_id,
        oauth_client_secret=secret,
        admin_api_key=emulator.admin_key,  # the app creates users and sets their groups
    )
    with running_host("fastapi", settings_for, clock=emulator.clock) as host, host.client() as web:
        sign_in(web, ADA.username, ADA.password)
        bootstrap = page_bootstrap(web)
        if web_mode == "direct":
            assert bootstrap["auth"] == "bearer" and bootstrap["tokenUrl"] == "/qlik/access-token"
            answer = web.post("/qlik/access-token", headers=token_headers(web, bootstrap))
            assert answer.status_code == 200, answer.text
            bearer = {"Authorization": f"Bearer {answer.json()['accessToken']}"}
            with emulator.client(headers=bearer, follow_redirects=True) as tenant:
                assert tenant.get("/api/v1/users/me").json()["subject"] == "demo|ada"
            assert web.post("/qlik/token", headers=token_headers(web, bootstrap)).status_code == 404
        else:
            assert bootstrap["tokenUrl"] is None and bootstrap["qlikBaseUrl"] == host.url
            me = web.get("/api/v1/users/me", follow_redirects=True)
            assert me.json()["subject"] == "demo|ada"
        frame = web.get("/single/", params={"appid": emulator.app_id})
        assert frame.status_code == 200 and "qlik-data" in frame.text

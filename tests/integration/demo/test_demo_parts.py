"""The demo's state folder and background servers."""

from __future__ import annotations

import socket
import ssl
import stat
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from qlik_jwt import keys
from qlik_jwt.cli.demo import show
from qlik_jwt.demo.run import DemoInfo
from qlik_jwt.demo.servers import BackgroundServer
from qlik_jwt.demo.state import DemoState
from qlik_jwt.errors import ConfigurationError
from qlik_jwt.web import DEMO_USERS


def test_state_is_created_once_and_reused(tmp_path: Path) -> None:
    state = DemoState(tmp_path / "demo")
    state.prepare()
    signing = state.signing_key()
    tls = state.tls_certificate()
    admin_key = state.admin_key()
    assert stat.S_IMODE(signing.private_key.stat().st_mode) == 0o600
    assert stat.S_IMODE((state.root / "admin-key").stat().st_mode) == 0o600
    first_pem = signing.private_key.read_bytes()
    assert state.signing_key().private_key.read_bytes() == first_pem
    assert state.admin_key() == admin_key
    assert state.tls_certificate().certificate.read_bytes() == tls.certificate.read_bytes()
    cert_key = keys.load_public_key(tls.certificate)
    assert (
        cert_key.public_numbers()
        == keys.load_private_key(tls.private_key).public_key().public_numbers()
    )


def test_unwritable_state_dir_names_the_option(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigurationError, match="state_dir"):
        DemoState(blocker / "demo").prepare()


def _hello() -> FastAPI:
    app = FastAPI()

    @app.get("/")
    def hello() -> dict[str, str]:
        return {"hello": "world"}

    return app


def test_background_server_serves_and_stops() -> None:
    server = BackgroundServer(name="test server").start(_hello())
    try:
        assert httpx.get(server.url + "/").json() == {"hello": "world"}
    finally:
        server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url + "/", timeout=2)


def test_taken_port_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigurationError, match="already in use"):
            BackgroundServer(name="web app", port=port).bind()


def test_https_background_server(tmp_path: Path) -> None:
    state = DemoState(tmp_path)
    tls = state.tls_certificate()
    server = BackgroundServer(name="tls", certfile=tls.certificate, keyfile=tls.private_key)
    server.start(_hello())
    try:
        assert server.url.startswith("https://127.0.0.1:")
        response = httpx.get(
            server.url + "/", verify=ssl.create_default_context(cafile=tls.certificate)
        )
        assert response.json() == {"hello": "world"}
    finally:
        server.stop()


def test_the_summary_prints_paths_and_origins_as_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A "[/x]" in --state-dir or an origin is text (Rich took it for a closing tag)."""
    state = tmp_path / "[/x]" / "[bold]demo"
    info = DemoInfo(
        web_url="http://localhost:8000",
        tenant_url="https://127.0.0.1:8443",
        app_id="app",
        object_id="obj",
        web_integration_id="wi",
        web_mode="proxy",
        granted_group="Finance",
        users=DEMO_USERS,
        state_dir=state,
        app_origins=("http://[::1]:8001",),
        host_app_env=state / "host-app.env",
    )
    show(info)
    printed = " ".join(capsys.readouterr().out.split())
    assert f"state : {state} (keys" in printed
    assert f"host app env : {state / 'host-app.env'} (settings" in printed
    assert "also allowed : http://[::1]:8001" in printed

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
from qlik_jwt.demo.servers import BackgroundServer
from qlik_jwt.demo.state import DemoState
from qlik_jwt.errors import ConfigurationError


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

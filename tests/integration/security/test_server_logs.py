"""The servers the CLI runs log request lines without the secrets Qlik's protocol puts in URLs.

`qlik-jwt serve` logs at INFO with access lines; `qlik-jwt emulator --log-level info` logs
every websocket handshake with its query (uvicorn does, whatever ``access_log`` says).
"""

from __future__ import annotations

import secrets
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.support.emulator import emulator_command
from tests.support.servers import ServerProcess, free_port, qlik_jwt_command
from tests.support.webapp import serve_environment


def test_the_emulator_logs_websocket_handshakes_without_the_csrf_token(tmp_path: Path) -> None:
    port = free_port()
    admin_key = secrets.token_urlsafe(24)
    csrf = secrets.token_urlsafe(32)
    args = emulator_command(port, tmp_path / "tenant.sqlite3", admin_key, "--log-level", "info")
    with ServerProcess(args, f"http://127.0.0.1:{port}/openapi.json") as server:
        url = f"ws://127.0.0.1:{port}/app/no-such-app?qlik-csrf-token={csrf}"
        refused = pytest.raises(InvalidStatus)  # refused, and logged, like any handshake
        with refused, connect(url, additional_headers={"Authorization": "Bearer x"}):
            pass
    output = server.output
    assert '"WebSocket /app/no-such-app?qlik-csrf-token=<redacted>"' in output
    assert csrf not in output


def test_serve_logs_request_lines_without_secret_query_values(
    tmp_path: Path, key_dir: Path
) -> None:
    port = free_port()
    env = serve_environment(key_dir, port, tmp_path / "web.sqlite3")
    csrf = secrets.token_urlsafe(32)
    with ServerProcess(
        qlik_jwt_command("serve", "--env-file", str(tmp_path / "none.env")),
        f"http://127.0.0.1:{port}/healthz",
        env=env,
    ) as server:
        httpx.get(f"http://127.0.0.1:{port}/sign-in?qlik-csrf-token={csrf}&x=1")
    assert "/sign-in?qlik-csrf-token=<redacted>&x=1" in server.output
    assert csrf not in server.output

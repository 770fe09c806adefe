"""The servers the CLI runs log request lines without the secrets Qlik's protocol puts in URLs.

`qlik-jwt serve` logs at INFO with access lines; `qlik-jwt emulator --log-level info` logs
every websocket handshake with its query (uvicorn does, whatever ``access_log`` says).
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.support.emulator import emulator_command
from tests.support.servers import ServerProcess, free_port, qlik_jwt_command
from tests.support.webapp import ADA, page_csrf_token, serve_environment, sign_in, token_headers


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


@pytest.mark.parametrize(
    ("trusted", "client"), [("", "127.0.0.1"), ("127.0.0.0/8", "203.0.113.66")]
)
def test_serve_believes_x_forwarded_for_only_from_trusted_proxies(
    tmp_path: Path, key_dir: Path, trusted: str, client: str
) -> None:
    """Anyone on loopback set the audit line's client: uvicorn trusts 127.0.0.1 by default."""
    port = free_port()
    env = serve_environment(key_dir, port, tmp_path / "web.sqlite3", trusted_proxies=trusted)
    base = f"http://127.0.0.1:{port}"
    serve = qlik_jwt_command("serve", "--demo-users", "--env-file", str(tmp_path / "none.env"))
    with (
        ServerProcess(serve, f"{base}/healthz", env=env) as server,
        httpx.Client(base_url=base) as browser,
    ):
        assert sign_in(browser, ADA.username, ADA.password).status_code == 303
        headers = token_headers(browser, page_csrf_token(browser))
        forged = {"X-Forwarded-For": "203.0.113.66"}
        assert browser.post("/token", headers={**headers, **forged}).status_code == 200
    lines = [x[x.index("{") :] for x in server.output.splitlines() if '"token-minted"' in x]
    (line,) = [json.loads(x) for x in lines]
    assert line["client"] == client

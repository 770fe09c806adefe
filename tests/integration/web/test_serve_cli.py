"""``qlik-jwt serve`` in process and as a real subprocess."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
from typer.testing import CliRunner

from qlik_jwt.cli import app
from tests.support.servers import ServerProcess, free_port, qlik_jwt_command
from tests.support.webapp import ADA, serve_environment


def test_refuses_to_start_listing_every_missing_setting() -> None:
    result = CliRunner().invoke(app, ["serve", "--env-file", "none.env"])
    assert result.exit_code == 2
    for variable in (
        "QLIK_TENANT_URL",
        "QLIK_WEB_INTEGRATION_ID",
        "QLIK_APP_ID",
        "QLIK_PRIVATE_KEY",
        "QLIK_ISSUER",
    ):
        assert variable in result.output
    assert "Traceback" not in result.output


def test_interactive_mode_needs_no_key(tmp_path: Path) -> None:
    env_file = tmp_path / "web.env"
    env_file.write_text("QLIK_LOGIN_MODE=interactive\nQLIK_TENANT_URL=t.example.com\n")
    result = CliRunner().invoke(app, ["serve", "--env-file", str(env_file)])
    assert result.exit_code == 2
    assert "QLIK_APP_ID" in result.output and "QLIK_PRIVATE_KEY" not in result.output


def test_invalid_setting_is_reported_with_its_value() -> None:
    result = CliRunner().invoke(
        app, ["serve", "--env-file", "none.env"], env={"QLIK_PUBLIC_ORIGIN": "app.example.com"}
    )
    assert result.exit_code == 2
    assert "public_origin" in result.output and "app.example.com" in result.output


def test_serves_the_app_as_a_subprocess_and_stops_on_sigint(key_dir: Path, tmp_path: Path) -> None:
    port = free_port()
    env = serve_environment(key_dir, port, tmp_path / "web.sqlite3")
    base = f"http://127.0.0.1:{port}"
    server = ServerProcess(
        qlik_jwt_command("serve", "--demo-users"), f"{base}/healthz", env=env, cwd=tmp_path
    )
    with server:
        assert httpx.get(f"{base}/config").json()["tenantUrl"] == env["QLIK_TENANT_URL"]
        with httpx.Client(base_url=base) as client:
            response = client.post(
                "/sign-in",
                data={"username": ADA.username, "password": ADA.password},
                headers={"Origin": base},
            )
            assert response.status_code == 303
            assert client.get("/").status_code == 200
    assert server.proc is not None
    assert server.proc.returncode == 0
    assert "Traceback" not in server.output


def test_module_entry_point_shows_serve_in_help() -> None:
    result = subprocess.run(
        qlik_jwt_command("--help"), capture_output=True, text=True, check=True, timeout=60
    )
    assert "serve" in result.stdout


def test_a_bad_proxy_session_store_is_a_clear_settings_error(key_dir: Path, tmp_path: Path) -> None:
    env = serve_environment(
        key_dir,
        free_port(),
        tmp_path / "web.sqlite3",
        web_mode="proxy",
        proxy_session_store="memcached://:pw-not-shown@cache:11211",
    )
    result = CliRunner().invoke(app, ["serve", "--env-file", "none.env"], env=env)
    assert result.exit_code == 2
    assert "proxy_session_store" in result.output and "sqlite:///" in result.output
    assert "pw-not-shown" not in result.output and "Traceback" not in result.output


def test_paths_are_printed_as_given_not_as_markup(key_dir: Path, tmp_path: Path) -> None:
    """A "[/x]" in the users database's path is text (Rich took it for a closing tag)."""
    port = free_port()
    db = tmp_path / "[/x]" / "web.sqlite3"
    env = serve_environment(key_dir, port, db)
    with ServerProcess(
        qlik_jwt_command("serve"), f"http://127.0.0.1:{port}/healthz", env=env, cwd=tmp_path
    ) as server:
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
    assert f"no users in {db}: nobody can sign in" in " ".join(server.output.split())
    assert "MarkupError" not in server.output and "Traceback" not in server.output


def test_a_public_origin_other_than_the_served_address_is_named(
    key_dir: Path, tmp_path: Path
) -> None:
    """serve prints http://127.0.0.1:PORT; a page opened there while the web integration
    lists localhost fails, so the printed address must not be taken for the app's."""
    port = free_port()
    env = serve_environment(key_dir, port, tmp_path / "web.sqlite3")
    env["QLIK_PUBLIC_ORIGIN"] = f"http://localhost:{port}"
    with ServerProcess(
        qlik_jwt_command("serve"), f"http://127.0.0.1:{port}/healthz", env=env, cwd=tmp_path
    ) as server:
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
    printed = " ".join(server.output.split())
    assert f"warning: browsers must open http://localhost:{port} (QLIK_PUBLIC_ORIGIN" in printed
    assert f"not http://127.0.0.1:{port}" in printed

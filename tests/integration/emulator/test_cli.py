"""``qlik-jwt emulator`` as a real subprocess, and its flag handling in-process."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import httpx
from typer.testing import CliRunner

from qlik_jwt.cli import app
from qlik_jwt.emulator.engine import load_app_folder
from qlik_jwt.emulator.server import DEFAULT_DB
from tests.support.servers import ServerProcess, free_port, qlik_jwt_command

MOVIES = Path(__file__).resolve().parents[3] / "examples" / "apps" / "movies"


def test_the_emulator_command_serves_and_prints_what_it_holds(tmp_path: Path) -> None:
    port = free_port()
    db = tmp_path / "state" / "tenant.sqlite3"
    args = qlik_jwt_command(
        "emulator",
        "--port",
        str(port),
        "--db",
        "~/state/tenant.sqlite3",  # as --db=~/… reaches it: no shell expands that ~
        "--admin-key",
        "cli-admin-key",
        "--user",
        "app|7;Seven;seven@example.com;Ops",
        "--fail",
        "GET /api/v1/groups=503x1",
        "--app",
        str(MOVIES),
    )
    url = f"http://127.0.0.1:{port}"
    server = ServerProcess(args, f"{url}/api/v1/csrf-token", env={"HOME": str(tmp_path)}).start()
    try:
        admin = {"Authorization": "Bearer cli-admin-key"}
        me = httpx.get(f"{url}/api/v1/users/me", headers=admin)
        assert me.status_code == 301
        assert httpx.get(f"{url}/api/v1/groups", headers=admin).status_code == 503
        assert httpx.get(f"{url}/api/v1/groups", headers=admin).status_code == 200
        items = httpx.get(f"{url}/api/v1/items", headers=admin).json()["data"]
    finally:
        output = server.stop()
    assert server.proc is not None and server.proc.returncode == 0
    assert f"serving on {url}" in output
    assert "admin key          : cli-admin-key" in output
    assert "OAuth client id" in output
    for item in items:
        assert item["resourceId"] in output
    assert "app|7" in output
    assert db.exists()
    movies = load_app_folder(MOVIES)
    assert movies.id in {item["resourceId"] for item in items}  # listed like the samples
    assert f"app                : Movies ({movies.id})" in output


def test_https_serves_with_a_generated_certificate(tmp_path: Path) -> None:
    port = free_port()
    args = qlik_jwt_command(
        "emulator",
        "--https",
        "--port",
        str(port),
        "--db",
        ":memory:",
        "--cert-dir",
        str(tmp_path / "tls"),
    )
    url = f"https://127.0.0.1:{port}"
    server = ServerProcess(args, f"{url}/api/v1/csrf-token").start()
    try:
        trust = ssl.create_default_context(cafile=tmp_path / "tls" / "certificate.pem")
        assert httpx.get(f"{url}/api/v1/csrf-token", verify=trust).status_code == 401
    finally:
        output = server.stop()
    assert f"serving on {url}" in output
    certificate = (tmp_path / "tls" / "certificate.pem").resolve()
    assert f"QLIK_TENANT_CA_FILE={certificate}" in output  # what a client of it must trust


def test_a_port_in_use_is_one_error_before_the_banner() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(app, ["emulator", "--db", ":memory:", "--port", str(port)])
    assert result.exit_code == 2, result.output
    assert f"--port: is already in use (got {port})" in result.output
    assert "admin key" not in result.output and "Traceback" not in result.output


def test_the_help_names_the_default_state_file() -> None:
    result = CliRunner().invoke(app, ["emulator", "--help"])
    assert str(DEFAULT_DB) in " ".join(result.output.split())


def test_bad_flags_exit_2_with_a_message() -> None:
    runner = CliRunner()
    for flags, shown in (
        (["--set", "no_such_option=1"], "no_such_option"),
        (["--set", "users_me_redirect"], "NAME=VALUE"),
        (["--set", "key_fault_status=200"], "4xx"),
        (["--fail", "nonsense"], "--fail"),
        (["--user", "only-a-subject"], "--user"),
        (["--latency-ms", "-5"], "--latency-ms"),
        (["--engine-close", "-1"], "--engine-close"),
        (["--tier2-limit", "0"], "--tier2-limit"),
        (["--clock-offset", "1e12"], "--clock-offset"),
    ):
        result = runner.invoke(app, ["emulator", "--db", ":memory:", *flags])
        assert result.exit_code == 2, (flags, result.output)
        assert shown in result.output


def test_an_unusable_state_file_exits_2_naming_db(tmp_path: Path) -> None:
    """sqlite3 and OS errors were tracebacks."""
    not_a_database = tmp_path / "notes.txt"
    not_a_database.write_text("not a database\n" * 100)
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    runner = CliRunner()
    for db, shown in (
        (tmp_path, "unable to open database file"),
        (not_a_database, "file is not a database"),
        (blocked / "state.sqlite3", "Not a directory"),  # the folder is a file
    ):
        result = runner.invoke(app, ["emulator", "--db", str(db)])
        assert result.exit_code == 2, (db, result.output)
        assert "--db: cannot hold the emulator's state" in result.output and shown in result.output
        assert "Traceback" not in result.output


def test_a_malformed_app_folder_is_refused_at_start(tmp_path: Path) -> None:
    (tmp_path / "app.json").write_text('{"id": "a1", "name": "Broken"}')
    result = CliRunner().invoke(app, ["emulator", "--db", ":memory:", "--app", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert str(tmp_path) in result.output and "has no table" in result.output
    assert "Add one CSV file per table" in result.output

"""``setup`` and ``doctor`` in login mode ``impersonation``, against the emulator: one OAuth
client however often setup runs, its id and secret written once to an owner-only ``.env``,
origins and grant repaired, and doctor naming each broken piece with its fix."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qlik_jwt.admin.doctor import CheckResult, run_doctor
from qlik_jwt.cli import app
from qlik_jwt.env_file import update_env_file
from qlik_jwt.settings import Settings
from tests.integration.admin.conftest import ORIGIN
from tests.support.emulator import RunningEmulator

runner = CliRunner()
IMPERSONATION = ("oauth_client", "oauth_grant", "oauth_origins", "impersonation")


@pytest.fixture
def impersonation_env(env_file: Path) -> Path:
    update_env_file(env_file, {"QLIK_LOGIN_MODE": "impersonation"})
    return env_file


def clients(emulator: RunningEmulator) -> list[dict[str, object]]:
    return list(emulator.admin.get("/api/v1/oauth-clients").json()["data"])


def setup_ok(*args: str) -> str:
    result = runner.invoke(app, ["setup", *args])
    assert result.exit_code == 0, result.output
    return result.output


def doctor(env_file: Path) -> dict[str, CheckResult]:
    return {c.name: c for c in run_doctor(env_file).checks}


def test_setup_twice_creates_one_client_and_writes_its_secret_once(
    emulator: RunningEmulator, impersonation_env: Path
) -> None:
    first = setup_ok()
    assert "oauth client" in first and "create" in first
    settings = Settings.load(env_file=impersonation_env)
    assert settings.oauth_client_id and settings.oauth_client_secret
    secret = settings.oauth_client_secret.get_secret_value()
    assert secret not in first  # written to the file, never printed
    assert stat.S_IMODE(impersonation_env.stat().st_mode) == 0o600
    made = clients(emulator)
    assert len(made) == 1
    assert made[0]["allowedGrantTypes"] == ["urn:qlik:oauth:user-impersonation"]
    assert made[0]["allowedOrigins"] == [ORIGIN]
    second = setup_ok()
    assert "0 change(s) made" in second
    assert len(clients(emulator)) == 1
    again = Settings.load(env_file=impersonation_env).oauth_client_secret
    assert again is not None and again.get_secret_value() == secret


def test_doctor_passes_a_provisioned_client_and_names_each_broken_piece(
    emulator: RunningEmulator, impersonation_env: Path
) -> None:
    setup_ok()
    results = doctor(impersonation_env)
    assert {results[name].status for name in IMPERSONATION} == {"pass"}, [
        (name, results[name].message) for name in IMPERSONATION
    ]
    assert "throw-away user" in results["impersonation"].message
    client_id = Settings.load(env_file=impersonation_env).oauth_client_id
    # origins: the page's origin removed from the client
    emulator.admin.patch(
        f"/api/v1/oauth-clients/{client_id}",
        json=[{"op": "replace", "path": "/allowedOrigins", "value": []}],
    ).raise_for_status()
    results = doctor(impersonation_env)
    assert results["oauth_origins"].status == "fail"
    assert ORIGIN in results["oauth_origins"].message and "setup" in results["oauth_origins"].fix
    # grant: impersonation no longer allowed
    emulator.admin.patch(
        f"/api/v1/oauth-clients/{client_id}",
        json=[{"op": "replace", "path": "/allowedGrantTypes", "value": ["client_credentials"]}],
    ).raise_for_status()
    results = doctor(impersonation_env)
    assert results["oauth_grant"].status == "fail"
    assert "user-impersonation" in results["oauth_grant"].message
    # setup repairs both, keeping the same client
    assert "update" in setup_ok()
    results = doctor(impersonation_env)
    assert {results[name].status for name in IMPERSONATION} == {"pass"}, [
        (name, results[name].message) for name in IMPERSONATION
    ]
    assert len(clients(emulator)) == 1
    # a wrong secret: the test grant says which setting
    update_env_file(impersonation_env, {"QLIK_OAUTH_CLIENT_SECRET": "wrong-secret-0000"})
    results = doctor(impersonation_env)
    assert results["impersonation"].status == "fail"
    assert "QLIK_OAUTH_CLIENT_SECRET" in results["impersonation"].message
    assert "wrong-secret-0000" not in results["impersonation"].message
    # an unknown client
    update_env_file(impersonation_env, {"QLIK_OAUTH_CLIENT_ID": "no-such-client"})
    results = doctor(impersonation_env)
    assert results["oauth_client"].status == "fail"
    assert "no-such-client" in results["oauth_client"].message
    assert results["oauth_grant"].status == "skip"


def test_a_lost_secret_gets_a_new_one_on_the_same_client(
    emulator: RunningEmulator, impersonation_env: Path
) -> None:
    setup_ok()
    settings = Settings.load(env_file=impersonation_env)
    text = impersonation_env.read_text()
    kept = [line for line in text.splitlines() if not line.startswith("QLIK_OAUTH_CLIENT_SECRET")]
    impersonation_env.write_text("\n".join(kept) + "\n")
    output = setup_ok()
    assert "add a client secret" in output
    renewed = Settings.load(env_file=impersonation_env)
    assert renewed.oauth_client_id == settings.oauth_client_id
    assert renewed.oauth_client_secret is not None
    assert len(clients(emulator)) == 1
    assert {doctor(impersonation_env)["impersonation"].status} == {"pass"}

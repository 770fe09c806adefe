"""``qlik-jwt setup`` against a running emulator: in process and as a subprocess."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from typer.testing import CliRunner

from qlik_jwt import keys
from qlik_jwt.admin.setup import certificate_for
from qlik_jwt.cli import app
from qlik_jwt.errors import PrivateKeyError
from qlik_jwt.settings import Settings
from tests.integration.admin.conftest import run_cli
from tests.support.emulator import RunningEmulator

runner = CliRunner()


def counts(emulator: RunningEmulator) -> tuple[int, int, int]:
    admin = emulator.admin
    return (
        len(admin.get("/api/v1/identity-providers").json()["data"]),
        len(admin.get("/api/v1/web-integrations").json()["data"]),
        len(admin.get("/api/v1/csp-origins").json()["data"]),
    )


def test_dry_run_shows_the_plan_and_changes_nothing(
    emulator: RunningEmulator, env_file: Path
) -> None:
    before = env_file.read_text()
    result = runner.invoke(app, ["setup", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "identity provider" in result.output
    assert "web integration" in result.output
    assert "csp origin" in result.output
    assert result.output.count("create") >= 3
    assert "Dry run: 3 change(s) planned, none made." in result.output
    assert counts(emulator) == (0, 0, 0)
    assert env_file.read_text() == before


def test_setup_applies_records_the_id_and_a_second_run_keeps_everything(
    emulator: RunningEmulator, env_file: Path, key_dir: Path
) -> None:
    first = runner.invoke(app, ["setup"])
    assert first.exit_code == 0, first.output
    assert "Done: 3 change(s) made." in first.output
    assert counts(emulator) == (1, 1, 1)
    wiid = Settings.load(env_file=env_file).web_integration_id
    assert wiid and f"QLIK_WEB_INTEGRATION_ID={wiid}" in first.output
    text = env_file.read_text()
    assert text.startswith("# written by the test\n")
    assert text.count("QLIK_WEB_INTEGRATION_ID=") == 1
    registered = emulator.admin.get("/api/v1/identity-providers").json()["data"][0]
    beside = keys.single_line_pem((key_dir / "certificate.pem").read_bytes())
    assert registered["options"]["staticKeys"][0]["pem"] == beside
    assert emulator.admin_key not in first.output

    second = runner.invoke(app, ["setup"])
    assert second.exit_code == 0, second.output
    assert "Done: 0 change(s) made." in second.output
    assert "create" not in second.output and "update" not in second.output
    assert counts(emulator) == (1, 1, 1)
    assert env_file.read_text() == text


def test_setup_grants_a_group_the_apps_space(emulator: RunningEmulator, env_file: Path) -> None:
    with env_file.open("a") as handle:
        handle.write(f"QLIK_APP_ID={emulator.app_id}\n")
    result = runner.invoke(app, ["setup", "--auto-create-groups", "--grant", "Finance"])
    assert result.exit_code == 0, result.output
    assert "space assignment" in result.output
    group = emulator.admin.get("/api/v1/groups", params={"filter": 'name eq "Finance"'}).json()
    group_id = group["data"][0]["id"]
    assignments = emulator.admin.get(f"/api/v1/spaces/{emulator.space_id}/assignments").json()
    assert [a["assigneeId"] for a in assignments["data"]].count(group_id) == 1
    again = runner.invoke(app, ["setup", "--auto-create-groups", "--grant", "Finance"])
    assert "Done: 0 change(s) made." in again.output


def test_setup_with_an_oauth_client_and_flags_only(
    emulator: RunningEmulator, env_file: Path
) -> None:
    env_file.write_text(
        "\n".join(line for line in env_file.read_text().splitlines() if "ADMIN_API_KEY" not in line)
        + "\n"
    )
    oauth = emulator.oauth_client
    result = runner.invoke(
        app,
        [
            "setup",
            "--oauth-client-id",
            oauth.client_id,
            "--oauth-client-secret",
            oauth.client_secret,
            "--app-origin",
            "https://app.example.com",
            "--app-origin",
            "http://localhost:8001",
        ],
    )
    assert result.exit_code == 0, result.output
    assert oauth.client_secret not in result.output
    wi = emulator.admin.get("/api/v1/web-integrations").json()["data"][0]
    assert sorted(wi["validOrigins"]) == ["http://localhost:8001", "https://app.example.com"]


def test_without_an_admin_credential_setup_names_the_setting(
    emulator: RunningEmulator, env_file: Path
) -> None:
    env_file.write_text(
        "\n".join(line for line in env_file.read_text().splitlines() if "ADMIN_API_KEY" not in line)
        + "\n"
    )
    result = runner.invoke(app, ["setup"])
    assert result.exit_code == 2
    assert "QLIK_ADMIN_API_KEY" in result.output
    assert "Traceback" not in result.output
    assert counts(emulator) == (0, 0, 0)


def test_a_bad_origin_flag_is_refused_before_any_change(
    emulator: RunningEmulator, env_file: Path
) -> None:
    result = runner.invoke(app, ["setup", "--app-origin", "https://app.example.com/embed"])
    assert result.exit_code == 2
    assert "app_origins" in result.output
    assert counts(emulator) == (0, 0, 0)


def test_setup_as_a_subprocess(emulator: RunningEmulator, env_file: Path) -> None:
    done = run_cli(env_file.parent, "setup")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Done: 3 change(s) made." in done.stdout
    assert Settings.load(env_file=env_file).web_integration_id is not None
    assert counts(emulator) == (1, 1, 1)


def test_the_cert_to_register_must_belong_to_the_key(
    key_dir: Path, rsa_key: rsa.RSAPrivateKey, other_rsa_key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    settings = Settings.load(env_file=None, private_key=str(key_dir / "private.pem"), issuer="i")
    given = key_dir / "certificate.pem"
    assert certificate_for(settings, rsa_key, given) == keys.normalize_pem(given.read_bytes())
    other = tmp_path / "other.pem"
    other.write_bytes(keys.certificate_pem(keys.self_signed_certificate(other_rsa_key)))
    for path, problem in (
        (other, "belongs to another key"),
        (Path("~no-such-user-here/certificate.pem"), "not a usable file path"),
    ):
        with pytest.raises(PrivateKeyError) as caught:
            certificate_for(settings, rsa_key, path)
        assert caught.value.field == "cert"
        assert problem in caught.value.problem

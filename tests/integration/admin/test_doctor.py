"""``qlik-jwt doctor``: every check passes on a provisioned tenant, and each one can fail."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from typer.testing import CliRunner

from qlik_jwt import keys
from qlik_jwt.admin.doctor import CHECKS, CheckResult, run_doctor
from qlik_jwt.admin.impersonation_checks import IMPERSONATION_CHECKS
from qlik_jwt.cli import app
from qlik_jwt.env_file import update_env_file
from qlik_jwt.settings import Settings
from tests.integration.admin.conftest import ISSUER, ORIGIN, run_cli
from tests.support.emulator import RunningEmulator
from tests.support.servers import free_port

runner = CliRunner()
IMPERSONATED = {check.__name__.removeprefix("check_") for check in IMPERSONATION_CHECKS}


@pytest.fixture
def healthy(emulator: RunningEmulator, env_file: Path) -> Path:
    """The settings file of a tenant provisioned by ``qlik-jwt setup``."""
    result = runner.invoke(app, ["setup"])
    assert result.exit_code == 0, result.output
    return env_file


def doctor(env_file: Path, **kwargs: object) -> dict[str, CheckResult]:
    report = run_doctor(env_file, **kwargs)  # type: ignore[arg-type]
    assert [c.name for c in report.checks] == list(CHECKS)
    return {c.name: c for c in report.checks}


def failed(results: dict[str, CheckResult]) -> set[str]:
    return {name for name, c in results.items() if c.status == "fail"}


def test_everything_passes_on_a_provisioned_tenant(healthy: Path) -> None:
    results = doctor(healthy, login_subject="qlik-jwt-doctor")
    jwt_results = {n: c for n, c in results.items() if n not in IMPERSONATED}
    assert {c.status for c in jwt_results.values()} == {"pass"}, results
    assert {results[name].status for name in IMPERSONATED} == {"skip"}
    assert "signed in as 'qlik-jwt-doctor'" in results["login"].message
    assert f"from origin {ORIGIN}" in results["login"].message


def test_settings_fail_when_incomplete(healthy: Path) -> None:
    text = healthy.read_text().replace(f"QLIK_ISSUER={ISSUER}\n", "")
    healthy.write_text(text)
    results = doctor(healthy)
    assert "settings" in failed(results)
    assert "issuer is not set" in results["settings"].message
    assert "QLIK_ISSUER" in results["settings"].fix
    assert results["token"].status == "skip"


def test_settings_fail_when_malformed_and_the_rest_is_skipped(healthy: Path) -> None:
    update_env_file(healthy, {"QLIK_APP_ORIGINS": "https://app.example.com/embed"})
    results = doctor(healthy)
    assert failed(results) == {"settings"}
    assert "app_origins" in results["settings"].message
    assert {c.status for name, c in results.items() if name != "settings"} == {"skip"}


def test_private_key_fails_for_a_certificate(healthy: Path, key_dir: Path) -> None:
    update_env_file(healthy, {"QLIK_PRIVATE_KEY": str(key_dir / "certificate.pem")})
    results = doctor(healthy)
    assert "private_key" in failed(results)
    assert "holds a certificate" in results["private_key"].message


def test_tenant_fails_for_a_refused_admin_key(healthy: Path) -> None:
    results = doctor(healthy, overrides={"admin_api_key": "not-the-key"})
    assert failed(results) == {"tenant"}
    assert "401" in results["tenant"].message
    assert "admin credential" in results["tenant"].fix
    assert results["identity_provider"].status == "skip"
    assert "not-the-key" not in json.dumps([c.as_dict() for c in results.values()])


@pytest.mark.timeout(20)
def test_an_unreachable_tenant_fails_fast_and_skips_the_clock(healthy: Path) -> None:
    update_env_file(healthy, {"QLIK_TENANT_URL": f"http://127.0.0.1:{free_port()}"})
    results = doctor(healthy, timeout=2)
    assert failed(results) == {"tenant"}
    assert "could not be reached" in results["tenant"].message
    assert results["clock"].status == "skip"


def test_an_unusable_ca_file_fails_the_tenant_check_instead_of_the_run(
    healthy: Path, tmp_path: Path
) -> None:
    update_env_file(healthy, {"QLIK_TENANT_CA_FILE": str(tmp_path / "missing-ca.pem")})
    results = doctor(healthy)
    assert failed(results) == {"tenant"}
    assert "tenant_ca_file cannot be used as a CA bundle" in results["tenant"].message
    assert "PEM file" in results["tenant"].fix
    assert results["identity_provider"].message == "the tenant check failed"
    assert results["clock"].status == "skip"


def test_identity_provider_fails_for_another_key_id(healthy: Path) -> None:
    update_env_file(healthy, {"QLIK_KEY_ID": "other-kid"})
    results = doctor(healthy, login_subject="someone")
    assert failed(results) == {"identity_provider", "login"}
    assert "key id 'other-kid' is not registered for issuer" in results["identity_provider"].message
    assert "against the settings" in results["token"].message  # no provider to compare with
    assert "QLIK_KEY_ID" in results["identity_provider"].fix
    assert "401" in results["login"].message


def test_identity_provider_fails_for_another_issuer(healthy: Path) -> None:
    update_env_file(healthy, {"QLIK_ISSUER": "other.example.com"})
    results = doctor(healthy)
    assert "identity_provider" in failed(results)
    assert f"registered with issuer '{ISSUER}'" in results["identity_provider"].message
    assert "QLIK_ISSUER" in results["identity_provider"].fix


def test_identity_provider_fails_when_there_is_none(
    healthy: Path, emulator: RunningEmulator
) -> None:
    for idp in emulator.admin.get("/api/v1/identity-providers").json()["data"]:
        emulator.admin.delete(f"/api/v1/identity-providers/{idp['id']}").raise_for_status()
    results = doctor(healthy)
    assert "identity_provider" in failed(results)
    assert "no JWT identity provider" in results["identity_provider"].message
    assert "qlik-jwt setup" in results["identity_provider"].fix


def test_key_matches_fails_when_the_provider_holds_another_certificate(
    healthy: Path, emulator: RunningEmulator, other_rsa_key: rsa.RSAPrivateKey
) -> None:
    admin = emulator.admin
    ours = admin.get("/api/v1/identity-providers").json()["data"][0]
    admin.delete(f"/api/v1/identity-providers/{ours['id']}").raise_for_status()
    other = keys.certificate_pem(keys.self_signed_certificate(other_rsa_key))
    admin.post(
        "/api/v1/identity-providers",
        json={
            "provider": "external",
            "protocol": "jwtAuth",
            "options": {
                "issuer": ISSUER,
                "staticKeys": [
                    {"kid": ours["options"]["staticKeys"][0]["kid"], "pem": other.decode()}
                ],
            },
        },
    ).raise_for_status()
    results = doctor(healthy, login_subject="someone")
    assert {"key_matches", "token", "login"} <= failed(results)
    assert results["identity_provider"].status == "pass"
    assert "the registered certificate is for key" in results["key_matches"].message
    assert "[bad-signature]" in results["token"].message
    assert "private key that belongs" in results["login"].fix


def test_web_integration_fails_for_a_missing_origin_and_so_does_a_browser_login(
    healthy: Path, emulator: RunningEmulator
) -> None:
    wiid = Settings.load(env_file=healthy).web_integration_id
    emulator.admin.patch(
        f"/api/v1/web-integrations/{wiid}",
        json=[{"op": "replace", "path": "/validOrigins", "value": ["https://elsewhere.example"]}],
    ).raise_for_status()
    results = doctor(healthy, login_subject="someone")
    assert failed(results) == {"web_integration", "login"}
    assert f"{ORIGIN} not in the web integration's origins" in results["web_integration"].message
    assert "validOrigins" in results["login"].fix


def test_web_integration_fails_for_an_unknown_id(healthy: Path) -> None:
    update_env_file(healthy, {"QLIK_WEB_INTEGRATION_ID": "x" * 32})
    results = doctor(healthy)
    assert failed(results) == {"web_integration"}
    assert "does not exist" in results["web_integration"].message


def test_csp_fails_without_frame_ancestors(healthy: Path, emulator: RunningEmulator) -> None:
    for entry in emulator.admin.get("/api/v1/csp-origins").json()["data"]:
        emulator.admin.delete(f"/api/v1/csp-origins/{entry['id']}").raise_for_status()
    results = doctor(healthy)
    assert failed(results) == {"csp"}
    assert "frame-ancestors does not cover" in results["csp"].message


@pytest.mark.parametrize(
    ("skew", "says", "fix"),
    [(+600, "behind ours", "QLIK_TOKEN_BACKDATE"), (-600, "ahead of ours", "QLIK_TOKEN_LIFETIME")],
)
def test_clock_and_token_fail_when_our_clock_is_off(
    healthy: Path, skew: int, says: str, fix: str
) -> None:
    results = doctor(healthy, clock=lambda: time.time() + skew)
    assert failed(results) == {"clock", "token"}
    assert says in results["clock"].message
    assert fix in results["clock"].fix
    code = "[not-yet-valid]" if skew > 0 else "[expired]"
    assert code in results["token"].message


@pytest.mark.parametrize(
    ("skew", "fix"),
    [
        (+100, "or set QLIK_TOKEN_BACKDATE to at least 9"),  # about 96: 100 s less tolerance 5
        (+600, "QLIK_TOKEN_BACKDATE would need 59"),  # more than the 300 s it allows
        (-600, "or raise QLIK_TOKEN_LIFETIME to at least 59"),
        (-3700, "QLIK_TOKEN_LIFETIME would need 369"),  # more than an hour
    ],
)
def test_the_clock_fix_suggests_only_values_the_settings_accept(
    healthy: Path, skew: int, fix: str
) -> None:
    results = doctor(healthy, clock=lambda: time.time() + skew)
    assert fix in results["clock"].fix


def test_the_cli_prints_one_line_per_check_and_exits_1_on_failure(healthy: Path) -> None:
    ok = runner.invoke(app, ["doctor"])
    assert ok.exit_code == 0, ok.output
    # every JWT check passes but the live login; the impersonation checks skip
    assert ok.output.count("pass  ") == len(CHECKS) - len(IMPERSONATION_CHECKS) - 1
    assert "skip  login" in ok.output
    assert ok.output.count("skip  ") == len(IMPERSONATION_CHECKS) + 1
    update_env_file(healthy, {"QLIK_KEY_ID": "other-kid"})
    bad = runner.invoke(app, ["doctor"])
    assert bad.exit_code == 1
    line = next(line for line in bad.output.splitlines() if "identity_provider" in line)
    assert line.startswith("FAIL") and "Fix:" in line


def test_json_output_for_ci(healthy: Path) -> None:
    result = runner.invoke(app, ["doctor", "--json", "--login"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] is True
    assert [c["name"] for c in report["checks"]] == list(CHECKS)


def test_doctor_as_a_subprocess(healthy: Path) -> None:
    update_env_file(healthy, {"QLIK_KEY_ID": "other-kid"})
    done = run_cli(healthy.parent, "doctor", "--json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is False
    statuses = {c["name"]: c["status"] for c in report["checks"]}
    assert statuses["identity_provider"] == "fail"

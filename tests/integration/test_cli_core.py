"""keygen, token, inspect and config: in-process (Typer's runner) and as real subprocesses."""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path

import jwt
import pytest
from typer.testing import CliRunner

from qlik_jwt import keys
from qlik_jwt.cli import app
from tests.support.servers import qlik_jwt_command

runner = CliRunner()
TOKEN_ARGS = [
    "--sub",
    "app|42",
    "--name",
    "Ada",
    "--email",
    "ada@example.com",
    "--group",
    "Finance",
]


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        qlik_jwt_command(*args), input=stdin, capture_output=True, text=True, timeout=60
    )


def test_keygen_token_inspect_work_together_as_subprocesses(tmp_path: Path) -> None:
    out = tmp_path / "keys"
    made = run("keygen", "--out", str(out), "--bits", "2048", "--issuer", "myorg.example")
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE((out / "private.pem").stat().st_mode) == 0o600
    single_line = made.stdout.strip().splitlines()[-1]
    assert single_line.startswith("-----BEGIN CERTIFICATE-----MII")
    kid = keys.key_id_for(keys.load_public_key(out / "certificate.pem"))
    assert f"key id      : {kid}" in made.stdout

    minted = run(
        "token",
        "--key",
        str(out / "private.pem"),
        "--issuer",
        "myorg.example",
        "--email-verified",
        *TOKEN_ARGS,
    )
    assert minted.returncode == 0, minted.stderr
    token = minted.stdout.strip()
    assert minted.stdout == token + "\n"  # only the token on stdout
    assert jwt.get_unverified_header(token)["kid"] == kid

    checked = run(
        "inspect",
        "-",
        "--cert",
        str(out / "certificate.pem"),
        "--issuer",
        "myorg.example",
        "--key-id",
        kid,
        "--json",
        stdin=token,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    report = json.loads(checked.stdout)
    assert report["valid"] is True and report["signature_checked"] is True
    assert report["claims"]["groups"] == ["Finance"]
    assert token not in checked.stdout


def test_inspect_with_wrong_certificate_exits_1(tmp_path: Path, key_dir: Path) -> None:
    other = tmp_path / "other"
    assert run("keygen", "--out", str(other), "--bits", "2048").returncode == 0
    token = run(
        "token", "--key", str(key_dir / "private.pem"), "--issuer", "i", *TOKEN_ARGS
    ).stdout.strip()
    checked = run("inspect", token, "--cert", str(other / "certificate.pem"))
    assert checked.returncode == 1
    assert "bad-signature" in checked.stdout


def test_python_dash_m_and_console_script_agree() -> None:
    by_module = run("--help")
    assert by_module.returncode == 0 and "keygen" in by_module.stdout


def test_bad_input_is_one_line_without_traceback(key_dir: Path) -> None:
    cases = [
        (["token", "--key", "/nonexistent.pem", "--issuer", "i", *TOKEN_ARGS], "file not found"),
        (
            [
                "token",
                "--key",
                str(key_dir / "private.pem"),
                "--issuer",
                "i",
                "--lifetime",
                "4000",
                *TOKEN_ARGS,
            ],
            "token_lifetime",
        ),
        (
            [
                "token",
                "--key",
                str(key_dir / "private.pem"),
                "--issuer",
                "i",
                "--sub",
                "",
                "--name",
                "n",
                "--email",
                "n@e.x",
            ],
            "sub: must not be empty",
        ),
        (
            [
                "token",
                "--key",
                str(key_dir / "private.pem"),
                "--issuer",
                "i",
                "--sub",
                "s",
                "--name",
                "n",
                "--email",
                "nobody",
            ],
            "email: is not an e-mail address (got 'nobody')",
        ),
        (["token", *TOKEN_ARGS], "private_key: is not set"),
        (["keygen", "--bits", "1024", "--out", "x"], "bits: must be one of"),
        (["inspect", "x", "--cert", str(key_dir / "private.pem")], "holds a private key"),
    ]
    for args, expected in cases:
        result = run(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert expected in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr and result.stdout == ""


def test_keygen_refuses_to_overwrite_in_process(tmp_path: Path) -> None:
    first = runner.invoke(app, ["keygen", "--out", str(tmp_path), "--bits", "2048"])
    assert first.exit_code == 0, first.output
    before = (tmp_path / "private.pem").read_bytes()
    second = runner.invoke(app, ["keygen", "--out", str(tmp_path), "--bits", "2048"])
    assert second.exit_code == 2
    assert "already holds a key pair" in second.output
    assert (tmp_path / "private.pem").read_bytes() == before
    forced = runner.invoke(app, ["keygen", "--out", str(tmp_path), "--bits", "2048", "--force"])
    assert forced.exit_code == 0 and (tmp_path / "private.pem").read_bytes() != before


def test_token_reads_settings_from_environment(
    key_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QLIK_PRIVATE_KEY", str(key_dir / "private.pem"))
    monkeypatch.setenv("QLIK_ISSUER", "env-issuer")
    monkeypatch.setenv("QLIK_KEY_ID", "env-kid")
    result = runner.invoke(app, ["token", *TOKEN_ARGS])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert jwt.get_unverified_header(token)["kid"] == "env-kid"
    assert jwt.decode(token, options={"verify_signature": False})["iss"] == "env-issuer"


def test_inspect_table_names_each_problem() -> None:
    result = runner.invoke(app, ["inspect", "a.b"])
    assert result.exit_code == 1
    assert "malformed-token" in result.stdout


def test_config_lists_problems_and_hides_the_key(
    key_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QLIK_PRIVATE_KEY", (key_dir / "private.pem").read_text())
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 2
    assert "<PEM text, hidden>" in result.stdout
    assert "BEGIN PRIVATE KEY" not in result.stdout
    assert "tenant_url: is not set" in result.stdout

    monkeypatch.setenv("QLIK_TENANT_URL", "t.eu.qlikcloud.com")
    monkeypatch.setenv("QLIK_WEB_INTEGRATION_ID", "wi")
    monkeypatch.setenv("QLIK_APP_ID", "app")
    monkeypatch.setenv("QLIK_ISSUER", "iss")
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 0, result.stdout
    assert "No problems found." in result.stdout


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["keygen", "--out", "k", "--bits", "2048", "--days", "-5"], "--days"),
        (["keygen", "--out", "k", "--bits", "2048", "--days", "99999999"], "--days"),
        (["inspect", "x", "--clock-tolerance", "-1"], "--clock-tolerance"),
        (["inspect", "x", "--at", "nan"], "--at"),
        (["inspect", "x", "--at", "inf"], "--at"),
        (["doctor", "--timeout", "-1"], "--timeout"),
        (["doctor", "--timeout", "nan"], "--timeout"),
        (["rotate-key", "--grace", "nan"], "--grace"),
        (["rotate-key", "--grace", "inf"], "--grace"),
    ],
)
def test_out_of_range_numbers_are_usage_errors_not_tracebacks(
    args: list[str], option: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """These once raised deep inside (a certificate ending before it starts, a negative
    tolerance, a socket timeout of -1) or, for --at nan, judged every time claim as valid."""
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert f"Invalid value for '{option}'" in result.output
    assert not (tmp_path / "k").exists()

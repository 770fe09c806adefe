"""The attack catalogue through ``qlik-jwt inspect``: right codes and exit status, in JSON and
as tables, never a traceback, whatever the token holds."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from typer.testing import CliRunner

from qlik_jwt.cli import app
from tests.support.attacks import ATTACKS, Attack
from tests.support.forge import ISSUER, KID, TOLERANCE, Forge
from tests.support.servers import qlik_jwt_command

NOW = 1_767_225_600
runner = CliRunner()


def inspect_args(key_dir: Path, *extra: str) -> list[str]:
    return [
        "inspect",
        "-",
        "--cert",
        str(key_dir / "certificate.pem"),
        "--issuer",
        ISSUER,
        "--key-id",
        KID,
        "--clock-tolerance",
        str(TOLERANCE),
        "--at",
        str(NOW),
        *extra,
    ]


@pytest.mark.parametrize("case", ATTACKS, ids=lambda case: case.name)
def test_inspect_command_explains_every_attack(
    case: Attack, key_dir: Path, rsa_key: rsa.RSAPrivateKey, other_rsa_key: rsa.RSAPrivateKey
) -> None:
    for token in case.build(Forge(rsa_key, other_rsa_key, NOW)):
        as_json = runner.invoke(app, inspect_args(key_dir, "--json"), input=token)
        assert as_json.exception is None or isinstance(as_json.exception, SystemExit)
        assert as_json.exit_code == (1 if case.inspect else 0), as_json.output
        report = json.loads(as_json.stdout)
        assert {v["code"] for v in report["violations"]} == case.inspect
        assert report["signature_checked"] is ("malformed-token" not in case.inspect)

        as_table = runner.invoke(app, inspect_args(key_dir), input=token)
        assert as_table.exception is None or isinstance(as_table.exception, SystemExit), (
            as_table.exception
        )
        assert as_table.exit_code == as_json.exit_code
        for code in case.inspect:
            assert code in as_table.stdout


def test_console_markup_in_a_token_is_printed_as_text(
    key_dir: Path, rsa_key: rsa.RSAPrivateKey, other_rsa_key: rsa.RSAPrivateKey
) -> None:
    """Rich markup in header or claims was interpreted: ``[/bold]`` crashed the table."""
    forge = Forge(rsa_key, other_rsa_key, NOW)
    token = forge.sign(forge.header(kid="[/bold]"), forge.claims(sub="[red]x[/]", name="[/]"))
    result = subprocess.run(
        qlik_jwt_command(*inspect_args(key_dir)),
        input=token,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "'[/bold]'" in result.stdout and "'[red]x[/]'" in result.stdout
    assert "kid-mismatch" in result.stdout

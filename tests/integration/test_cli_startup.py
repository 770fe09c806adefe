"""The CLI starts without loading what its quick commands do not use (a cheap guard, not a
timing: ``bench/cli_startup.py`` measures the time).

Python's ``-X importtime`` lists every module a run imports, so each case below runs the
real command as a subprocess and reads that list.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from qlik_jwt import __version__

# The web stack, the emulator and the web app: only serve, emulator and demo need them.
WEB = ("fastapi", "starlette", "uvicorn", "qlik_jwt.emulator", "qlik_jwt.web", "httpx")
# Settings, keys and tokens: what --help does not need either.
CORE = ("pydantic_settings", "jwt", "cryptography", "qlik_jwt.settings", "qlik_jwt.signer")
USER = ("--sub", "app|1", "--name", "Ada", "--email", "ada@example.com")


def imported(*args: str, cwd: Path) -> set[str]:
    """The modules ``python -m qlik_jwt ARGS`` imports; fails when the command fails."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "qlik_jwt", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    return set(re.findall(r"^import time:.*\|\s*(\S+)$", done.stderr, re.MULTILINE))


def loaded(modules: set[str], packages: tuple[str, ...]) -> set[str]:
    return {m for m in modules for p in packages if m == p or m.startswith(p + ".")}


def test_importing_the_cli_loads_no_web_stack_and_no_crypto(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import qlik_jwt.cli"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    modules = set(re.findall(r"^import time:.*\|\s*(\S+)$", done.stderr, re.MULTILINE))
    assert "qlik_jwt.cli.token" in modules  # the commands are registered
    assert loaded(modules, WEB + CORE) == set()


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["token", "--help"]])
def test_help_and_version_load_neither(args: list[str], tmp_path: Path) -> None:
    assert loaded(imported(*args, cwd=tmp_path), WEB + CORE) == set()


def test_token_and_inspect_load_no_web_stack(tmp_path: Path, key_dir: Path) -> None:
    key = ("--key", str(key_dir / "private.pem"), "--issuer", "startup.example")
    modules = imported("token", *key, *USER, cwd=tmp_path)
    assert "qlik_jwt.signer" in modules
    assert loaded(modules, WEB) == set()
    token = subprocess.run(
        [sys.executable, "-m", "qlik_jwt", "token", *key, *USER],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=True,
    ).stdout.strip()
    modules = imported("inspect", token, cwd=tmp_path)
    assert "qlik_jwt.inspection" in modules
    assert loaded(modules, WEB) == set()


def test_version_prints_the_package_version(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "qlik_jwt", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout == f"qlik-jwt {__version__}\n"

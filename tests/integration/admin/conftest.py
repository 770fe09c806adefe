"""Fixtures of the provisioning and diagnostics tests: a running emulator and admin clients.

Every client here talks to the emulator through the same public REST API a real tenant
offers; ``emulator.tenant`` (the in-process state) is read only to assert on.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from qlik_jwt import keys
from qlik_jwt.admin import TenantClient
from qlik_jwt.signer import TokenSigner
from tests.support import emulator as emulator_support
from tests.support.emulator import RunningEmulator
from tests.support.servers import qlik_jwt_command

emulator = emulator_support.emulator
emulator_https = emulator_support.emulator_https
emulator_tls = emulator_support.emulator_tls

ISSUER = "app.example.com"
ORIGIN = "http://localhost:8001"


@pytest.fixture
def admin(emulator: RunningEmulator) -> Iterator[TenantClient]:
    """An admin client over real HTTP with the emulator's API key."""
    with TenantClient(emulator.url, api_key=emulator.admin_key) as client:
        yield client


@pytest.fixture
def in_process(emulator: RunningEmulator) -> Iterator[TenantClient]:
    """An admin client wired to the same emulator app in process (no socket)."""
    transport = httpx.ASGITransport(app=emulator.app)
    with TenantClient("http://emulator.test", api_key=emulator.admin_key, transport=transport) as c:
        yield c


@pytest.fixture
def signer(rsa_key: rsa.RSAPrivateKey, emulator: RunningEmulator) -> TokenSigner:
    """Signs with ``rsa_key`` (key id: its thumbprint) in the emulator's time."""
    return TokenSigner(rsa_key, None, ISSUER, clock=emulator.clock)


@pytest.fixture(scope="session")
def certificate(rsa_key: rsa.RSAPrivateKey) -> bytes:
    return keys.certificate_pem(keys.self_signed_certificate(rsa_key))


@pytest.fixture
def env_file(emulator: RunningEmulator, key_dir: Path) -> Path:
    """A settings file for this app and the emulator, in the test's working directory."""
    path = Path(".env").resolve()
    path.write_text(
        "# written by the test\n"
        f"QLIK_TENANT_URL={emulator.url}\n"
        f"QLIK_ISSUER={ISSUER}\n"
        f"QLIK_PRIVATE_KEY={key_dir / 'private.pem'}\n"
        f"QLIK_APP_ORIGINS={ORIGIN}\n"
        f"QLIK_ADMIN_API_KEY={emulator.admin_key}\n"
        "QLIK_CLOCK_TOLERANCE=5\n"
    )
    return path


def run_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m qlik_jwt ARGS`` as a real subprocess in ``cwd`` (where its .env is)."""
    return subprocess.run(
        qlik_jwt_command(*args), cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )

"""Fixtures shared by every tier: a blank QLIK_* environment and session-wide test keys."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, settings

from qlik_jwt import keys
from qlik_jwt.settings import clear_env
from tests.support.log_audit import (  # the run-wide secret scan of every log line
    pytest_configure,
    pytest_sessionfinish,
    pytest_testnodedown,
)

__all__ = ["pytest_configure", "pytest_sessionfinish", "pytest_testnodedown"]

# Property tests check correctness, not speed: on a loaded 2-core CI machine, generation time
# and per-example duration vary too much for Hypothesis's timing checks to mean anything.
settings.register_profile(
    "qlik-jwt", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("qlik-jwt")


@pytest.fixture(autouse=True)
def _blank_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """No QLIK_* variable leaks in from the developer's shell, and no stray .env is read."""
    for name in [k for k in os.environ if k.startswith("QLIK_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
    yield
    clear_env()


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    """One 2048-bit key for the whole session (4096-bit keys take seconds to make)."""
    return keys.generate_private_key(2048)


@pytest.fixture(scope="session")
def other_rsa_key() -> rsa.RSAPrivateKey:
    return keys.generate_private_key(2048)


@pytest.fixture(scope="session")
def key_dir(rsa_key: rsa.RSAPrivateKey, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """private.pem and certificate.pem of ``rsa_key``."""
    directory = tmp_path_factory.mktemp("keys")
    keys.write_key_pair(directory, rsa_key, keys.self_signed_certificate(rsa_key))
    return directory

"""Fixtures: each integration example on a real server, provisioned on a real emulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from qlik_jwt.signer import TokenSigner
from tests.support import emulator as emulator_support
from tests.support.hosts import (
    FRAMEWORKS,
    RunningHost,
    prepare_django,
    provisioned_settings,
    running_host,
)
from tests.support.webapp import FakeClock

emulator = emulator_support.emulator

ISSUER = "tests.qlik-jwt.local"
RATE_LIMIT = 3


@pytest.fixture(scope="session")
def django_site(tmp_path_factory: pytest.TempPathFactory) -> None:
    prepare_django(tmp_path_factory.mktemp("django") / "site.sqlite3")


@pytest.fixture()
def rate_clock() -> FakeClock:
    return FakeClock(1000.0)


@pytest.fixture()
def signer(rsa_key: rsa.RSAPrivateKey, emulator: emulator_support.RunningEmulator) -> TokenSigner:
    return TokenSigner(rsa_key, "test-kid", ISSUER, clock=emulator.clock)


@pytest.fixture(params=FRAMEWORKS)
def host(
    request: pytest.FixtureRequest,
    emulator: emulator_support.RunningEmulator,
    signer: TokenSigner,
    key_dir: Path,
    rate_clock: FakeClock,
) -> Iterator[RunningHost]:
    """The example of one framework, its origin listed in the emulator's web integration."""
    if request.param == "django":
        request.getfixturevalue("django_site")
    certificate = (key_dir / "certificate.pem").read_bytes()
    settings_for = provisioned_settings(emulator, signer, certificate, token_rate_limit=RATE_LIMIT)
    with running_host(
        request.param, settings_for, signer=signer, clock=emulator.clock, rate_clock=rate_clock
    ) as running:
        yield running

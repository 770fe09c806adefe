"""Fixtures of the emulator's conformance suite: a running tenant, a signer, provisioning."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from qlik_jwt import keys
from qlik_jwt.signer import TokenSigner, UserClaims
from tests.integration.emulator.helpers import ISSUER, KID, ORIGIN, standard_claims
from tests.support import emulator as emulator_support
from tests.support.emulator import Provisioned, RunningEmulator

# the shared fixtures of tests/support/emulator.py, made visible to this directory
emulator = emulator_support.emulator
emulator_https = emulator_support.emulator_https
emulator_tls = emulator_support.emulator_tls


@pytest.fixture(scope="session")
def certificate_pem(rsa_key: rsa.RSAPrivateKey) -> str:
    return keys.certificate_pem(keys.self_signed_certificate(rsa_key)).decode()


@pytest.fixture
def signer(rsa_key: rsa.RSAPrivateKey, emulator: RunningEmulator) -> TokenSigner:
    """Mints in the emulator's time, with the key the provisioned provider holds."""
    return TokenSigner(rsa_key, KID, ISSUER, clock=emulator.clock)


@pytest.fixture
def provisioned(
    emulator: RunningEmulator, signer: TokenSigner, certificate_pem: str
) -> Provisioned:
    """Provider (tolerance 0), web integration for ORIGIN, CSP entry, group Finance granted."""
    return emulator.provision(signer, certificate_pem, origins=[ORIGIN], clock_tolerance=0)


@pytest.fixture
def ada() -> UserClaims:
    return UserClaims("app|ada", "Ada Lovelace", "ada@example.com", True, ("Finance",))


@pytest.fixture
def forge(rsa_key: rsa.RSAPrivateKey, emulator: RunningEmulator) -> Callable[..., str]:
    """Sign arbitrary claims/header; ``...`` as a value removes that claim or header field."""

    def make(
        *,
        header: dict[str, Any] | None = None,
        key: Any = None,
        algorithm: str = "RS256",
        **changes: Any,
    ) -> str:
        claims = standard_claims(emulator.clock(), **changes)
        head = {"kid": KID, "typ": "JWT", **(header or {})}
        head = {name: value for name, value in head.items() if value is not ...}
        return jwt.encode(claims, key or rsa_key, algorithm=algorithm, headers=head)

    return make


@pytest.fixture
def exchange(emulator: RunningEmulator) -> Iterator[Callable[..., Any]]:
    """POST a token to /login/jwt-session from a fresh client: ``exchange(token, **kw)``."""
    clients = []

    def post(token: str | None, *, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        client = emulator.client()
        clients.append(client)
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        return client.post("/login/jwt-session", headers=sent, **kwargs)

    yield post
    for client in clients:
        client.close()

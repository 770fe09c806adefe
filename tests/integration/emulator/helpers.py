"""Constants and helpers of the emulator's conformance suite."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from qlik_jwt.emulator import EmulatorOptions
from qlik_jwt.signer import TokenSigner
from tests.support.emulator import RunningEmulator, TestClock, running_emulator
from tests.support.forge import claim_set

ISSUER = "tests.example.com"
KID = "tests-key-1"
ORIGIN = "http://localhost:8001"


def standard_claims(now: float, **changes: Any) -> dict[str, Any]:
    """A valid claim set at ``now``; ``changes`` replace claims (value ``...`` removes one)."""
    grace = {"iss": ISSUER, "sub": "app|grace", "name": "Grace Hopper"}
    return claim_set(now, **{**grace, "email": "grace@example.com", **changes})


def reasons(response: Any) -> list[str]:
    """The ``meta.reason`` of every error entry of an answer."""
    return [e.get("meta", {}).get("reason") for e in response.json()["errors"]]


@contextmanager
def provisioned_tenant(
    rsa_key: rsa.RSAPrivateKey,
    certificate_pem: str,
    *,
    options: EmulatorOptions | None = None,
    clock: TestClock | None = None,
    lifetime: int = 60,
    **provision: Any,
) -> Iterator[tuple[RunningEmulator, TokenSigner]]:
    """A fresh emulator with ``options``, provisioned for a signer in its time (no groups)."""
    provision.setdefault("groups", ())
    provision.setdefault("clock_tolerance", 0)
    with running_emulator(options=options, clock=clock) as tenant:
        signer = TokenSigner(rsa_key, KID, ISSUER, lifetime=lifetime, clock=tenant.clock)
        tenant.provision(signer, certificate_pem, **provision)
        yield tenant, signer


def post_token(tenant: RunningEmulator, token: str, **headers: str) -> httpx.Response:
    """POST ``token`` to jwt-session from a fresh client."""
    with tenant.client() as client:
        return client.post(
            "/login/jwt-session", headers={"Authorization": f"Bearer {token}", **headers}
        )


def sign(
    claims: dict[str, Any], key: Any, *, kid: str | None = KID, algorithm: str = "RS256"
) -> str:
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid} if kid else None)

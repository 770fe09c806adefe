"""The attack catalogue against a real emulator's ``POST /login/jwt-session`` over HTTP.

Every case gets exactly its status and ``meta.reason`` (one error entry per fault), a refusal
sets no cookie, creates no session or user and never echoes the token, and the identity
provider survives every injection attempt.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from qlik_jwt import keys
from qlik_jwt.emulator import EmulatorOptions
from qlik_jwt.emulator.cookies import CSRF_COOKIE, SESSION_COOKIE
from qlik_jwt.emulator.state.users import ADMIN_SUBJECT
from qlik_jwt.signer import TokenSigner, UserClaims
from tests.support.attacks import ATTACKS, PARALLEL, Attack
from tests.support.emulator import RunningEmulator, running_emulator
from tests.support.forge import ISSUER, KID, TOLERANCE, Forge

UNLIMITED = {"tier1_per_minute": 10**6, "tier2_per_minute": 10**6}


class Tenants:
    """One provisioned emulator per set of options, started when a case first needs it."""

    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        self.key = key
        self.certificate = keys.certificate_pem(keys.self_signed_certificate(key))
        self.running: dict[frozenset[tuple[str, Any]], RunningEmulator] = {}
        self._contexts: list[Any] = []

    def get(self, options: Mapping[str, Any]) -> RunningEmulator:
        wanted = frozenset(options.items())
        if wanted not in self.running:
            context = running_emulator(options=EmulatorOptions(**UNLIMITED, **options))
            tenant = context.__enter__()
            self._contexts.append(context)
            signer = TokenSigner(self.key, KID, ISSUER, clock=tenant.clock)
            tenant.provision(signer, self.certificate, groups=(), clock_tolerance=TOLERANCE)
            self.running[wanted] = tenant
        return self.running[wanted]

    def close(self) -> None:
        for context in self._contexts:
            context.__exit__(None, None, None)


@pytest.fixture(scope="module")
def tenants(rsa_key: rsa.RSAPrivateKey) -> Iterator[Tenants]:
    made = Tenants(rsa_key)
    yield made
    made.close()


def post(tenant: RunningEmulator, token: str) -> httpx.Response:
    """One login from a fresh client; an empty token sends no Authorization header."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with tenant.client() as client:
        return client.post("/login/jwt-session", headers=headers)


def reasons(response: httpx.Response) -> list[str]:
    return [e.get("meta", {}).get("reason") for e in response.json()["errors"]]


def assert_answer(response: httpx.Response, case: Attack, token: str) -> None:
    assert response.status_code == case.status, response.text[:300]
    if case.status == 200:
        assert response.json() == {}
        assert {SESSION_COOKIE, CSRF_COOKIE} <= set(response.cookies)
        return
    found = reasons(response)
    assert found and set(found) == {case.reason}, found
    assert "set-cookie" not in response.headers
    if len(token) > 40:
        assert token not in response.text and token[-40:] not in response.text


def user_count(tenant: RunningEmulator) -> int:
    users = tenant.admin.get("/api/v1/users", params={"limit": 100}).raise_for_status()
    return len(users.json()["data"])


@pytest.mark.parametrize("case", ATTACKS, ids=lambda case: case.name)
def test_jwt_session_answers_every_attack_as_catalogued(
    case: Attack, tenants: Tenants, rsa_key: rsa.RSAPrivateKey, other_rsa_key: rsa.RSAPrivateKey
) -> None:
    tenant = tenants.get(case.options)
    tokens = case.build(Forge(rsa_key, other_rsa_key, tenant.clock()))
    sessions, users = tenant.tenant.sessions.count(), user_count(tenant)

    if case.kind == "single":
        assert_answer(post(tenant, tokens[0]), case, tokens[0])
    elif case.kind == "replay":
        assert post(tenant, tokens[0]).status_code == 200
        for token in tokens[1:]:
            assert_answer(post(tenant, token), case, token)
    else:
        with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
            answers = list(pool.map(lambda _: post(tenant, tokens[0]), range(PARALLEL)))
        accepted = [a for a in answers if a.status_code == 200]
        assert len(accepted) == 1
        for refused in answers:
            if refused is not accepted[0]:
                assert_answer(refused, case, tokens[0])

    logged_in = case.status == 200 or case.kind != "single"
    assert tenant.tenant.sessions.count() == sessions + (1 if logged_in else 0)
    if not logged_in:
        assert user_count(tenant) == users  # nothing half-written
    assert len(tenant.tenant.identity_providers.all()) == 1  # injections changed nothing


def test_no_session_reaches_the_emulators_administrator(
    tenants: Tenants, rsa_key: rsa.RSAPrivateKey
) -> None:
    """A token for the admin key's user is refused; a session, even one of a state file that
    holds an administrator's session, never answers the admin APIs: only the key does."""
    tenant = tenants.get({})
    signer = TokenSigner(rsa_key, KID, ISSUER, clock=tenant.clock)
    admin = UserClaims(ADMIN_SUBJECT, "Anyone", "anyone@example.com", False)
    with tenant.client() as client:
        refused = client.post(
            "/login/jwt-session", headers={"Authorization": f"Bearer {signer.mint(admin)}"}
        )
        assert refused.status_code == 403 and reasons(refused) == ["administrator_login"]
        assert "set-cookie" not in refused.headers

    state = tenant.tenant
    old = state.sessions.start(state.admin.id, now=state.now())
    with tenant.client() as as_admin:
        for name, value in ((SESSION_COOKIE, old.sid), (CSRF_COOKIE, old.csrf_token)):
            as_admin.cookies.set(name, value)
            as_admin.cookies.set(f"{name}.sig", state.cookies.sign(name, value))
        assert as_admin.get("/api/v1/users/me", follow_redirects=True).status_code == 200
        denied = as_admin.get("/api/v1/users")
        assert denied.status_code == 403 and reasons(denied) == ["not_admin"]
    assert tenant.admin.get("/api/v1/users").status_code == 200

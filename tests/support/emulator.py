"""A real emulated tenant for tests: started on a free loopback port, provisioned over REST.

Use the fixtures by binding them in a ``conftest.py``::

    from tests.support import emulator as emulator_support

    emulator = emulator_support.emulator
    emulator_https = emulator_support.emulator_https
    emulator_tls = emulator_support.emulator_tls

or the context manager directly::

    with running_emulator(https=True) as tenant:
        granted = tenant.provision(signer, certificate_pem, origins=["http://localhost:8001"])
        client = tenant.login(signer, UserClaims("app|1", "Ada", "ada@example.com", True,
                                                 ("Finance",)))
        client.get("/api/v1/users/me")

``provision`` touches the tenant only through its REST API, following Qlik's bootstrap
pattern, so the same steps work against a real tenant. The emulator's clock is a
:class:`TestClock`: real time plus an offset tests can move (``tenant.clock.advance(60)``);
give the same clock to a ``TokenSigner`` to mint tokens in the tenant's time.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI

from qlik_jwt import keys
from qlik_jwt.emulator import EmulatedTenant, EmulatorOptions, create_app
from qlik_jwt.emulator.https import write_tls_certificate
from qlik_jwt.signer import TokenSigner, UserClaims
from tests.support.log_audit import SCAN
from tests.support.servers import ServerThread, qlik_jwt_command

__all__ = [
    "Provisioned",
    "RunningEmulator",
    "TestClock",
    "emulator",
    "emulator_command",
    "emulator_https",
    "emulator_tls",
    "register_identity_provider",
    "running_emulator",
]


class TestClock:
    """UNIX time for the emulator (and signers): real time, or ``frozen``, plus an offset."""

    __test__ = False  # not a test class, despite the name

    def __init__(self, frozen: float | None = None) -> None:
        self._lock = threading.Lock()
        self._frozen = frozen
        self._offset = 0.0

    def __call__(self) -> float:
        with self._lock:
            base = time.time() if self._frozen is None else self._frozen
            return base + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds


@dataclass(frozen=True)
class Provisioned:
    """What :meth:`RunningEmulator.provision` created (ids as the tenant's API gave them)."""

    identity_provider_id: str
    web_integration_id: str | None
    csp_origin_ids: list[str]
    group_ids: dict[str, str]
    assignment_ids: list[str] = field(default_factory=list)


class RunningEmulator:
    """A started emulator: ``url``, ``admin_key``, ``admin`` (an httpx client with the admin
    bearer), ``app_id`` (the sample app), ``space_id`` (its shared space), ``tenant_id``,
    ``clock``, and ``tenant`` (the in-process state, for assertions only)."""

    def __init__(self, server: ServerThread, app: FastAPI, clock: TestClock) -> None:
        self.server = server
        self.app = app
        self.tenant: EmulatedTenant = app.state.tenant
        self.url = server.url
        self.https = server.url.startswith("https")
        self.clock = clock
        self.admin_key = self.tenant.admin_key
        self.oauth_client = self.tenant.oauth_client
        self.tenant_id = self.tenant.tenant_id
        self.app_id = next(iter(self.tenant.apps))
        self.app_ids = list(self.tenant.apps)
        self.space_id = self.tenant.sample_space.id
        self.admin = self.client(headers={"Authorization": f"Bearer {self.admin_key}"})

    def client(self, **kwargs: Any) -> httpx.Client:
        """A fresh client on the emulator (own cookie jar; TLS not verified)."""
        kwargs.setdefault("timeout", 10)
        return httpx.Client(base_url=self.url, verify=False, **kwargs)  # noqa: S501  (self-signed)

    def provision(
        self,
        signer: TokenSigner,
        certificate_pem: str | bytes,
        *,
        origins: Sequence[str] = (),
        csp_origins: Sequence[str] | None = None,
        groups: Sequence[str] = ("Finance",),
        clock_tolerance: float = 5,
    ) -> Provisioned:
        """Register the signer's identity provider and grant ``groups`` the sample app.

        Through the REST API only: a JWT identity provider for ``certificate_pem`` with the
        signer's issuer and key id; a web integration listing ``origins`` (when any); a CSP
        origin with ``frameAncestors`` for each of ``csp_origins`` (default: ``origins``);
        ``autoCreateGroups`` on; then Qlik's bootstrap: a throw-away user's token carrying
        the groups is exchanged, each group is looked up by name and assigned the
        ``consumer`` role in the sample app's space, and the throw-away user is deleted.
        Raises ``httpx.HTTPStatusError`` on any refusal.
        """
        admin = self.admin
        pem = keys.single_line_pem(certificate_pem)
        idp = admin.post(
            "/api/v1/identity-providers",
            json={
                "provider": "external",
                "protocol": "jwtAuth",
                "interactive": False,
                "active": True,
                "description": "Provisioned by tests",
                "clockToleranceSec": clock_tolerance,
                "options": {
                    "jwtLoginEnabled": True,
                    "issuer": signer.issuer,
                    "staticKeys": [{"kid": signer.key_id, "pem": pem}],
                },
            },
        ).raise_for_status()
        integration_id = None
        if origins:
            integration = admin.post(
                "/api/v1/web-integrations",
                json={"name": f"tests {uuid.uuid4().hex[:8]}", "validOrigins": list(origins)},
            ).raise_for_status()
            integration_id = integration.json()["id"]
        csp_ids = []
        for origin in origins if csp_origins is None else csp_origins:
            entry = admin.post(
                "/api/v1/csp-origins",
                json={"origin": origin, "name": origin, "frameAncestors": True, "frameSrc": True},
            ).raise_for_status()
            csp_ids.append(entry.json()["id"])
        admin.patch(
            "/api/v1/groups/settings",
            json=[{"op": "replace", "path": "/autoCreateGroups", "value": True}],
        ).raise_for_status()
        group_ids: dict[str, str] = {}
        assignment_ids: list[str] = []
        if groups:
            group_ids, assignment_ids = self._bootstrap_groups(signer, groups)
        return Provisioned(idp.json()["id"], integration_id, csp_ids, group_ids, assignment_ids)

    def _bootstrap_groups(
        self, signer: TokenSigner, groups: Sequence[str]
    ) -> tuple[dict[str, str], list[str]]:
        admin = self.admin
        marker = uuid.uuid4().hex
        subject = f"qlik-jwt-bootstrap|{marker}"
        token = signer.mint(
            UserClaims(
                subject,
                "Group bootstrap",
                f"bootstrap-{marker}@emulator.invalid",
                False,
                tuple(groups),
            )
        )
        with self.client() as throwaway:
            throwaway.post(
                "/login/jwt-session", headers={"Authorization": f"Bearer {token}"}
            ).raise_for_status()
        group_ids, assignment_ids = {}, []
        for name in groups:
            found = admin.get("/api/v1/groups", params={"filter": f'name eq "{name}"'})
            group_id = found.raise_for_status().json()["data"][0]["id"]
            assignment = admin.post(
                f"/api/v1/spaces/{self.space_id}/assignments",
                json={"type": "group", "assigneeId": group_id, "roles": ["consumer"]},
            ).raise_for_status()
            group_ids[name] = group_id
            assignment_ids.append(assignment.json()["id"])
        users = admin.get("/api/v1/users", params={"filter": f'subject eq "{subject}"'})
        user_id = users.raise_for_status().json()["data"][0]["id"]
        admin.delete(f"/api/v1/users/{user_id}").raise_for_status()
        return group_ids, assignment_ids

    def login(
        self,
        signer: TokenSigner,
        user: UserClaims,
        *,
        client: httpx.Client | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Client:
        """A client holding a session for ``user`` (server-to-server, no Origin).

        Raises ``httpx.HTTPStatusError`` when the tenant refuses the token.
        """
        client = client or self.client()
        client.post(
            "/login/jwt-session",
            headers={"Authorization": f"Bearer {signer.mint(user)}", **(headers or {})},
        ).raise_for_status()
        return client

    def create_oauth_client(
        self,
        *,
        grant_types: Sequence[str] = ("urn:qlik:oauth:user-impersonation",),
        origins: Sequence[str] = (),
        scopes: Sequence[str] = ("user_default",),
        lifetime_minutes: int = 360,
    ) -> tuple[str, str]:
        """An OAuth client (``appType`` web) through the REST API: ``(client_id, secret)``.

        The secret is remembered by the run-wide secret scan. Raises ``httpx.HTTPStatusError``.
        """
        created = self.admin.post(
            "/api/v1/oauth-clients",
            json={
                "clientName": f"tests {uuid.uuid4().hex[:8]}",
                "appType": "web",
                "allowedGrantTypes": list(grant_types),
                "allowedScopes": list(scopes),
                "allowedOrigins": list(origins),
                "tokenLifetimeMinutes": lifetime_minutes,
            },
        ).raise_for_status()
        body = created.json()
        SCAN.remember(body["clientSecret"])
        return body["clientId"], body["clientSecret"]

    def grant_custom_group(self, name: str) -> str:
        """A custom group (``POST /api/v1/groups``) given the consumer role in the sample
        app's space; returns its id."""
        group = self.admin.post(
            "/api/v1/groups", json={"name": name, "providerType": "custom"}
        ).raise_for_status()
        group_id: str = group.json()["id"]
        self.admin.post(
            f"/api/v1/spaces/{self.space_id}/assignments",
            json={"type": "group", "assigneeId": group_id, "roles": ["consumer"]},
        ).raise_for_status()
        return group_id

    def create_user(self, subject: str, name: str = "Test user", email: str = "") -> str:
        """A user created through ``POST /api/v1/users``; returns its id."""
        email = email or f"{uuid.uuid4().hex[:8]}@example.com"
        created = self.admin.post(
            "/api/v1/users", json={"subject": subject, "name": name, "email": email}
        ).raise_for_status()
        user_id: str = created.json()["id"]
        return user_id

    @staticmethod
    def csrf_token(client: httpx.Client) -> str:
        """The session's CSRF token, from ``GET /api/v1/csrf-token``."""
        answer = client.get("/api/v1/csrf-token").raise_for_status()
        return answer.headers["qlik-csrf-token"]

    def websocket_url(self, app_id: str | None = None, **query: str) -> str:
        """``ws(s)://…/app/<app_id>`` with ``query`` parameters."""
        base = self.url.replace("http", "ws", 1) + f"/app/{app_id or self.app_id}"
        return str(httpx.URL(base, params=query)) if query else base

    def close(self, *, wait: bool = False) -> None:
        """Stop serving; without ``wait`` the server winds down in its thread meanwhile
        (uvicorn takes ~0.2 s to notice, which adds up over a suite)."""
        self.admin.close()
        if wait:
            self.server.stop()
        else:
            self.server.server.should_exit = True


def emulator_command(port: int, db: Path, admin_key: str, *extra: str) -> list[str]:
    """``qlik-jwt emulator`` as a subprocess on ``port``, its state in the file ``db``."""
    return qlik_jwt_command(
        "emulator", "--port", str(port), "--db", str(db), "--admin-key", admin_key, *extra
    )


def register_identity_provider(
    url: str, admin_key: str, key: rsa.RSAPrivateKey, *, issuer: str, kid: str
) -> None:
    """A JWT identity provider for ``key`` and group auto-creation, through the REST API
    only: for an emulator running elsewhere (a subprocess) that ``provision`` cannot reach."""
    pem = keys.single_line_pem(keys.certificate_pem(keys.self_signed_certificate(key)))
    httpx.post(
        f"{url}/api/v1/identity-providers",
        headers={"Authorization": f"Bearer {admin_key}"},
        json={
            "provider": "external",
            "protocol": "jwtAuth",
            "interactive": False,
            "active": True,
            "clockToleranceSec": 5,
            "options": {
                "jwtLoginEnabled": True,
                "issuer": issuer,
                "staticKeys": [{"kid": kid, "pem": pem}],
            },
        },
    ).raise_for_status()
    httpx.patch(
        f"{url}/api/v1/groups/settings",
        headers={"Authorization": f"Bearer {admin_key}"},
        json=[{"op": "replace", "path": "/autoCreateGroups", "value": True}],
    ).raise_for_status()


@contextmanager
def running_emulator(
    *,
    options: EmulatorOptions | None = None,
    db: str = ":memory:",
    tls: keys.KeyPairFiles | None = None,
    clock: TestClock | None = None,
    admin_key: str | None = None,
    port: int = 0,
    wrap: Callable[[FastAPI], Any] | None = None,
) -> Iterator[RunningEmulator]:
    """Start an emulator on 127.0.0.1 (a free port unless ``port`` is given; HTTPS when
    ``tls`` files are given).

    ``wrap`` puts an ASGI app around the emulator's (to record what it receives, say).
    """
    clock = clock or TestClock()
    app = create_app(options, db=db, admin_key=admin_key, clock=clock)
    server = ServerThread(
        app if wrap is None else wrap(app),
        certfile=tls.certificate if tls else None,
        keyfile=tls.private_key if tls else None,
        port=port,
    )
    server.start()
    running = RunningEmulator(server, app, clock)
    for secret in (running.admin_key, running.oauth_client.client_secret):
        SCAN.remember(secret)  # no log line of the run may hold them
    try:
        yield running
    finally:
        running.close()


@pytest.fixture(scope="session")
def emulator_tls(tmp_path_factory: pytest.TempPathFactory) -> keys.KeyPairFiles:
    """One self-signed certificate for 127.0.0.1/localhost, for every HTTPS emulator."""
    return write_tls_certificate(Path(tmp_path_factory.mktemp("emulator-tls")))


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    """A fresh emulator over plain HTTP, state in memory."""
    with running_emulator() as running:
        yield running


@pytest.fixture
def emulator_https(emulator_tls: keys.KeyPairFiles) -> Iterator[RunningEmulator]:
    """A fresh emulator over HTTPS (self-signed; clients skip verification)."""
    with running_emulator(tls=emulator_tls) as running:
        yield running

"""Qlik's own ``@qlik/api`` (npm, in a real Node process) against the emulator with OAuth
impersonation (``oauth2`` + ``clientId``/``clientSecret`` + ``subject``): REST as the user,
the app over qix; a user whose groups are not granted the app's space is refused at OpenDoc.
Then the browser's path in Python: an exchanged token in ``accessToken`` on the websocket."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator

import pytest
import websockets
from tests.support.emulator import RunningEmulator, running_emulator
from tests.support.node import require_node_modules, run_node_json

from qlik_jwt import ImpersonationClient, UserClaims
from qlik_jwt.admin.client import TenantClient

PAGE = "http://localhost:8124"


@pytest.fixture(scope="module")
def tenant() -> Iterator[RunningEmulator]:
    with running_emulator() as running:
        running.grant_custom_group("Analysts")
        yield running


@pytest.fixture(scope="module")
def credentials(tenant: RunningEmulator) -> tuple[str, str]:
    return tenant.create_oauth_client(origins=[PAGE])


@pytest.fixture(scope="module")
def tokens(tenant: RunningEmulator, credentials: tuple[str, str]) -> Iterator[ImpersonationClient]:
    client_id, secret = credentials
    with (
        TenantClient(tenant.url, api_key=tenant.admin_key) as admin,
        ImpersonationClient(tenant.url, client_id, secret, admin=admin) as client,
    ):
        yield client


def provisioned(tokens: ImpersonationClient, *groups: str) -> UserClaims:
    """A host-app user made to exist in the tenant with ``groups`` (by a first grant)."""
    key = uuid.uuid4().hex[:8]
    user = UserClaims(f"app|{key}", f"User {key}", f"{key}@example.com", True, groups)
    tokens.access_token(user)
    return user


def qlik_api(tenant: RunningEmulator, credentials: tuple[str, str], user: UserClaims) -> dict:
    require_node_modules("@qlik/api")
    client_id, secret = credentials
    return dict(
        run_node_json(
            "qlik_api_impersonation.mjs", tenant.url, client_id, secret, user.sub, tenant.app_id
        )
    )


def test_qlik_api_reads_rest_and_opens_the_app_as_the_impersonated_user(
    tenant: RunningEmulator, tokens: ImpersonationClient, credentials: tuple[str, str]
) -> None:
    analyst = provisioned(tokens, "Analysts")
    out = qlik_api(tenant, credentials, analyst)
    assert out["me"]["status"] == 200
    assert out["me"]["subject"] == analyst.sub
    assert tenant.app_id in out["apps"]
    assert "refused" not in out, out
    assert out["opened"]["title"] == tenant.tenant.apps[tenant.app_id].name
    assert out["opened"]["rows"] > 0


def test_qlik_api_as_a_user_without_space_access_is_refused_at_opendoc(
    tenant: RunningEmulator, tokens: ImpersonationClient, credentials: tuple[str, str]
) -> None:
    outsider = provisioned(tokens)
    out = qlik_api(tenant, credentials, outsider)
    assert out["me"]["subject"] == outsider.sub  # the token itself works
    assert out["apps"] == []
    assert "opened" not in out
    assert "access denied" in out["refused"]["message"].lower()


def test_a_browser_opens_the_engine_with_an_exchanged_token_from_an_allowed_origin(
    tenant: RunningEmulator, tokens: ImpersonationClient
) -> None:
    analyst = provisioned(tokens, "Analysts")
    base = tenant.websocket_url() + "/identity/page/ttl/60"

    async def open_doc(token: str, origin: str) -> dict:
        url = f"{base}?accessToken={token}"
        async with websockets.connect(url, origin=origin) as socket:  # type: ignore[arg-type]
            await socket.recv()  # OnConnected
            request = {"jsonrpc": "2.0", "id": 1, "handle": -1, "method": "OpenDoc"}
            await socket.send(json.dumps({**request, "params": [tenant.app_id]}))
            answer: dict = json.loads(await socket.recv())
            return answer

    access = tokens.access_token(analyst)
    exchanged = tokens.exchange(access, "websocket")
    assert "result" in asyncio.run(open_doc(exchanged.token, PAGE))
    for token, origin in ((access.token, PAGE), (exchanged.token, "http://evil.example")):
        with pytest.raises(websockets.InvalidStatus) as refused:
            asyncio.run(open_doc(token, origin))
        assert refused.value.response.status_code in (401, 403)

"""ImpersonationClient against a real emulator on loopback: users found or created with their
groups, one grant per user however many callers, the cache, sign-out, refusals and 429."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator

import httpx
import pytest

from qlik_jwt import AccessToken, ImpersonationClient, OAuthGrantError, UserClaims
from qlik_jwt.admin.client import TenantClient
from qlik_jwt.emulator import EmulatorOptions
from tests.support.emulator import RunningEmulator, running_emulator


@pytest.fixture(scope="module")
def tenant() -> Iterator[RunningEmulator]:
    with running_emulator(options=EmulatorOptions(oauth_max_tokens_per_user=2)) as running:
        running.grant_custom_group("Finance")
        yield running


@pytest.fixture(scope="module")
def credentials(tenant: RunningEmulator) -> tuple[str, str]:
    return tenant.create_oauth_client()


@pytest.fixture
def admin(tenant: RunningEmulator) -> Iterator[TenantClient]:
    with TenantClient(tenant.url, api_key=tenant.admin_key) as client:
        yield client


@pytest.fixture
def client(
    tenant: RunningEmulator, credentials: tuple[str, str], admin: TenantClient
) -> Iterator[ImpersonationClient]:
    with ImpersonationClient(
        tenant.url, *credentials, admin=admin, clock=tenant.clock
    ) as impersonation:
        yield impersonation


def person(*groups: str) -> UserClaims:
    key = uuid.uuid4().hex[:8]
    return UserClaims(f"app|{key}", f"User {key}", f"{key}@example.com", True, groups)


def as_user(tenant: RunningEmulator, token: AccessToken) -> httpx.Client:
    return tenant.client(headers={"Authorization": token.authorization}, follow_redirects=True)


def test_a_new_user_is_created_with_groups_and_reads_as_themselves(
    tenant: RunningEmulator, client: ImpersonationClient
) -> None:
    ada = person("Finance", "Sales")
    token = client.access_token(ada)
    assert "token" not in repr(token).replace("AccessToken", "")
    assert token.purpose == "access" and token.scope == "user_default"
    assert token.expires_in(tenant.clock()) > 359 * 60
    with as_user(tenant, token) as http:
        me = http.get("/api/v1/users/me").json()
        items = http.get("/api/v1/items", params={"resourceType": "app"}).json()["data"]
    assert (me["subject"], me["name"], me["id"]) == (ada.sub, ada.name, token.user_id)
    assert sorted(g["name"] for g in me["assignedGroups"]) == ["Finance", "Sales"]
    assert {g["providerType"] for g in me["assignedGroups"]} == {"custom"}
    assert tenant.app_id in {item["resourceId"] for item in items}  # Finance grants the space


def test_a_page_view_costs_no_grant_and_a_groups_change_costs_no_grant_either(
    tenant: RunningEmulator, client: ImpersonationClient
) -> None:
    grace = person("Finance")
    first = client.access_token(grace)
    assert client.access_token(grace) is first
    assert client.grants == 1
    moved = UserClaims(grace.sub, grace.name, grace.email, True, ("Support",))
    assert client.access_token(moved).token == first.token
    assert client.grants == 1
    with as_user(tenant, first) as http:
        me = http.get("/api/v1/users/me").json()
        items = http.get("/api/v1/items", params={"resourceType": "app"}).json()["data"]
    assert [g["name"] for g in me["assignedGroups"]] == ["Support"]
    assert items == []  # Support is granted nothing: the host app's groups decide


def test_many_threads_and_tasks_at_once_cost_one_grant(
    tenant: RunningEmulator, client: ImpersonationClient
) -> None:
    user = person("Finance")
    results: list[AccessToken] = []
    start = threading.Barrier(8)

    def ask() -> None:
        start.wait()
        results.append(client.access_token(user))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()

    async def many() -> list[AccessToken]:
        return list(await asyncio.gather(*(client.access_token_async(user) for _ in range(8))))

    results += asyncio.run(many())
    for thread in threads:
        thread.join()
    assert len(results) == 16
    assert len({r.token for r in results}) == 1
    assert client.grants == 1


def test_a_token_is_renewed_shortly_before_it_expires(
    tenant: RunningEmulator, client: ImpersonationClient
) -> None:
    user = person()
    first = client.access_token(user)
    tenant.clock.advance(first.expires_in(tenant.clock()) - client.refresh_margin + 1)
    second = client.access_token(user)
    assert second.token != first.token
    assert client.grants == 2
    client.revoke(user.sub)


def test_sign_out_revokes_the_token_and_the_next_visit_gets_a_new_one(
    tenant: RunningEmulator, client: ImpersonationClient
) -> None:
    user = person()
    token = client.access_token(user)
    assert client.revoke(user.sub) is True
    assert client.revoke(user.sub) is False
    with as_user(tenant, token) as http:
        assert http.get("/api/v1/users/me").status_code == 401
    assert client.access_token(user).token != token.token


def test_the_websocket_token_is_exchanged(
    tenant: RunningEmulator, client: ImpersonationClient
) -> None:
    token = client.access_token(person())
    exchanged = asyncio.run(client.exchange_async(token, "websocket"))
    assert exchanged.purpose == "websocket"
    assert exchanged.subject == token.subject
    assert 0 < exchanged.expires_in(tenant.clock()) <= 300
    with pytest.raises(ValueError, match="purpose"):
        client.exchange(token, "everything")  # type: ignore[arg-type]


def test_a_wrong_secret_is_one_clear_error_and_leaves_no_user_behind(
    tenant: RunningEmulator, credentials: tuple[str, str], admin: TenantClient
) -> None:
    user = person("Finance")
    wrong = ImpersonationClient(
        tenant.url, credentials[0], "not-the-secret-0123456789", admin=admin
    )
    with wrong, pytest.raises(OAuthGrantError) as caught:
        wrong.access_token(user)
    error = caught.value
    assert (error.status, error.reason, error.subject) == (401, "invalid_client", user.sub)
    assert "secret" in error.fix and error.user_left is None
    assert "not-the-secret" not in str(error)
    found = tenant.admin.get("/api/v1/users", params={"filter": f'subject eq "{user.sub}"'})
    assert found.json()["data"] == []  # the user created for the grant was deleted again


def test_a_disabled_user_is_refused_with_the_fix(
    tenant: RunningEmulator, client: ImpersonationClient
) -> None:
    user = person()
    user_id = tenant.create_user(user.sub, user.name, user.email)
    tenant.admin.patch(
        f"/api/v1/users/{user_id}", json=[{"op": "replace", "path": "/status", "value": "disabled"}]
    ).raise_for_status()
    with pytest.raises(OAuthGrantError) as caught:
        client.access_token(user)
    assert (caught.value.status, caught.value.reason) == (403, "user_disabled")
    assert "enable" in caught.value.fix
    assert tenant.admin.get(f"/api/v1/users/{user_id}").status_code == 200  # not ours to delete


def test_too_many_tokens_is_named_and_a_discarded_token_is_replaced(
    tenant: RunningEmulator, credentials: tuple[str, str]
) -> None:
    user = person()
    tenant.create_user(user.sub, user.name, user.email)
    without_admin = ImpersonationClient(tenant.url, *credentials, clock=tenant.clock)
    with without_admin:
        for _ in range(2):
            without_admin.discard(without_admin.access_token(user))
        with pytest.raises(OAuthGrantError) as caught:
            without_admin.access_token(user)
    assert (caught.value.status, caught.value.reason) == (403, "too_many_tokens")
    assert "reuse" in caught.value.fix


def test_without_an_admin_client_an_unknown_user_is_explained(
    tenant: RunningEmulator, credentials: tuple[str, str]
) -> None:
    bare = ImpersonationClient(tenant.url, *credentials)
    with bare, pytest.raises(OAuthGrantError) as caught:
        bare.access_token(person())
    assert caught.value.reason == "unknown_user"
    assert "admin TenantClient" in caught.value.fix


def test_a_429_is_retried_after_its_retry_after(
    tenant: RunningEmulator, credentials: tuple[str, str]
) -> None:
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        tenant.clock.advance(seconds)

    tenant.admin.put("/_emulator/faults", json={"tier2_per_minute": 1}).raise_for_status()
    try:
        admin = TenantClient(tenant.url, api_key=tenant.admin_key, clock=tenant.clock, sleep=sleep)
        patient = ImpersonationClient(
            tenant.url, *credentials, admin=admin, clock=tenant.clock, sleep=sleep
        )
        with admin, patient:
            patient.access_token(person())
            patient.access_token(person())
    finally:
        tenant.admin.delete("/_emulator/faults").raise_for_status()
    assert waits and all(0 < wait <= 60 for wait in waits)
    assert patient.grants == 2


def test_an_empty_secret_is_a_configuration_error(tenant: RunningEmulator) -> None:
    from qlik_jwt import ConfigurationError

    with pytest.raises(ConfigurationError, match="client_secret"):
        ImpersonationClient(tenant.url, "id", " ")


def test_a_user_that_cannot_be_deleted_again_is_named_in_the_error(
    tenant: RunningEmulator, credentials: tuple[str, str], admin: TenantClient
) -> None:
    user = person()
    failing = {"path": "/api/v1/users/*", "method": "DELETE", "status": 503, "count": 1}
    tenant.admin.put("/_emulator/faults", json={"errors": [failing]}).raise_for_status()
    wrong = ImpersonationClient(tenant.url, credentials[0], "wrong-secret-0123456789", admin=admin)
    try:
        with wrong, pytest.raises(OAuthGrantError) as caught:
            wrong.access_token(user)
    finally:
        tenant.admin.delete("/_emulator/faults").raise_for_status()
    found = tenant.admin.get("/api/v1/users", params={"filter": f'subject eq "{user.sub}"'})
    left = found.json()["data"][0]["id"]
    assert caught.value.user_left == left
    assert f"The user {left!r} created for this grant could not be deleted" in str(caught.value)

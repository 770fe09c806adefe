"""OAuth on the emulator: clients, the impersonation grant, token exchange, revocation, and
user access tokens on the REST APIs, as Qlik documents them (one tenant for the module)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from qlik_jwt.emulator import EmulatorOptions
from tests.integration.emulator.helpers import reasons
from tests.support.emulator import RunningEmulator, running_emulator

IMPERSONATION = "urn:qlik:oauth:user-impersonation"
EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TYPE = "urn:ietf:params:oauth:token-type:access_token"
PAGE = "http://localhost:8123"


@pytest.fixture(scope="module")
def tenant() -> Iterator[RunningEmulator]:
    with running_emulator(options=EmulatorOptions(oauth_max_tokens_per_user=3)) as running:
        yield running


@pytest.fixture(scope="module")
def client(tenant: RunningEmulator) -> tuple[str, str]:
    return tenant.create_oauth_client(origins=[PAGE])


def grant(tenant: RunningEmulator, client: tuple[str, str], **fields: Any) -> httpx.Response:
    body = {
        "client_id": client[0],
        "client_secret": client[1],
        "grant_type": IMPERSONATION,
        **fields,
    }
    with tenant.client() as http:
        return http.post("/oauth/token", json=body)


def new_user(tenant: RunningEmulator) -> tuple[str, str]:
    subject = f"app|{uuid.uuid4().hex[:8]}"
    return subject, tenant.create_user(subject)


def test_a_client_is_created_listed_read_and_deleted_with_its_secret_shown_once(
    tenant: RunningEmulator,
) -> None:
    created = tenant.admin.post(
        "/api/v1/oauth-clients",
        json={
            "clientName": "embedding",
            "appType": "web",
            "allowedGrantTypes": [IMPERSONATION],
            "allowedOrigins": ["HTTP://Localhost:8123"],
        },
    )
    assert created.status_code == 201
    body = created.json()
    secret = body["clientSecret"]
    assert body["tokenLifetimeMinutes"] == 360
    assert body["allowedScopes"] == ["user_default"]
    assert body["allowedOrigins"] == [PAGE]
    assert body["clientSecrets"] == [
        {"hint": secret[-4:], "createdAt": body["createdAt"], "createdBy": tenant.tenant.admin.id}
    ]
    assert created.headers["cache-control"] == "no-store"
    read = tenant.admin.get(f"/api/v1/oauth-clients/{body['clientId']}").json()
    assert "clientSecret" not in read
    assert secret not in tenant.admin.get("/api/v1/oauth-clients").text
    assert tenant.admin.delete(f"/api/v1/oauth-clients/{body['clientId']}").status_code == 204
    assert tenant.admin.get(f"/api/v1/oauth-clients/{body['clientId']}").status_code == 404


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"tokenLifetimeMinutes": 14}, "tokenLifetimeMinutes"),
        ({"tokenLifetimeMinutes": 1441}, "tokenLifetimeMinutes"),
        ({"allowedGrantTypes": ["password"]}, "allowedGrantTypes"),
        ({"appType": "spa"}, "allowedGrantTypes"),
        ({"allowedOrigins": ["https://*.example.com"]}, "allowedOrigins"),
        ({"clientName": ""}, "clientName"),
    ],
)
def test_a_bad_client_is_refused_naming_the_field(
    tenant: RunningEmulator, change: dict[str, Any], named: str
) -> None:
    body = {"clientName": "x", "appType": "web", "allowedGrantTypes": [IMPERSONATION], **change}
    answer = tenant.admin.post("/api/v1/oauth-clients", json=body)
    assert answer.status_code == 400
    assert named in answer.json()["errors"][0]["detail"]


def test_the_clients_api_is_for_the_administrator_only(
    tenant: RunningEmulator, client: tuple[str, str]
) -> None:
    subject, _ = new_user(tenant)
    token = grant(tenant, client, user_lookup={"field": "subject", "value": subject})
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    with tenant.client(headers=bearer) as http:
        assert http.get("/api/v1/oauth-clients").status_code == 403
        assert http.get("/api/v1/users").status_code == 403
    with tenant.client() as http:
        assert http.get("/api/v1/oauth-clients").status_code == 401


def test_impersonation_gives_a_token_for_that_user_only(
    tenant: RunningEmulator, client: tuple[str, str]
) -> None:
    subject, user_id = new_user(tenant)
    answer = grant(tenant, client, user_lookup={"field": "subject", "value": subject})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"] == "bearer"
    assert body["scope"] == "user_default"
    assert 360 * 60 - 5 <= body["expires_in"] <= 360 * 60
    assert body["expires_at"].endswith("Z")
    assert answer.headers["cache-control"] == "no-store"
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    with tenant.client(headers=bearer, follow_redirects=True) as http:
        me = http.get("/api/v1/users/me").json()
        assert (me["id"], me["subject"]) == (user_id, subject)
        assert me["assignedRoles"] == []
        assert http.get("/api/v1/items").status_code == 200
    by_id = grant(tenant, client, user_lookup={"field": "userId", "value": user_id})
    assert by_id.status_code == 200


def test_a_form_body_works_as_json_does(tenant: RunningEmulator, client: tuple[str, str]) -> None:
    subject, _ = new_user(tenant)
    with tenant.client() as http:
        answer = http.post(
            "/oauth/token",
            data={
                "client_id": client[0],
                "client_secret": client[1],
                "grant_type": IMPERSONATION,
                "user_lookup": f'{{"field": "subject", "value": "{subject}"}}',
            },
        )
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    ("fields", "status", "reason"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"client_id": "unknown"}, 401, "invalid_client"),
        ({"user_lookup": None}, 400, "invalid_request"),
        ({"user_lookup": {"field": "email", "value": "x"}}, 400, "invalid_request"),
        ({"user_lookup": {"field": "subject", "value": "app|nobody"}}, 400, "unknown_user"),
        ({"scope": "admin_classic"}, 400, "invalid_scope"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
    ],
)
def test_refusals_use_qliks_error_body(
    tenant: RunningEmulator,
    client: tuple[str, str],
    fields: dict[str, Any],
    status: int,
    reason: str,
) -> None:
    subject, _ = new_user(tenant)
    base = {"user_lookup": {"field": "subject", "value": subject}}
    sent = {k: v for k, v in {**base, **fields}.items() if v is not None}
    answer = grant(tenant, client, **sent)
    assert answer.status_code == status, answer.text
    assert reasons(answer) == [reason]
    assert answer.json()["errors"][0]["status"] == str(status)
    assert client[1] not in answer.text


def test_a_client_without_the_grant_and_the_emulators_own_client_may_not_impersonate(
    tenant: RunningEmulator,
) -> None:
    subject, _ = new_user(tenant)
    machine = tenant.create_oauth_client(grant_types=["client_credentials"])
    assert reasons(grant(tenant, machine, user_lookup={"field": "subject", "value": subject})) == [
        "unauthorized_client"
    ]
    own = (tenant.oauth_client.client_id, tenant.oauth_client.client_secret)
    assert reasons(grant(tenant, own, user_lookup={"field": "subject", "value": subject})) == [
        "unauthorized_client"
    ]


def test_the_administrator_cannot_be_impersonated(
    tenant: RunningEmulator, client: tuple[str, str]
) -> None:
    admin = tenant.tenant.admin
    answer = grant(tenant, client, user_lookup={"field": "userId", "value": admin.id})
    assert answer.status_code == 403
    assert reasons(answer) == ["admin_not_impersonable"]


def test_a_disabled_user_gets_403_and_their_tokens_stop_working(
    tenant: RunningEmulator, client: tuple[str, str]
) -> None:
    subject, user_id = new_user(tenant)
    token = grant(tenant, client, user_lookup={"field": "subject", "value": subject}).json()
    disable = [{"op": "replace", "path": "/status", "value": "disabled"}]
    assert tenant.admin.patch(f"/api/v1/users/{user_id}", json=disable).status_code == 204
    answer = grant(tenant, client, user_lookup={"field": "subject", "value": subject})
    assert (answer.status_code, reasons(answer)) == (403, ["user_disabled"])
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    with tenant.client(headers=bearer) as http:
        assert http.get("/api/v1/users/me").status_code == 401


def test_too_many_tokens_for_one_user_get_403_until_one_is_revoked(
    tenant: RunningEmulator, client: tuple[str, str]
) -> None:
    subject, _ = new_user(tenant)
    lookup = {"user_lookup": {"field": "subject", "value": subject}}
    tokens = [grant(tenant, client, **lookup).json()["access_token"] for _ in range(3)]
    refused = grant(tenant, client, **lookup)
    assert (refused.status_code, reasons(refused)) == (403, ["too_many_tokens"])
    with tenant.client() as http:
        assert http.post("/oauth/revoke", json={"token": tokens[0]}).status_code == 200
        assert http.post("/oauth/revoke", json={"token": "unknown" * 4}).status_code == 200
        assert (
            http.get(
                "/api/v1/users/me", headers={"Authorization": f"Bearer {tokens[0]}"}
            ).status_code
            == 401
        )
    assert grant(tenant, client, **lookup).status_code == 200


def test_tokens_expire_with_the_clients_lifetime(tenant: RunningEmulator) -> None:
    short = tenant.create_oauth_client(lifetime_minutes=15)
    subject, _ = new_user(tenant)
    body = grant(tenant, short, user_lookup={"field": "subject", "value": subject}).json()
    assert body["expires_in"] == 15 * 60
    tenant.clock.advance(15 * 60)
    with tenant.client(headers={"Authorization": f"Bearer {body['access_token']}"}) as http:
        assert http.get("/api/v1/users/me").status_code == 401


def test_token_exchange_gives_a_short_token_that_dies_with_its_parent(
    tenant: RunningEmulator, client: tuple[str, str]
) -> None:
    subject, _ = new_user(tenant)
    access = grant(tenant, client, user_lookup={"field": "subject", "value": subject}).json()
    exchange = {
        "grant_type": EXCHANGE,
        "subject_token": access["access_token"],
        "subject_token_type": ACCESS_TYPE,
        "purpose": "websocket",
        "client_id": client[0],
    }
    with tenant.client() as http:
        answer = http.post("/oauth/token", json=exchange)
        assert answer.status_code == 200, answer.text
        exchanged = answer.json()
        assert exchanged["issued_token_type"] == ACCESS_TYPE
        assert exchanged["expires_in"] == 300
        # an exchanged token is no Bearer token for REST
        bearer = {"Authorization": f"Bearer {exchanged['access_token']}"}
        assert http.get("/api/v1/users/me", headers=bearer).status_code == 401
        for wrong, reason in (
            ({"purpose": "everything"}, "invalid_request"),
            ({"subject_token": exchanged["access_token"]}, "invalid_grant"),
            ({"client_id": "another"}, "invalid_client"),
        ):
            refused = http.post("/oauth/token", json={**exchange, **wrong})
            assert reasons(refused) == [reason]
        http.post("/oauth/revoke", json={"token": access["access_token"]}).raise_for_status()
        assert reasons(http.post("/oauth/token", json=exchange)) == ["invalid_grant"]
    record = tenant.tenant.access_tokens.find(exchanged["access_token"], now=tenant.clock())
    assert record is None  # revoked with its parent


def test_client_credentials_of_a_created_client_act_as_the_administrator(
    tenant: RunningEmulator,
) -> None:
    machine = tenant.create_oauth_client(grant_types=["client_credentials"])
    with tenant.client() as http:
        answer = http.post(
            "/oauth/token",
            json={
                "client_id": machine[0],
                "client_secret": machine[1],
                "grant_type": "client_credentials",
            },
        )
        token = answer.json()["access_token"]
        listed = http.get("/api/v1/oauth-clients", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200


def test_a_second_secret_works_beside_the_first(
    tenant: RunningEmulator, client: tuple[str, str]
) -> None:
    subject, _ = new_user(tenant)
    added = tenant.admin.post(f"/api/v1/oauth-clients/{client[0]}/client-secrets").json()
    rotated = (client[0], added["clientSecret"])
    lookup = {"user_lookup": {"field": "subject", "value": subject}}
    assert grant(tenant, rotated, **lookup).status_code == 200
    assert grant(tenant, client, **lookup).status_code == 200


def test_custom_groups_are_assigned_through_the_users_api_and_kept(
    tenant: RunningEmulator,
) -> None:
    _, user_id = new_user(tenant)
    name = f"custom-{uuid.uuid4().hex[:6]}"
    group = tenant.admin.post(
        "/api/v1/groups", json={"name": name, "providerType": "custom"}
    ).json()
    assert group["providerType"] == "custom"
    assert tenant.admin.post("/api/v1/groups", json={"name": name}).status_code == 409
    patch = [{"op": "replace", "path": "/assignedGroups", "value": [{"id": group["id"]}]}]
    assert tenant.admin.patch(f"/api/v1/users/{user_id}", json=patch).status_code == 204
    user = tenant.admin.get(f"/api/v1/users/{user_id}").json()
    assert user["assignedGroups"] == [{"id": group["id"], "name": name, "providerType": "custom"}]
    bad = [{"op": "replace", "path": "/assignedGroups", "value": [{"id": "nope"}]}]
    answer = tenant.admin.patch(f"/api/v1/users/{user_id}", json=bad)
    assert answer.status_code == 400
    assert tenant.admin.get(f"/api/v1/users/{user_id}").json()["assignedGroups"] != []
    remove = [{"op": "remove-value", "path": "/assignedGroups", "value": {"id": group["id"]}}]
    assert tenant.admin.patch(f"/api/v1/users/{user_id}", json=remove).status_code == 204
    assert tenant.admin.get(f"/api/v1/users/{user_id}").json()["assignedGroups"] == []


def test_cors_lets_an_oauth_clients_origin_send_qliks_headers(
    tenant: RunningEmulator, client: tuple[str, str]
) -> None:
    with tenant.client() as http:
        preflight = http.options(
            "/api/v1/users/me",
            headers={
                "Origin": PAGE,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization, qlik-api-version",
            },
        )
        assert preflight.status_code == 204
        allowed = preflight.headers["access-control-allow-headers"]
        assert "qlik-api-version" in allowed and "authorization" in allowed
        assert preflight.headers["access-control-allow-origin"] == PAGE
        refused = http.options(
            "/api/v1/users/me",
            headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"},
        )
        assert refused.status_code == 403


def test_product_info_is_a_404_any_page_may_read(tenant: RunningEmulator) -> None:
    with tenant.client() as http:
        for origin in (PAGE, "http://elsewhere.example"):
            answer = http.get(
                "/resources/autogenerated/product-info.json", headers={"Origin": origin}
            )
            assert answer.status_code == 404
            assert answer.headers["access-control-allow-origin"] == "*"
            assert answer.json()["errors"][0]["status"] == "404"


def test_single_takes_a_webresource_token_and_enforces_space_access(
    tenant: RunningEmulator, client: tuple[str, str]
) -> None:
    subject, _ = new_user(tenant)
    access = grant(tenant, client, user_lookup={"field": "subject", "value": subject}).json()

    def exchanged(purpose: str) -> str:
        with tenant.client() as http:
            answer = http.post(
                "/oauth/token",
                json={
                    "grant_type": EXCHANGE,
                    "subject_token": access["access_token"],
                    "subject_token_type": ACCESS_TYPE,
                    "purpose": purpose,
                },
            )
        token: str = answer.json()["access_token"]
        return token

    with tenant.client() as http:
        page = {"appid": tenant.app_id}
        denied = http.get("/single/", params={**page, "accessToken": exchanged("webresource")})
        assert (denied.status_code, reasons(denied)) == (403, ["no_access"])
        wrong = http.get("/single/", params={**page, "accessToken": exchanged("websocket")})
        assert (wrong.status_code, reasons(wrong)) == (401, ["bad_access_token"])


def test_a_client_is_patched_as_checked_at_creation_and_a_secret_rotated_out(
    tenant: RunningEmulator,
) -> None:
    client_id, first = tenant.create_oauth_client(grant_types=["client_credentials"])
    path = f"/api/v1/oauth-clients/{client_id}"
    grants = {"op": "replace", "path": "/allowedGrantTypes", "value": [IMPERSONATION]}
    origins = {"op": "replace", "path": "/allowedOrigins", "value": ["HTTP://LOCALHOST:9000"]}
    assert tenant.admin.patch(path, json=[grants, origins]).status_code == 204
    read = tenant.admin.get(path).json()
    assert read["allowedGrantTypes"] == [IMPERSONATION]
    assert read["allowedOrigins"] == ["http://localhost:9000"]
    for bad in (
        {"op": "replace", "path": "/appType", "value": "spa"},
        {"op": "replace", "path": "/tokenLifetimeMinutes", "value": 5},
        {"op": "replace", "path": "/allowedOrigins", "value": ["nope"]},
    ):
        assert tenant.admin.patch(path, json=[bad]).status_code == 400, bad
    assert tenant.admin.get(path).json()["allowedOrigins"] == ["http://localhost:9000"]
    second = tenant.admin.post(f"{path}/client-secrets").json()["clientSecret"]
    assert tenant.admin.delete(f"{path}/client-secrets/{first[-4:]}").status_code == 204
    subject, _ = new_user(tenant)
    lookup = {"user_lookup": {"field": "subject", "value": subject}}
    assert reasons(grant(tenant, (client_id, first), **lookup)) == ["invalid_client"]
    assert grant(tenant, (client_id, second), **lookup).status_code == 200

"""CORS: exactly the origins of web integrations, preflights, and refusals as browsers see them."""

from __future__ import annotations

from typing import Any

import pytest

from qlik_jwt.emulator import EmulatorOptions
from qlik_jwt.signer import TokenSigner, UserClaims
from tests.integration.emulator.helpers import ORIGIN, reasons
from tests.support.emulator import Provisioned, RunningEmulator, running_emulator

pytestmark = pytest.mark.usefixtures("provisioned")

CORS_HEADERS = (
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-expose-headers",
)


def preflight(emulator: RunningEmulator, origin: str, path: str = "/login/jwt-session") -> Any:
    with emulator.client() as client:
        return client.options(
            path,
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, qlik-web-integration-id",
            },
        )


def test_a_preflight_from_a_listed_origin_is_answered(emulator: RunningEmulator) -> None:
    answer = preflight(emulator, ORIGIN)
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    assert answer.headers["access-control-allow-credentials"] == "true"
    assert "POST" in answer.headers["access-control-allow-methods"]
    allowed = answer.headers["access-control-allow-headers"]
    for header in ("authorization", "qlik-web-integration-id", "qlik-csrf-token", "content-type"):
        assert header in allowed
    assert answer.headers["vary"] == "Origin"


@pytest.mark.parametrize(
    "origin",
    [
        "http://localhost:8002",  # other port
        "https://localhost:8001",  # other scheme
        "http://evil.localhost:8001",
        "null",
    ],
)
def test_a_preflight_from_an_unlisted_origin_gets_403_without_cors_headers(
    emulator: RunningEmulator, origin: str
) -> None:
    answer = preflight(emulator, origin)
    assert answer.status_code == 403
    assert reasons(answer) == ["origin_not_allowed"]
    assert not any(h in answer.headers for h in CORS_HEADERS)


def test_a_preflight_naming_another_integration_is_refused(emulator: RunningEmulator) -> None:
    other = emulator.admin.post(
        "/api/v1/web-integrations", json={"name": "other", "validOrigins": ["https://x.example"]}
    ).json()["id"]
    assert (
        preflight(
            emulator, ORIGIN, f"/login/jwt-session?qlik-web-integration-id={other}"
        ).status_code
        == 403
    )


def test_preflights_may_be_required_to_name_the_integration() -> None:
    options = EmulatorOptions(preflight_needs_wiid_origin=True)
    with running_emulator(options=options) as tenant:
        wiid = tenant.admin.post(
            "/api/v1/web-integrations", json={"name": "w", "validOrigins": [ORIGIN]}
        ).json()["id"]
        assert preflight(tenant, ORIGIN).status_code == 403
        named = preflight(tenant, ORIGIN, f"/api/v1/csrf-token?qlik-web-integration-id={wiid}")
        assert named.status_code == 204


def test_a_request_from_a_listed_origin_gets_cors_headers(
    emulator: RunningEmulator, provisioned: Provisioned, signer: TokenSigner, ada: UserClaims
) -> None:
    with emulator.client() as client:
        answer = client.post(
            f"/login/jwt-session?qlik-web-integration-id={provisioned.web_integration_id}",
            headers={
                "Origin": ORIGIN,
                "qlik-web-integration-id": str(provisioned.web_integration_id),
                "Authorization": f"Bearer {signer.mint(ada)}",
            },
        )
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    assert answer.headers["access-control-allow-credentials"] == "true"
    assert answer.headers["access-control-expose-headers"] == "qlik-csrf-token"
    assert "Origin" in answer.headers["vary"]


def test_errors_to_a_listed_origin_carry_cors_headers_too(emulator: RunningEmulator) -> None:
    with emulator.client() as client:
        answer = client.get("/api/v1/csrf-token", headers={"Origin": ORIGIN})
    assert answer.status_code == 401
    assert answer.headers["access-control-allow-origin"] == ORIGIN


def test_jwt_session_from_an_unlisted_origin_is_403_origin_not_allowed(
    emulator: RunningEmulator, signer: TokenSigner, ada: UserClaims
) -> None:
    with emulator.client() as client:
        answer = client.post(
            "/login/jwt-session",
            headers={
                "Origin": "https://attacker.example",
                "Authorization": f"Bearer {signer.mint(ada)}",
            },
        )
    assert answer.status_code == 403
    (error,) = answer.json()["errors"]
    assert error["code"] == "CORS-1"
    assert error["title"] == "Origin has not been granted access"
    assert error["meta"]["reason"] == "origin_not_allowed"
    assert "access-control-allow-origin" not in answer.headers
    assert "set-cookie" not in answer.headers


def test_the_named_integration_must_list_the_origin(
    emulator: RunningEmulator, signer: TokenSigner, ada: UserClaims
) -> None:
    other = emulator.admin.post(
        "/api/v1/web-integrations", json={"name": "other", "validOrigins": ["https://x.example"]}
    ).json()["id"]
    with emulator.client() as client:
        answer = client.post(
            "/login/jwt-session",
            headers={
                "Origin": ORIGIN,
                "qlik-web-integration-id": other,
                "Authorization": f"Bearer {signer.mint(ada)}",
            },
        )
    assert answer.status_code == 403 and reasons(answer) == ["origin_not_allowed"]


def test_an_unknown_integration_id_allows_nothing(emulator: RunningEmulator) -> None:
    with emulator.client() as client:
        answer = client.get(
            "/api/v1/csrf-token?qlik-web-integration-id=nope", headers={"Origin": ORIGIN}
        )
    assert answer.status_code == 403


def test_the_tenants_own_origin_needs_no_integration(emulator: RunningEmulator) -> None:
    with emulator.client() as client:
        answer = client.get("/api/v1/csrf-token", headers={"Origin": emulator.url})
    assert answer.status_code == 401  # reached the endpoint: no session
    assert "access-control-allow-origin" not in answer.headers


def test_requests_without_origin_skip_cors(emulator: RunningEmulator) -> None:
    with emulator.client() as client:
        answer = client.get("/api/v1/csrf-token")
    assert answer.status_code == 401
    assert "access-control-allow-origin" not in answer.headers


def test_origins_are_matched_after_normalisation(emulator: RunningEmulator) -> None:
    created = emulator.admin.post(
        "/api/v1/web-integrations",
        json={
            "name": "n",
            "validOrigins": ["HTTPS://App.Example.com:443", "http://h.example:8080"],
        },
    )
    assert created.json()["validOrigins"] == ["https://app.example.com", "http://h.example:8080"]
    assert preflight(emulator, "https://app.example.com").status_code == 204


def test_the_rate_limit_is_checked_before_the_origin() -> None:
    with (
        running_emulator(options=EmulatorOptions(tier2_per_minute=1)) as tenant,
        tenant.client() as client,
    ):
        refused = client.post("/login/jwt-session", headers={"Origin": "https://bad.example"})
        limited = client.post("/login/jwt-session", headers={"Origin": "https://bad.example"})
    assert refused.status_code == 403
    assert limited.status_code == 429


def test_preflights_are_not_rate_limited() -> None:
    with running_emulator(options=EmulatorOptions(tier1_per_minute=2)) as tenant:
        tenant.admin.post(
            "/api/v1/web-integrations", json={"name": "w", "validOrigins": [ORIGIN]}
        ).raise_for_status()
        answers = [preflight(tenant, ORIGIN).status_code for _ in range(5)]
    assert answers == [204] * 5

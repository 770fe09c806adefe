"""Each option for an unknown changes what the tenant does (defaults are tested elsewhere)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from qlik_jwt.emulator import EmulatorOptions
from qlik_jwt.signer import UserClaims
from tests.integration.emulator.helpers import post_token, provisioned_tenant, reasons, sign
from tests.support.emulator import running_emulator

ADA = UserClaims("app|ada", "Ada", "ada@example.com", True, ("Finance",))
Key = rsa.RSAPrivateKey


def tenant(rsa_key: Key, certificate_pem: str, **options: Any) -> Any:
    return provisioned_tenant(rsa_key, certificate_pem, options=EmulatorOptions(**options))


def test_time_replay_and_origin_statuses(rsa_key: Key, certificate_pem: str) -> None:
    with tenant(
        rsa_key,
        certificate_pem,
        time_fault_status=401,
        replay_status=409,
        origin_refused_status=401,
    ) as (emulator, signer):
        claims = signer.claims_for(ADA)
        claims["exp"] = claims["nbf"] - 1
        assert post_token(emulator, sign(claims, rsa_key)).status_code == 401
        token = signer.mint(ADA)
        assert post_token(emulator, token).status_code == 200
        replay = post_token(emulator, token)
        assert replay.status_code == 409 and reasons(replay) == ["jti_replayed"]
        assert post_token(emulator, signer.mint(ADA), Origin="https://x.example").status_code == 401


def test_a_larger_minimum_key_size(rsa_key: Key, certificate_pem: str) -> None:
    with running_emulator(options=EmulatorOptions(min_rsa_bits=3072)) as emulator:
        answer = emulator.admin.post(
            "/api/v1/identity-providers",
            json={
                "provider": "external",
                "protocol": "jwtAuth",
                "options": {"issuer": "i", "staticKeys": [{"kid": "k", "pem": certificate_pem}]},
            },
        )
    assert answer.status_code == 400 and "3072" in answer.text


def test_the_default_clock_tolerance(certificate_pem: str) -> None:
    with running_emulator(options=EmulatorOptions(default_clock_tolerance=7)) as emulator:
        idp = emulator.admin.post(
            "/api/v1/identity-providers",
            json={
                "provider": "external",
                "protocol": "jwtAuth",
                "options": {"issuer": "i", "staticKeys": [{"kid": "k", "pem": certificate_pem}]},
            },
        ).json()
    assert idp["clockToleranceSec"] == 7


def test_burning_the_jti_on_a_late_failure(rsa_key: Key, certificate_pem: str) -> None:
    with tenant(rsa_key, certificate_pem, burn_jti_on_failure=True) as (emulator, signer):
        emulator.login(signer, ADA)
        claims = signer.claims_for(UserClaims("app|b", "B", "ada@example.com", True))
        token = sign(claims, rsa_key)
        assert reasons(post_token(emulator, token)) == ["duplicate_email"]
        assert reasons(post_token(emulator, token)) == ["jti_replayed"]


def test_duplicate_emails_may_be_allowed(rsa_key: Key, certificate_pem: str) -> None:
    with tenant(rsa_key, certificate_pem, refuse_duplicate_email=False) as (emulator, signer):
        emulator.login(signer, ADA)
        emulator.login(signer, UserClaims("app|twin", "Twin", "ada@example.com", True))


def test_max_groups(rsa_key: Key, certificate_pem: str) -> None:
    with tenant(rsa_key, certificate_pem, max_groups=2) as (emulator, signer):
        many = UserClaims("app|m", "M", "m@example.com", True, ("a", "b", "c"))
        answer = post_token(emulator, signer.mint(many))
        assert answer.status_code == 400 and reasons(answer) == ["bad_claim_type"]
        assert "over the limit of 2" in answer.json()["errors"][0]["detail"]


def test_merging_groups(rsa_key: Key, certificate_pem: str) -> None:
    with tenant(rsa_key, certificate_pem, merge_groups=True) as (emulator, signer):
        emulator.admin.patch(
            "/api/v1/groups/settings",
            json=[{"op": "replace", "path": "/autoCreateGroups", "value": True}],
        ).raise_for_status()
        emulator.login(signer, UserClaims("app|g", "G", "g@example.com", True, ("A",)))
        emulator.login(signer, UserClaims("app|g", "G", "g@example.com", True, ("B",)))
        (user,) = emulator.admin.get("/api/v1/users", params={"subject": "app|g"}).json()["data"]
    assert [g["name"] for g in user["assignedGroups"]] == ["A", "B"]


def test_showing_unverified_emails(rsa_key: Key, certificate_pem: str) -> None:
    with tenant(rsa_key, certificate_pem, hide_unverified_email=False) as (emulator, signer):
        emulator.login(signer, UserClaims("app|u", "U", "u@example.com", False))
        (user,) = emulator.admin.get("/api/v1/users", params={"subject": "app|u"}).json()["data"]
    assert user["email"] == "u@example.com"


def test_reusing_the_session_on_relogin(rsa_key: Key, certificate_pem: str) -> None:
    with tenant(rsa_key, certificate_pem, reuse_session_on_relogin=True) as (emulator, signer):
        client = emulator.login(signer, ADA)
        first = client.cookies["eas.sid"]
        emulator.login(signer, ADA, client=client)
        assert client.cookies["eas.sid"] == first
        other = UserClaims("app|o", "O", "o@example.com", True)
        emulator.login(signer, other, client=client)  # another user never inherits it
        assert client.cookies["eas.sid"] != first


@pytest.mark.parametrize(
    ("options", "present", "absent"),
    [
        ({"cookie_secure": "always"}, ["Secure", "SameSite=none"], []),
        ({"cookie_secure": "never"}, ["SameSite=lax"], ["Secure"]),
        (
            {"cookie_domain": "127.0.0.1", "cookie_max_age": 600},
            ["Domain=127.0.0.1", "Max-Age=600"],
            [],
        ),
        ({"cookie_secure": "always", "cookie_partitioned": True}, ["Partitioned"], []),
    ],
)
def test_cookie_attributes(
    rsa_key: Key,
    certificate_pem: str,
    options: dict[str, Any],
    present: list[str],
    absent: list[str],
) -> None:
    with tenant(rsa_key, certificate_pem, **options) as (emulator, signer):
        headers = post_token(emulator, signer.mint(ADA)).headers.get_list("set-cookie")
    assert len(headers) == 4
    for header in headers:
        assert all(part in header for part in present), header
        assert not any(part in header for part in absent), header


def test_a_script_readable_csrf_cookie(rsa_key: Key, certificate_pem: str) -> None:
    with tenant(rsa_key, certificate_pem, csrf_cookie_httponly=False) as (emulator, signer):
        headers = post_token(emulator, signer.mint(ADA)).headers.get_list("set-cookie")
    flags = {h.split("=", 1)[0]: "HttpOnly" in h for h in headers}
    assert flags == {
        "eas.sid": True,
        "eas.sid.sig": True,
        "_csrfToken": False,
        "_csrfToken.sig": True,
    }


def test_websockets_may_skip_the_origin_check(rsa_key: Key, certificate_pem: str) -> None:
    from websockets.sync.client import connect

    with tenant(rsa_key, certificate_pem, websocket_checks_origin=False) as (emulator, signer):
        client = emulator.login(signer, ADA)
        url = emulator.websocket_url(**{"qlik-csrf-token": emulator.csrf_token(client)})
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        with connect(
            url, origin="https://anywhere.example", additional_headers={"Cookie": cookie}
        ) as ws:  # type: ignore[arg-type]
            assert "OnConnected" in ws.recv(timeout=10)


def test_429_without_retry_after() -> None:
    with running_emulator(
        options=EmulatorOptions(tier1_per_minute=1, send_retry_after=False)
    ) as emulator:
        emulator.admin.get("/api/v1/groups")
        limited = emulator.admin.get("/api/v1/groups")
    assert limited.status_code == 429 and "retry-after" not in limited.headers


def test_a_shorter_token_limit(rsa_key: Key, certificate_pem: str) -> None:
    with tenant(rsa_key, certificate_pem, max_token_length=200) as (emulator, signer):
        assert reasons(post_token(emulator, signer.mint(ADA))) == ["malformed_token"]


def test_a_smaller_body_limit_and_shorter_oauth_tokens() -> None:
    options = EmulatorOptions(max_body_bytes=300, oauth_token_lifetime=60)
    with (
        running_emulator(options=options) as emulator,
        httpx.Client(base_url=emulator.url) as client,
    ):
        assert (
            emulator.admin.post("/api/v1/web-integrations", json={"name": "x" * 400}).status_code
            == 413
        )
        token = client.post(
            "/oauth/token",
            data={
                "client_id": emulator.oauth_client.client_id,
                "client_secret": emulator.oauth_client.client_secret,
                "grant_type": "client_credentials",
            },
        ).json()
        assert token["expires_in"] == 60
        emulator.clock.advance(61)
        bearer = {"Authorization": f"Bearer {token['access_token']}"}
        assert client.get("/api/v1/groups", headers=bearer).status_code == 401

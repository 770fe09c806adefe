"""``POST /login/jwt-session``: one test per rule of the reference's validation order (§5)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from qlik_jwt.contract import AUDIENCE, REQUIRED_CLAIMS
from qlik_jwt.emulator import EmulatorOptions
from qlik_jwt.signer import TokenSigner, UserClaims
from tests.integration.emulator.helpers import (
    ISSUER,
    KID,
    post_token,
    provisioned_tenant,
    reasons,
    sign,
)
from tests.support.emulator import Provisioned, RunningEmulator, TestClock

pytestmark = pytest.mark.usefixtures("provisioned")

Forge = Callable[..., str]
Exchange = Callable[..., Any]


def assert_refused(response: Any, status: int, reason: str, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert len(body["traceId"]) == 32 and int(body["traceId"], 16) >= 0
    first = body["errors"][0]
    assert first["status"] == str(status)
    assert first["meta"]["reason"] == reason
    if code:
        assert first["code"] == code
    assert "set-cookie" not in response.headers
    return first


# --- success -----------------------------------------------------------------------------------


def test_a_valid_token_gives_200_empty_json_and_the_four_cookies(
    forge: Forge, exchange: Exchange
) -> None:
    response = exchange(forge())
    assert response.status_code == 200
    assert response.json() == {}
    assert set(response.cookies) == {"eas.sid", "eas.sid.sig", "_csrfToken", "_csrfToken.sig"}
    assert len(response.cookies["eas.sid"]) == 32
    assert len(response.cookies["_csrfToken"]) == 36
    assert len(response.cookies["eas.sid.sig"]) == 86


def test_cookies_over_plain_http_are_lax_and_not_secure(forge: Forge, exchange: Exchange) -> None:
    headers = exchange(forge()).headers.get_list("set-cookie")
    assert len(headers) == 4
    for header in headers:
        assert "Path=/" in header and "SameSite=lax" in header and "Secure" not in header
    assert all("HttpOnly" in h for h in headers)


def test_over_https_cookies_are_secure_samesite_none_httponly(
    emulator_https: RunningEmulator, rsa_key: rsa.RSAPrivateKey, certificate_pem: str
) -> None:
    signer = TokenSigner(rsa_key, KID, ISSUER, clock=emulator_https.clock)
    emulator_https.provision(signer, certificate_pem, groups=())
    with emulator_https.client() as client:
        user = UserClaims("app|tls", "T", "t@example.com", True)
        answer = client.post(
            "/login/jwt-session", headers={"Authorization": f"Bearer {signer.mint(user)}"}
        )
    headers = answer.headers.get_list("set-cookie")
    assert answer.status_code == 200 and len(headers) == 4
    for header in headers:
        assert "Secure" in header and "SameSite=none" in header and "HttpOnly" in header
        assert "Partitioned" not in header and "Domain" not in header


def test_the_user_is_created_just_in_time_with_groups(
    emulator: RunningEmulator, signer: TokenSigner, ada: UserClaims
) -> None:
    emulator.login(signer, ada)
    found = emulator.admin.get("/api/v1/users", params={"filter": 'subject eq "app|ada"'})
    (user,) = found.json()["data"]
    assert user["name"] == "Ada Lovelace" and user["email"] == "ada@example.com"
    assert user["tenantId"] == emulator.tenant_id
    assert [(g["name"], g["providerType"]) for g in user["assignedGroups"]] == [("Finance", "idp")]


def test_each_login_replaces_the_users_idp_groups(
    emulator: RunningEmulator, signer: TokenSigner
) -> None:
    emulator.login(signer, UserClaims("app|g", "G", "g@example.com", True, ("Finance", "Sales")))
    emulator.login(signer, UserClaims("app|g", "G2", "g@example.com", True, ("Sales",)))
    (user,) = emulator.admin.get("/api/v1/users", params={"subject": "app|g"}).json()["data"]
    assert [g["name"] for g in user["assignedGroups"]] == ["Sales"]
    assert user["name"] == "G2"


def test_groups_unknown_with_auto_create_off_are_dropped(
    emulator: RunningEmulator, signer: TokenSigner
) -> None:
    emulator.admin.patch(
        "/api/v1/groups/settings",
        json=[{"op": "replace", "path": "/autoCreateGroups", "value": False}],
    ).raise_for_status()
    emulator.login(signer, UserClaims("app|n", "N", "n@example.com", True, ("Finance", "New")))
    (user,) = emulator.admin.get("/api/v1/users", params={"subject": "app|n"}).json()["data"]
    assert [g["name"] for g in user["assignedGroups"]] == ["Finance"]
    names = [g["name"] for g in emulator.admin.get("/api/v1/groups").json()["data"]]
    assert "New" not in names


def test_an_unverified_email_is_not_shown(emulator: RunningEmulator, signer: TokenSigner) -> None:
    emulator.login(signer, UserClaims("app|u", "U", "u@example.com", False))
    (user,) = emulator.admin.get("/api/v1/users", params={"subject": "app|u"}).json()["data"]
    assert user.get("email") is None


def test_a_second_exchange_starts_a_new_session(
    emulator: RunningEmulator, signer: TokenSigner, ada: UserClaims
) -> None:
    client = emulator.login(signer, ada)
    first = client.cookies["eas.sid"]
    emulator.login(signer, ada, client=client)
    assert client.cookies["eas.sid"] != first
    assert client.get("/api/v1/csrf-token").status_code == 204


def test_a_numeric_jti_and_exactly_3600_seconds_are_accepted(
    emulator: RunningEmulator, forge: Forge, exchange: Exchange
) -> None:
    now = int(emulator.clock())
    assert exchange(forge(jti=424242, nbf=now, exp=now + 3600)).status_code == 200


def test_an_aud_list_containing_the_audience_is_accepted(forge: Forge, exchange: Exchange) -> None:
    assert exchange(forge(aud=["other", AUDIENCE])).status_code == 200


# --- 3. bearer ---------------------------------------------------------------------------------


def test_no_authorization_header_is_401_missing_bearer(exchange: Exchange) -> None:
    assert_refused(exchange(None), 401, "missing_bearer", "INVALID-TOKEN")


def test_another_scheme_is_401_missing_bearer(exchange: Exchange, forge: Forge) -> None:
    response = exchange(None, headers={"Authorization": f"Basic {forge()}"})
    assert_refused(response, 401, "missing_bearer")


@pytest.mark.parametrize(
    "token",
    ["abc", "a.b", "a.b.c.d", "eyJhbGciOiJSUzI1NiJ9.%%%.sig", "bm90IGpzb24.e30.c2ln"],
)
def test_a_bearer_that_is_not_a_compact_jws_is_401_malformed(
    exchange: Exchange, token: str
) -> None:
    first = assert_refused(exchange(token), 401, "malformed_token")
    assert first["detail"].startswith("JWT_LOGIN_VALIDATIONS ")
    assert first["detail"].endswith("[malformed-token]")


def test_an_oversized_token_is_401_malformed(exchange: Exchange, forge: Forge) -> None:
    token = forge(padding="x" * 17000)
    assert_refused(exchange(token), 401, "malformed_token")


# --- 4. header ---------------------------------------------------------------------------------


def test_hs256_is_401_alg_not_allowed(exchange: Exchange, forge: Forge) -> None:
    token = forge(key="a-shared-secret-that-is-long-enough-for-hs256!", algorithm="HS256")
    assert_refused(exchange(token), 401, "alg_not_allowed")


def test_alg_none_is_401_alg_not_allowed(emulator: RunningEmulator, exchange: Exchange) -> None:
    from tests.integration.emulator.helpers import standard_claims

    token = jwt.encode(
        standard_claims(emulator.clock()), None, algorithm="none", headers={"kid": KID}
    )
    assert_refused(exchange(token), 401, "alg_not_allowed")


def test_rs512_is_refused_by_default(exchange: Exchange, forge: Forge) -> None:
    assert_refused(exchange(forge(algorithm="RS512")), 401, "alg_not_allowed")


def test_rs512_is_accepted_with_the_option(
    rsa_key: rsa.RSAPrivateKey, certificate_pem: str
) -> None:
    options = EmulatorOptions(allow_rs384_rs512=True)
    with provisioned_tenant(rsa_key, certificate_pem, options=options) as (tenant, signer):
        claims = signer.claims_for(UserClaims("app|512", "R", "r@example.com", True))
        assert post_token(tenant, sign(claims, rsa_key, algorithm="RS512")).status_code == 200


def test_a_missing_kid_is_401_kid_missing(exchange: Exchange, forge: Forge) -> None:
    token = forge(header={"kid": ...})
    assert_refused(exchange(token), 401, "kid_missing")


# --- 5. identity provider ----------------------------------------------------------------------


def test_an_unknown_issuer_is_401_unknown_issuer(exchange: Exchange, forge: Forge) -> None:
    assert_refused(exchange(forge(iss="someone-else.com")), 401, "unknown_issuer")


def test_the_issuer_is_compared_case_sensitively(exchange: Exchange, forge: Forge) -> None:
    assert_refused(exchange(forge(iss=ISSUER.upper())), 401, "unknown_issuer")


def test_an_unknown_kid_is_401_unknown_kid(exchange: Exchange, forge: Forge) -> None:
    assert_refused(exchange(forge(header={"kid": "rotated-away"})), 401, "unknown_kid")


def test_an_inactive_provider_is_not_used(
    emulator: RunningEmulator, provisioned: Provisioned, exchange: Exchange, forge: Forge
) -> None:
    emulator.admin.delete(
        f"/api/v1/identity-providers/{provisioned.identity_provider_id}"
    ).raise_for_status()
    assert_refused(exchange(forge()), 401, "unknown_issuer")


def test_a_missing_iss_is_reported_as_a_missing_claim(exchange: Exchange, forge: Forge) -> None:
    first = assert_refused(exchange(forge(iss=...)), 400, "missing_claim", "INTERNAL-TOKEN-1")
    assert first["detail"] == "JWT_LOGIN_VALIDATIONS Missing required claim: iss [missing-claim]"


# --- 6. signature ------------------------------------------------------------------------------


def test_another_keys_signature_is_401_bad_signature(
    exchange: Exchange, forge: Forge, other_rsa_key: rsa.RSAPrivateKey
) -> None:
    assert_refused(exchange(forge(key=other_rsa_key)), 401, "bad_signature")


def test_the_signature_is_checked_before_the_claims(
    exchange: Exchange, forge: Forge, other_rsa_key: rsa.RSAPrivateKey
) -> None:
    response = exchange(forge(key=other_rsa_key, nbf=..., aud="wrong"))
    assert_refused(response, 401, "bad_signature")


# --- 7. required claims ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "claim", [c for c in (*REQUIRED_CLAIMS, "iat", "nbf", "exp") if c != "iss"]
)
def test_each_missing_required_claim_is_400_internal_token_1(
    exchange: Exchange, forge: Forge, claim: str
) -> None:
    first = assert_refused(exchange(forge(**{claim: ...})), 400, "missing_claim")
    assert first["code"] == "INTERNAL-TOKEN-1"
    assert first["title"] == "Invalid token request"
    assert first["detail"] == (
        f"JWT_LOGIN_VALIDATIONS Missing required claim: {claim} [missing-claim]"
    )


def test_every_missing_claim_gets_its_own_error_entry(exchange: Exchange, forge: Forge) -> None:
    response = exchange(forge(jti=..., nbf=...))
    assert response.status_code == 400
    details = [e["detail"] for e in response.json()["errors"]]
    assert details == [
        "JWT_LOGIN_VALIDATIONS Missing required claim: jti [missing-claim]",
        "JWT_LOGIN_VALIDATIONS Missing required claim: nbf [missing-claim]",
    ]


def test_profile_claims_may_be_optional_by_option(
    rsa_key: rsa.RSAPrivateKey, certificate_pem: str
) -> None:
    options = EmulatorOptions(strict_profile_claims=False)
    with provisioned_tenant(rsa_key, certificate_pem, options=options) as (tenant, _):
        now = int(tenant.clock())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "app|min", "jti": "j1"}
        claims |= {"iat": now, "nbf": now, "exp": now + 30}
        answer = post_token(tenant, sign(claims, rsa_key))
        assert answer.status_code == 200, answer.text
        (user,) = tenant.admin.get("/api/v1/users", params={"subject": "app|min"}).json()["data"]
        assert user["name"] == "app|min"


# --- 8. claim values ---------------------------------------------------------------------------


def test_a_wrong_audience_is_400_aud_mismatch(exchange: Exchange, forge: Forge) -> None:
    first = assert_refused(exchange(forge(aud="qlik.api")), 400, "aud_mismatch")
    assert first["code"] == "INTERNAL-TOKEN-1" and "[wrong-audience]" in first["detail"]


def test_an_aud_list_is_refused_when_the_option_is_off(
    rsa_key: rsa.RSAPrivateKey, certificate_pem: str
) -> None:
    options = EmulatorOptions(audience_list=False)
    with provisioned_tenant(rsa_key, certificate_pem, options=options) as (tenant, signer):
        claims = signer.claims_for(UserClaims("app|l", "L", "l@example.com", True))
        claims["aud"] = [AUDIENCE]
        assert_refused(post_token(tenant, sign(claims, rsa_key)), 400, "aud_mismatch")


def test_a_subtype_other_than_user_is_400_subtype_invalid(exchange: Exchange, forge: Forge) -> None:
    assert_refused(exchange(forge(subType="client")), 400, "subtype_invalid")


@pytest.mark.parametrize(
    "changes",
    [
        {"email_verified": "true"},
        {"name": 42},
        {"sub": ""},
        {"groups": "Finance"},
        {"groups": ["Finance", 7]},
        {"jti": 1.5},
    ],
)
def test_wrong_claim_types_are_400_bad_claim_type(
    exchange: Exchange, forge: Forge, changes: dict[str, Any]
) -> None:
    assert_refused(exchange(forge(**changes)), 400, "bad_claim_type", "INTERNAL-TOKEN-1")


def test_a_date_as_text_is_400_bad_claim_type(exchange: Exchange, forge: Forge) -> None:
    assert_refused(exchange(forge(nbf="yesterday")), 400, "bad_claim_type")


# --- 9. time -----------------------------------------------------------------------------------


def test_nbf_in_the_future_is_400_not_yet_valid(
    emulator: RunningEmulator, exchange: Exchange, forge: Forge
) -> None:
    now = int(emulator.clock())
    # 30 s ahead, so a slow machine between minting and posting cannot make it valid
    assert_refused(exchange(forge(nbf=now + 30, iat=now)), 400, "not_yet_valid")


NOW = 1767225600.0


def test_nbf_equal_to_now_is_accepted(rsa_key: rsa.RSAPrivateKey, certificate_pem: str) -> None:
    clock = TestClock(frozen=NOW)
    with provisioned_tenant(rsa_key, certificate_pem, clock=clock) as (tenant, signer):
        claims = signer.claims_for(UserClaims("app|b", "B", "b@example.com", True))
        assert claims["nbf"] == NOW
        assert post_token(tenant, sign(claims, rsa_key)).status_code == 200


def test_exp_is_exclusive(rsa_key: rsa.RSAPrivateKey, certificate_pem: str) -> None:
    clock = TestClock(frozen=NOW)
    with provisioned_tenant(rsa_key, certificate_pem, clock=clock) as (tenant, signer):
        claims = signer.claims_for(UserClaims("app|x", "X", "x@example.com", True))
        clock.advance(claims["exp"] - NOW - 1)
        assert post_token(tenant, sign(claims, rsa_key)).status_code == 200
        claims["jti"] = "another"
        clock.advance(1)  # now == exp
        assert_refused(post_token(tenant, sign(claims, rsa_key)), 400, "expired")


def test_an_expired_token_is_400_expired(
    emulator: RunningEmulator, exchange: Exchange, forge: Forge
) -> None:
    token = forge()
    emulator.clock.advance(61)
    assert_refused(exchange(token), 400, "expired")


def test_a_window_over_3600_seconds_is_400_window_too_long(
    emulator: RunningEmulator, exchange: Exchange, forge: Forge
) -> None:
    now = int(emulator.clock())
    assert_refused(exchange(forge(nbf=now, exp=now + 3601)), 400, "window_too_long")


def test_the_providers_clock_tolerance_covers_a_future_nbf(
    emulator: RunningEmulator,
    signer: TokenSigner,
    certificate_pem: str,
    forge: Forge,
    exchange: Exchange,
) -> None:
    emulator.admin.post(
        "/api/v1/identity-providers",
        json={
            "provider": "external",
            "protocol": "jwtAuth",
            "clockToleranceSec": 5,
            "options": {"issuer": ISSUER, "staticKeys": [{"kid": "k2", "pem": certificate_pem}]},
        },
    ).raise_for_status()
    now = int(emulator.clock())
    late = forge(header={"kid": "k2"}, nbf=now + 4)
    assert exchange(late).status_code == 200
    # Beyond the tolerance by 25 s, so a slow machine between the two reads cannot pass it.
    now = int(emulator.clock())
    assert_refused(exchange(forge(header={"kid": "k2"}, nbf=now + 30)), 400, "not_yet_valid")


def test_a_future_iat_is_accepted_by_default(
    emulator: RunningEmulator, exchange: Exchange, forge: Forge
) -> None:
    assert exchange(forge(iat=int(emulator.clock()) + 600)).status_code == 200


def test_a_future_iat_is_refused_with_the_option(
    rsa_key: rsa.RSAPrivateKey, certificate_pem: str
) -> None:
    options = EmulatorOptions(reject_future_iat=True)
    with provisioned_tenant(rsa_key, certificate_pem, options=options) as (tenant, signer):
        claims = signer.claims_for(UserClaims("app|f", "F", "f@example.com", True))
        claims["iat"] += 600
        assert_refused(post_token(tenant, sign(claims, rsa_key)), 400, "iat_in_future")


def test_time_faults_are_reported_together(
    emulator: RunningEmulator, exchange: Exchange, forge: Forge
) -> None:
    now = int(emulator.clock())
    response = exchange(forge(nbf=now + 100, exp=now + 4000))
    assert response.status_code == 400
    assert reasons(response) == ["not_yet_valid", "window_too_long"]


# --- 10. replay --------------------------------------------------------------------------------


def test_a_reused_jti_is_401_jti_replayed(forge: Forge, exchange: Exchange) -> None:
    token = forge()
    assert exchange(token).status_code == 200
    assert_refused(exchange(token), 401, "jti_replayed")


def test_the_same_jti_from_another_issuer_is_not_a_replay(
    emulator: RunningEmulator, certificate_pem: str, forge: Forge, exchange: Exchange
) -> None:
    emulator.admin.post(
        "/api/v1/identity-providers",
        json={
            "provider": "external",
            "protocol": "jwtAuth",
            "options": {
                "issuer": "second.example.com",
                "staticKeys": [{"kid": KID, "pem": certificate_pem}],
            },
        },
    ).raise_for_status()
    assert exchange(forge(jti="shared")).status_code == 200
    assert (
        exchange(
            forge(jti="shared", iss="second.example.com", sub="app|2", email="b@example.com")
        ).status_code
        == 200
    )


def test_a_refused_login_does_not_burn_the_jti(
    emulator: RunningEmulator, forge: Forge, exchange: Exchange
) -> None:
    # a user with the e-mail exists, so a new subject with it is refused (LOGIN-12)
    assert exchange(forge(sub="app|first", email="same@example.com")).status_code == 200
    token = forge(sub="app|second", email="same@example.com", jti="retry-me")
    assert_refused(exchange(token), 400, "duplicate_email", "LOGIN-12")
    emulator.admin.delete(
        "/api/v1/users/"
        + emulator.admin.get("/api/v1/users", params={"subject": "app|first"}).json()["data"][0][
            "id"
        ]
    ).raise_for_status()
    assert exchange(token).status_code == 200


def test_a_jti_is_forgotten_after_its_retention(
    rsa_key: rsa.RSAPrivateKey, certificate_pem: str
) -> None:
    options = EmulatorOptions(jti_retention_seconds=10)
    with provisioned_tenant(rsa_key, certificate_pem, options=options, lifetime=600) as (
        tenant,
        signer,
    ):
        token = signer.mint(UserClaims("app|r", "R", "r@example.com", True))
        assert post_token(tenant, token).status_code == 200
        assert_refused(post_token(tenant, token), 401, "jti_replayed")
        tenant.clock.advance(11)
        assert post_token(tenant, token).status_code == 200


# --- answers, options --------------------------------------------------------------------------


def test_strict_mode_answers_exactly_like_qlik(
    rsa_key: rsa.RSAPrivateKey, certificate_pem: str
) -> None:
    options = EmulatorOptions(strict=True)
    with provisioned_tenant(rsa_key, certificate_pem, options=options) as (tenant, signer):
        claims = signer.claims_for(UserClaims("app|s", "S", "s@example.com", True))
        del claims["nbf"]
        answer = post_token(tenant, sign(claims, rsa_key))
    assert answer.status_code == 400
    (error,) = answer.json()["errors"]
    assert error == {
        "code": "INTERNAL-TOKEN-1",
        "title": "Invalid token request",
        "detail": "JWT_LOGIN_VALIDATIONS Missing required claim: nbf",
        "status": "400",
    }


def test_statuses_are_options(rsa_key: rsa.RSAPrivateKey, certificate_pem: str) -> None:
    options = EmulatorOptions(claim_fault_status=401, key_fault_status=403)
    with provisioned_tenant(rsa_key, certificate_pem, options=options) as (tenant, signer):
        assert post_token(tenant, "not-a-token").status_code == 403
        claims = signer.claims_for(UserClaims("app|o", "O", "o@example.com", True))
        claims["aud"] = "nope"
        assert post_token(tenant, sign(claims, rsa_key)).status_code == 401


# --- 1. rate limit -----------------------------------------------------------------------------


def test_over_the_tier_2_limit_is_429_with_retry_after(
    rsa_key: rsa.RSAPrivateKey, certificate_pem: str
) -> None:
    options = EmulatorOptions(tier2_per_minute=3)
    # provisioning makes two Tier 2 calls (create provider, patch group settings)
    with (
        provisioned_tenant(rsa_key, certificate_pem, options=options) as (tenant, _),
        tenant.client() as client,
    ):
        assert client.post("/login/jwt-session").status_code == 401
        limited = client.post("/login/jwt-session")
        assert limited.status_code == 429
        assert reasons(limited) == ["rate_limited"]
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert client.get("/api/v1/csrf-token").status_code == 401  # Tier 1 is separate
        tenant.clock.advance(61)
        assert client.post("/login/jwt-session").status_code == 401


def test_the_tier_2_limit_per_address_over_a_scaled_window(
    rsa_key: rsa.RSAPrivateKey, certificate_pem: str
) -> None:
    options = EmulatorOptions(
        tier2_per_minute=3, rate_limit_per_address=True, rate_limit_window_seconds=5
    )
    with (
        provisioned_tenant(rsa_key, certificate_pem, options=options) as (tenant, _),
        tenant.client() as first,  # 127.0.0.1, which also provisioned (2 Tier 2 calls)
        tenant.client(transport=httpx.HTTPTransport(local_address="127.0.0.2")) as second,
    ):
        assert first.post("/login/jwt-session").status_code == 401
        limited = first.post("/login/jwt-session")
        assert limited.status_code == 429 and reasons(limited) == ["rate_limited"]
        assert 1 <= int(limited.headers["retry-after"]) <= 5
        assert "3 requests per 5 s" in limited.json()["errors"][0]["detail"]
        # Another address has its own count.
        assert [second.post("/login/jwt-session").status_code for _ in range(4)] == [401] * 3 + [
            429
        ]
        tenant.clock.advance(5)
        assert first.post("/login/jwt-session").status_code == 401

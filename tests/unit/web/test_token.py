"""``POST /token``: every security rule, in process."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Request
from fastapi.testclient import TestClient

from qlik_jwt import contract, jws
from qlik_jwt.settings import Settings
from qlik_jwt.signer import UserClaims
from qlik_jwt.web.tokens import AUDIT_LOGGER
from tests.support.webapp import (
    ADA,
    EVE,
    GRACE,
    FakeClock,
    make_app,
    page_csrf_token,
    sign_in,
    token_headers,
    web_settings,
)


def signed_in(client: TestClient, user=ADA) -> dict[str, str]:  # type: ignore[no-untyped-def]
    sign_in(client, user.username, user.password)
    return token_headers(client, page_csrf_token(client))


def test_no_session_is_401(client: TestClient) -> None:
    response = client.post("/token", headers=token_headers(client, "x"))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not-signed-in"
    assert response.headers["cache-control"] == "no-store"


def test_token_is_for_the_signed_in_user_and_passes_the_contract(
    client: TestClient, settings: Settings, rsa_key: rsa.RSAPrivateKey, clock: FakeClock
) -> None:
    response = client.post("/token", headers=signed_in(client))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    decoded = jws.decode(body["token"])
    assert jws.verify_signature(decoded, rsa_key.public_key())
    claims = decoded.claims
    assert claims["sub"] == "demo|ada" and claims["name"] == ADA.name
    assert claims["email"] == ADA.email and claims["email_verified"] is True
    assert claims["groups"] == ["Finance"]
    assert body["expiresAt"] == claims["exp"] == claims["nbf"] + settings.token_lifetime
    assert decoded.header["kid"] == "test-kid"
    violations = contract.check(
        decoded.header, claims, now=claims["iat"], issuer=settings.issuer, key_id="test-kid"
    )
    assert violations == []


def test_subject_is_stable_and_jti_unique_across_tokens(client: TestClient) -> None:
    headers = signed_in(client)
    first = jws.decode(client.post("/token", headers=headers).json()["token"]).claims
    second = jws.decode(client.post("/token", headers=headers).json()["token"]).claims
    assert first["sub"] == second["sub"]
    assert first["jti"] != second["jti"]


def test_unverified_email_is_never_claimed_verified(client: TestClient) -> None:
    claims = jws.decode(client.post("/token", headers=signed_in(client, GRACE)).json()["token"])
    assert claims.claims["email_verified"] is False
    assert claims.claims["groups"] == list(GRACE.groups)


def test_cross_origin_post_is_403(client: TestClient) -> None:
    headers = signed_in(client)
    response = client.post("/token", headers={**headers, "Origin": "https://evil.example"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "cross-origin-request"
    assert "evil.example" in response.json()["error"]["message"]


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_sec_fetch_site_other_than_same_origin_is_403(client: TestClient, site: str) -> None:
    headers = signed_in(client)
    del headers["Origin"]
    response = client.post("/token", headers={**headers, "Sec-Fetch-Site": site})
    assert response.status_code == 403


def test_missing_csrf_header_is_403(client: TestClient) -> None:
    headers = signed_in(client)
    del headers["X-CSRF-Token"]
    response = client.post("/token", headers=headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf-token-missing"


def test_wrong_csrf_token_is_403_and_not_echoed(client: TestClient) -> None:
    headers = signed_in(client)
    response = client.post("/token", headers={**headers, "X-CSRF-Token": "forged-value"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf-token-mismatch"
    assert "forged-value" not in response.text


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"not json", "malformed-body"),
        (b'{"sub": "admin"}', "unexpected-body"),
        (b"[]", "unexpected-body"),
        (b"x" * 2000, "body-too-large"),
    ],
)
def test_bad_bodies_are_400(client: TestClient, body: bytes, code: str) -> None:
    response = client.post("/token", headers=signed_in(client), content=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def test_empty_object_body_is_accepted(client: TestClient) -> None:
    assert client.post("/token", headers=signed_in(client), content=b"{}").status_code == 200


def test_invalid_content_length_is_400(client: TestClient) -> None:
    headers = {**signed_in(client), "Content-Length": "abc"}
    assert client.post("/token", headers=headers).status_code == 400


def test_rate_limit_is_per_user_with_retry_after(key_dir: Path) -> None:
    clock = FakeClock()
    app = make_app(web_settings(key_dir, token_rate_limit=2), clock=clock, rate_clock=clock)
    with TestClient(app) as ada_client, TestClient(app) as eve_client:
        ada = signed_in(ada_client)
        assert [ada_client.post("/token", headers=ada).status_code for _ in range(2)] == [200, 200]
        limited = ada_client.post("/token", headers=ada)
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "30"
        assert limited.json()["error"]["code"] == "rate-limited"
        assert eve_client.post("/token", headers=signed_in(eve_client, EVE)).status_code == 200
        clock.advance(30)
        assert ada_client.post("/token", headers=ada).status_code == 200


def test_interactive_mode_mints_nothing(key_dir: Path) -> None:
    settings = web_settings(key_dir, login_mode="interactive", private_key=None, issuer=None)
    with TestClient(make_app(settings)) as client:
        response = client.post("/token", headers=signed_in(client))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "jwt-login-off"


def test_each_mint_writes_one_audit_line_without_the_token(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    headers = signed_in(client)
    with caplog.at_level(logging.INFO, logger=AUDIT_LOGGER):
        token = client.post("/token", headers=headers).json()["token"]
    lines = [r.getMessage() for r in caplog.records if r.name == AUDIT_LOGGER]
    assert len(lines) == 1
    entry = json.loads(lines[0])
    claims = jws.decode(token).claims
    assert entry == {
        "event": "token-minted",
        "time": "2026-01-01T00:00:00Z",  # the app's clock (FakeClock)
        "sub": "demo|ada",
        "groups": ["Finance"],
        "jti": claims["jti"],
        "exp": claims["exp"],
        "via": "token-endpoint",
        "client": "testclient",
    }
    everything = caplog.text
    assert token not in everything and token.split(".")[2] not in everything
    assert headers["X-CSRF-Token"] not in everything
    assert client.cookies["qlik-jwt-session"] not in everything


def test_a_rate_limited_request_writes_one_warning_line(
    key_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    app = make_app(web_settings(key_dir, token_rate_limit=1), clock=clock, rate_clock=clock)
    with TestClient(app) as client, caplog.at_level(logging.INFO, logger=AUDIT_LOGGER):
        headers = signed_in(client)
        assert [client.post("/token", headers=headers).status_code for _ in range(2)] == [200, 429]
    refused = [json.loads(r.getMessage()) for r in caplog.records if r.levelname == "WARNING"]
    assert refused == [
        {
            "event": "token-rate-limited",
            "time": "2026-01-01T00:00:00Z",
            "sub": "demo|ada",
            "via": "token-endpoint",
            "client": "testclient",
        }
    ]


def test_page_hints_a_live_qlik_session_after_a_mint(client: TestClient, clock: FakeClock) -> None:
    headers = signed_in(client)
    assert '"qlikSessionLikely":false' in client.get("/").text
    client.post("/token", headers=headers)
    assert '"qlikSessionLikely":true' in client.get("/").text
    clock.advance(1801)
    assert '"qlikSessionLikely":false' in client.get("/").text


def _custom_app(key_dir: Path, identify) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(make_app(web_settings(key_dir), identify=identify))


def test_custom_identify_hook_decides_the_user(key_dir: Path) -> None:
    def identify(request: Request) -> UserClaims | None:
        if request.headers.get("X-Test-User") != "kim":
            return None
        return UserClaims("crm|77", "Kim", "kim@example.com", True, ("Sales",))

    with _custom_app(key_dir, identify) as client:
        base = {"Origin": "http://testserver", "X-CSRF-Token": "any-nonempty"}
        assert client.post("/token", headers=base).status_code == 401
        refused = client.post(
            "/token", headers={"Origin": "http://testserver", "X-Test-User": "kim"}
        )
        assert refused.status_code == 403  # the custom header is still required
        ok = client.post("/token", headers={**base, "X-Test-User": "kim"})
        assert ok.status_code == 200
        assert jws.decode(ok.json()["token"]).claims["sub"] == "crm|77"
        assert client.get("/sign-in").status_code == 404  # no built-in sign-in with a hook
        assert client.get("/", headers={"X-Test-User": "kim"}).status_code == 200
        assert client.get("/").status_code == 401


def test_async_identify_hook_is_awaited(key_dir: Path) -> None:
    async def identify(request: Request) -> UserClaims | None:
        return UserClaims("crm|1", "Lee", "lee@example.com", False)

    with _custom_app(key_dir, identify) as client:
        headers = {"Origin": "http://testserver", "X-CSRF-Token": "x"}
        response = client.post("/token", headers=headers)
    assert jws.decode(response.json()["token"]).claims["name"] == "Lee"


def test_with_a_hook_a_reload_after_a_mint_probes_the_qlik_session_first(key_dir: Path) -> None:
    """The hint is the browser's, not the built-in session's: with a hook too, the page
    after a mint reuses the Qlik session instead of asking for another token."""

    def identify(request: Request) -> UserClaims | None:
        return UserClaims("crm|1", "Lee", "lee@example.com", False)

    with _custom_app(key_dir, identify) as client:
        assert '"qlikSessionLikely":false' in client.get("/").text
        minted = client.post("/token", headers=token_headers(client, page_csrf_token(client)))
        assert minted.status_code == 200
        assert '"qlikSessionLikely":true' in client.get("/").text


def test_with_a_hook_the_page_sends_a_csrf_header_that_passes(key_dir: Path) -> None:
    """No built-in session, so no session token: the page still inlines a non-empty value,
    or its own token requests would be refused as missing the header."""

    def identify(request: Request) -> UserClaims | None:
        return UserClaims("crm|1", "Lee", "lee@example.com", False)

    with _custom_app(key_dir, identify) as client:
        inlined = page_csrf_token(client)
        response = client.post("/token", headers=token_headers(client, inlined))
    assert inlined
    assert response.status_code == 200

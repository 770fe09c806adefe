"""Sessions: the CSRF token, CSRF enforcement, expiry on the injected clock, logout, users/me."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from qlik_jwt.emulator import EmulatorOptions
from qlik_jwt.signer import TokenSigner, UserClaims
from tests.integration.emulator.helpers import provisioned_tenant, reasons
from tests.support.emulator import RunningEmulator, TestClock

pytestmark = pytest.mark.usefixtures("provisioned")


@pytest.fixture
def session(emulator: RunningEmulator, signer: TokenSigner, ada: UserClaims) -> httpx.Client:
    return emulator.login(signer, ada)


def test_csrf_token_is_204_with_the_token_in_a_header(session: httpx.Client) -> None:
    answer = session.get("/api/v1/csrf-token")
    assert answer.status_code == 204
    assert answer.content == b""
    assert answer.headers["qlik-csrf-token"] == session.cookies["_csrfToken"]


def test_csrf_token_without_a_session_is_401(emulator: RunningEmulator) -> None:
    with emulator.client() as client:
        answer = client.get("/api/v1/csrf-token")
    assert answer.status_code == 401 and reasons(answer) == ["no_session"]


def test_csrf_token_with_a_bearer_is_400_csrf_token_4(emulator: RunningEmulator) -> None:
    answer = emulator.admin.get("/api/v1/csrf-token")
    assert answer.status_code == 400
    (error,) = answer.json()["errors"]
    assert error["code"] == "CSRF-TOKEN-4"
    assert error["title"] == "CSRF token not supported for given authentication type"


def test_a_modifying_cookie_request_without_the_token_is_403_csrf_token_2(
    session: httpx.Client,
) -> None:
    answer = session.post("/logout")
    assert answer.status_code == 403
    (error,) = answer.json()["errors"]
    assert error["code"] == "CSRF-TOKEN-2" and error["meta"]["reason"] == "csrf_missing"
    assert session.get("/api/v1/csrf-token").status_code == 204  # still signed in


def test_a_wrong_csrf_token_is_403(session: httpx.Client) -> None:
    answer = session.post("/logout", headers={"qlik-csrf-token": "x" * 36})
    assert answer.status_code == 403 and reasons(answer) == ["csrf_mismatch"]


def test_a_stale_csrf_token_from_an_earlier_session_is_refused(
    emulator: RunningEmulator, signer: TokenSigner, ada: UserClaims, session: httpx.Client
) -> None:
    stale = emulator.csrf_token(session)
    emulator.login(signer, ada, client=session)
    answer = session.post("/logout", headers={"qlik-csrf-token": stale})
    assert answer.status_code == 403 and reasons(answer) == ["csrf_mismatch"]


def test_logout_with_the_token_ends_the_session(session: httpx.Client) -> None:
    token = RunningEmulator.csrf_token(session)
    sid = session.cookies["eas.sid"]
    answer = session.post("/logout", headers={"qlik-csrf-token": token})
    assert answer.status_code == 204
    assert "eas.sid" not in session.cookies
    assert session.get("/api/v1/csrf-token").status_code == 401
    session.cookies.set("eas.sid", sid)  # the old cookie no longer finds a session
    assert session.get("/api/v1/csrf-token").status_code == 401


def test_get_requests_need_no_csrf_token(emulator: RunningEmulator, session: httpx.Client) -> None:
    answer = session.get("/api/v1/items", params={"resourceType": "app"})
    assert answer.status_code == 200
    assert {item["resourceId"] for item in answer.json()["data"]} == set(emulator.app_ids)


def test_a_tampered_session_cookie_finds_no_session(session: httpx.Client) -> None:
    sid = session.cookies["eas.sid"]
    session.cookies.set("eas.sid", sid[:-1] + ("A" if sid[-1] != "A" else "B"))
    answer = session.get("/api/v1/csrf-token")
    assert answer.status_code == 401 and reasons(answer) == ["bad_cookie_signature"]


def test_a_session_cookie_without_its_signature_finds_no_session(
    emulator: RunningEmulator, session: httpx.Client
) -> None:
    with emulator.client() as bare:
        bare.cookies.set("eas.sid", session.cookies["eas.sid"])
        bare.cookies.set("_csrfToken", session.cookies["_csrfToken"])
        assert bare.get("/api/v1/csrf-token").status_code == 401


# Session limits are counted on a frozen clock: on the real one, a second spent between two
# requests of a loaded machine moved a session 1 s before its limit past it.
FROZEN = 1767225600.0


@pytest.fixture
def frozen_session(
    rsa_key: rsa.RSAPrivateKey, certificate_pem: str, ada: UserClaims
) -> Iterator[tuple[TestClock, httpx.Client]]:
    """Ada's session on a tenant whose clock stands still until advanced."""
    clock = TestClock(frozen=FROZEN)
    with provisioned_tenant(rsa_key, certificate_pem, clock=clock) as (tenant, signer):
        yield clock, tenant.login(signer, ada)


def test_a_session_ends_after_30_minutes_without_requests(
    frozen_session: tuple[TestClock, httpx.Client],
) -> None:
    clock, session = frozen_session
    clock.advance(1799)
    assert session.get("/api/v1/csrf-token").status_code == 204
    clock.advance(1800)
    answer = session.get("/api/v1/csrf-token")
    assert answer.status_code == 401 and reasons(answer) == ["session_expired"]


def test_a_session_ends_after_24_hours_however_busy(
    frozen_session: tuple[TestClock, httpx.Client],
) -> None:
    clock, session = frozen_session
    for _ in range(48):
        clock.advance(1799)
        assert session.get("/api/v1/csrf-token").status_code == 204
    clock.advance(1799)  # 49 x 1799 s > 24 h
    answer = session.get("/api/v1/csrf-token")
    assert answer.status_code == 401 and reasons(answer) == ["session_expired"]


def test_session_limits_are_options(
    rsa_key: rsa.RSAPrivateKey, certificate_pem: str, ada: UserClaims
) -> None:
    options = EmulatorOptions(session_inactivity_seconds=60, session_max_age_seconds=100)
    clock = TestClock(frozen=FROZEN)
    with provisioned_tenant(rsa_key, certificate_pem, options=options, clock=clock) as (
        tenant,
        signer,
    ):
        client = tenant.login(signer, ada)
        clock.advance(59)
        assert client.get("/api/v1/csrf-token").status_code == 204
        clock.advance(41)
        assert client.get("/api/v1/csrf-token").status_code == 401  # max age 100 s


def test_users_me_redirects_to_the_user(emulator: RunningEmulator, session: httpx.Client) -> None:
    answer = session.get("/api/v1/users/me")
    assert answer.status_code == 301
    (user,) = emulator.admin.get("/api/v1/users", params={"subject": "app|ada"}).json()["data"]
    assert answer.headers["location"] == f"/api/v1/users/{user['id']}"
    followed = session.get("/api/v1/users/me", follow_redirects=True)
    assert followed.status_code == 200
    assert followed.json()["subject"] == "app|ada"
    assert followed.json()["tenantId"] == emulator.tenant_id


def test_users_me_answers_directly_with_the_option(
    rsa_key: object, certificate_pem: str, ada: UserClaims
) -> None:
    options = EmulatorOptions(users_me_redirect=False)
    with provisioned_tenant(rsa_key, certificate_pem, options=options) as (tenant, signer):  # type: ignore[arg-type]
        answer = tenant.login(signer, ada).get("/api/v1/users/me")
    assert answer.status_code == 200 and answer.json()["name"] == "Ada Lovelace"


def test_users_me_without_a_session_is_401(emulator: RunningEmulator) -> None:
    with emulator.client() as client:
        assert client.get("/api/v1/users/me").status_code == 401


def test_users_me_with_the_admin_key_is_the_administrator(emulator: RunningEmulator) -> None:
    me = emulator.admin.get("/api/v1/users/me", follow_redirects=True).json()
    assert me["tenantId"] == emulator.tenant_id
    assert me["assignedRoles"][0]["name"] == "TenantAdmin"


def test_a_user_may_read_only_their_own_record(
    emulator: RunningEmulator, session: httpx.Client
) -> None:
    admin_id = emulator.admin.get("/api/v1/users/me", follow_redirects=True).json()["id"]
    assert session.get(f"/api/v1/users/{admin_id}").status_code == 403


def test_a_user_is_not_an_administrator(session: httpx.Client) -> None:
    answer = session.get("/api/v1/identity-providers")
    assert answer.status_code == 403 and reasons(answer) == ["not_admin"]


def test_deleting_a_user_ends_their_sessions(
    emulator: RunningEmulator, session: httpx.Client
) -> None:
    (user,) = emulator.admin.get("/api/v1/users", params={"subject": "app|ada"}).json()["data"]
    emulator.admin.delete(f"/api/v1/users/{user['id']}").raise_for_status()
    assert session.get("/api/v1/csrf-token").status_code == 401

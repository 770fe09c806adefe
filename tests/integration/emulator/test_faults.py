"""Fault injection through ``/_emulator/faults``: forced errors, latency, clock, limits, cookies."""

from __future__ import annotations

import time

import pytest

from qlik_jwt.signer import TokenSigner, UserClaims
from tests.integration.emulator.helpers import ORIGIN, reasons
from tests.support.emulator import Provisioned, RunningEmulator, running_emulator

pytestmark = pytest.mark.usefixtures("provisioned")
FAULTS = "/_emulator/faults"


def test_faults_need_the_admin_key(emulator: RunningEmulator) -> None:
    with emulator.client() as client:
        assert client.get(FAULTS).status_code == 401
        assert client.put(FAULTS, json={"latency_ms": 5}).status_code == 401


def test_faults_default_to_off_and_reset(emulator: RunningEmulator) -> None:
    assert emulator.admin.get(FAULTS).json()["errors"] == []
    emulator.admin.put(FAULTS, json={"latency_ms": 1, "clock_offset": 3}).raise_for_status()
    assert emulator.admin.get(FAULTS).json()["clock_offset"] == 3
    assert emulator.admin.delete(FAULTS).status_code == 204
    assert emulator.admin.get(FAULTS).json()["clock_offset"] == 0


def test_bad_fault_settings_are_400(emulator: RunningEmulator) -> None:
    for body in ({"latency_ms": -1}, {"errors": [{"path": "/x", "status": 200}]}, {"nope": 1}):
        assert emulator.admin.put(FAULTS, json=body).status_code == 400


def test_a_forced_error_answers_count_requests_then_stops(
    emulator: RunningEmulator, signer: TokenSigner, ada: UserClaims
) -> None:
    forced = {"method": "POST", "path": "/login/jwt-session", "status": 503, "count": 2}
    emulator.admin.put(FAULTS, json={"errors": [forced]}).raise_for_status()
    with emulator.client() as client:
        token = {"Authorization": f"Bearer {signer.mint(ada)}"}
        first = client.post("/login/jwt-session", headers=token)
        second = client.post("/login/jwt-session", headers=token)
        assert client.get("/api/v1/csrf-token").status_code == 401  # other endpoints unaffected
        third = client.post("/login/jwt-session", headers=token)
    assert [first.status_code, second.status_code, third.status_code] == [503, 503, 200]
    assert reasons(first) == ["forced_fault"] and first.json()["errors"][0]["code"] == "HTTP-503"
    assert emulator.admin.get(FAULTS).json()["errors"] == []


def test_a_prefix_fault_without_count_lasts_until_cleared(emulator: RunningEmulator) -> None:
    forced = {"path": "/api/v1/csp-origins*", "status": 500, "code": "CSP-BROKEN", "count": None}
    emulator.admin.put(FAULTS, json={"errors": [forced]}).raise_for_status()
    for _ in range(3):
        answer = emulator.admin.get("/api/v1/csp-origins/actions/generate-header")
        assert answer.status_code == 500 and answer.json()["errors"][0]["code"] == "CSP-BROKEN"
    emulator.admin.delete(FAULTS).raise_for_status()
    assert emulator.admin.get("/api/v1/csp-origins").status_code == 200


def test_latency_delays_answers(emulator: RunningEmulator) -> None:
    emulator.admin.put(FAULTS, json={"latency_ms": 150}).raise_for_status()
    started = time.monotonic()
    emulator.admin.get("/api/v1/groups").raise_for_status()
    assert time.monotonic() - started >= 0.15


def test_latency_delays_cors_preflights_too(emulator: RunningEmulator) -> None:
    """A far-away tenant costs a round trip for a preflight as for any request."""
    emulator.admin.put(FAULTS, json={"latency_ms": 150}).raise_for_status()
    preflight = {"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
    with emulator.client() as client:
        started = time.monotonic()
        answer = client.options("/login/jwt-session", headers=preflight)
        elapsed = time.monotonic() - started
    assert answer.status_code == 204 and answer.headers["access-control-allow-origin"] == ORIGIN
    assert elapsed >= 0.15


def test_a_clock_offset_expires_fresh_tokens(
    emulator: RunningEmulator, signer: TokenSigner, ada: UserClaims
) -> None:
    emulator.admin.put(FAULTS, json={"clock_offset": 120}).raise_for_status()
    with emulator.client() as client:
        answer = client.post(
            "/login/jwt-session", headers={"Authorization": f"Bearer {signer.mint(ada)}"}
        )
    assert answer.status_code == 400 and reasons(answer) == ["expired"]


def test_rate_limit_overrides() -> None:
    with running_emulator() as tenant:
        tenant.admin.put(FAULTS, json={"tier1_per_minute": 2}).raise_for_status()
        statuses = [tenant.admin.get("/api/v1/groups").status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        assert tenant.admin.get(FAULTS).status_code == 200  # the controls are never limited


def test_dropped_cross_site_cookies_look_like_a_blocking_browser(
    emulator: RunningEmulator, provisioned: Provisioned, signer: TokenSigner, ada: UserClaims
) -> None:
    emulator.admin.put(FAULTS, json={"drop_cross_site_cookies": True}).raise_for_status()
    wiid = str(provisioned.web_integration_id)
    browser = {"Origin": ORIGIN, "qlik-web-integration-id": wiid}
    with emulator.client() as client:
        login = client.post(
            "/login/jwt-session", headers={**browser, "Authorization": f"Bearer {signer.mint(ada)}"}
        )
        assert login.status_code == 200  # Qlik answers 200; only a follow-up shows the problem
        assert "set-cookie" not in login.headers
        assert client.get("/api/v1/users/me", headers=browser).status_code == 401
    same_site = emulator.login(signer, ada)  # server-to-server callers keep their cookies
    assert same_site.get("/api/v1/csrf-token").status_code == 204
    answer = same_site.get("/api/v1/csrf-token", headers=browser)
    assert answer.status_code == 401 and reasons(answer) == ["cross_site_cookies_dropped"]

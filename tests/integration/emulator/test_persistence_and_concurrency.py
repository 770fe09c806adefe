"""State survives a restart on the same file; parallel logins lose no user and replay no jti."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from qlik_jwt.signer import TokenSigner, UserClaims
from tests.integration.emulator.helpers import ISSUER, KID
from tests.support.emulator import TestClock, running_emulator


def without_links(users: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in user.items() if k != "links"} for user in users]


def test_state_and_sessions_survive_a_restart(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey, certificate_pem: str
) -> None:
    db = str(tmp_path / "tenant.sqlite3")
    clock = TestClock()
    signer = TokenSigner(rsa_key, KID, ISSUER, clock=clock)
    ada = UserClaims("app|ada", "Ada", "ada@example.com", True, ("Finance",))
    with running_emulator(db=db, clock=clock) as first:
        provisioned = first.provision(signer, certificate_pem, origins=["http://localhost:8001"])
        token = signer.mint(ada)
        session = first.login(signer, ada)
        session.post("/login/jwt-session", headers={"Authorization": f"Bearer {token}"})
        cookies = dict(session.cookies)
        before = {
            "tenant": first.tenant_id,
            "space": first.space_id,
            "users": without_links(first.admin.get("/api/v1/users").json()["data"]),
        }
        first.close(wait=True)
    assert stat.S_IMODE(Path(db).stat().st_mode) == 0o600

    with running_emulator(db=db, clock=clock) as second:
        assert second.tenant_id == before["tenant"]
        assert second.space_id == before["space"]
        assert without_links(second.admin.get("/api/v1/users").json()["data"]) == before["users"]
        idp = second.admin.get(f"/api/v1/identity-providers/{provisioned.identity_provider_id}")
        assert idp.status_code == 200
        wi = second.admin.get(f"/api/v1/web-integrations/{provisioned.web_integration_id}")
        assert wi.json()["validOrigins"] == ["http://localhost:8001"]
        assert [
            i["resourceId"] for i in second.admin.get("/api/v1/items").json()["data"]
        ] == second.app_ids
        with second.client(cookies=cookies) as resumed:
            assert resumed.get("/api/v1/csrf-token").status_code == 204  # the session lives on
            replay = resumed.post(
                "/login/jwt-session", headers={"Authorization": f"Bearer {token}"}
            )
            assert replay.status_code == 401  # and the jti stays used
        second.close(wait=True)


def test_parallel_logins_lose_no_user(rsa_key: rsa.RSAPrivateKey, certificate_pem: str) -> None:
    with running_emulator() as tenant:
        signer = TokenSigner(rsa_key, KID, ISSUER, clock=tenant.clock)
        tenant.provision(signer, certificate_pem)
        tokens = [
            signer.mint(
                UserClaims(f"app|{n}", f"User {n}", f"u{n}@example.com", True, ("Finance",))
            )
            for n in range(40)
        ]

        def login(token: str) -> int:
            with httpx.Client(base_url=tenant.url) as client:
                return client.post(
                    "/login/jwt-session", headers={"Authorization": f"Bearer {token}"}
                ).status_code

        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = list(pool.map(login, tokens))
        assert statuses == [200] * 40
        users = tenant.admin.get("/api/v1/users", params={"limit": 100}).json()["data"]
        subjects = {u["subject"] for u in users}
        assert {f"app|{n}" for n in range(40)} <= subjects
        assert all(
            [g["name"] for g in u["assignedGroups"]] == ["Finance"]
            for u in users
            if u["subject"].startswith("app|")
        )


def test_one_jti_sent_in_parallel_is_accepted_once(
    rsa_key: rsa.RSAPrivateKey, certificate_pem: str
) -> None:
    with running_emulator() as tenant:
        signer = TokenSigner(rsa_key, KID, ISSUER, clock=tenant.clock)
        tenant.provision(signer, certificate_pem, groups=())
        token = signer.mint(UserClaims("app|same", "Same", "same@example.com", True))

        def login(_: int) -> int:
            with httpx.Client(base_url=tenant.url) as client:
                return client.post(
                    "/login/jwt-session", headers={"Authorization": f"Bearer {token}"}
                ).status_code

        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = sorted(pool.map(login, range(32)))
        assert statuses == [200] + [401] * 31
        assert tenant.tenant.sessions.count() == 1

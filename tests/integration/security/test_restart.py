"""The emulator killed (SIGKILL, as in a crash) in the middle of a stream of logins, then
started again on the same file and port: no user, identity provider or session it confirmed
is lost, and the stream carries on once it is back.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from qlik_jwt.signer import TokenSigner, UserClaims
from tests.support.emulator import emulator_command, register_identity_provider
from tests.support.forge import ISSUER, KID
from tests.support.servers import ServerProcess, free_port

ADMIN_KEY = "restart-test-admin-key-0123456789abcdef"
BEFORE, AFTER = 40, 40  # logins confirmed before the crash, and after the restart


class LoginStream:
    """Logs in users ``restart|0``, ``restart|1``, ... one after the other, in a thread.

    A login is *confirmed* when it answers 200, or when, retried after the connection broke,
    it answers ``jti_replayed`` (the tenant had committed it before dying).
    """

    def __init__(self, url: str, signer: TokenSigner) -> None:
        self.url = url
        self.signer = signer
        self.confirmed: list[str] = []
        self.broken = 0  # requests that got no answer while the tenant was down
        self.first_after_outage: float | None = None
        self.outage_started: float | None = None
        self.refusals: list[str] = []
        self.stop = threading.Event()
        self.sessions: dict[str, dict[str, str]] = {}
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        number = 0
        while not self.stop.is_set():
            sub = f"restart|{number}"
            token = self.signer.mint(UserClaims(sub, sub, f"u{number}@example.com", True))
            retried = False
            while not self.stop.is_set():
                try:
                    with httpx.Client(base_url=self.url, timeout=5) as client:
                        answer = client.post(
                            "/login/jwt-session", headers={"Authorization": f"Bearer {token}"}
                        )
                        cookies = dict(client.cookies)
                except httpx.TransportError:
                    self.broken += 1
                    retried = True
                    time.sleep(0.05)
                    continue
                if retried and self.first_after_outage is None and self.outage_started:
                    self.first_after_outage = time.monotonic() - self.outage_started
                replayed = "jti_replayed" in answer.text
                if answer.status_code == 200 or (retried and replayed):
                    self.confirmed.append(sub)
                    self.sessions[sub] = cookies
                else:
                    self.refusals.append(f"{sub}: {answer.status_code} {answer.text[:200]}")
                break
            number += 1

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.confirmed) < count:
            assert time.monotonic() < deadline, f"only {len(self.confirmed)} logins confirmed"
            assert not self.refusals, self.refusals
            time.sleep(0.02)


def test_a_crash_mid_stream_loses_no_confirmed_user_provider_or_session(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = emulator_command(
        port, tmp_path / "tenant.sqlite3", ADMIN_KEY, "--tier2-limit", "1000000"
    )
    stream = LoginStream(url, TokenSigner(rsa_key, KID, ISSUER))
    first = ServerProcess(args, f"{url}/openapi.json").start()
    try:
        register_identity_provider(url, ADMIN_KEY, rsa_key, issuer=ISSUER, kid=KID)
        stream.thread.start()
        stream.wait_for(BEFORE)
        stream.outage_started = time.monotonic()
        first.kill()
    finally:
        first.stop()
    with ServerProcess(args, f"{url}/openapi.json"):
        stream.wait_for(len(stream.confirmed) + AFTER)
        stream.stop.set()
        stream.thread.join(10)
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as admin:
            subjects = set()
            page: str | None = "/api/v1/users?limit=100"
            while page:
                listed = admin.get(page).raise_for_status().json()
                subjects |= {user["subject"] for user in listed["data"]}
                page = listed["links"].get("next", {}).get("href")
            providers = admin.get("/api/v1/identity-providers").json()["data"]
        assert set(stream.confirmed) <= subjects
        assert [
            (p["options"]["issuer"], p["options"]["staticKeys"][0]["kid"]) for p in providers
        ] == [(ISSUER, KID)]
        earliest = stream.confirmed[0]
        with httpx.Client(base_url=url, cookies=stream.sessions[earliest]) as resumed:
            assert resumed.get("/api/v1/csrf-token").status_code == 204  # its session lives on
    assert not stream.refusals, stream.refusals
    print(
        f"\nrestart: {len(stream.confirmed)} logins confirmed, {stream.broken} requests without "
        f"an answer during the outage, first login {stream.first_after_outage:.2f} s after the kill"
    )

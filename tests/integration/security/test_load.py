"""Sustained load on the two services, each a real subprocess on loopback, bounded in time
and count: zero errors, and no memory growth beyond a generous bound.

Each run warms the server up first (imports, caches, SQLite pages), reads its resident
memory, runs the measured load for :data:`SECONDS`, and reads it again. The figures are
printed (``pytest -s``) and quoted in the README's security section.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from qlik_jwt import jws, keys
from qlik_jwt.signer import TokenSigner, UserClaims
from tests.support.emulator import emulator_command, register_identity_provider
from tests.support.forge import ISSUER, KID
from tests.support.load import rss_mib, sustain
from tests.support.servers import ServerProcess, free_port, qlik_jwt_command
from tests.support.webapp import ADA, page_csrf_token, serve_environment, sign_in, token_headers

CLIENTS = 4
SECONDS = 4.0
WARM_UP = 150
MIN_REQUESTS = 200  # a run too short to mean anything is extended to this many
MAX_GROWTH_MIB = 8.0


def measure(
    server: ServerProcess, call: object, make_client: object, what: str
) -> tuple[int, float]:
    """Warm up, then run the measured load; return (requests, growth in MiB)."""
    assert server.proc is not None
    sustain(call, make_client=make_client, clients=CLIENTS, seconds=0, min_requests=WARM_UP)  # type: ignore[arg-type]
    before = rss_mib(server.proc.pid)
    result = sustain(
        call,  # type: ignore[arg-type]
        make_client=make_client,  # type: ignore[arg-type]
        clients=CLIENTS,
        seconds=SECONDS,
        min_requests=MIN_REQUESTS,
    )
    after = rss_mib(server.proc.pid)
    print(f"\n{result.summary(what)}; RSS {before:.1f} -> {after:.1f} MiB")
    assert result.errors == 0, (result.statuses, result.failures)
    assert after - before <= MAX_GROWTH_MIB
    return result.requests, after - before


def test_sustained_token_minting(tmp_path: Path, key_dir: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = serve_environment(key_dir, port, tmp_path / "web.sqlite3", token_rate_limit="100000")
    args = qlik_jwt_command("serve", "--demo-users", "--env-file", str(tmp_path / "none.env"))
    public_key = keys.load_private_key(key_dir / "private.pem").public_key()

    def signed_in_client() -> httpx.Client:
        client = httpx.Client(base_url=url, timeout=30)
        assert sign_in(client, ADA.username, ADA.password).status_code == 303
        client.headers.update(token_headers(client, page_csrf_token(client)))
        return client

    def mint(client: httpx.Client) -> httpx.Response:
        return client.post("/token")

    with ServerProcess(args, f"{url}/healthz", env=env) as server:
        requests, _ = measure(server, mint, signed_in_client, "POST /token")
        client = signed_in_client()
        last = client.post("/token").json()["token"]
        client.close()
        assert jws.verify_signature(jws.decode(last), public_key)
    audit = [
        json.loads(line.split(" audit ", 1)[1])
        for line in server.output.splitlines()
        if " audit " in line
    ]
    assert len(audit) >= WARM_UP + requests + 1  # one line per token, none lost under load
    assert {entry["event"] for entry in audit} == {"token-minted"}
    assert {entry["client"] for entry in audit} == {"127.0.0.1"}


def test_sustained_jwt_session_logins(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    admin_key = "load-test-admin-key-0123456789abcdef"
    args = emulator_command(
        port,
        tmp_path / "tenant.sqlite3",
        admin_key,
        "--tier1-limit",
        "1000000",
        "--tier2-limit",
        "1000000",
    )
    signer = TokenSigner(rsa_key, KID, ISSUER)
    subjects = itertools.cycle([f"load|{n}" for n in range(50)])

    def login(client: httpx.Client) -> httpx.Response:
        sub = next(subjects)
        token = signer.mint(UserClaims(sub, sub, f"{sub[5:]}@example.com", True, ("Finance",)))
        client.cookies.clear()
        return client.post("/login/jwt-session", headers={"Authorization": f"Bearer {token}"})

    with ServerProcess(args, f"{url}/openapi.json") as server:
        register_identity_provider(url, admin_key, rsa_key, issuer=ISSUER, kid=KID)
        measure(server, login, lambda: httpx.Client(base_url=url, timeout=30), "jwt-session")
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {admin_key}"}) as admin:
            users = admin.get("/api/v1/users", params={"limit": 100}).json()["data"]
        assert {f"load|{n}" for n in range(50)} <= {user["subject"] for user in users}


def test_sustained_proxied_calls(tmp_path: Path, key_dir: Path) -> None:
    """Proxy mode: every call goes through the app's Qlik session to a real tenant."""
    tenant_port, web_port = free_port(), free_port()
    tenant_url, url = f"http://127.0.0.1:{tenant_port}", f"http://127.0.0.1:{web_port}"
    admin_key = "proxy-load-admin-key-0123456789abcdef"
    unlimited = ("--tier1-limit", "1000000", "--tier2-limit", "1000000")
    tenant_args = emulator_command(tenant_port, tmp_path / "tenant.sqlite3", admin_key, *unlimited)
    env = serve_environment(
        key_dir,
        web_port,
        tmp_path / "web.sqlite3",
        tenant_url=tenant_url,
        issuer=ISSUER,
        key_id=KID,
        web_mode="proxy",
        proxy_session_store=f"sqlite:///{tmp_path / 'proxy-sessions.sqlite3'}",
    )
    web_args = qlik_jwt_command("serve", "--demo-users", "--env-file", str(tmp_path / "none.env"))

    def signed_in_client() -> httpx.Client:
        client = httpx.Client(base_url=url, timeout=30)
        assert sign_in(client, ADA.username, ADA.password).status_code == 303
        assert client.get("/").status_code == 200  # the page gives the proxy cookie
        return client

    def proxied(client: httpx.Client) -> httpx.Response:
        return client.get("/api/v1/csrf-token")

    with ServerProcess(tenant_args, f"{tenant_url}/openapi.json"):
        key = keys.load_private_key(key_dir / "private.pem")
        register_identity_provider(tenant_url, admin_key, key, issuer=ISSUER, kid=KID)
        with ServerProcess(web_args, f"{url}/healthz", env=env) as web:
            measure(web, proxied, signed_in_client, "proxied GET /api/v1/csrf-token")
    logins = [line for line in web.output.splitlines() if '"via": "proxy"' in line]
    # one Qlik login per browser (the warm-up's and the measured run's), then its session reused
    assert len(logins) == 2 * CLIENTS

"""``POST /token`` of our web app against an Express endpoint in the Node boilerplate's style.

Real processes on loopback, one run, interleaved rounds:
- ``/token``, 1 and 2 uvicorn workers: the real web app (``create_app``) over a shared SQLite
  user/session file; each request carries a signed-in session cookie, passes the same-origin
  and CSRF checks and the per-user rate limit (on, set high enough never to trigger);
- the boilerplate style (``bench/node/boilerplate_style.js``): Express, ``jsonwebtoken.sign``
  given the PEM string per call (Node packages from ``make node-deps``).

Both sign RS256 with the same 2048-bit key, and one answer of each is checked against the
contract and the public key before the load. Load: ``wrk`` (one thread, ``--connections``
keep-alive connections, fixed duration; ``make bench-deps`` installs it), which reports
requests/s and latency percentiles. Any non-2xx answer or socket error fails the run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send
from tests.support.servers import ServerProcess, free_port

from bench.loadgen import Load, Target, median_load, missing_tools, run_wrk, spread, wrk_script
from bench.machine import REPO, print_node_peer_facts
from qlik_jwt import keys
from qlik_jwt.inspection import inspect_token
from qlik_jwt.settings import Settings
from qlik_jwt.signer import TokenSigner, UserClaims
from qlik_jwt.web import UserStore, create_app
from qlik_jwt.web.database import Database
from qlik_jwt.web.sessions import SessionStore
from qlik_jwt.web.signin import BASE_NAME

__all__ = ["bare_app", "main", "web_app"]

KEY_BITS = 2048
ISSUER = "bench.qlik-jwt.local"
KEY_ID = "bench-kid"
RATE_LIMIT = 100_000  # tokens per user per minute: on, never reached at these rates
TARGET_VS_NODE = 3.0
TARGET_TWO_WORKERS = 1.6
NODE_SCRIPT = REPO / "bench" / "node" / "boilerplate_style.js"
NODE, ONE, TWO, TWO_SHARED, BARE = (
    "boilerplate style (Express, 1 process)",
    "our /token, 1 worker",
    "our /token, 2 workers (a socket each, SO_REUSEPORT)",
    "our /token, uvicorn --workers 2 (one shared socket)",
    "ceiling: bare ASGI + TokenSigner.mint, 1 worker",
)


def web_app() -> FastAPI:
    """The web app as each uvicorn worker builds it (``--factory``), from ``QLIK_*``."""
    settings = Settings.load(env_file=None)
    return create_app(settings, user_store=UserStore(Database(settings.users_db)))


def bare_app() -> ASGIApp:
    """The ceiling (``--factory``): a bare ASGI app answering every request with a token
    from a preloaded key (``TokenSigner.mint``): no routing, session, checks or middleware."""
    signer = TokenSigner(os.environ["QLIK_PRIVATE_KEY"], KEY_ID, ISSUER)
    user = UserClaims("bench|1", "Bench User", "bench@example.com", True, ("Finance",))
    headers = [(b"content-type", b"application/json"), (b"cache-control", b"no-store")]

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = json.dumps({"token": signer.mint(user)}).encode()
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def _wait_for_listeners(port: int, count: int, timeout: float = 20) -> None:
    """Wait until ``count`` sockets listen on ``port`` (``/proc/net/tcp``, state 0A)."""
    deadline = time.monotonic() + timeout
    suffix = f":{port:04X}"
    while time.monotonic() < deadline:
        rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
        fields = [row.split() for row in rows]
        if sum(1 for f in fields if f[1].endswith(suffix) and f[3] == "0A") >= count:
            return
        time.sleep(0.05)
    raise RuntimeError(f"{count} workers did not all listen on port {port}")


def _check_token(token: str, public_key: RSAPublicKey, who: str) -> None:
    report = inspect_token(token, now=time.time(), public_key=public_key, issuer=ISSUER)
    if not report.valid:
        codes = [v.code for v in report.violations]
        raise RuntimeError(f"{who} minted a token Qlik would refuse: {codes}")


class Endpoints:
    """Starts the three endpoints on free ports over one key and one signed-in session."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        key = keys.generate_private_key(KEY_BITS)
        self.public_key = key.public_key()
        self.key_file = workdir / "private.pem"
        self.key_file.write_bytes(keys.private_key_pem(key))
        self.key_file.chmod(0o600)
        self.db = workdir / "web.sqlite3"
        database = Database(self.db)
        user = UserStore(database).add(
            "bench", "bench-password", name="Bench User", email="bench@example.com",
            email_verified=True, groups=("Finance",),
        )  # fmt: skip
        self.session = SessionStore(database, lifetime=86_400).create(user.id)
        database.close()
        self.targets: list[Target] = []

    def start_node(self) -> Target:
        port = free_port()
        server = ServerProcess(
            ["node", str(NODE_SCRIPT), str(port), str(self.key_file), KEY_ID, ISSUER],
            f"http://127.0.0.1:{port}/",
            cwd=REPO,
        ).start()
        url = f"http://127.0.0.1:{port}/token"
        token = httpx.get(url).raise_for_status().json()["token"]
        _check_token(token, self.public_key, "the boilerplate-style endpoint")
        script = wrk_script(self.workdir / "node.lua", "GET", {})
        return self._add(Target(NODE, url, script, (server,)))

    def _env(self) -> dict[str, str]:
        return {
            "QLIK_TENANT_URL": "https://tenant.example.com",
            "QLIK_WEB_INTEGRATION_ID": "bench-web-integration",
            "QLIK_APP_ID": "bench-app",
            "QLIK_ISSUER": ISSUER,
            "QLIK_KEY_ID": KEY_ID,
            "QLIK_PRIVATE_KEY": str(self.key_file),
            "QLIK_USERS_DB": str(self.db),
            "QLIK_TOKEN_RATE_LIMIT": str(RATE_LIMIT),
        }

    def _uvicorn(
        self, factory: str, workers: int, *, own_sockets: bool = False
    ) -> tuple[str, tuple[ServerProcess, ...]]:
        """``bench.token_endpoint:<factory>`` served by ``uvicorn --workers N``, or by N
        processes with a socket each (:mod:`bench.reuseport_worker`), started."""
        port = free_port()
        origin = f"http://127.0.0.1:{port}"
        app = f"bench.token_endpoint:{factory}"
        if own_sockets:
            commands = [
                [sys.executable, "-m", "bench.reuseport_worker", "127.0.0.1", str(port), app]
            ] * workers
        else:
            commands = [
                [
                    sys.executable, "-m", "uvicorn", app, "--factory", "--host", "127.0.0.1",
                    "--port", str(port), "--workers", str(workers), "--no-access-log",
                    "--log-level", "warning",
                ]
            ]  # fmt: skip
        servers = []
        for command in commands:
            server = ServerProcess(command, f"{origin}/healthz", env=self._env(), cwd=REPO)
            servers.append(server.start())
            if own_sockets:
                _wait_for_listeners(port, len(servers))
        return origin, tuple(servers)

    def start_web(self, workers: int, *, own_sockets: bool = False) -> Target:
        origin, servers = self._uvicorn("web_app", workers, own_sockets=own_sockets)
        headers = {
            "Origin": origin,
            "Sec-Fetch-Site": "same-origin",
            "X-CSRF-Token": self.session.csrf_token,
            "Cookie": f"{BASE_NAME}={self.session.id}",
        }
        answer = httpx.post(f"{origin}/token", headers=headers).raise_for_status()
        _check_token(answer.json()["token"], self.public_key, "/token")
        script = wrk_script(self.workdir / f"web{workers}{own_sockets}.lua", "POST", headers)
        name = ONE if workers == 1 else TWO if own_sockets else TWO_SHARED
        return self._add(Target(name, f"{origin}/token", script, servers))

    def start_bare(self) -> Target:
        origin, servers = self._uvicorn("bare_app", 1)
        answer = httpx.post(f"{origin}/token").raise_for_status()
        _check_token(answer.json()["token"], self.public_key, "the bare ASGI endpoint")
        script = wrk_script(self.workdir / "bare.lua", "POST", {})
        return self._add(Target(BARE, f"{origin}/token", script, servers))

    def start_all(self) -> list[Target]:
        """The boilerplate style, /token with 1 and 2 workers (two ways), the bare ceiling."""
        return [
            self.start_node(),
            self.start_web(1),
            self.start_web(2, own_sockets=True),
            self.start_web(2),
            self.start_bare(),
        ]

    def _add(self, target: Target) -> Target:
        self.targets.append(target)
        return target

    def stop(self) -> None:
        for target in self.targets:
            target.stop()


def measure(seconds: float, rounds: int, connections: int) -> dict[str, list[Load]]:
    """Interleaved rounds over the five endpoints, after a one-second warm-up of each."""
    with tempfile.TemporaryDirectory(prefix="qlik-jwt-bench-") as tmp:
        endpoints = Endpoints(Path(tmp))
        try:
            targets = endpoints.start_all()
            for target in targets:  # warm up: connections, imports, first-call caches
                run_wrk(target, 1, connections)
            samples: dict[str, list[Load]] = {t.name: [] for t in targets}
            for _ in range(rounds):
                for target in targets:
                    samples[target.name].append(run_wrk(target, seconds, connections))
        finally:
            endpoints.stop()
    return samples


def report(samples: dict[str, list[Load]], heading: str) -> bool:
    """Print the table and the targets; True when both are met."""
    loads = {name: median_load(rounds) for name, rounds in samples.items()}
    # Ratios within each round (the endpoints measured side by side), then their median.
    vs_node = [o.rate / n.rate for o, n in zip(samples[ONE], samples[NODE], strict=True)]
    scaling = [t.rate / o.rate for t, o in zip(samples[TWO], samples[ONE], strict=True)]
    ratios = {
        NODE: "1.00 (baseline)",
        ONE: f"{loads[ONE].rate / loads[NODE].rate:.2f} x boilerplate",
        TWO: f"{loads[TWO].rate / loads[NODE].rate:.2f} x boilerplate, "
        f"{loads[TWO].rate / loads[ONE].rate:.2f} x 1 worker",
        TWO_SHARED: f"{loads[TWO_SHARED].rate / loads[ONE].rate:.2f} x 1 worker",
        BARE: f"{loads[BARE].rate / loads[NODE].rate:.2f} x boilerplate",
    }
    print(heading)
    print(
        "| endpoint | requests/s | spread | p50 ms | p99 ms | CPU cores used (wrk's) "
        "| requests per CPU-second | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, rounds in samples.items():
        load = loads[name]
        per_cpu = statistics.median(x.per_cpu_second for x in rounds)
        print(
            f"| {name} | {load.rate:,.0f} | {spread([x.rate for x in rounds])} "
            f"| {load.p50_ms:.1f} | {load.p99_ms:.1f} | {load.cores:.2f} "
            f"({load.client_cores:.2f}) | {per_cpu:,.0f} "
            f"| {ratios[name]} |"
        )
    met_node = statistics.median(vs_node) >= TARGET_VS_NODE
    met_two = statistics.median(scaling) >= TARGET_TWO_WORKERS
    print(
        f"target: /token >= {TARGET_VS_NODE} x boilerplate, one worker each: "
        f"{'met' if met_node else 'MISSED'} (per round {_series(vs_node)}); "
        f"2 workers >= {TARGET_TWO_WORKERS} x 1 worker: "
        f"{'met' if met_two else 'MISSED'} (per round {_series(scaling)})"
    )
    return met_node and met_two


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="per endpoint and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args(argv)
    missing = missing_tools("wrk", "node")
    if missing:
        print(f"token_endpoint: {', '.join(missing)} not found: run `make bench-deps`")
        return False
    samples = measure(args.seconds, args.rounds, args.connections)
    met = report(
        samples,
        f"## token_endpoint  (RSA-{KEY_BITS}, wrk 1 thread, c={args.connections}, "
        f"{args.seconds:.0f} s per endpoint, median of {args.rounds} interleaved rounds)",
    )
    print_node_peer_facts("express", "jsonwebtoken")
    return met


def _series(ratios: list[float]) -> str:
    return ", ".join(f"{r:.2f}" for r in ratios)


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)

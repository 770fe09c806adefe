"""Proxy mode against a plain Node reverse proxy, with direct access to the tenant as the floor.

Real processes on loopback, one run, rounds interleaved:
- the tenant: ``qlik-jwt emulator`` (state in an SQLite file, its rate limits raised out of
  the way), provisioned over its REST API: a JWT identity provider, the group ``Finance``
  granted the sample app;
- our proxy: the web app in proxy mode (``create_app``, one uvicorn worker with the splice
  protocol, as ``qlik-jwt serve`` runs it; ``--relayed``: uvicorn's own, so the engine
  websocket is relayed by message), a signed-in user whose browser cookie it knows; its
  first call logs in to the tenant;
- the Node peer (``bench/node/reverse_proxy.js``): Express + http-proxy-middleware with
  ``ws: true`` and a keep-alive agent, the approach of Qlik's JWT proxy quickstart, given the
  very Qlik session (cookies and CSRF token) our proxy holds, read from its session store;
- direct: the same session's cookies sent straight to the tenant.

Measured for each (CPU of the proxy's process, so per proxy CPU-second whatever else the
machine did): REST ``GET /api/v1/users/me`` under wrk (c=16); engine websocket round trips
(``EngineVersion``) on 50 and 200 sockets, and on one socket for the added latency; the CPU
per ~300 KB hypercube page (the client offering permessage-deflate, as browsers do); the
memory per idle engine websocket (the RSS a second batch of idle sockets adds), and 5,000
idle sockets held by our one worker. The websocket load is ``bench/node/engine_load.js`` (the ``ws``
client). Any refusal, error or unexpected answer fails the run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from tests.support.servers import ServerProcess, free_port

from bench.loadgen import Load, Target, median_load, missing_tools, run_wrk, wrk_script
from bench.machine import REPO, cpu_seconds, print_node_peer_facts
from bench.profile import profile
from qlik_jwt import keys
from qlik_jwt.admin import (
    TenantClient,
    app_space_id,
    enable_auto_create_groups,
    ensure_identity_provider,
    grant_group_to_space,
)
from qlik_jwt.settings import Settings
from qlik_jwt.signer import TokenSigner
from qlik_jwt.web import UserStore, create_app
from qlik_jwt.web.database import Database
from qlik_jwt.web.proxy.context import COOKIE_BASE_NAME
from qlik_jwt.web.proxy.cookie_jar import QlikCookieJar
from qlik_jwt.web.proxy.sqlite_store import SqliteSessionStore
from qlik_jwt.web.proxy.store import store_key
from qlik_jwt.web.proxy.uvicorn_splice import IMPORT_STRING as SPLICE_PROTOCOL
from qlik_jwt.web.sessions import SessionStore
from qlik_jwt.web.signin import BASE_NAME

__all__ = ["main", "web_app"]

ISSUER = "bench.qlik-jwt.local"
KEY_ID = "bench-kid"
NO_LIMIT = 1_000_000_000
REST_PATH = "/api/v1/users/me"
NODE_PROXY = REPO / "bench" / "node" / "reverse_proxy.js"
ENGINE_LOAD = REPO / "bench" / "node" / "engine_load.js"
DIRECT, OURS, NODE = "direct to the tenant", "qlik-jwt proxy", "Node proxy"
IDLE_LIMIT_MIB = 1024
# A refusal fails the run; its status and body say why.
SHOW_REFUSALS = """
response = function(status, headers, body)
  if status > 399 then io.write("refused: ", status, " ", string.sub(body, 1, 400), "\\n") end
end
"""
# Targets of issue 14.
TARGET_REST_VS_NODE = 1.0
TARGET_REST_ADDED_MS = 1.0
TARGET_WS_VS_NODE = 1.0
TARGET_WS_ADDED_US = 100.0
TARGET_IDLE_KB = 80.0
PROFILE_TOP = 10


def web_app() -> FastAPI:
    """The web app in proxy mode as the uvicorn worker builds it (``--factory``)."""
    settings = Settings.load(env_file=None)
    return create_app(settings, user_store=UserStore(Database(settings.users_db)))


def rss_kib(pid: int) -> int:
    """Resident memory of ``pid`` in KiB (``/proc/<pid>/status``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


@dataclass
class Peer:
    """One way to the tenant: its base URLs, the headers a browser sends, its process."""

    name: str
    http_url: str
    headers: dict[str, str]
    server: ServerProcess | None = None
    wrk: Target | None = None

    @property
    def ws_url(self) -> str:
        return "ws" + self.http_url.removeprefix("http")

    @property
    def pid(self) -> int | None:
        return self.server.proc.pid if self.server and self.server.proc else None

    def cpu(self) -> float:
        return cpu_seconds(self.pid) if self.pid is not None else 0.0


@dataclass
class Samples:
    """Every round's figures of one peer."""

    rest: list[Load] = field(default_factory=list)
    rounds: dict[int, list[dict[str, float]]] = field(default_factory=dict)
    latency: list[dict[str, float]] = field(default_factory=list)
    cube_ms: list[float] = field(default_factory=list)
    cube_bytes: int = 0
    idle_kb: float = 0.0


class EngineLoad:
    """``engine_load.js`` as a child process: opens its sockets, then runs on ``go``."""

    def __init__(self, peer: Peer, app_id: str, mode: str, *args: str) -> None:
        url = f"{peer.ws_url}/app/{app_id}"
        self.proc = subprocess.Popen(
            ["node", str(ENGINE_LOAD), mode, url, json.dumps(peer.headers), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        self.peer = peer
        self._expect("ready")

    def _line(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            assert self.proc.stderr is not None
            self.proc.wait(10)
            problem = self.proc.stderr.read()
            raise RuntimeError(f"engine load via {self.peer.name} failed: {problem}")
        return line.strip()

    def _expect(self, text: str) -> None:
        line = self._line()
        if line != text:
            raise RuntimeError(f"engine load via {self.peer.name}: {line!r}, not {text!r}")

    def run(self) -> tuple[dict[str, Any], float]:
        """Start the load; its result and the proxy CPU seconds it cost."""
        assert self.proc.stdin is not None
        before = self.peer.cpu()
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        result: dict[str, Any] = json.loads(self._line())
        return result, self.peer.cpu() - before

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


@contextmanager
def engine_load(peer: Peer, app_id: str, mode: str, *args: str) -> Iterator[EngineLoad]:
    load = EngineLoad(peer, app_id, mode, *args)
    try:
        yield load
    finally:
        load.close()


class Bench:
    """The tenant, our proxy and the Node proxy, over one Qlik session."""

    def __init__(self, workdir: Path, *, relayed: bool = False) -> None:
        self.workdir = workdir
        self.relayed = relayed  # our engine websocket relayed by message, not spliced
        self.servers: list[ServerProcess] = []
        key = keys.generate_private_key(2048)
        self.key_file = workdir / "private.pem"
        self.key_file.write_bytes(keys.private_key_pem(key))
        self.key_file.chmod(0o600)
        self.signer = TokenSigner(key, KEY_ID, ISSUER)
        self.admin_key = secrets.token_urlsafe(24)
        self.tenant_url = self._start_tenant()
        self.app_id = self._provision(key)

    def _start(self, server: ServerProcess) -> ServerProcess:
        self.servers.append(server.start())
        return server

    def _start_tenant(self) -> str:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        self._start(
            ServerProcess(
                [
                    sys.executable, "-m", "qlik_jwt", "emulator", "--port", str(port),
                    "--db", str(self.workdir / "emulator.sqlite3"),
                    "--admin-key", self.admin_key, "--tier1-limit", str(NO_LIMIT),
                    "--tier2-limit", str(NO_LIMIT), "--log-level", "warning",
                ],
                f"{url}/openapi.json",
                cwd=self.workdir,
            )
        )  # fmt: skip
        return url

    def _provision(self, key: Any) -> str:
        certificate = keys.certificate_pem(keys.self_signed_certificate(key, common_name=ISSUER))
        with TenantClient(self.tenant_url, api_key=self.admin_key) as client:
            ensure_identity_provider(
                client, issuer=ISSUER, key_id=KEY_ID, certificate_pem=certificate
            )
            enable_auto_create_groups(client)
            items = client.get("/api/v1/items", params={"resourceType": "app"})
            app_id = str(items["data"][0]["resourceId"])
            space = app_space_id(client, app_id)
            grant_group_to_space(client, signer=self.signer, group="Finance", space_id=space)
        return app_id

    def start_ours(self) -> Peer:
        port = free_port()
        origin = f"http://127.0.0.1:{port}"
        users_db = self.workdir / "web.sqlite3"
        database = Database(users_db)
        user = UserStore(database).add(
            "bench", "bench-password", name="Bench User", email="bench@example.com",
            email_verified=True, groups=("Finance",),
        )  # fmt: skip
        session = SessionStore(database, lifetime=86_400).create(user.id)
        database.close()
        self.proxy_cookie = secrets.token_urlsafe(32)
        self.proxy_store = self.workdir / "proxy-sessions.sqlite3"
        env = {
            "QLIK_TENANT_URL": self.tenant_url,
            "QLIK_WEB_INTEGRATION_ID": "bench-web-integration",
            "QLIK_APP_ID": self.app_id,
            "QLIK_ISSUER": ISSUER,
            "QLIK_KEY_ID": KEY_ID,
            "QLIK_PRIVATE_KEY": str(self.key_file),
            "QLIK_USERS_DB": str(users_db),
            "QLIK_WEB_MODE": "proxy",
            "QLIK_PROXY_SESSION_STORE": f"sqlite:///{self.proxy_store}",
            "QLIK_PUBLIC_ORIGIN": origin,
        }
        server = self._start(
            ServerProcess(
                [
                    sys.executable, "-m", "uvicorn", "bench.proxy:web_app", "--factory",
                    "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
                    "--log-level", "warning",
                    # As `qlik-jwt serve` runs: the engine websocket spliced.
                    "--ws", "websockets-sansio" if self.relayed else SPLICE_PROTOCOL,
                    "--ws-per-message-deflate", "false",
                ],
                f"{origin}/healthz",
                env=env,
                cwd=REPO,
            )
        )  # fmt: skip
        cookie = f"{BASE_NAME}={session.id}; {COOKIE_BASE_NAME}={self.proxy_cookie}"
        return Peer(OURS, origin, {"Cookie": cookie}, server)

    def held_session(self) -> tuple[str, str]:
        """The cookie header and CSRF token of the Qlik session our proxy holds."""
        store = SqliteSessionStore(str(self.proxy_store), lifetime=86_400)
        try:
            held = asyncio.run(store.get(store_key(self.proxy_cookie)))
        finally:
            asyncio.run(store.close())
        if held is None:
            raise RuntimeError("our proxy holds no Qlik session after a proxied call")
        cookie = QlikCookieJar.from_json(held.cookies).header_for(self.tenant_url + REST_PATH)
        assert cookie is not None
        return cookie, held.csrf_token

    def start_node(self, cookie: str, csrf_token: str) -> Peer:
        port = free_port()
        session_file = self.workdir / "node-session.json"
        session_file.write_text(json.dumps({"cookie": cookie, "csrfToken": csrf_token}))
        session_file.chmod(0o600)
        server = self._start(
            ServerProcess(
                ["node", str(NODE_PROXY), str(port), self.tenant_url, str(session_file)],
                f"http://127.0.0.1:{port}/",
                cwd=REPO,
            )
        )
        return Peer(NODE, f"http://127.0.0.1:{port}", {}, server)

    def peers(self) -> list[Peer]:
        """Direct, ours and Node's, each checked to answer as the bench user."""
        ours = self.start_ours()
        check_identity(ours)  # logs in: the session the others then use
        cookie, csrf_token = self.held_session()
        direct = Peer(DIRECT, self.tenant_url, {"Cookie": cookie, "qlik-csrf-token": csrf_token})
        node = self.start_node(cookie, csrf_token)
        peers = [direct, ours, node]
        for peer in peers:
            check_identity(peer)
            script = wrk_script(
                self.workdir / f"{len(peer.name)}.lua", "GET", peer.headers, SHOW_REFUSALS
            )
            servers = (peer.server,) if peer.server else ()
            peer.wrk = Target(peer.name, peer.http_url + REST_PATH, script, servers)
        return peers

    def stop(self) -> None:
        for server in reversed(self.servers):
            server.stop()


def check_identity(peer: Peer) -> None:
    """One REST call through ``peer`` must reach the bench user (the 301 followed)."""
    answer = httpx.get(peer.http_url + REST_PATH, headers=peer.headers, timeout=30)
    if answer.status_code != 301:
        raise RuntimeError(f"{peer.name}: {REST_PATH} answered {answer.status_code}")
    # Node passes the tenant's own Location on: go to its path through the same peer.
    target = peer.http_url + httpx.URL(answer.headers["location"]).path
    me = httpx.get(target, headers=peer.headers, timeout=30).raise_for_status().json()
    if me.get("email") != "bench@example.com":
        raise RuntimeError(f"{peer.name} answered for someone else: {me.get('email')}")


def measure_rounds(
    bench: Bench,
    peers: Sequence[Peer],
    *,
    rounds: int,
    seconds: float,
    sockets: Sequence[int],
    rest: bool = True,
) -> dict[str, Samples]:
    samples = {peer.name: Samples() for peer in peers}
    for peer in peers:  # warm up: connections, imports, first-call caches
        assert peer.wrk is not None
        run_wrk(peer.wrk, 1, 16)
    for _ in range(rounds):
        for peer in peers:
            assert peer.wrk is not None
            if rest:
                samples[peer.name].rest.append(run_wrk(peer.wrk, seconds, 16))
        for count in sockets:
            for peer in peers:
                with engine_load(peer, bench.app_id, "rounds", str(count), str(seconds)) as load:
                    result, cpu = load.run()
                result["per_cpu_second"] = result["roundTrips"] / cpu if cpu else 0.0
                samples[peer.name].rounds.setdefault(count, []).append(result)
        for peer in peers:
            with engine_load(peer, bench.app_id, "rounds", "1", str(seconds)) as load:
                samples[peer.name].latency.append(load.run()[0])
        for peer in peers:
            replies = 80  # CPU time counts in 10 ms ticks: enough replies to see Node's
            with engine_load(peer, bench.app_id, "cube", bench.app_id, str(replies)) as load:
                result, cpu = load.run()
            samples[peer.name].cube_ms.append(cpu / replies * 1000)
            samples[peer.name].cube_bytes = int(result["bytes"])
    return samples


def measure_idle(bench: Bench, peer: Peer, count: int) -> float:
    """KiB of the proxy's memory per idle engine websocket: what ``count`` more sockets add
    while ``count`` are open already (so heaps and arenas have grown once)."""
    assert peer.pid is not None
    with engine_load(peer, bench.app_id, "idle", str(count)) as first:
        first.run()
        time.sleep(1)  # let the proxy settle what each socket holds
        before = rss_kib(peer.pid)
        with engine_load(peer, bench.app_id, "idle", str(count)) as second:
            second.run()
            time.sleep(1)
            after = rss_kib(peer.pid)
    return (after - before) / count


def measure_many_idle(bench: Bench, peer: Peer, count: int) -> float:
    """MiB the proxy's one worker holds with ``count`` idle engine websockets open."""
    assert peer.pid is not None
    with engine_load(peer, bench.app_id, "idle", str(count)) as load:
        opened = load.run()[0]["open"]
        if opened != count:
            raise RuntimeError(f"{opened} of {count} idle sockets opened via {peer.name}")
        return rss_kib(peer.pid) / 1024


def _ratio(ours: float, peer: float) -> str:
    """``ours / peer`` as "N.N x", or "n/a" when the peer measured nothing (CPU time
    counts in 10 ms ticks)."""
    return f"{ours / peer:.1f} x" if peer > 0 else "n/a"


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def report(samples: dict[str, Samples], many_idle: tuple[int, float], heading: str) -> bool:
    ours, node, direct = samples[OURS], samples[NODE], samples[DIRECT]
    with_rest = bool(ours.rest)
    rest = {name: median_load(s.rest) for name, s in samples.items() if s.rest}

    def rest_per_cpu(s: Samples) -> float:
        return _median([x.per_cpu_second for x in s.rest])

    def ws_per_cpu(s: Samples, count: int) -> float:
        return _median([x["per_cpu_second"] for x in s.rounds[count]])

    def latency(s: Samples, key: str) -> float:
        return _median([x[key] for x in s.latency])

    counts = sorted(ours.rounds)
    rest_ratio = rest_per_cpu(ours) / rest_per_cpu(node) if with_rest else 0.0
    ws_ratios = [ws_per_cpu(ours, n) / ws_per_cpu(node, n) for n in counts]
    added = {name: latency(s, "p50us") - latency(direct, "p50us") for name, s in samples.items()}
    added_rest = {name: rest[name].p50_ms - rest[DIRECT].p50_ms for name in rest}
    print(heading)
    print(f"| figure | {OURS} | {NODE} | ratio (ours / Node) | {DIRECT} |")
    print("|---|---|---|---|---|")
    if with_rest:
        print(
            f"| REST `GET {REST_PATH}`, c=16: requests per proxy CPU-second "
            f"| {rest_per_cpu(ours):,.0f} | {rest_per_cpu(node):,.0f} | {rest_ratio:.2f} | |"
        )
        print(
            "| REST requests/s (proxy CPU cores used) "
            f"| {rest[OURS].rate:,.0f} ({rest[OURS].cores:.2f}) "
            f"| {rest[NODE].rate:,.0f} ({rest[NODE].cores:.2f}) | | {rest[DIRECT].rate:,.0f} |"
        )
        print(
            f"| REST latency p50 / p99, ms | {rest[OURS].p50_ms:.1f} / {rest[OURS].p99_ms:.1f} "
            f"| {rest[NODE].p50_ms:.1f} / {rest[NODE].p99_ms:.1f} | "
            f"{rest[OURS].p50_ms / rest[NODE].p50_ms:.2f} "
            f"| {rest[DIRECT].p50_ms:.1f} / {rest[DIRECT].p99_ms:.1f} |"
        )
        print(
            f"| REST added p50 over direct, ms | {added_rest[OURS]:+.2f} | {added_rest[NODE]:+.2f} "
            "| | |"
        )
    cells = [" / ".join(f"{ws_per_cpu(s, n):,.0f}" for n in counts) for s in (ours, node)]
    print(
        f"| engine round trips per proxy CPU-second ({' / '.join(map(str, counts))} sockets) "
        f"| {cells[0]} | {cells[1]} | {' / '.join(f'{r:.2f}' for r in ws_ratios)} | |"
    )
    print(
        "| engine round trip on one socket, p50 / p99 µs "
        + "".join(
            f"| {latency(s, 'p50us'):,.0f} / {latency(s, 'p99us'):,.0f} " for s in (ours, node)
        )
        + f"| | {latency(direct, 'p50us'):,.0f} / {latency(direct, 'p99us'):,.0f} |"
    )
    print(f"| added p50 per small round trip, µs | {added[OURS]:+,.0f} | {added[NODE]:+,.0f} | | |")
    cube = [_median(s.cube_ms) for s in (ours, node)]
    print(
        f"| proxy CPU per {ours.cube_bytes / 1000:,.0f} KB hypercube reply (deflate offered), ms "
        f"| {cube[0]:.2f} | {cube[1]:.2f} | {_ratio(cube[0], cube[1])} | |"
    )
    print(
        f"| memory per idle engine websocket, KB | {ours.idle_kb:,.0f} | {node.idle_kb:,.0f} "
        f"| {_ratio(ours.idle_kb, node.idle_kb)} | |"
    )
    count, mib = many_idle
    print(f"| {count:,} idle engine websockets in one worker, MiB | {mib:,.0f} | | | |")
    met = {}
    if with_rest:
        met[f"REST per CPU-second >= {TARGET_REST_VS_NODE} x Node"] = (
            rest_ratio >= TARGET_REST_VS_NODE
        )
        met[f"REST added p50 <= {TARGET_REST_ADDED_MS} ms"] = (
            added_rest[OURS] <= TARGET_REST_ADDED_MS
        )
    met |= {
        f"ws per CPU-second >= {TARGET_WS_VS_NODE} x Node": min(ws_ratios) >= TARGET_WS_VS_NODE,
        f"ws added p50 <= {TARGET_WS_ADDED_US:.0f} µs": added[OURS] <= TARGET_WS_ADDED_US,
        f"idle socket <= {TARGET_IDLE_KB:.0f} KB": ours.idle_kb <= TARGET_IDLE_KB,
        f"{count:,} idle sockets <= {IDLE_LIMIT_MIB} MiB": mib <= IDLE_LIMIT_MIB,
    }
    print("targets: " + "; ".join(f"{k}: {'met' if v else 'MISSED'}" for k, v in met.items()))
    return all(met.values())


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="per peer, load and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--idle", type=int, default=1000, help="sockets for memory per socket")
    parser.add_argument("--many-idle", type=int, default=5000, help="idle sockets in one worker")
    parser.add_argument(
        "--relayed",
        action="store_true",
        help="our engine websocket relayed message by message (the fallback under servers "
        "without the splice), not spliced as `qlik-jwt serve` runs it",
    )
    parser.add_argument(
        "--only-ws", action="store_true", help="the engine websocket figures only (no REST)"
    )
    parser.add_argument(
        "--profile", action=argparse.BooleanOptionalAction, default=True, help="py-spy our proxy"
    )
    parser.add_argument(
        "--only", choices=("all", "rest"), default="all", help="rest: the REST figures alone"
    )
    args = parser.parse_args(argv)
    missing = missing_tools("wrk", "node")
    if missing:
        print(f"proxy: {', '.join(missing)} not found: run `make bench-deps node-deps`")
        return False
    if args.only == "rest":
        return main_rest(args.rounds, args.seconds, profiled=args.profile)
    with tempfile.TemporaryDirectory(prefix="qlik-jwt-bench-") as tmp:
        bench = Bench(Path(tmp), relayed=args.relayed)
        try:
            peers = bench.peers()
            samples = measure_rounds(
                bench,
                peers,
                rounds=args.rounds,
                seconds=args.seconds,
                sockets=(50, 200),
                rest=not args.only_ws,
            )
            by_name = {peer.name: peer for peer in peers}
            # Profiled before thousands of sockets open and close, which it would count.
            profiles = (
                profile_ours(bench, by_name[OURS], args.seconds, rest=not args.only_ws)
                if args.profile
                else {}
            )
            for name in (OURS, NODE):
                samples[name].idle_kb = measure_idle(bench, by_name[name], args.idle)
            many = measure_many_idle(bench, by_name[OURS], args.many_idle)
        finally:
            bench.stop()
    met = report(
        samples,
        (args.many_idle, many),
        f"## proxy  (one worker each, wrk 1 thread, {args.seconds:.0f} s per load, median of "
        f"{args.rounds} interleaved rounds; idle memory over {args.idle:,} sockets; our engine "
        f"websocket {'relayed by message' if args.relayed else 'spliced'})",
    )
    for load, found in profiles.items():
        top = ", ".join(f"{name} {share:.0%}" for name, share in found[:PROFILE_TOP])
        print(f"- where our proxy's CPU goes ({load}, py-spy, innermost frame's package): {top}")
    print_node_peer_facts("express", "http-proxy-middleware", "ws")
    return met


def main_rest(rounds: int, seconds: float, *, profiled: bool) -> bool:
    """The REST figures alone (``--only rest``): the same peers, rounds and table lines."""
    with tempfile.TemporaryDirectory(prefix="qlik-jwt-bench-") as tmp:
        bench = Bench(Path(tmp))
        try:
            peers = bench.peers()
            loads: dict[str, list[Load]] = {peer.name: [] for peer in peers}
            for peer in peers:  # warm up: connections, imports, first-call caches
                assert peer.wrk is not None
                run_wrk(peer.wrk, 1, 16)
            for _ in range(rounds):
                for peer in peers:
                    assert peer.wrk is not None
                    loads[peer.name].append(run_wrk(peer.wrk, seconds, 16))
            ours = next(peer for peer in peers if peer.name == OURS)
            found = (
                profile(ours.pid, seconds, lambda: run_wrk(ours.wrk, seconds, 16))
                if (profiled and ours.pid is not None and ours.wrk is not None)
                else []
            )
        finally:
            bench.stop()
    per_cpu = {name: _median([x.per_cpu_second for x in runs]) for name, runs in loads.items()}
    rest = {name: median_load(runs) for name, runs in loads.items()}
    ratio = per_cpu[OURS] / per_cpu[NODE]
    added = rest[OURS].p50_ms - rest[DIRECT].p50_ms
    print(f"## proxy, REST only  (wrk 1 thread, c=16, {seconds:.0f} s, median of {rounds} rounds)")
    print(f"| figure | {OURS} | {NODE} | {DIRECT} |")
    print("|---|---|---|---|")
    print(
        "| requests per proxy CPU-second "
        + "".join(f"| {per_cpu[name]:,.0f} " for name in (OURS, NODE))
        + "| |"
    )
    print(
        "| requests/s (proxy CPU cores used) "
        + "".join(
            f"| {rest[name].rate:,.0f} ({rest[name].cores:.2f}) " for name in (OURS, NODE, DIRECT)
        )
        + "|"
    )
    print(
        "| latency p50 / p99, ms "
        + "".join(
            f"| {rest[name].p50_ms:.2f} / {rest[name].p99_ms:.1f} " for name in (OURS, NODE, DIRECT)
        )
        + "|"
    )
    print(f"ratio ours / Node per CPU-second: {ratio:.2f}; added p50 over direct: {added:+.2f} ms")
    if found:
        top = ", ".join(f"{name} {share:.0%}" for name, share in found[:PROFILE_TOP])
        print(f"- where our proxy's CPU goes (REST c=16, py-spy, innermost frame's package): {top}")
    return ratio >= TARGET_REST_VS_NODE and added <= TARGET_REST_ADDED_MS


def profile_ours(
    bench: Bench, ours: Peer, seconds: float, *, rest: bool = True
) -> dict[str, list[tuple[str, float]]]:
    """py-spy's package shares of our proxy under the REST load and 50 engine sockets."""
    assert ours.pid is not None and ours.wrk is not None
    wrk = ours.wrk
    found = {}
    if rest:
        found["REST c=16"] = profile(ours.pid, seconds, lambda: run_wrk(wrk, seconds, 16))
    with engine_load(ours, bench.app_id, "rounds", "50", str(seconds)) as load:
        found["engine round trips, 50 sockets"] = profile(ours.pid, seconds, load.run)
    return found


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(0 if main() else 1)

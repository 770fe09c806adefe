"""The benchmarks run end to end with tiny bounds and print their tables (no timing is
asserted: the figures depend on the machine). wrk, their load generator, is installed by
``make bench-deps`` only, so its runs are replaced here by the parts around it: the real
servers each benchmark starts, checked with one request, and the tables printed from
given loads."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from bench import (
    cli_startup,
    emulator_login,
    first_chart,
    impersonation,
    mint,
    profile,
    proxy,
    sign_out,
    token_endpoint,
)
from bench.loadgen import Load, parse_wrk
from bench.machine import cpu_seconds, facts

from tests.support.node import require_node_modules

WRK_OUTPUT = """Running 5s test @ http://127.0.0.1:1234/token
  1 threads and 16 connections
BENCH 5000 2000000 6500 13000 0 0
"""


def test_mint_prints_its_table(capsys: pytest.CaptureFixture[str]) -> None:
    mint.main(["--seconds", "0.02", "--rounds", "1"])
    out = capsys.readouterr().out
    assert "| RSA-2048 |" in out and "| RSA-4096 |" in out
    assert "target: mint >= 0.9 x raw" in out


def test_cli_startup_prints_its_table(capsys: pytest.CaptureFixture[str]) -> None:
    cli_startup.main(["--rounds", "1"])
    out = capsys.readouterr().out
    for row in ("| python -c pass |", "| qlik-jwt --help |", "| qlik-jwt token |"):
        assert row in out
    assert "| qlik-jwt inspect |" in out and "target: qlik-jwt --help" in out


def test_impersonation_prints_its_table_and_counts_one_grant_per_user(
    capsys: pytest.CaptureFixture[str],
) -> None:
    met = impersonation.main(["--seconds", "0.05", "--rounds", "1", "--users", "3", "--views", "4"])
    out = capsys.readouterr().out
    assert "| cached access_token/s |" in out
    assert "12 (3 users x 4, 8 threads): 3 grants" in out
    assert "(reloads): 0 grants" in out
    assert met


def test_sign_out_prints_its_table_for_one_and_two_instances(
    capsys: pytest.CaptureFixture[str],
) -> None:
    met = sign_out.main(["--rounds", "1"])
    out = capsys.readouterr().out
    assert "| one instance, SQLite | 1 |" in out
    assert "| two instances, one Redis (socket on A, sign-out on B) | 1 |" in out
    assert met


def test_first_chart_prints_its_times_and_the_pages_javascript(
    capsys: pytest.CaptureFixture[str],
) -> None:
    met = first_chart.main(["--rounds", "1", "--modes", "proxy"])
    out = capsys.readouterr().out
    assert "| proxy | 1 |" in out and "| stardust.js |" in out and "| **ours** |" in out
    assert met


def test_wrk_results_are_read_and_refusals_fail_the_run() -> None:
    load = parse_wrk(WRK_OUTPUT, "x", cpu_used=1.0, client_cpu=0.5)
    assert load == Load(rate=2500.0, p50_ms=6.5, p99_ms=13.0, cores=0.5, client_cores=0.25)
    assert load.per_cpu_second == 5000.0
    with pytest.raises(RuntimeError, match="3 non-2xx answers"):
        parse_wrk(WRK_OUTPUT.replace("0 0\n", "3 0\n"), "x", cpu_used=1.0)
    with pytest.raises(RuntimeError, match="printed no result"):
        parse_wrk("connection refused", "x", cpu_used=1.0)


def test_cpu_seconds_count_a_busy_child() -> None:
    busy = subprocess.Popen(
        [sys.executable, "-c", "import time\nend = time.process_time() + 0.3\n"
         "while time.process_time() < end: pass\ntime.sleep(30)"]
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while cpu_seconds(busy.pid) < 0.25 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert cpu_seconds(busy.pid) >= 0.25
    finally:
        busy.kill()
        busy.wait()
    assert {"CPU", "cores", "Python"} <= set(facts())


def test_token_endpoint_servers_mint_valid_tokens_and_the_table_reads_ratios(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require_node_modules("express", "jsonwebtoken")
    endpoints = token_endpoint.Endpoints(tmp_path)
    try:
        # Each start checks one token of that endpoint against the contract and the key.
        targets = endpoints.start_all()
        assert [t.name for t in targets] == [
            token_endpoint.NODE,
            token_endpoint.ONE,
            token_endpoint.TWO,
            token_endpoint.TWO_SHARED,
            token_endpoint.BARE,
        ]
        assert len(targets[2].servers) == 2  # a process and a socket per worker
        web = targets[1].script.read_text()
        assert 'wrk.method = "POST"' in web and "X-CSRF-Token" in web and "Cookie" in web
    finally:
        endpoints.stop()

    def loads(rate: float) -> list[Load]:
        return [Load(rate, 5.0, 9.0, 1.0)]

    met = token_endpoint.report(
        {
            token_endpoint.NODE: loads(100),
            token_endpoint.ONE: loads(350),
            token_endpoint.TWO: loads(500),
            token_endpoint.TWO_SHARED: loads(360),
            token_endpoint.BARE: loads(400),
        },
        "## token_endpoint",
    )
    out = capsys.readouterr().out
    assert not met  # 3.5 x the boilerplate, but two workers only 1.43 x one
    assert f"| {token_endpoint.ONE} | 350 |" in out and "3.50 x boilerplate" in out
    assert "one worker each: met" in out and "2 workers >= 1.6 x 1 worker: MISSED" in out


def test_emulator_login_tenant_accepts_the_pre_minted_tokens(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = emulator_login.keys.generate_private_key(2048)
    signer = emulator_login.TokenSigner(key, emulator_login.KEY_ID, emulator_login.ISSUER)
    tenant = emulator_login.Tenant(tmp_path, signer, key)
    try:
        tokens = tenant.tokens(3).read_text().splitlines()
        assert len(set(tokens)) == 3
        for token in tokens:
            answer = httpx.post(
                f"{tenant.url}/login/jwt-session", headers={"Authorization": f"Bearer {token}"}
            )
            assert answer.status_code == 200, answer.text
            assert "eas.sid" in answer.headers["set-cookie"]
    finally:
        tenant.stop()
    met = emulator_login.report(
        [emulator_login.Verifications(50_000, 50_000)],
        [Load(1_000, 10.0, 20.0, 0.5)],
        "## emulator_login",
    )
    out = capsys.readouterr().out
    assert not met
    assert "| emulator jwt-session logins | 1,000 |" in out and "2,000 |" in out
    assert "MISSED (0.040" in out and "500 us of CPU" in out


def test_proxy_peers_answer_as_the_user_and_carry_the_engine_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require_node_modules("express", "http-proxy-middleware", "ws")
    bench = proxy.Bench(tmp_path)
    try:
        # Each peer is checked to answer GET /api/v1/users/me as the bench user.
        peers = bench.peers()
        assert [p.name for p in peers] == [proxy.DIRECT, proxy.OURS, proxy.NODE]
        for peer in peers:
            with proxy.engine_load(peer, bench.app_id, "rounds", "2", "0.2") as load:
                result, cpu = load.run()
            assert result["roundTrips"] > 0 and cpu >= 0
        with proxy.engine_load(peers[1], bench.app_id, "cube", bench.app_id, "1") as load:
            result, cpu = load.run()
        assert result["bytes"] > 250_000 and cpu >= 0  # CPU time counts in 10 ms ticks
        assert proxy.measure_many_idle(bench, peers[2], 3) > 0
    finally:
        bench.stop()

    def samples(rate: float, micros: float, idle: float) -> proxy.Samples:
        round_trips = {"per_cpu_second": rate * 10, "p50us": micros, "p99us": micros * 2}
        return proxy.Samples(
            rest=[Load(rate, micros / 1000, micros / 500, 1.0)],
            rounds={50: [round_trips], 200: [round_trips]},
            latency=[round_trips],
            cube_ms=[rate / 1000],
            cube_bytes=298_000,
            idle_kb=idle,
        )

    met = proxy.report(
        {
            proxy.DIRECT: samples(2000, 500, 0),
            proxy.OURS: samples(1000, 700, 70),
            proxy.NODE: samples(1200, 550, 60),
        },
        (5000, 600.0),
        "## proxy",
    )
    out = capsys.readouterr().out
    assert not met
    assert "| 1,000 | 1,200 | 0.83 |" in out
    assert "REST per CPU-second >= 1.0 x Node: MISSED" in out
    assert "ws added p50 <= 100 µs: MISSED" in out and "idle socket <= 80 KB: met" in out
    assert "5,000 idle sockets <= 1024 MiB: met" in out


def test_profile_shares_are_summed_by_the_innermost_frames_package() -> None:
    loop = "run (asyncio/base_events.py:1)"
    collapsed = "\n".join(
        [
            f"{loop};send (/v/lib/python3.11/site-packages/httpcore/_a.py:9) 6",
            f"{loop};forward (qlik_jwt/web/proxy/rest.py:5) 3",
            f"{loop} 1",
            "not a sample line",
        ]
    )
    assert profile.shares(collapsed) == [
        ("httpcore", 0.6),
        ("qlik_jwt.web.proxy.rest", 0.3),
        ("asyncio", 0.1),
    ]

"""The memory of ``qlik-jwt serve`` under a flood of sign-ins with distinct user names.

Each unknown name costs a scrypt working in 16 MiB; before the hashing gate, 120 at once took
the demo from 265 to 764 MiB. Here: ``qlik-jwt serve --demo-users`` as a subprocess, a few
sign-ins to warm it, then ``--names`` sign-ins at once, each name from its own loopback
address (127.0.x.y, so the per-address share does not refuse them), while another thread
samples the server's resident memory (``/proc/<pid>/status``) and times ``GET /healthz``.
Target: the peak at most 50 MiB over the warm baseline. Loopback only, bounded in count.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from tests.support.servers import ServerProcess, free_port, qlik_jwt_command
from tests.support.webapp import serve_environment

from bench.machine import print_facts
from qlik_jwt import keys

__all__ = ["main"]

TARGET_MIB = 50.0


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def sign_in(url: str, address: str, name: str) -> int:
    """The status of one sign-in with a wrong password from ``address``; 0 when the
    connection failed."""
    transport = httpx.HTTPTransport(local_address=address)
    try:
        with httpx.Client(base_url=url, transport=transport, timeout=120) as client:
            answer = client.post(
                "/sign-in", data={"username": name, "password": "wrong"}, headers={"Origin": url}
            )
    except httpx.HTTPError:
        return 0
    return answer.status_code


def flood(url: str, pid: int, names: int) -> tuple[list[float], list[float], Counter[int]]:
    """Memory samples (MiB), /healthz times (ms) and the answers' statuses of one flood."""
    samples: list[float] = []
    health: list[float] = []
    failed: list[int] = []
    done = threading.Event()

    def watch() -> None:
        with httpx.Client(base_url=url, timeout=30) as client:
            while not done.is_set():
                samples.append(rss_mib(pid))
                started = time.perf_counter()
                try:
                    client.get("/healthz").raise_for_status()
                except httpx.HTTPError:  # counted as the whole wait
                    failed.append(1)
                health.append((time.perf_counter() - started) * 1000)
                time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    jobs = [(f"127.1.{i // 250}.{1 + i % 250}", f"flood-{i}") for i in range(names)]
    with ThreadPoolExecutor(max_workers=names) as pool:
        statuses = Counter(pool.map(lambda job: sign_in(url, *job), jobs))
    done.set()
    watcher.join()
    samples.append(rss_mib(pid))
    if failed:
        statuses[-1] += len(failed)  # shown as "-1": /healthz calls that failed
    return samples, health, statuses


def main(argv: list[str]) -> bool:
    parser = argparse.ArgumentParser(prog="python -m bench.sign_in_flood", description=__doc__)
    parser.add_argument("--names", type=int, default=200, help="sign-ins sent at once")
    parser.add_argument("--floods", type=int, default=3, help="floods, one after the other")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        key = keys.generate_private_key(2048)
        keys.write_key_pair(work, key, keys.self_signed_certificate(key))
        port = free_port()
        env = serve_environment(work, port, work / "web.sqlite3")
        url = f"http://127.0.0.1:{port}"
        command = qlik_jwt_command("serve", "--demo-users", "--env-file", str(work / "none.env"))
        with ServerProcess(command, f"{url}/healthz", env=env, cwd=work) as server:
            assert server.proc is not None
            pid = server.proc.pid
            for i in range(6):  # warm: imports, the dummy hash, scrypt's first allocations
                sign_in(url, "127.0.0.1", f"warm-{i}")
            time.sleep(0.5)
            baseline = rss_mib(pid)
            rows = []
            peak = baseline
            for round_ in range(1, args.floods + 1):
                samples, health, statuses = flood(url, pid, args.names)
                peak = max(peak, *samples)
                shown = ", ".join(f"{n} x {status}" for status, n in sorted(statuses.items()))
                rows.append(
                    f"| {round_} | {max(samples):.0f} | {samples[-1]:.0f} | "
                    f"{statistics.median(health):.0f} / {max(health):.0f} | {shown} |"
                )
    grown = peak - baseline
    print(f"### Sign-in flood: {args.names} distinct names at once, {args.floods} times\n")
    print(f"`qlik-jwt serve` resident memory after warm-up: {baseline:.0f} MiB\n")
    print("| flood | peak RSS (MiB) | RSS after (MiB) | /healthz median / max (ms) | answers |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))
    verdict = "met" if grown <= TARGET_MIB else "MISSED"
    target = f"target: at most +{TARGET_MIB:.0f}"
    print(f"\npeak {grown:+.0f} MiB over the baseline ({target}): {verdict}")
    print_facts()
    return grown <= TARGET_MIB


if __name__ == "__main__":
    raise SystemExit(0 if main(sys.argv[1:]) else 1)

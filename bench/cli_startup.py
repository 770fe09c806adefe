"""``qlik-jwt`` start-up: ``--help``, ``--version``, ``token`` and ``inspect`` against
``python -c pass`` of the same interpreter.

Each case is a fresh process, run in interleaved rounds (one of each case per round) so
that the machine's load hits all of them alike; the table gives the median wall time and
the median CPU time of the process, and the wall time as a ratio to ``python -c pass``.
``token`` signs with a 2048-bit key from a temporary folder; ``inspect`` explains the
token it printed, as of the time it was minted.

``--command`` measures another installation's console script (e.g. an older checkout's
``.venv/bin/qlik-jwt``) under the same rounds, as an extra row.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.machine import print_facts

__all__ = ["main"]

TARGET_SECONDS = 0.3  # --help, token and inspect, each (issue 13)
TARGETED = ("qlik-jwt --help", "qlik-jwt token", "qlik-jwt inspect")


def console_script() -> list[str]:
    """This interpreter's ``qlik-jwt`` script, or ``python -m qlik_jwt`` without one."""
    script = Path(sys.executable).parent / "qlik-jwt"
    return [str(script)] if script.exists() else [sys.executable, "-m", "qlik_jwt"]


def timed(command: list[str]) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user + system of the child) and stdout of one run."""
    before = os.times()
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    wall = time.perf_counter() - started
    after = os.times()
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} {command[1]} exited {done.returncode}")
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu, done.stdout


def cases(folder: Path, cli: list[str], other: list[str] | None) -> dict[str, list[str]]:
    """The commands to time, by the name shown in the table."""
    keys_dir = folder / "keys"
    subprocess.run(
        [*cli, "keygen", "--out", str(keys_dir), "--bits", "2048", "--issuer", "bench.local"],
        capture_output=True,
        check=True,
        timeout=60,
    )
    user = ["--sub", "app|1", "--name", "Ada", "--email", "ada@example.com", "--group", "Finance"]
    token = [*cli, "token", "--key", str(keys_dir / "private.pem"), "--issuer", "bench.local"]
    minted = timed([*token, *user, "--env-file", str(folder / "none.env")])[2].strip()
    minted_at = int(time.time())  # within the token's minute, after its nbf
    found = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "qlik-jwt --help": [*cli, "--help"],
        "qlik-jwt --version": [*cli, "--version"],
        "qlik-jwt token": [*token, *user, "--env-file", str(folder / "none.env")],
        "qlik-jwt inspect": [*cli, "inspect", minted, "--at", str(minted_at)],
    }
    if other:
        found[f"{' '.join(other)} --help"] = [*other, "--help"]
    return found


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--command", help="another qlik-jwt console script to time (--help)")
    args = parser.parse_args(argv)
    other = [args.command] if args.command else None
    with tempfile.TemporaryDirectory() as folder:
        commands = cases(Path(folder), console_script(), other)
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for command in commands.values():  # warm the file cache once
            timed(command)
        for _ in range(args.rounds):
            for name, command in commands.items():
                samples[name].append(timed(command)[:2])
    wall = {name: statistics.median(w for w, _ in runs) for name, runs in samples.items()}
    cpu = {name: statistics.median(c for _, c in runs) for name, runs in samples.items()}
    baseline = wall["python -c pass"]
    print(f"## CLI start-up  (a fresh process each, median of {args.rounds} interleaved rounds)")
    print("| command | wall ms | CPU ms | wall / python -c pass |")
    print("|---|---|---|---|")
    for name in commands:
        print(
            f"| {name} | {wall[name] * 1000:.0f} | {cpu[name] * 1000:.0f} "
            f"| {wall[name] / baseline:.1f} x |"
        )
    ok = all(wall[name] < TARGET_SECONDS for name in TARGETED)
    print(
        f"target: {', '.join(TARGETED)} each under {TARGET_SECONDS} s: {'met' if ok else 'MISSED'}"
    )
    print_facts()
    return ok


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)

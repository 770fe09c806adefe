"""From sign-in to the first chart drawn by Qlik's nebula.js, and the JavaScript the page loads.

The demo (emulated tenant and web app on loopback) in proxy and in direct mode; real
Chromium signs in through the form each round (a fresh profile: nothing cached). Timed from
just before the form is submitted to the first chart cell drawn, beside the peer in the same
round: the moment the page knows the Qlik user (``users/me``), which it reached before
drawing anything. JavaScript bytes are the page's script resources as Resource Timing
counts them: on the wire (``encodedBodySize``: Qlik's files go gzipped) and unpacked
(``decodedBodySize``), and which of them are Qlik's.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from tests.support.browser import chromium

from bench.machine import print_facts
from qlik_jwt.demo.run import Demo, DemoOptions
from qlik_jwt.embedding.vendor import VENDOR_FILES
from qlik_jwt.web import DEMO_USERS

__all__ = ["main"]

ADA = DEMO_USERS[0]
QLIK_FILES = {item.name for item in VENDOR_FILES}
SCRIPTS = """() => performance.getEntriesByType("resource")
  .filter((e) => /\\.js(\\?|$)/.test(e.name))
  .map((e) => [e.name.split("/").pop(), e.encodedBodySize, e.decodedBodySize])"""


Sizes = dict[str, tuple[int, int]]


def _round(web_url: str, profile: Path) -> tuple[float, float, Sizes]:
    """(ms to the Qlik user, ms to the first chart, script -> (wire, unpacked) bytes)."""
    with chromium(profile, third_party_cookies=True) as context:
        page = context.new_page()
        page.goto(web_url + "/")
        page.fill("input[name=username]", ADA.username)
        page.fill("input[name=password]", ADA.password)
        started = time.perf_counter()
        page.click("button[type=submit]")
        page.wait_for_selector('[data-step="user"][data-state="done"]', timeout=60_000)
        user = time.perf_counter()
        page.wait_for_selector('.qlik-chart[data-state="done"]', timeout=60_000)
        drawn = time.perf_counter()
        page.wait_for_selector('[data-step="chart"][data-state="done"]', timeout=60_000)
        scripts = {str(n): (int(wire), int(full)) for n, wire, full in page.evaluate(SCRIPTS)}
    return (user - started) * 1000, (drawn - started) * 1000, scripts


def main(argv: list[str]) -> bool:
    parser = argparse.ArgumentParser(prog="python -m bench.first_chart", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--modes", default="proxy,direct")
    args = parser.parse_args(argv)
    print("### From sign-in to the first nebula.js chart (real Chromium, loopback)\n")
    print("| mode | rounds | Qlik user known, median ms | first chart drawn, median ms | ratio |")
    print("|---|---|---|---|---|")
    scripts: Sizes = {}
    with tempfile.TemporaryDirectory() as work:
        root = Path(work)
        for mode in args.modes.split(","):
            options = DemoOptions(
                state_dir=root / mode,
                web_port=0,
                emulator_port=0,
                web_mode=mode,  # type: ignore[arg-type]
            )
            with Demo(options) as info:
                rounds = [_round(info.web_url, root / f"{mode}-{i}") for i in range(args.rounds)]
            user = statistics.median(r[0] for r in rounds)
            drawn = statistics.median(r[1] for r in rounds)
            scripts = rounds[-1][2]
            print(f"| {mode} | {args.rounds} | {user:.0f} | {drawn:.0f} | {drawn / user:.2f} |")
    print("\n### JavaScript the page loads (the sample sheet: bar, line, pie, KPI, table)\n")
    print("| file | bytes on the wire | bytes unpacked |")
    print("|---|---|---|")
    for name, (wire, full) in sorted(scripts.items(), key=lambda item: -item[1][1]):
        print(f"| {name} | {wire:,} | {full:,} |")
    for label, names in (
        (f"Qlik's ({len(QLIK_FILES & set(scripts))} files)", QLIK_FILES & set(scripts)),
        ("ours", set(scripts) - QLIK_FILES),
    ):
        wire = sum(scripts[name][0] for name in names)
        full = sum(scripts[name][1] for name in names)
        print(f"| **{label}** | **{wire:,}** | **{full:,}** |")
    print()
    print_facts()
    return any(name in QLIK_FILES for name in scripts)


if __name__ == "__main__":
    raise SystemExit(0 if main(__import__("sys").argv[1:]) else 1)

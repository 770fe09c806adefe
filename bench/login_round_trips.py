"""Round trips from the embedding page to an open Qlik engine session, in real Chromium.

The demo (``qlik_jwt.demo``: the emulated tenant over HTTPS on 127.0.0.1, the web app on
``http://localhost``, two sites) runs with the emulator's latency faults: every HTTP request
to the tenant waits ``--delay-ms`` (``latency_ms``) and so does the engine websocket's
upgrade (``engine_delay_ms``), as if the tenant were that far away. Debian's Chromium
(``tests/support/browser.py``) signs in as Ada and loads the page (first visit), then reloads
it; once in each mode:

- direct: the browser talks to the tenant itself (a profile that allows third-party cookies);
- proxy: the browser talks only to the web app, which logs in to the tenant server-side (a
  profile that blocks them, this Chromium's default).

Measured per visit: the milliseconds from the page's HTML to the engine's first message,
once with the delay and once without; their difference divided by the delay is the number
of sequential round trips to the tenant (what a user far from the tenant waits for: CORS
preflights, which the browser does not show to Playwright, count like any request). Also the
tokens minted (the web app's audit log) and the page's Qlik-flow requests before the engine
socket (to the tenant, or to the web app's Qlik routes and ``/token``). The tutorial's page
(config and token from its server, then jwt-session and csrf-token each after a CORS
preflight, then the websocket; again on every visit) is computed from the same delay.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, Request, WebSocket
from tests.support.browser import chromium, sign_in_page

from bench.machine import print_facts
from qlik_jwt.demo.run import Demo, DemoOptions
from qlik_jwt.web import DEMO_USERS
from qlik_jwt.web.tokens import AUDIT_LOGGER

__all__ = ["main"]

ADA = DEMO_USERS[0]
TUTORIAL = ("config", "token", "jwt-session", "csrf-token", "websocket")
TARGET_FIRST = 3
TARGET_RELOAD = 1
QLIK_PATHS = ("/api/", "/login", "/token")


class MintCounter(logging.Handler):
    """Counts the web app's ``token-minted`` audit lines."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if json.loads(record.getMessage()).get("event") == "token-minted":
            self.count += 1


@dataclass
class Call:
    """One request of the flow: what, and when it started and ended (epoch ms)."""

    label: str
    start: float
    end: float


@dataclass
class Recorder:
    """Collects the page's Qlik-flow requests and its engine websocket."""

    tenant_url: str
    web_url: str
    calls: list[Call] = field(default_factory=list)
    socket_opened: float | None = None  # the websocket's creation (epoch ms)
    engine_ready: float | None = None  # the engine's first message (epoch ms)
    socket: WebSocket | None = None  # this visit's engine websocket

    def counts(self, url: str) -> bool:
        path = url.split("?")[0]
        if path.startswith(self.tenant_url):
            return "/single/" not in path and "/resources/" not in path
        if path.startswith(self.web_url):
            return path.removeprefix(self.web_url).startswith(QLIK_PATHS)
        return False

    def on_finished(self, request: Request) -> None:
        if not self.counts(request.url):
            return
        timing = request.timing
        start = timing["startTime"]
        label = f"{request.method} {request.url.split('?')[0].split('//', 1)[1].split('/', 1)[1]}"
        self.calls.append(Call(label, start, start + timing["responseEnd"]))

    def on_websocket(self, socket: WebSocket) -> None:
        if "/app/" not in socket.url or self.socket_opened is not None:
            return
        self.socket_opened = time.time() * 1000
        self.socket = socket

        def first_frame(_: object) -> None:
            # The page before a reload may still hear from its own socket: not this visit's.
            if self.engine_ready is None and self.socket is socket:
                self.engine_ready = time.time() * 1000

        socket.on("framereceived", first_frame)

    def reset(self) -> None:
        self.calls.clear()
        self.socket_opened = self.engine_ready = self.socket = None


@dataclass(frozen=True)
class Visit:
    """One page load: the Qlik-flow requests before the engine socket (in order of start),
    the milliseconds from the page's HTML to the engine's first message, tokens minted."""

    requests: tuple[str, ...]
    engine_ms: float
    minted: int


def measure(page: Page, recorder: Recorder, mints: MintCounter, load: Any) -> Visit:
    """Run ``load`` (a navigation), wait for the engine and the chart, read the recorder."""
    recorder.reset()
    minted_before = mints.count
    load()
    page.wait_for_selector('[data-step="chart"][data-state="done"]', timeout=60_000)
    deadline = time.monotonic() + 10
    while recorder.engine_ready is None and time.monotonic() < deadline:
        page.wait_for_timeout(20)
    page_loaded = page.evaluate(
        "performance.timeOrigin + performance.getEntriesByType('navigation')[0].responseEnd"
    )
    if recorder.socket_opened is None or recorder.engine_ready is None:
        raise RuntimeError("the page opened no engine websocket")
    calls = sorted(
        (c for c in recorder.calls if page_loaded <= c.start < recorder.socket_opened),
        key=lambda c: c.start,
    )
    return Visit(
        tuple(c.label for c in calls),
        recorder.engine_ready - page_loaded,
        mints.count - minted_before,
    )


@dataclass
class Runs:
    """Visits of one mode: first visits and reloads, at the delay and without it."""

    first: dict[int, list[Visit]] = field(default_factory=dict)
    reload: dict[int, list[Visit]] = field(default_factory=dict)


def run_mode(
    workdir: Path, mode: str, delays: tuple[int, ...], rounds: int, mints: MintCounter
) -> Runs:
    """In ``mode`` ("direct" or "proxy"): for each delay and round, a fresh browser profile
    signs in (first visit) and reloads."""
    options = DemoOptions(
        state_dir=workdir / mode,
        web_port=0,
        emulator_port=0,
        web_mode=mode,  # type: ignore[arg-type]
    )
    runs = Runs()
    with Demo(options) as demo:
        admin_key = (demo.state_dir / "admin-key").read_text().strip()
        recorder = Recorder(demo.tenant_url, demo.web_url)

        def visits(delay: int, profile: Path) -> tuple[Visit, Visit]:
            httpx.put(
                f"{demo.tenant_url}/_emulator/faults",
                json={"latency_ms": delay, "engine_delay_ms": delay},
                headers={"Authorization": f"Bearer {admin_key}"},
                verify=False,  # noqa: S501  (the demo's self-signed certificate)
            ).raise_for_status()
            with chromium(profile, third_party_cookies=mode == "direct") as context:
                page = context.new_page()
                page.on("requestfinished", recorder.on_finished)
                page.on("websocket", recorder.on_websocket)

                def first_visit() -> None:
                    sign_in_page(page, demo.web_url, ADA.username, ADA.password)

                first = measure(page, recorder, mints, first_visit)
                return first, measure(page, recorder, mints, page.reload)

        visits(0, workdir / f"profile-{mode}-warm-up")  # first connections, first login
        for round_ in range(rounds):
            for delay in delays if round_ % 2 == 0 else delays[::-1]:
                first, reload = visits(delay, workdir / f"profile-{mode}-{delay}-{round_}")
                runs.first.setdefault(delay, []).append(first)
                runs.reload.setdefault(delay, []).append(reload)
    return runs


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--delay-ms", type=int, default=200, help="per request to the tenant")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    delay = args.delay_ms
    mints = MintCounter()
    audit = logging.getLogger(AUDIT_LOGGER)
    audit.setLevel(logging.INFO)
    audit.addHandler(mints)
    try:
        with tempfile.TemporaryDirectory(prefix="qlik-jwt-bench-") as tmp:
            results = {
                mode: run_mode(Path(tmp), mode, (0, delay), args.rounds, mints)
                for mode in ("direct", "proxy")
            }
    finally:
        audit.removeHandler(mints)

    print(
        f"## login_round_trips  (Chromium; the tenant {delay} ms away: every request to it, "
        f"CORS preflights and the engine websocket's upgrade included; median of "
        f"{args.rounds} runs)"
    )
    print(
        f"| flow | visit | tenant round trips, engine socket included | page to engine "
        f"session at {delay} ms, ms (median, range) | at 0 ms, fastest | tokens minted "
        f"| requests the page made before the engine socket (CORS preflights not shown) |"
    )
    print("|---|---|---|---|---|---|---|")
    met: dict[str, bool] = {}
    for mode, runs in results.items():
        for visit_name, visits in (("first visit", runs.first), ("reload", runs.reload)):
            slow = statistics.median(v.engine_ms for v in visits[delay])
            # Other load on the machine only ever adds time: the fastest visits are the
            # closest to the round trips alone.
            fast = min(v.engine_ms for v in visits[0])
            trips = round((min(v.engine_ms for v in visits[delay]) - fast) / delay)
            minted = max(v.minted for v in visits[delay])
            limit = TARGET_FIRST if visit_name == "first visit" else TARGET_RELOAD
            met[mode] = met.get(mode, True) and trips - 1 <= limit
            met[mode] = met[mode] and (visit_name == "first visit" or minted == 0)
            spread = "-".join(f"{f(v.engine_ms for v in visits[delay]):.0f}" for f in (min, max))
            print(
                f"| {mode} | {visit_name} | {trips} ({trips - 1} + websocket) "
                f"| {slow:.0f} ({spread}) | {fast:.0f} | {minted} "
                f"| {', '.join(visits[delay][0].requests)} |"
            )
    # The tutorial's page: config and token from its own server, then the tenant: a
    # preflight and jwt-session, a preflight and csrf-token (its WIID header), the socket;
    # every visit again (it keeps no session).
    for visit_name in ("first visit", "reload"):
        trips = 5 if visit_name == "first visit" else 3  # preflights cached on a reload
        print(
            f"| tutorial (computed) | {visit_name} | {trips} ({trips - 1} + websocket) "
            f"| {trips * delay} + its own 2 | | 1 | {', '.join(TUTORIAL[:-1])} |"
        )
    verdicts = ", ".join(f"{mode} {'met' if ok else 'MISSED'}" for mode, ok in met.items())
    print(
        f"target: first visit <= {TARGET_FIRST} sequential round trips after the page, "
        f"reload <= {TARGET_RELOAD} with no token minted: {verdicts}"
    )
    print_facts(("chromium", "--version"))
    return all(met.values())


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)

"""Run every benchmark in one go: ``python -m bench`` (``make bench``), under ten minutes.

Each prints its Markdown table and the machine facts; the exit status is 1 when any
target is missed (every benchmark runs all the same).
"""

from __future__ import annotations

import time

from bench import (
    cli_startup,
    emulator_login,
    first_chart,
    impersonation,
    login_round_trips,
    mint,
    proxy,
    sign_in_flood,
    sign_out,
    token_endpoint,
)

if __name__ == "__main__":
    started = time.monotonic()
    results = []
    for benchmark in (
        mint,
        token_endpoint,
        login_round_trips,
        emulator_login,
        impersonation,
        proxy,
        sign_out,
        sign_in_flood,
        cli_startup,
        first_chart,
    ):
        results.append(benchmark.main([]))
        print(flush=True)
    print(f"all benchmarks: {time.monotonic() - started:.0f} s")
    raise SystemExit(0 if all(results) else 1)

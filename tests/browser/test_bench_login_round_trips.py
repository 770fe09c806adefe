"""``bench/login_round_trips.py`` runs end to end with tiny bounds and prints its table (its
figures depend on the machine: none is asserted, only what the page did)."""

from __future__ import annotations

import pytest
from bench import login_round_trips


def test_login_round_trips_prints_both_modes_and_the_tutorial(
    capsys: pytest.CaptureFixture[str],
) -> None:
    login_round_trips.main(["--rounds", "1", "--delay-ms", "20"])
    out = capsys.readouterr().out
    rows = {
        tuple(cell.strip() for cell in line.split("|")[1:3]): line
        for line in out.splitlines()
        if line.startswith("| ")
    }
    for mode in ("direct", "proxy"):
        first, reload = rows[(mode, "first visit")], rows[(mode, "reload")]
        # A first visit mints one token, a reload none (the audit log counts them).
        assert first.split("|")[6].strip() == "1" and reload.split("|")[6].strip() == "0"
        assert "api/v1/csrf-token" in first and "login/jwt-session" not in reload
    assert "login/jwt-session" in rows[("direct", "first visit")]
    assert "POST token" not in rows[("proxy", "first visit")]  # the app logs in itself
    assert ("tutorial (computed)", "first visit") in rows
    assert "target: first visit <= 3" in out

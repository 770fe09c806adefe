"""Run every benchmark in one go: ``python -m bench`` (``make bench``)."""

from __future__ import annotations

from bench import mint

if __name__ == "__main__":
    results = [mint.main([])]
    raise SystemExit(0 if all(results) else 1)

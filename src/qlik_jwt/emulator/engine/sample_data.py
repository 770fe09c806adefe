"""Deterministic generators of the sample apps' rows (the CSV files under ``data/``).

The CSV files are generated once and committed; a test regenerates them and compares, so
the data never drifts from this code. Run ``python -m qlik_jwt.emulator.engine.sample_data
DIR`` to rewrite them. Only ``random.Random.random`` is used: its sequence for a given seed
is stable across Python versions, unlike the helpers built on it.
"""

from __future__ import annotations

import csv
import io
import random
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["GENERATORS", "sales_rows", "support_rows", "to_csv", "write_csv_files"]

Row = dict[str, str | int | float]

_REGIONS: dict[str, tuple[str, ...]] = {
    "Americas": ("United States", "Canada", "Brazil", "Mexico"),
    "EMEA": ("Germany", "France", "United Kingdom", "Sweden", "South Africa"),
    "APAC": ("Japan", "Australia", "India", "Singapore"),
}
# Unit price range in cents per category.
_CATEGORIES: dict[str, tuple[int, int]] = {
    "Hardware": (8_000, 60_000),
    "Software": (2_000, 25_000),
    "Services": (15_000, 90_000),
    "Accessories": (500, 6_000),
}
_CUSTOMER_FIRST = ("Alder", "Birch", "Cedar", "Dune", "Ember", "Fjord", "Granite", "Harbor", "Iris")
_CUSTOMER_LAST = ("Analytics", "Logistics", "Foods", "Energy")
_YEARS = (2022, 2023, 2024)

_TEAMS = ("Platform", "Billing", "Mobile", "Data")
_PRIORITIES = ("Low", "Medium", "High", "Urgent")
_STATUSES = ("Open", "Pending", "Solved")


def _pick(rng: random.Random, options: Sequence[str]) -> str:
    return options[int(rng.random() * len(options))]


def _between(rng: random.Random, low: int, high: int) -> int:
    """An integer in [low, high]."""
    return low + int(rng.random() * (high - low + 1))


def sales_rows(count: int = 480, seed: int = 20240101) -> list[Row]:
    """Orders of made-up customers: one row per order line, Sales = Quantity x unit price."""
    rng = random.Random(seed)
    countries = [(region, country) for region, names in _REGIONS.items() for country in names]
    customers = [
        (f"{first} {last}", countries[(i * 5) % len(countries)])
        for i, (first, last) in enumerate(
            (first, last) for first in _CUSTOMER_FIRST for last in _CUSTOMER_LAST
        )
    ]
    rows: list[Row] = []
    for number in range(count):
        customer, (region, country) = customers[int(rng.random() * len(customers))]
        category = _pick(rng, tuple(_CATEGORIES))
        low, high = _CATEGORIES[category]
        quantity = _between(rng, 1, 20)
        cents = quantity * _between(rng, low, high)
        rows.append(
            {
                "OrderID": f"SO-{10001 + number}",
                "Region": region,
                "Country": country,
                "Customer": customer,
                "ProductCategory": category,
                "Year": _YEARS[int(rng.random() * len(_YEARS))],
                "Month": _between(rng, 1, 12),
                "Quantity": quantity,
                "Sales": cents / 100,
            }
        )
    return rows


def support_rows(count: int = 240, seed: int = 20240202) -> list[Row]:
    """Support tickets: team, priority, status and the hours spent on each."""
    rng = random.Random(seed)
    rows: list[Row] = []
    for number in range(count):
        priority = _pick(rng, _PRIORITIES)
        rows.append(
            {
                "TicketID": f"T-{5001 + number}",
                "Team": _pick(rng, _TEAMS),
                "Priority": priority,
                "Status": _pick(rng, _STATUSES),
                "Year": _YEARS[int(rng.random() * len(_YEARS))],
                "Hours": _between(rng, 1, 8) * (1 + _PRIORITIES.index(priority)) / 2,
            }
        )
    return rows


def to_csv(rows: Sequence[Row]) -> str:
    """CSV text with a header row and ``\\n`` line ends."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


GENERATORS: dict[str, Callable[[], list[Row]]] = {
    "sales.csv": sales_rows,
    "support.csv": support_rows,
}


def write_csv_files(directory: Path) -> list[Path]:
    """Write every sample CSV into ``directory``; return the paths written."""
    written = []
    for name, generate in GENERATORS.items():
        path = directory / name
        path.write_text(to_csv(generate()), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    for path in write_csv_files(Path(sys.argv[1] if len(sys.argv) > 1 else ".")):
        print(path)

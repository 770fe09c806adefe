"""The sample apps' CSV files read independently of the engine, for expected values.

Sums use ``Decimal`` so expectations are exact; compare with the engine's floats using
``pytest.approx``.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "src" / "qlik_jwt" / "emulator" / "engine" / "data"

Record = dict[str, str]


def read_csv(name: str = "sales.csv") -> list[Record]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def total(records: Iterable[Record], field: str) -> Decimal:
    return sum((Decimal(r[field]) for r in records), Decimal(0))


def grouped(
    records: Iterable[Record],
    key: str,
    value: Callable[[list[Record]], Decimal],
) -> dict[str, Decimal]:
    """``value`` of each group of records sharing ``record[key]``."""
    groups: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        groups[record[key]].append(record)
    return {name: value(members) for name, members in groups.items()}


def sales_by(key: str, records: Iterable[Record] | None = None) -> dict[str, Decimal]:
    return grouped(read_csv() if records is None else records, key, lambda g: total(g, "Sales"))

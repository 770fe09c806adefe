"""The sample apps: rows of data, their fields' symbol tables, and predefined objects.

An app is described by a JSON file under ``data/`` (id, name, field types, objects) that
names a CSV file holding its rows (see :mod:`.sample_data`). Numbers are stored as floats;
every other value as text. Each field keeps its distinct values in load order, as Qlik's
symbol tables do: a value's position there is its ``qElemNumber``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

__all__ = ["Field", "SampleApp", "Value", "load_app", "sample_apps"]

Value = str | float

_APP_FILES = ("sales.json", "support.json")
_FIELD_TYPES = ("text", "number")


@dataclass(frozen=True, eq=False)
class Field:
    """A field of an app: its name, whether it holds numbers, and its distinct values."""

    name: str
    numeric: bool
    values: tuple[Value, ...]
    _index: Mapping[Value, int] = field(repr=False)

    @classmethod
    def from_column(cls, name: str, numeric: bool, column: Sequence[Value]) -> Field:
        index: dict[Value, int] = {}
        for value in column:
            index.setdefault(value, len(index))
        return cls(name, numeric, tuple(index), index)

    @property
    def cardinal(self) -> int:
        """The number of distinct values (Qlik's ``qCardinal``)."""
        return len(self.values)

    def elem_number(self, value: Value) -> int:
        """The value's position in the symbol table (Qlik's ``qElemNumber``)."""
        return self._index[value]


@dataclass(frozen=True, eq=False)
class SampleApp:
    """An app with rows of data and predefined objects (object id -> properties).

    ``objects`` holds Qlik generic-object properties (``qInfo``, ``qHyperCubeDef``...);
    sheets are objects whose ``qInfo.qType`` is ``"sheet"`` and whose ``cells`` name the
    objects shown on them. Treat everything here as read-only.
    """

    id: str
    name: str
    description: str
    last_reload_time: str
    rows: tuple[Mapping[str, Value], ...]
    fields: Mapping[str, Field]
    objects: Mapping[str, Mapping[str, Any]]

    @property
    def sheet_ids(self) -> list[str]:
        """Ids of the app's sheets, in definition order."""
        return [oid for oid, prop in self.objects.items() if _qtype(prop) == "sheet"]

    def sheet_cells(self, sheet_id: str) -> list[str]:
        """Ids of the objects placed on a sheet, in reading order (row, then column)."""
        cells = self.objects[sheet_id].get("cells", [])
        ordered = sorted(cells, key=lambda cell: (cell.get("row", 0), cell.get("col", 0)))
        return [cell["name"] for cell in ordered if cell.get("name") in self.objects]


def _qtype(properties: Mapping[str, Any]) -> str:
    info = properties.get("qInfo")
    return str(info.get("qType", "")) if isinstance(info, Mapping) else ""


def load_app(definition: Mapping[str, Any], csv_text: str) -> SampleApp:
    """Build an app from its JSON definition and its CSV rows.

    Raises ``ValueError`` naming the file's problem when the CSV header does not match the
    declared fields or a number column holds something else.
    """
    types: dict[str, str] = dict(definition["fields"])
    for name, kind in types.items():
        if kind not in _FIELD_TYPES:
            raise ValueError(f"field {name!r}: type {kind!r} is not one of {_FIELD_TYPES}")
    reader = csv.DictReader(io.StringIO(csv_text))
    if list(reader.fieldnames or []) != list(types):
        raise ValueError(f"CSV header {reader.fieldnames} does not match fields {list(types)}")
    rows: list[dict[str, Value]] = []
    for line, record in enumerate(reader, start=2):
        row: dict[str, Value] = {}
        for name, kind in types.items():
            text = record[name]
            try:
                row[name] = float(text) if kind == "number" else text
            except ValueError:
                raise ValueError(f"line {line}: {name} {text!r} is not a number") from None
        rows.append(row)
    fields = {
        name: Field.from_column(name, kind == "number", [row[name] for row in rows])
        for name, kind in types.items()
    }
    objects = {oid: dict(prop) for oid, prop in definition.get("objects", {}).items()}
    return SampleApp(
        id=definition["id"],
        name=definition["name"],
        description=definition.get("description", ""),
        last_reload_time=definition.get("lastReloadTime", ""),
        rows=tuple(rows),
        fields=fields,
        objects=objects,
    )


def sample_apps() -> list[SampleApp]:
    """The packaged sample apps; the first is "the sample app" (Sales). Ids never change."""
    data = resources.files(__name__.rpartition(".")[0]).joinpath("data")
    apps = []
    for name in _APP_FILES:
        definition = json.loads(data.joinpath(name).read_text(encoding="utf-8"))
        csv_text = data.joinpath(definition["data"]).read_text(encoding="utf-8")
        apps.append(load_app(definition, csv_text))
    return apps

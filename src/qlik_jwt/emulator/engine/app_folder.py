"""Your own app in the emulator: a folder of CSV tables and Qlik property trees.

The folder holds:

- ``app.json``: ``{"id": ..., "name": ...}`` (optionally ``description``,
  ``lastReloadTime``); the id is kept as given, so pages written for a real tenant's app id
  work unchanged.
- one ``*.csv`` file per table, header row = field names. A column is numeric when every
  non-empty cell is a number; an empty cell is empty text. Tables are associated through
  fields of the same name, as Qlik associates them: the emulator joins them on those fields
  into one row set (full outer join, in the order of a walk from the first table). That is
  exact for star schemas (a fact table and dimension tables keyed by one field each); a
  many-to-many link repeats rows as a SQL join would. A table linked to no other is refused
  (Qlik would keep it as a data island, which the emulator does not model).
- optionally ``sheets/*.json`` and ``objects/*.json``: property trees as Qlik exports them
  (``GetFullPropertyTree``'s ``qPropEntry``: ``{"qProperty": ..., "qChildren": [...]}``), or
  plain properties. A sheet's children become objects of the app.

Anything malformed (no table, bad JSON, a field used by an object but in no table, a cell
naming no object) raises :class:`~qlik_jwt.errors.ConfigurationError` naming the file and
the fix.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from qlik_jwt.emulator.engine.apps import Field, SampleApp, Value, sample_apps
from qlik_jwt.emulator.engine.errors import EngineError
from qlik_jwt.emulator.engine.objects import check_properties
from qlik_jwt.errors import ConfigurationError

__all__ = ["load_app_folder", "tenant_apps"]

Row = dict[str, Value]


def _fail(path: Path, problem: str, value: Any = None, fix: str = "") -> ConfigurationError:
    return ConfigurationError(str(path), problem, value, fix)


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise _fail(
            path,
            f"is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            fix="Fix the JSON (a property tree exported by GetFullPropertyTree is valid JSON).",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(path, f"cannot be read ({exc})", fix="Save it as UTF-8 text.") from None


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _table(path: Path) -> list[Row]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            names = list(reader.fieldnames or [])
            records = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise _fail(path, f"cannot be read as CSV ({exc})", fix="Save it as UTF-8 CSV.") from None
    if not names or any(not name.strip() for name in names):
        raise _fail(path, "needs a header row of field names", names, "Name every column.")
    if len(set(names)) != len(names):
        raise _fail(path, "names a field twice", names, "Give each column its own name.")
    if not records:
        raise _fail(path, "has no rows", fix="Add data rows under the header.")
    numeric = {
        name: all(_number(r[name] or "") is not None for r in records if r[name])
        and any(r[name] for r in records)
        for name in names
    }
    rows = []
    for line, record in enumerate(records, start=2):
        if None in record:
            raise _fail(path, f"line {line} has more cells than the header", fix="Fix the row.")
        row: Row = {}
        for name in names:
            text = record[name] or ""
            number = _number(text) if numeric[name] and text else None
            row[name] = number if number is not None else text
        rows.append(row)
    return rows


def _join(tables: Mapping[Path, list[Row]]) -> list[Row]:
    """One row set: every table joined on its same-named fields, walking links from the first."""
    pending = dict(tables)
    first = next(iter(pending))
    rows = pending.pop(first)
    fields = set(rows[0])
    while pending:
        linked = next((p for p, t in pending.items() if fields & set(t[0])), None)
        if linked is None:
            island = next(iter(pending))
            raise _fail(
                island,
                f"shares no field with the other tables ({', '.join(sorted(fields))})",
                fix="Name a column like the field it links to (Qlik associates tables through "
                "fields of the same name).",
            )
        right = pending.pop(linked)
        shared = sorted(fields & set(right[0]))
        rows = _outer_join(rows, right, shared)
        fields |= set(right[0])
    return [{name: row.get(name, "") for name in sorted(fields)} for row in rows]


def _outer_join(left: list[Row], right: list[Row], keys: Sequence[str]) -> list[Row]:
    index: dict[tuple[Value, ...], list[Row]] = {}
    for row in right:
        index.setdefault(tuple(row[k] for k in keys), []).append(row)
    matched: set[tuple[Value, ...]] = set()
    joined = []
    for row in left:
        key = tuple(row.get(k, "") for k in keys)
        partners = index.get(key)
        if partners:
            matched.add(key)
            joined += [{**partner, **row} for partner in partners]
        else:
            joined.append(dict(row))
    joined += [dict(row) for key, rows in index.items() if key not in matched for row in rows]
    return joined


def _trees(folder: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every object property tree in ``sheets/`` and ``objects/``, children flattened."""
    found = []

    def walk(path: Path, tree: Any) -> None:
        if not isinstance(tree, dict):
            raise _fail(path, "must hold a JSON object", fix="Export it with GetFullPropertyTree.")
        properties = tree.get("qProperty", tree)
        info = properties.get("qInfo") if isinstance(properties, dict) else None
        if not isinstance(info, dict) or not isinstance(info.get("qId"), str) or not info["qId"]:
            raise _fail(
                path,
                "has an object without qInfo.qId",
                fix='Each object needs "qInfo": {"qId": ..., "qType": ...}.',
            )
        found.append((path, properties))
        children = tree.get("qChildren", []) if "qProperty" in tree else []
        for child in children if isinstance(children, list) else []:
            walk(path, child)

    for kind in ("sheets", "objects"):
        for path in sorted((folder / kind).glob("*.json")):
            walk(path, _json(path))
    return found


def _objects(folder: Path, app: SampleApp) -> dict[str, Mapping[str, Any]]:
    objects: dict[str, Mapping[str, Any]] = {}
    sources: dict[str, Path] = {}
    for path, properties in _trees(folder):
        object_id = properties["qInfo"]["qId"]
        if object_id in objects:
            raise _fail(
                path,
                f"defines object {object_id!r} again (also in {sources[object_id]})",
                fix="Keep one definition per qId.",
            )
        try:
            check_properties(properties, app)
        except EngineError as exc:
            raise _fail(
                path,
                f"object {object_id!r}: {exc.parameter}",
                fix="Use the fields of the CSV headers (a field used by an object must be in a "
                "table).",
            ) from None
        objects[object_id] = properties
        sources[object_id] = path
    for sheet_id, sheet in objects.items():
        cells = sheet.get("cells", []) if sheet["qInfo"].get("qType") == "sheet" else []
        for cell in cells if isinstance(cells, list) else []:
            name = cell.get("name") if isinstance(cell, dict) else None
            if name not in objects:
                raise _fail(
                    sources[sheet_id],
                    f"sheet {sheet_id!r} has a cell naming no object",
                    name,
                    "Export the sheet with its children, or add the object to objects/.",
                )
    return objects


def load_app_folder(folder: Path) -> SampleApp:
    """The app in ``folder``; ``ConfigurationError`` naming the file and the fix."""
    if not folder.is_dir():
        raise _fail(folder, "is not a folder", fix="Pass a folder holding app.json and CSV files.")
    meta = _json(folder / "app.json") if (folder / "app.json").is_file() else None
    if not isinstance(meta, dict):
        raise _fail(
            folder / "app.json",
            "must exist and hold a JSON object",
            fix='Write {"id": "<app id>", "name": "<app name>"}.',
        )
    for key in ("id", "name"):
        if not isinstance(meta.get(key), str) or not meta[key].strip():
            raise _fail(folder / "app.json", f"needs a non-empty {key!r}", meta.get(key))
    tables = {path: _table(path) for path in sorted(folder.glob("*.csv"))}
    if not tables:
        raise _fail(folder, "has no table", fix="Add one CSV file per table (header = fields).")
    rows = _join(tables)
    names = list(rows[0])
    fields = {
        name: Field.from_column(
            name,
            all(isinstance(r[name], float) for r in rows if r[name] != ""),
            [r[name] for r in rows],
        )
        for name in names
    }
    app = SampleApp(
        id=meta["id"],
        name=meta["name"],
        description=str(meta.get("description", "")),
        last_reload_time=str(meta.get("lastReloadTime", "")),
        rows=tuple(rows),
        fields=fields,
        objects={},
    )
    objects = _objects(folder, app)
    return SampleApp(
        id=app.id,
        name=app.name,
        description=app.description,
        last_reload_time=app.last_reload_time,
        rows=app.rows,
        fields=app.fields,
        objects=objects,
    )


def tenant_apps(folders: Sequence[Path]) -> list[SampleApp]:
    """The apps of ``folders`` (in order), then the sample apps; ``ConfigurationError`` for
    a malformed folder or an id used twice."""
    apps: list[SampleApp] = []
    where: dict[str, Path] = {}
    for folder in folders:
        app = load_app_folder(folder)
        if app.id in where:
            raise _fail(
                folder / "app.json",
                f"uses app id {app.id!r} again (also {where[app.id]})",
                fix="Give each app its own id.",
            )
        apps.append(app)
        where[app.id] = folder
    for sample in sample_apps():
        if sample.id in where:
            raise _fail(
                where[sample.id] / "app.json",
                f"uses the id of the sample app {sample.name!r}",
                sample.id,
                "Give the app another id.",
            )
        apps.append(sample)
    return apps

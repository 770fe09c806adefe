"""Reading a ``qHyperCubeDef``: what the emulator supports, checked once, with clear errors.

Supported: straight cubes (``qMode`` ``"S"``); dimensions over one field
(``qFieldDefs[0]``), titled by ``qFieldLabels[0]`` or the field name; measures whose
``qDef.qDef`` is an expression of :mod:`.expressions`, titled by ``qLabel`` or the
expression; sorting with ``qInterColumnSortOrder``, the dimensions' first
``qSortCriterias`` entry and the measures' ``qSortBy``; ``qInitialDataFetch``;
``qSuppressZero``. Calculated dimensions, library items and other modes raise
:class:`~.errors.EngineError` ``6000`` naming the property, the value and the fix.

Sort criteria apply in this order: state, expression, frequency, numeric, text (ascii),
load order; rows tied on every criterion stay in load order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from qlik_jwt.emulator.engine.apps import Field, SampleApp
from qlik_jwt.emulator.engine.errors import (
    HC_INVALID_OBJECT,
    HC_RESULT_TOO_LARGE,
    RPC_INVALID_PARAMS,
    EngineError,
    ErrorCode,
)
from qlik_jwt.emulator.engine.expressions import Expression, ExpressionError, compile_expression
from qlik_jwt.errors import describe

__all__ = [
    "MAX_CELLS_PER_REQUEST",
    "CubeDefinition",
    "DimensionDef",
    "MeasureDef",
    "Page",
    "SortCriterion",
    "compile_cube",
    "compile_dimension",
    "parse_pages",
]

# Qlik refuses to return more than 10,000 cells in one data request.
MAX_CELLS_PER_REQUEST = 10_000

# (property, kind), in the order they apply.
_CRITERIA = (
    ("qSortByState", "state"),
    ("qSortByExpression", "expression"),
    ("qSortByFrequency", "frequency"),
    ("qSortByNumeric", "numeric"),
    ("qSortByAscii", "ascii"),
    ("qSortByLoadOrder", "load"),
)
_MEASURE_CRITERIA = ("expression", "numeric")


@dataclass(frozen=True)
class SortCriterion:
    """One sort key: its kind, ``1`` ascending or ``-1`` descending, and its expression."""

    kind: str
    direction: int
    expression: Expression | None = None


@dataclass(frozen=True)
class DimensionDef:
    field: Field
    title: str
    sort: tuple[SortCriterion, ...]


@dataclass(frozen=True)
class MeasureDef:
    expression: Expression
    title: str
    num_format: Mapping[str, Any] | None
    sort: tuple[SortCriterion, ...]


@dataclass(frozen=True)
class Page:
    """A rectangle of cells: ``qTop``/``qLeft`` offsets and ``qWidth``/``qHeight`` sizes."""

    top: int
    left: int
    width: int
    height: int

    def as_json(self) -> dict[str, int]:
        return {"qLeft": self.left, "qTop": self.top, "qWidth": self.width, "qHeight": self.height}


@dataclass(frozen=True)
class CubeDefinition:
    """A checked ``qHyperCubeDef``; ``sort_order`` is the effective inter-column order."""

    dimensions: tuple[DimensionDef, ...]
    measures: tuple[MeasureDef, ...]
    sort_order: tuple[int, ...]
    initial_fetch: tuple[Page, ...]
    suppress_zero: bool
    column_order: tuple[int, ...]

    @property
    def width(self) -> int:
        return len(self.dimensions) + len(self.measures)


def _fail(error: ErrorCode, path: str, problem: str, value: Any, fix: str = "") -> EngineError:
    return EngineError(
        error, f"{path}: {problem} (got {describe(value)}).{' ' + fix if fix else ''}"
    )


def _invalid(path: str, problem: str, value: Any, fix: str = "") -> EngineError:
    return _fail(HC_INVALID_OBJECT, path, problem, value, fix)


def _object(value: Any, path: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _invalid(path, "must be an object", value, "Pass a JSON object.")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _invalid(path, "must be an array", value, "Pass a JSON array.")
    return value


def _int(value: Any, path: str, default: int = 0) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(path, "must be an integer", value, "Use -1, 0 or 1.")
    return value


def _expression(text: Any, app: SampleApp, path: str) -> Expression:
    if not isinstance(text, str):
        raise _invalid(path, "must be an expression string", text, "Write e.g. Sum(Sales).")
    try:
        return compile_expression(text, app.fields)
    except ExpressionError as exc:
        raise _invalid(path, str(exc), text) from None


def _criteria(
    spec: Mapping[str, Any], app: SampleApp, path: str, allowed: tuple[str, ...] | None = None
) -> tuple[SortCriterion, ...]:
    found = []
    for prop, kind in _CRITERIA:
        if allowed is not None and kind not in allowed:
            continue
        direction = _int(spec.get(prop), f"{path}.{prop}")
        if direction == 0:
            continue
        expression = None
        if kind == "expression":
            text = _object(spec.get("qExpression"), f"{path}.qExpression").get("qv")
            expression = _expression(text, app, f"{path}.qExpression.qv")
        found.append(SortCriterion(kind, 1 if direction > 0 else -1, expression))
    return tuple(found)


def compile_dimension(spec: Any, app: SampleApp, path: str) -> DimensionDef:
    """Check one ``NxDimension`` (or a list object's definition: same ``qDef``)."""
    spec = _object(spec, path)
    if spec.get("qLibraryId"):
        raise _invalid(
            f"{path}.qLibraryId",
            "master dimensions are not supported by the emulator",
            spec["qLibraryId"],
            "Define the dimension inline with qDef.qFieldDefs.",
        )
    qdef = _object(spec.get("qDef"), f"{path}.qDef")
    names = _list(qdef.get("qFieldDefs"), f"{path}.qDef.qFieldDefs")
    name = names[0] if names else None
    where = f"{path}.qDef.qFieldDefs[0]"
    if not isinstance(name, str) or not name.strip():
        raise _invalid(where, "a dimension needs a field name", name, 'e.g. ["Region"].')
    if name.lstrip().startswith("="):
        raise _invalid(
            where,
            "calculated dimensions are not supported by the emulator",
            name,
            "Use a field name.",
        )
    field = app.fields.get(name.strip().strip("[]"))
    if field is None:
        raise _invalid(
            where, "no such field", name, f"The app's fields are {', '.join(sorted(app.fields))}."
        )
    labels = _list(qdef.get("qFieldLabels"), f"{path}.qDef.qFieldLabels")
    title = labels[0] if labels and isinstance(labels[0], str) and labels[0] else field.name
    sorts = _list(qdef.get("qSortCriterias"), f"{path}.qDef.qSortCriterias")
    where = f"{path}.qDef.qSortCriterias[0]"
    sort = _criteria(_object(sorts[0], where), app, where) if sorts else ()
    return DimensionDef(field, title, sort)


def _measure(spec: Any, app: SampleApp, path: str) -> MeasureDef:
    spec = _object(spec, path)
    if spec.get("qLibraryId"):
        raise _invalid(
            f"{path}.qLibraryId",
            "master measures are not supported by the emulator",
            spec["qLibraryId"],
            "Define the measure inline with qDef.qDef.",
        )
    qdef = _object(spec.get("qDef"), f"{path}.qDef")
    expression = _expression(qdef.get("qDef"), app, f"{path}.qDef.qDef")
    label = qdef.get("qLabel")
    title = label if isinstance(label, str) and label else expression.text
    num_format = qdef.get("qNumFormat")
    if num_format is not None:
        num_format = _object(num_format, f"{path}.qDef.qNumFormat")
        if num_format.get("qType", "U") == "U":
            num_format = None  # Sense stores the automatic format as qType "U"
    where = f"{path}.qSortBy"
    sort = _criteria(_object(spec.get("qSortBy"), where), app, where, _MEASURE_CRITERIA)
    return MeasureDef(expression, title, num_format or None, sort)


def _sort_order(value: Any, width: int, path: str) -> tuple[int, ...]:
    order: list[int] = []
    for i, column in enumerate(_list(value, path)):
        if isinstance(column, bool) or not isinstance(column, int) or not 0 <= column < width:
            raise _invalid(
                f"{path}[{i}]",
                f"must be a column index from 0 to {width - 1}",
                column,
                "Dimensions come first, then measures.",
            )
        if column not in order:
            order.append(column)
    return (*order, *(c for c in range(width) if c not in order))


def parse_pages(value: Any, path: str, *, error: ErrorCode = RPC_INVALID_PARAMS) -> list[Page]:
    """Read ``NxPage`` objects; refuse negative sizes and more than 10,000 cells in all."""
    if not isinstance(value, list):
        raise _fail(error, path, "must be an array of pages", value, "Pass [{qTop, qLeft, ...}].")
    pages = []
    for i, spec in enumerate(value):
        if not isinstance(spec, Mapping):
            raise _fail(error, f"{path}[{i}]", "must be an object", spec, "Pass an NxPage.")
        numbers = []
        for name in ("qTop", "qLeft", "qWidth", "qHeight"):
            number = spec.get(name, 0)
            if isinstance(number, bool) or not isinstance(number, int) or number < 0:
                raise _fail(
                    error, f"{path}[{i}].{name}", "must be an integer >= 0", number, "Fix the page."
                )
            numbers.append(number)
        pages.append(Page(*numbers))
    cells = sum(page.width * page.height for page in pages)
    if cells > MAX_CELLS_PER_REQUEST:
        raise _fail(
            HC_RESULT_TOO_LARGE,
            path,
            f"asks for {cells} cells, more than the {MAX_CELLS_PER_REQUEST} Qlik allows at once",
            value,
            "Fetch smaller pages.",
        )
    return pages


def compile_cube(definition: Any, app: SampleApp, path: str = "qHyperCubeDef") -> CubeDefinition:
    """Check a ``qHyperCubeDef`` against ``app``; raise ``EngineError`` 6000 if unsupported."""
    spec = _object(definition, path)
    mode = spec.get("qMode", "S")
    if mode != "S":
        raise _invalid(
            f"{path}.qMode",
            "only straight cubes are supported by the emulator",
            mode,
            'Use "S" (pivot "P", stacked "K" and tree "T" are not emulated).',
        )
    dims = _list(spec.get("qDimensions"), f"{path}.qDimensions")
    measures = _list(spec.get("qMeasures"), f"{path}.qMeasures")
    dimensions = tuple(
        compile_dimension(d, app, f"{path}.qDimensions[{i}]") for i, d in enumerate(dims)
    )
    measure_defs = tuple(_measure(m, app, f"{path}.qMeasures[{i}]") for i, m in enumerate(measures))
    width = len(dimensions) + len(measure_defs)
    fetch = spec.get("qInitialDataFetch")
    return CubeDefinition(
        dimensions=dimensions,
        measures=measure_defs,
        sort_order=_sort_order(
            spec.get("qInterColumnSortOrder"), width, f"{path}.qInterColumnSortOrder"
        ),
        initial_fetch=tuple(
            parse_pages(fetch, f"{path}.qInitialDataFetch", error=HC_INVALID_OBJECT)
            if fetch is not None
            else ()
        ),
        suppress_zero=spec.get("qSuppressZero") is True,
        column_order=tuple(c for c in _list(spec.get("qColumnOrder"), path) if isinstance(c, int)),
    )

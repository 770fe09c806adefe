"""Computing a straight hypercube over an app's possible rows, and its layout and pages.

Rows are grouped by the dimensions' values (only combinations present in the data, as in
Qlik), each measure is evaluated over its group, and the grand total row evaluates each
measure over all possible rows. Cells follow Qlik's ``NxCell``: text dimension values carry
``qNum`` ``"NaN"``, measures carry ``qElemNumber`` 0 and ``qState`` ``"L"``, nulls ``qText``
``"-"`` with ``qIsNull``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from qlik_jwt.emulator.engine.apps import SampleApp, Value
from qlik_jwt.emulator.engine.cube_definition import (
    CubeDefinition,
    DimensionDef,
    MeasureDef,
    Page,
    SortCriterion,
)
from qlik_jwt.emulator.engine.formatting import format_number, json_number
from qlik_jwt.emulator.engine.selections import Selections

__all__ = ["HyperCube", "dimension_info", "numeric_key", "value_text"]

Row = Mapping[str, Value]
_STATE_RANK = {"S": 0, "O": 1}


def value_text(value: Value) -> str:
    """A field value as ``qText``: text as is, numbers in the automatic format."""
    return value if isinstance(value, str) else format_number(value)


@dataclass
class _CubeRow:
    keys: tuple[Value, ...]
    rows: list[Row]
    values: list[float | None]


class HyperCube:
    """One hypercube computed for the current selections; cheap to rebuild."""

    def __init__(self, definition: CubeDefinition, app: SampleApp, selections: Selections) -> None:
        self.definition = definition
        self.app = app
        self.selections = selections
        self.possible = selections.possible_rows(app.rows)
        self.rows = self._group()
        self._sort()
        self.totals = [m.expression.evaluate(self.possible) for m in definition.measures]

    def _group(self) -> list[_CubeRow]:
        names = [d.field.name for d in self.definition.dimensions]
        groups: dict[tuple[Value, ...], list[Row]] = {}
        if names:
            for row in self.possible:
                groups.setdefault(tuple(row[name] for name in names), []).append(row)
        else:
            groups[()] = list(self.possible)  # no dimensions: exactly one row, even if empty
        measures = self.definition.measures
        rows = [
            _CubeRow(keys, members, [m.expression.evaluate(members) for m in measures])
            for keys, members in groups.items()
        ]
        if self.definition.suppress_zero and names:
            rows = [r for r in rows if any(v not in (None, 0.0) for v in r.values)]
        return rows

    def _sort(self) -> None:
        dims = self.definition.dimensions
        # The least significant key first: load order of every dimension, then each column's
        # criteria from the last column of qInterColumnSortOrder to the first (stable sorts).
        self.rows.sort(
            key=lambda r: [d.field.elem_number(k) for d, k in zip(dims, r.keys, strict=True)]
        )
        for column in reversed(self.definition.sort_order):
            if column < len(dims):
                dim = dims[column]
                for criterion in reversed(dim.sort):
                    key, reverse = self._dimension_key(column, dim, criterion)
                    self.rows.sort(key=key, reverse=reverse)
            else:
                index = column - len(dims)
                measure = self.definition.measures[index]
                for criterion in reversed(measure.sort):
                    self.rows.sort(key=self._measure_key(index, criterion))

    def _dimension_key(
        self, column: int, dim: DimensionDef, criterion: SortCriterion
    ) -> tuple[Callable[[_CubeRow], Any], bool]:
        name, direction = dim.field.name, criterion.direction
        if criterion.kind == "ascii":
            return (lambda r: value_text(r.keys[column]).casefold()), direction < 0
        if criterion.kind == "numeric":
            return (lambda r: numeric_key(r.keys[column], direction)), False
        if criterion.kind == "load":
            return (lambda r: direction * dim.field.elem_number(r.keys[column])), False
        if criterion.kind == "state":
            state = self.selections.state
            return (lambda r: direction * _STATE_RANK[state(name, r.keys[column])]), False
        by_value: dict[Value, list[Row]] = {}
        for row in self.possible:
            by_value.setdefault(row[name], []).append(row)
        if criterion.kind == "frequency":
            return (lambda r: direction * len(by_value[r.keys[column]])), False
        assert criterion.expression is not None
        totals = {value: criterion.expression.evaluate(rows) for value, rows in by_value.items()}
        return (lambda r: numeric_key(totals[r.keys[column]], direction)), False

    def _measure_key(
        self, index: int, criterion: SortCriterion
    ) -> Callable[[_CubeRow], tuple[bool, float]]:
        direction, expression = criterion.direction, criterion.expression
        if expression is None:
            return lambda r: numeric_key(r.values[index], direction)
        return lambda r: numeric_key(expression.evaluate(r.rows), direction)

    # -- output ------------------------------------------------------------------------------

    @property
    def size(self) -> dict[str, int]:
        return {"qcx": self.definition.width, "qcy": len(self.rows)}

    def _dimension_cell(self, dim: DimensionDef, value: Value) -> dict[str, Any]:
        return {
            "qText": value_text(value),
            "qNum": "NaN" if isinstance(value, str) else json_number(value),
            "qElemNumber": dim.field.elem_number(value),
            "qState": self.selections.state(dim.field.name, value),
        }

    @staticmethod
    def _measure_cell(measure: MeasureDef, value: float | None) -> dict[str, Any]:
        cell: dict[str, Any] = {
            "qText": format_number(value, measure.num_format),
            "qNum": json_number(value),
            "qElemNumber": 0,
            "qState": "L",
        }
        if value is None:
            cell["qIsNull"] = True
        return cell

    def _cell(self, row: _CubeRow, column: int) -> dict[str, Any]:
        dims = self.definition.dimensions
        if column < len(dims):
            return self._dimension_cell(dims[column], row.keys[column])
        index = column - len(dims)
        return self._measure_cell(self.definition.measures[index], row.values[index])

    def page(self, page: Page) -> dict[str, Any]:
        """One ``NxDataPage``: the cells inside ``page``, its area clipped to the cube."""
        width = max(0, min(page.width, self.definition.width - page.left))
        height = max(0, min(page.height, len(self.rows) - page.top))
        columns = range(page.left, page.left + width)
        matrix = [
            [self._cell(row, c) for c in columns] for row in self.rows[page.top : page.top + height]
        ]
        area = Page(page.top, page.left, width, height)
        return {"qMatrix": matrix, "qTails": [], "qArea": area.as_json(), "qIsReduced": False}

    def grand_total_row(self) -> list[dict[str, Any]]:
        cells = []
        for measure, value in zip(self.definition.measures, self.totals, strict=True):
            cell = self._measure_cell(measure, value)
            cell.update(qElemNumber=-1, qState="X", qIsTotalCell=True)
            cells.append(cell)
        return cells

    def _measure_info(self, index: int, measure: MeasureDef) -> dict[str, Any]:
        values = [r.values[index] for r in self.rows]
        numbers = [v for v in values if v is not None]
        texts = [format_number(v, measure.num_format) for v in values]
        return {
            "qFallbackTitle": measure.title,
            "qApprMaxGlyphCount": max((len(t) for t in texts), default=0),
            "qCardinal": 0,
            "qSortIndicator": _indicator(measure.sort),
            "qNumFormat": dict(measure.num_format or {"qType": "U", "qnDec": 10, "qUseThou": 0}),
            "qMin": json_number(min(numbers)) if numbers else "NaN",
            "qMax": json_number(max(numbers)) if numbers else "NaN",
            "qIsAutoFormat": measure.num_format is None,
            "qAttrExprInfo": [],
            "qAttrDimInfo": [],
        }

    def layout(self, pages: Sequence[Page] | None = None) -> dict[str, Any]:
        """The ``qHyperCube`` of a layout, with ``qDataPages`` for ``qInitialDataFetch``."""
        definition = self.definition
        fetch = definition.initial_fetch if pages is None else pages
        return {
            "qStateName": "$",
            "qSize": self.size,
            "qDimensionInfo": [
                dimension_info(
                    d, {row.keys[i] for row in self.rows}, self.possible, self.selections
                )
                for i, d in enumerate(definition.dimensions)
            ],
            "qMeasureInfo": [self._measure_info(i, m) for i, m in enumerate(definition.measures)],
            "qEffectiveInterColumnSortOrder": list(definition.sort_order),
            "qGrandTotalRow": self.grand_total_row(),
            "qDataPages": [self.page(p) for p in fetch],
            "qPivotDataPages": [],
            "qStackedDataPages": [],
            "qMode": "S",
            "qNoOfLeftDims": -1,
            "qTreeNodesOnDim": [],
            "qColumnOrder": list(definition.column_order),
        }


def dimension_info(
    dim: DimensionDef, shown: set[Value], possible: Sequence[Row], selections: Selections
) -> dict[str, Any]:
    """An ``NxDimensionInfo``: titles, cardinalities and state counts of a dimension that
    shows the values ``shown`` when the rows in ``possible`` are possible."""
    field = dim.field
    selected = selections.selected(field.name)
    numbers = [v for v in field.values if isinstance(v, float)]
    counts = {"qLocked": 0, "qSelected": len(selected), "qOption": 0, "qDeselected": 0}
    counts.update(qAlternative=0, qExcluded=0, qSelectedExcluded=0, qLockedExcluded=0)
    values = {row[field.name] for row in possible}
    if selected:
        counts["qExcluded"] = field.cardinal - len(selected)
    else:
        counts.update(qOption=len(values), qExcluded=field.cardinal - len(values))
    return {
        "qFallbackTitle": dim.title,
        "qApprMaxGlyphCount": max((len(value_text(v)) for v in shown), default=0),
        "qCardinal": field.cardinal,
        "qLocked": False,
        "qSortIndicator": _indicator(dim.sort),
        "qGroupFallbackTitles": [dim.title],
        "qGroupPos": 0,
        "qStateCounts": counts,
        "qTags": ["$numeric"] if field.numeric else ["$text"],
        "qDimensionType": "N" if field.numeric else "D",
        "qGrouping": "N",
        "qNumFormat": {"qType": "U", "qnDec": 0, "qUseThou": 0},
        "qIsAutoFormat": True,
        "qGroupFieldDefs": [field.name],
        "qMin": json_number(min(numbers)) if numbers else "NaN",
        "qMax": json_number(max(numbers)) if numbers else "NaN",
        "qContinuousAxes": False,
        "qIsCyclic": False,
        "qDerivedField": False,
        "qIsOneAndOnlyOne": False,
        "qAttrExprInfo": [],
        "qAttrDimInfo": [],
        "qCardinalities": {
            "qCardinal": field.cardinal,
            "qHypercubeCardinal": len(shown),
            "qAllValuesCardinal": -1,
        },
    }


def numeric_key(value: Value | None, direction: int) -> tuple[bool, float]:
    """Numbers in ``direction``; text and null always after them."""
    if isinstance(value, float):
        return (False, direction * value)
    return (True, 0.0)


def _indicator(sort: tuple[SortCriterion, ...]) -> str:
    if not sort:
        return "N"
    return "A" if sort[0].direction > 0 else "D"

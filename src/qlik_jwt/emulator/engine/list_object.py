"""List objects (``qListObjectDef``): every value of one field with its selection state.

This is what a filter pane's list boxes and stardust's selections toolbar show. A value is
selected (``S``), optional (``O``: possible, its field has no selection), alternative
(``A``: would be possible if its field's own selection were cleared) or excluded (``X``).
Values sort by the definition's ``qSortCriterias`` (state, frequency, numeric, text, load
order); ties keep load order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from qlik_jwt.emulator.engine.apps import Field, SampleApp, Value
from qlik_jwt.emulator.engine.cube_definition import (
    DimensionDef,
    Page,
    compile_dimension,
    parse_pages,
)
from qlik_jwt.emulator.engine.errors import HC_INVALID_OBJECT, INVALID_PARAMETERS, EngineError
from qlik_jwt.emulator.engine.formatting import json_number
from qlik_jwt.emulator.engine.hypercube import dimension_info, numeric_key, value_text
from qlik_jwt.emulator.engine.selections import Selections
from qlik_jwt.errors import describe

__all__ = ["ListDefinition", "ListObject", "compile_list", "values_of"]

_STATE_RANK = {"S": 0, "O": 1, "A": 2, "X": 3}


@dataclass(frozen=True)
class ListDefinition:
    """A checked ``qListObjectDef``: its field (as a dimension) and initial pages."""

    dimension: DimensionDef
    initial_fetch: tuple[Page, ...]


def compile_list(spec: Any, app: SampleApp, path: str) -> ListDefinition:
    """Check a ``qListObjectDef`` (its ``qDef`` is a dimension's); raise ``EngineError``."""
    if not isinstance(spec, Mapping):
        raise EngineError(HC_INVALID_OBJECT, f"{path}: must be an object (got {describe(spec)})")
    fetch = spec.get("qInitialDataFetch")
    pages = () if fetch is None else parse_pages(fetch, f"{path}.qInitialDataFetch")
    return ListDefinition(compile_dimension(spec, app, path), tuple(pages))


def values_of(field: Field, elements: list[Any]) -> list[Value]:
    """The field values with these ``qElemNumber``s; ``EngineError`` for anything else."""
    if not all(isinstance(e, int) and not isinstance(e, bool) for e in elements):
        raise EngineError(
            INVALID_PARAMETERS, f"qValues must be qElemNumber integers, got {describe(elements)}"
        )
    unknown = [e for e in elements if not 0 <= e < field.cardinal]
    if unknown:
        raise EngineError(
            INVALID_PARAMETERS,
            f"qValues {describe(unknown)} are not qElemNumbers of field {describe(field.name)} "
            f"(0 to {field.cardinal - 1}); take them from the cells' qElemNumber",
        )
    return [field.values[e] for e in elements]


class ListObject:
    """One list object computed for the current selections."""

    def __init__(self, definition: ListDefinition, app: SampleApp, selections: Selections) -> None:
        self.definition = definition.dimension
        self.initial_fetch = definition.initial_fetch
        name = self.definition.field.name
        self.possible = selections.possible_rows(app.rows)
        possible = {row[name] for row in self.possible}
        unselected = {row[name] for row in selections.possible_rows(app.rows, ignoring=name)}
        selected = selections.selected(name)
        self.states: dict[Value, str] = {}
        for value in self.definition.field.values:
            if value in selected:
                state = "S"
            elif selected:
                state = "A" if value in unselected else "X"
            else:
                state = "O" if value in possible else "X"
            self.states[value] = state
        self.selections = selections
        self.values = list(self.definition.field.values)
        for criterion in reversed(self.definition.sort):
            key = self._key(criterion.kind)
            if key is not None:
                self.values.sort(key=key, reverse=criterion.direction < 0)

    def _key(self, kind: str) -> Callable[[Value], Any] | None:
        if kind == "state":
            return lambda v: _STATE_RANK[self.states[v]]
        if kind == "ascii":
            return lambda v: value_text(v).casefold()
        if kind == "numeric":
            return lambda v: numeric_key(v, 1)
        if kind == "frequency":
            counts: dict[Value, int] = {}
            for row in self.possible:
                value = row[self.definition.field.name]
                counts[value] = counts.get(value, 0) + 1
            return lambda v: counts.get(v, 0)
        if kind == "load":
            return self.definition.field.elem_number
        return None

    def _cell(self, value: Value) -> dict[str, Any]:
        return {
            "qText": value_text(value),
            "qNum": "NaN" if isinstance(value, str) else json_number(value),
            "qElemNumber": self.definition.field.elem_number(value),
            "qState": self.states[value],
        }

    def page(self, page: Page) -> dict[str, Any]:
        """One ``NxDataPage`` (a list object has one column)."""
        width = max(0, min(page.width, 1 - page.left))
        height = max(0, min(page.height, len(self.values) - page.top)) if width else 0
        shown = self.values[page.top : page.top + height]
        area = Page(page.top, page.left, width, height)
        return {
            "qMatrix": [[self._cell(value)] for value in shown],
            "qTails": [],
            "qArea": area.as_json(),
            "qIsReduced": False,
        }

    def select(self, elements: list[Any], *, toggle: bool) -> bool:
        """Select values by ``qElemNumber``; True if that changed the selections."""
        values = values_of(self.definition.field, elements)
        return self.selections.select(self.definition.field.name, values, toggle=toggle)

    def layout(self) -> dict[str, Any]:
        """The ``qListObject`` of a layout, with ``qDataPages`` for ``qInitialDataFetch``."""
        info = dimension_info(self.definition, set(self.values), self.possible, self.selections)
        return {
            "qStateName": "$",
            "qSize": {"qcx": 1, "qcy": len(self.values)},
            "qDimensionInfo": info,
            "qExpressions": [],
            "qDataPages": [self.page(p) for p in self.initial_fetch],
        }

"""A session's selections: for each field, the set of values the user selected.

Rows are possible when, for every field with a selection, their value is selected. Cells
of a field with a selection are in state ``S``; others are optional (``O``). Alternative and
excluded states are not computed: hypercubes only ever show possible rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from qlik_jwt.emulator.engine.apps import Value

__all__ = ["Selections"]

Row = Mapping[str, Value]


class Selections:
    """Selected values per field name. Empty sets are never kept."""

    def __init__(self) -> None:
        self._selected: dict[str, set[Value]] = {}

    def __bool__(self) -> bool:
        return bool(self._selected)

    def selected(self, field: str) -> frozenset[Value]:
        """The field's selected values (empty when the field has no selection)."""
        return frozenset(self._selected.get(field, ()))

    def fields(self) -> list[str]:
        """Names of the fields that have a selection."""
        return list(self._selected)

    def select(self, field: str, values: Iterable[Value], *, toggle: bool) -> bool:
        """Select ``values`` in ``field`` (replacing, or toggling each); True if that changed it."""
        before = self.selected(field)
        chosen = set(values)
        after = before.symmetric_difference(chosen) if toggle else chosen
        if after:
            self._selected[field] = set(after)
        else:
            self._selected.pop(field, None)
        return after != before

    def clear(self, field: str | None = None) -> bool:
        """Clear one field's selection, or all of them; return whether anything changed."""
        if field is None:
            changed = bool(self._selected)
            self._selected.clear()
            return changed
        return self._selected.pop(field, None) is not None

    def possible_rows(self, rows: Sequence[Row]) -> list[Row]:
        """The rows that satisfy every selection."""
        if not self._selected:
            return list(rows)
        criteria = list(self._selected.items())
        return [row for row in rows if all(row.get(f) in values for f, values in criteria)]

    def state(self, field: str, value: Value) -> str:
        """``qState`` of a possible value: ``S`` if selected, else ``O``."""
        return "S" if value in self._selected.get(field, ()) else "O"

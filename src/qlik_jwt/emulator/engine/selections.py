"""A session's selections: for each field, the set of values the user selected.

Rows are possible when, for every field with a selection, their value is selected. Cells
of a field with a selection are in state ``S``; others are optional (``O``). Hypercubes only
ever show possible rows; list objects also show alternative (``A``: possible if the field's
own selection were cleared) and excluded (``X``) values.

Every change is remembered, so ``Back`` and ``Forward`` step through them as in Qlik. A
modal selection (``BeginSelections`` ... ``EndSelections``) is recorded as one step when it
is accepted, and undone when it is not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from qlik_jwt.emulator.engine.apps import Value

__all__ = ["Selections"]

Row = Mapping[str, Value]


_State = dict[str, frozenset[Value]]


class Selections:
    """Selected values per field name. Empty sets are never kept."""

    def __init__(self) -> None:
        self._selected: dict[str, set[Value]] = {}
        self._back: list[_State] = []
        self._forward: list[_State] = []
        self._modal_start: _State | None = None

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
        if after == before:
            return False
        self._remember()
        if after:
            self._selected[field] = set(after)
        else:
            self._selected.pop(field, None)
        return True

    def clear(self, field: str | None = None) -> bool:
        """Clear one field's selection, or all of them; return whether anything changed."""
        if not (self._selected if field is None else field in self._selected):
            return False
        self._remember()
        if field is None:
            self._selected.clear()
        else:
            del self._selected[field]
        return True

    # -- history and modal selections --------------------------------------------------------

    def _state(self) -> _State:
        return {name: frozenset(values) for name, values in self._selected.items()}

    def _restore(self, state: _State) -> None:
        self._selected = {name: set(values) for name, values in state.items()}

    def _remember(self) -> None:
        if self._modal_start is None:  # a modal selection is one step, recorded when accepted
            self._back.append(self._state())
            self._forward.clear()

    @property
    def back_count(self) -> int:
        return len(self._back)

    @property
    def forward_count(self) -> int:
        return len(self._forward)

    def back(self) -> bool:
        """Step back to the selections before the last change; False if there is none."""
        if not self._back:
            return False
        self._forward.append(self._state())
        self._restore(self._back.pop())
        return True

    def forward(self) -> bool:
        """Redo the change undone by the last :meth:`back`; False if there is none."""
        if not self._forward:
            return False
        self._back.append(self._state())
        self._restore(self._forward.pop())
        return True

    def begin_modal(self) -> None:
        """Start a modal selection (a second begin keeps the first start)."""
        if self._modal_start is None:
            self._modal_start = self._state()

    def end_modal(self, *, accept: bool) -> bool:
        """End the modal selection: keep it as one step, or undo it; True if that changed
        the selections."""
        start, self._modal_start = self._modal_start, None
        if start is None:
            return False
        if not accept:
            changed = start != self._state()
            self._restore(start)
            return changed
        if start != self._state():
            self._back.append(start)
            self._forward.clear()
        return False

    def made_in_modal(self) -> bool:
        """Whether the current modal selection changed anything yet."""
        return self._modal_start is not None and self._modal_start != self._state()

    # -- what is possible --------------------------------------------------------------------

    def possible_rows(self, rows: Sequence[Row], *, ignoring: str | None = None) -> list[Row]:
        """The rows that satisfy every selection (but that of field ``ignoring``)."""
        criteria = [(f, values) for f, values in self._selected.items() if f != ignoring]
        if not criteria:
            return list(rows)
        return [row for row in rows if all(row.get(f) in values for f, values in criteria)]

    def state(self, field: str, value: Value) -> str:
        """``qState`` of a possible value: ``S`` if selected, else ``O``."""
        return "S" if value in self._selected.get(field, ()) else "O"

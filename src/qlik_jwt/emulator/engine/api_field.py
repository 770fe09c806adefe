"""Field: its cardinality, and selecting or clearing its values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qlik_jwt.emulator.engine.apps import Value
from qlik_jwt.emulator.engine.errors import INVALID_PARAMETERS, EngineError
from qlik_jwt.emulator.engine.hypercube import value_text
from qlik_jwt.emulator.engine.params import Param
from qlik_jwt.emulator.engine.state import Api, Handle, Reply, SessionState
from qlik_jwt.errors import describe

__all__ = ["FIELD"]

FIELD = Api("Field")


@FIELD.method("GetCardinal")
def get_cardinal(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    return Reply({"qReturn": state.document_of(handle).app.fields[handle.target].cardinal})


def _matches(spec: Any, values: tuple[Value, ...]) -> list[Value]:
    """The field values an ``FieldValue`` names: by number if ``qIsNumeric``, else by text."""
    if not isinstance(spec, Mapping):
        raise EngineError(
            INVALID_PARAMETERS,
            f"qFieldValues items must be objects like {{'qText': 'EMEA'}}, got {describe(spec)}",
        )
    if spec.get("qIsNumeric"):
        number = spec.get("qNumber")
        return [v for v in values if isinstance(v, float) and v == number]
    text = spec.get("qText")
    return [v for v in values if value_text(v) == text]


@FIELD.method(
    "SelectValues",
    Param("qFieldValues", list, required=True),
    Param("qToggleMode", bool, False),
    Param("qSoftLock", bool, False),
)
def select_values(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    document = state.document_of(handle)
    field = document.app.fields[handle.target]
    chosen = [v for spec in args["qFieldValues"] for v in _matches(spec, field.values)]
    changed = document.selections.select(field.name, chosen, toggle=args["qToggleMode"])
    return Reply({"qReturn": True}, change=state.data_handles() if changed else [])


@FIELD.method("Clear")
def clear(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    changed = state.document_of(handle).selections.clear(handle.target)
    return Reply({"qReturn": True}, change=state.data_handles() if changed else [])

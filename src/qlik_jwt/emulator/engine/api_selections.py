"""Selections over the wire: through hypercubes and list objects, modal selections
(``BeginSelections`` ... ``EndSelections``/``AbortModal``), ``ClearAll``, ``Back`` and
``Forward``.

Every answer that changed the selections lists, in ``change``, every open handle whose
layout depends on them (generic objects and fields), so each client re-fetches its layouts.
"""

from __future__ import annotations

from typing import Any

from qlik_jwt.emulator.engine.api_doc import DOC
from qlik_jwt.emulator.engine.api_object import GENERIC_OBJECT
from qlik_jwt.emulator.engine.errors import INVALID_PARAMETERS, EngineError
from qlik_jwt.emulator.engine.list_object import values_of
from qlik_jwt.emulator.engine.params import Param
from qlik_jwt.emulator.engine.state import Handle, Reply, SessionState

__all__: list[str] = []


def _changed(state: SessionState, changed: bool, result: dict[str, Any]) -> Reply:
    return Reply(result, change=state.data_handles() if changed else [])


@GENERIC_OBJECT.method(
    "SelectHyperCubeValues",
    Param("qPath", str, required=True),
    Param("qDimNo", int, required=True),
    Param("qValues", list, required=True),
    Param("qToggleMode", bool, False),
)
def select_hypercube_values(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    """Select dimension values by ``qElemNumber``; answer which layouts changed."""
    document = state.document_of(handle)
    dimensions = document.hypercube(handle.target, args["qPath"]).definition.dimensions
    number = args["qDimNo"]
    if not 0 <= number < len(dimensions):
        raise EngineError(
            INVALID_PARAMETERS,
            f"qDimNo {number} is not a dimension of this hypercube; "
            f"it has {len(dimensions)} (numbered from 0)",
        )
    field = dimensions[number].field
    values = values_of(field, args["qValues"])
    changed = document.selections.select(field.name, values, toggle=args["qToggleMode"])
    return _changed(state, changed, {"qSuccess": True})


@GENERIC_OBJECT.method(
    "SelectListObjectValues",
    Param("qPath", str, required=True),
    Param("qValues", list, required=True),
    Param("qToggleMode", bool, False),
    Param("qSoftLock", bool, False),
)
def select_list_object_values(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    listed = state.document_of(handle).list_object(handle.target, args["qPath"])
    changed = listed.select(args["qValues"], toggle=args["qToggleMode"])
    return _changed(state, changed, {"qSuccess": True})


@GENERIC_OBJECT.method(
    "ClearSelections",
    Param("qPath", str, required=True),
    Param("qColIndices", list, []),
)
def clear_selections(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    """Clear the fields of a list object, or of a hypercube's dimensions (all, or those in
    ``qColIndices``)."""
    document = state.document_of(handle)
    if args["qPath"].endswith("qListObjectDef"):
        fields = [document.list_object(handle.target, args["qPath"]).definition.field]
    else:
        dimensions = document.hypercube(handle.target, args["qPath"]).definition.dimensions
        chosen = args["qColIndices"] or range(len(dimensions))
        fields = [dimensions[i].field for i in chosen if 0 <= i < len(dimensions)]
    changed = False
    for field in fields:
        changed = document.selections.clear(field.name) or changed
    return _changed(state, changed, {})


@GENERIC_OBJECT.method("BeginSelections", Param("qPaths", list, required=True))
def begin_selections(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    """Start a modal selection on this object: what it selects until ``EndSelections``
    applies at once (every layout follows) and can still be undone."""
    state.document_of(handle).begin_selections(handle.target)
    return Reply({}, change=[handle.number])


@GENERIC_OBJECT.method("EndSelections", Param("qAccept", bool, required=True))
def end_selections(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    return _end_modal(state, handle, accept=args["qAccept"])


@GENERIC_OBJECT.method("ResetMadeSelections")
def reset_made_selections(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    """Undo what the modal selection selected so far, staying in it."""
    document = state.document_of(handle)
    changed = document.end_selections(accept=False)
    document.begin_selections(handle.target)
    return _changed(state, changed, {})


@DOC.method("AbortModal", Param("qAccept", bool, required=True))
def abort_modal(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    return _end_modal(state, handle, accept=args["qAccept"])


def _end_modal(state: SessionState, handle: Handle, *, accept: bool) -> Reply:
    document = state.document_of(handle)
    modal = document.modal_object
    changed = document.end_selections(accept=accept)
    if changed:
        return _changed(state, True, {})
    found = state.find("GenericObject", modal) if modal else None
    return Reply({}, change=[found.number] if found else [])


@DOC.method("ClearAll", Param("qLockedAlso", bool, False), Param("qStateName", str, ""))
def clear_all(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    document = state.document_of(handle)
    document.end_selections(accept=True)
    return _changed(state, document.selections.clear(), {})


@DOC.method("Back")
def back(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    return _changed(state, state.document_of(handle).selections.back(), {})


@DOC.method("Forward")
def forward(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    return _changed(state, state.document_of(handle).selections.forward(), {})

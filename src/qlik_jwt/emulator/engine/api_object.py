"""GenericObject: layouts, properties, hypercube pages and selections through a hypercube."""

from __future__ import annotations

import copy
from typing import Any

from qlik_jwt.emulator.engine.cube_definition import parse_pages
from qlik_jwt.emulator.engine.errors import INVALID_PARAMETERS, EngineError
from qlik_jwt.emulator.engine.params import Param
from qlik_jwt.emulator.engine.state import Api, Handle, Reply, SessionState
from qlik_jwt.errors import describe

__all__ = ["GENERIC_OBJECT"]

GENERIC_OBJECT = Api("GenericObject")


def _properties(state: SessionState, handle: Handle) -> dict[str, Any]:
    properties = state.document_of(handle).properties(handle.target)
    assert properties is not None, handle  # destroyed objects lose their handles
    return copy.deepcopy(dict(properties))


@GENERIC_OBJECT.method("GetLayout")
def get_layout(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    return Reply({"qLayout": state.document_of(handle).layout(handle.target)})


@GENERIC_OBJECT.method("GetProperties")
def get_properties(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    return Reply({"qProp": _properties(state, handle)})


@GENERIC_OBJECT.method("GetEffectiveProperties")
def get_effective_properties(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    return Reply({"qProp": _properties(state, handle)})


@GENERIC_OBJECT.method("GetInfo")
def get_info(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    return Reply({"qInfo": _properties(state, handle)["qInfo"]})


@GENERIC_OBJECT.method("GetChildInfos")
def get_child_infos(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    return Reply({"qInfos": state.document_of(handle).child_infos(handle.target)})


@GENERIC_OBJECT.method("SetProperties", Param("qProp", dict, required=True))
def set_properties(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    state.document_of(handle).set_properties(handle.target, args["qProp"])
    return Reply({}, change=[handle.number])


@GENERIC_OBJECT.method(
    "GetHyperCubeData",
    Param("qPath", str, required=True),
    Param("qPages", list, required=True),
)
def get_hypercube_data(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    pages = parse_pages(args["qPages"], "qPages")
    cube = state.document_of(handle).hypercube(handle.target, args["qPath"])
    return Reply({"qDataPages": [cube.page(page) for page in pages]})


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
    cube = document.hypercube(handle.target, args["qPath"])
    dimensions = cube.definition.dimensions
    number = args["qDimNo"]
    if not 0 <= number < len(dimensions):
        raise EngineError(
            INVALID_PARAMETERS,
            f"qDimNo {number} is not a dimension of this hypercube; "
            f"it has {len(dimensions)} (numbered from 0)",
        )
    field = dimensions[number].field
    elements = args["qValues"]
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
    values = [field.values[e] for e in elements]
    changed = document.selections.select(field.name, values, toggle=args["qToggleMode"])
    return Reply({"qSuccess": True}, change=state.data_handles() if changed else [])

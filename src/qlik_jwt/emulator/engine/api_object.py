"""GenericObject: layouts, properties and property trees, hypercube and list object pages.

Selections through an object are in :mod:`.api_selections`.
"""

from __future__ import annotations

import copy
from typing import Any

from qlik_jwt.emulator.engine.cube_definition import parse_pages
from qlik_jwt.emulator.engine.params import Param
from qlik_jwt.emulator.engine.state import Api, Handle, Reply, SessionState

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
    "GetHyperCubeReducedData",
    Param("qPath", str, required=True),
    Param("qPages", list, required=True),
    Param("qZoomFactor", int, -1),
    Param("qReductionMode", str, "N"),
)
def get_hypercube_reduced_data(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    """The pages unreduced: the emulator's apps are small enough to send every row."""
    return get_hypercube_data(state, handle, {"qPath": args["qPath"], "qPages": args["qPages"]})


@GENERIC_OBJECT.method(
    "GetListObjectData",
    Param("qPath", str, required=True),
    Param("qPages", list, required=True),
)
def get_list_object_data(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    pages = parse_pages(args["qPages"], "qPages")
    listed = state.document_of(handle).list_object(handle.target, args["qPath"])
    return Reply({"qDataPages": [listed.page(page) for page in pages]})


@GENERIC_OBJECT.method("GetFullPropertyTree")
def get_full_property_tree(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    return Reply({"qPropEntry": state.document_of(handle).full_property_tree(handle.target)})

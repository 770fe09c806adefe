"""Generic objects: checking their properties and computing their layouts.

A layout is the properties with every computed definition replaced by its result, as
Qlik does: ``qHyperCubeDef`` becomes ``qHyperCube``, ``qListObjectDef`` becomes
``qListObject``, ``qSelectionObjectDef`` becomes ``qSelectionObject``, ``qMetaDef``
becomes ``qMeta``, ``qChildListDef`` becomes ``qChildList``, and a member holding
``{"qStringExpression": {"qExpr": ...}}`` (or ``qValueExpression``) becomes the
expression's text (or number). Definitions may sit at any depth; ``qPath`` arguments
are JSON Pointers to them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from qlik_jwt.emulator.engine.apps import SampleApp
from qlik_jwt.emulator.engine.cube_definition import CubeDefinition, compile_cube
from qlik_jwt.emulator.engine.errors import INVALID_PARAMETERS, EngineError
from qlik_jwt.emulator.engine.expressions import ExpressionError, compile_expression
from qlik_jwt.emulator.engine.formatting import format_number, json_number
from qlik_jwt.emulator.engine.hypercube import HyperCube
from qlik_jwt.emulator.engine.list_object import ListDefinition, ListObject, compile_list
from qlik_jwt.emulator.engine.selection_object import selection_object
from qlik_jwt.emulator.engine.selections import Selections
from qlik_jwt.errors import describe

__all__ = [
    "MAX_PROPERTY_DEPTH",
    "ChildItems",
    "check_properties",
    "cube_at",
    "list_at",
    "object_layout",
]

# Layouts, copies and delta patches recurse once or twice per level of an object's properties,
# and Python stops near 1,000 frames; Qlik's own properties nest about ten levels deep.
MAX_PROPERTY_DEPTH = 100

# Given a qChildListDef.qData mapping, the qItems of the object's children.
ChildItems = Callable[[Mapping[str, Any]], list[dict[str, Any]]]

_EXPRESSION_KEYS = ("qStringExpression", "qValueExpression")


def _expression_text(wrapper: Any) -> Any:
    return wrapper.get("qExpr") if isinstance(wrapper, Mapping) else wrapper


def _evaluate(key: str, wrapper: Any, app: SampleApp, selections: Selections, path: str) -> Any:
    text = _expression_text(wrapper)
    if not isinstance(text, str):
        raise EngineError(
            INVALID_PARAMETERS,
            f"{path}.{key}.qExpr: must be an expression string, got {describe(text)}",
        )
    try:
        value = compile_expression(text, app.fields).evaluate(selections.possible_rows(app.rows))
    except ExpressionError as exc:
        raise EngineError(
            INVALID_PARAMETERS,
            f"{path}.{key}.qExpr: {exc} (got {describe(text)}).",
        ) from None
    return format_number(value) if key == "qStringExpression" else json_number(value)


def _expression_member(value: Any) -> str | None:
    """The wrapper key if ``value`` is ``{"qStringExpression": ...}`` or the value variant."""
    if isinstance(value, Mapping) and len(value) == 1:
        key = next(iter(value))
        if key in _EXPRESSION_KEYS:
            return str(key)
    return None


def _walk(
    value: Any,
    app: SampleApp,
    selections: Selections,
    children: ChildItems,
    path: str,
    compute: bool,
) -> Any:
    if isinstance(value, list):
        return [
            _walk(item, app, selections, children, f"{path}[{i}]", compute)
            for i, item in enumerate(value)
        ]
    if not isinstance(value, Mapping):
        return value
    layout: dict[str, Any] = {}
    for key, member in value.items():
        where = f"{path}.{key}" if path else str(key)
        expression_key = _expression_member(member)
        if key == "qHyperCubeDef":
            cube = compile_cube(member, app, where)
            if compute:
                layout["qHyperCube"] = HyperCube(cube, app, selections).layout()
        elif expression_key is not None:
            layout[key] = _evaluate(expression_key, member[expression_key], app, selections, where)
        elif key == "qListObjectDef":
            definition = compile_list(member, app, where)
            if compute:
                layout["qListObject"] = ListObject(definition, app, selections).layout()
        elif key == "qSelectionObjectDef":
            if compute:
                layout["qSelectionObject"] = selection_object(app, selections)
        elif key == "qMetaDef":
            layout["qMeta"] = copy.deepcopy(member)
        elif key == "qChildListDef":
            data = member.get("qData") if isinstance(member, Mapping) else None
            layout["qChildList"] = {"qItems": children(data if isinstance(data, Mapping) else {})}
        else:
            layout[key] = _walk(member, app, selections, children, where, compute)
    return layout


def _depth(value: Any) -> int:
    deepest, pending = 0, [(value, 0)]
    while pending:
        item, level = pending.pop()
        deepest = max(deepest, level)
        if isinstance(item, Mapping):
            pending += [(member, level + 1) for member in item.values()]
        elif isinstance(item, list):
            pending += [(member, level + 1) for member in item]
    return deepest


def check_properties(properties: Mapping[str, Any], app: SampleApp) -> None:
    """Raise ``EngineError`` if ``properties`` nest more than :data:`MAX_PROPERTY_DEPTH`
    levels deep, or if any hypercube or expression in them is unsupported."""
    depth = _depth(properties)
    if depth > MAX_PROPERTY_DEPTH:
        raise EngineError(
            INVALID_PARAMETERS,
            f"qProp nests {depth} levels deep, more than the {MAX_PROPERTY_DEPTH} the emulator "
            "computes; flatten the properties",
        )
    _walk(properties, app, Selections(), lambda data: [], "", compute=False)


def object_layout(
    properties: Mapping[str, Any],
    app: SampleApp,
    selections: Selections,
    children: ChildItems,
    *,
    in_selections: bool = False,
) -> dict[str, Any]:
    """The object's layout under the current selections (``in_selections``: the object is
    in a modal selection, between ``BeginSelections`` and ``EndSelections``)."""
    layout: dict[str, Any] = _walk(properties, app, selections, children, "", compute=True)
    layout["qSelectionInfo"] = (
        {"qInSelections": True, "qMadeSelections": selections.made_in_modal()}
        if in_selections
        else {}
    )
    return layout


def _pointer_parts(pointer: str) -> list[str]:
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer.split("/")[1:]]


def definition_at(properties: Mapping[str, Any], path: str, key: str) -> Mapping[str, Any]:
    """The ``key`` definition (``qHyperCubeDef``, ``qListObjectDef``) at JSON Pointer
    ``path`` (e.g. ``/qHyperCubeDef``); ``EngineError`` if there is none."""
    target: Any = properties
    parts = _pointer_parts(path) if path.startswith("/") else []
    for part in parts:
        target = target.get(part) if isinstance(target, Mapping) else None
    if not parts or parts[-1] != key or not isinstance(target, Mapping):
        raise EngineError(
            INVALID_PARAMETERS,
            f"qPath {describe(path)} does not lead to a {key} of this object; "
            f"use the JSON Pointer of one, usually '/{key}'",
        )
    return target


def cube_at(properties: Mapping[str, Any], path: str, app: SampleApp) -> CubeDefinition:
    """The hypercube definition at JSON Pointer ``path`` (e.g. ``/qHyperCubeDef``)."""
    definition = definition_at(properties, path, "qHyperCubeDef")
    return compile_cube(definition, app, path.lstrip("/").replace("/", "."))


def list_at(properties: Mapping[str, Any], path: str, app: SampleApp) -> ListDefinition:
    """The list object definition at JSON Pointer ``path`` (e.g. ``/qListObjectDef``)."""
    definition = definition_at(properties, path, "qListObjectDef")
    return compile_list(definition, app, path.lstrip("/").replace("/", "."))

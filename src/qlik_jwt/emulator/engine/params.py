"""Binding a request's ``params`` (by position or by name) to a method's declared parameters.

The engine accepts both forms; enigma.js sends positions. Missing optional parameters take
their defaults; a missing required one, an unknown name, one too many, or a value of the
wrong JSON type is refused with -32602 naming the method, the parameter and the value.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from qlik_jwt.emulator.engine.errors import RPC_INVALID_PARAMS, EngineError
from qlik_jwt.errors import describe

__all__ = ["Param", "bind"]

_JSON_TYPES: dict[type, str] = {
    str: "a string",
    bool: "true or false",
    int: "an integer",
    dict: "an object",
    list: "an array",
}


@dataclass(frozen=True)
class Param:
    """A declared parameter: its Qlik name, JSON type, and default (``required`` if none)."""

    name: str
    kind: type
    default: Any = None
    required: bool = False


def _check(method: str, param: Param, value: Any) -> Any:
    kind = param.kind
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if not ok:
        raise EngineError(
            RPC_INVALID_PARAMS,
            f"{method}: {param.name} must be {_JSON_TYPES[kind]}, got {describe(value)}",
        )
    return value


def bind(method: str, declared: tuple[Param, ...], params: Any) -> dict[str, Any]:
    """Map ``params`` (array, object or absent) onto ``declared``; return name -> value."""
    names = [p.name for p in declared]
    if params is None:
        given: dict[str, Any] = {}
    elif isinstance(params, list):
        if len(params) > len(declared):
            raise EngineError(
                RPC_INVALID_PARAMS,
                f"{method} takes {len(declared)} parameter(s) ({', '.join(names) or 'none'}), "
                f"got {len(params)}",
            )
        given = dict(zip(names, params, strict=False))
    elif isinstance(params, Mapping):
        unknown = [name for name in params if name not in names]
        if unknown:
            raise EngineError(
                RPC_INVALID_PARAMS,
                f"{method} has no parameter {describe(unknown[0])}; "
                f"its parameters are {', '.join(names) or 'none'}",
            )
        given = dict(params)
    else:
        raise EngineError(
            RPC_INVALID_PARAMS,
            f"params must be an array or an object, got {describe(params)}",
        )
    bound = {}
    for param in declared:
        if param.name in given:
            bound[param.name] = _check(method, param, given[param.name])
        elif param.required:
            raise EngineError(RPC_INVALID_PARAMS, f"{method}: {param.name} is required")
        else:
            bound[param.name] = copy.deepcopy(param.default)
    return bound

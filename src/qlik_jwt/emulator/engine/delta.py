"""The engine's delta protocol: results as JSON-Patch lists against what was sent before.

A request with ``"delta": true`` gets ``"delta": true`` in its response and every member of
``result`` as a list of patches. The base of each patch list is the value last sent for the
same handle, method and member (enigma.js keys its cache the same way, and drops a handle's
cache when the handle is closed). The first answer is one ``add`` of the whole value at
``/``; an unchanged value is an empty list.

Objects are diffed member by member; arrays and scalars are replaced whole (enigma.js
applies a replace on an array in place). Object members whose names JSON Pointer or
enigma.js's patcher would mangle (``/``, ``~``, all digits, ``__proto__``...) make their
whole parent object replaced instead.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

__all__ = ["DeltaCache", "diff"]

_UNSAFE_NAMES = {"__proto__", "constructor", "prototype", "", "-"}


def _safe(name: str) -> bool:
    return "/" not in name and "~" not in name and not name.isdigit() and name not in _UNSAFE_NAMES


def _diffable(old: Any, new: Any) -> bool:
    return (
        isinstance(old, Mapping)
        and isinstance(new, Mapping)
        and all(_safe(name) for name in (*old, *new))
    )


def _diff_members(
    old: Mapping[str, Any], new: Mapping[str, Any], base: str
) -> list[dict[str, Any]]:
    patches: list[dict[str, Any]] = []
    for name, value in new.items():
        path = f"{base}/{name}"
        if name not in old:
            patches.append({"op": "add", "path": path, "value": value})
        elif old[name] == value:
            continue
        elif _diffable(old[name], value):
            patches.extend(_diff_members(old[name], value, path))
        else:
            patches.append({"op": "replace", "path": path, "value": value})
    patches.extend({"op": "remove", "path": f"{base}/{name}"} for name in old if name not in new)
    return patches


def diff(old: Any, new: Any) -> list[dict[str, Any]]:
    """Patches that turn ``old`` into ``new``, as enigma.js applies them."""
    if old == new:
        return []
    if _diffable(old, new):
        return _diff_members(old, new, "")
    return [{"op": "replace", "path": "/", "value": new}]


class DeltaCache:
    """What was last sent per (handle, method, member), to express the next answer as patches."""

    def __init__(self) -> None:
        self._sent: dict[tuple[int, str, str], Any] = {}

    def patches(self, handle: int, method: str, member: str, value: Any) -> list[dict[str, Any]]:
        """The patch list for ``value``, remembering it as the new base."""
        key = (handle, method, member)
        snapshot = copy.deepcopy(value)
        if key not in self._sent:
            self._sent[key] = snapshot
            return [{"op": "add", "path": "/", "value": value}]
        patches = diff(self._sent[key], snapshot)
        self._sent[key] = snapshot
        return patches

    def forget(self, handle: int) -> None:
        """Drop the bases of a closed handle (the client drops its cache too)."""
        for key in [k for k in self._sent if k[0] == handle]:
            del self._sent[key]

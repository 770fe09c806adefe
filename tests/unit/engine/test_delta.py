"""The delta protocol: patches that rebuild each new value from the previous one."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from qlik_jwt.emulator.engine.delta import DeltaCache, diff


def apply(document: Any, patches: list[dict[str, Any]]) -> Any:
    """Apply patches the way enigma.js does for the operations the engine emits."""
    for patch in patches:
        if patch["path"] == "/":
            document = copy.deepcopy(patch["value"])
            continue
        *parents, name = patch["path"].split("/")[1:]
        target = document
        for part in parents:
            target = target[part]
        if patch["op"] == "remove":
            del target[name]
        else:
            target[name] = copy.deepcopy(patch["value"])
    return document


json_leaf = st.none() | st.booleans() | st.integers() | st.text(max_size=5)
json_value = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=20,
)
json_object = st.dictionaries(st.text(max_size=4), json_value, max_size=5)


@given(json_object, json_object)
def test_patches_turn_the_old_value_into_the_new(old: dict[str, Any], new: dict[str, Any]) -> None:
    assert apply(copy.deepcopy(old), diff(old, new)) == new


@given(json_value, json_value)
def test_any_values_round_trip(old: Any, new: Any) -> None:
    assert apply(copy.deepcopy(old), diff(old, new)) == new


def test_changes_are_expressed_member_by_member() -> None:
    old = {"qHyperCube": {"qSize": {"qcx": 2, "qcy": 3}, "qDataPages": [[1]]}, "title": "a"}
    new = {"qHyperCube": {"qSize": {"qcx": 2, "qcy": 1}, "qDataPages": [[2]]}, "extra": True}
    assert diff(old, new) == [
        {"op": "replace", "path": "/qHyperCube/qSize/qcy", "value": 1},
        {"op": "replace", "path": "/qHyperCube/qDataPages", "value": [[2]]},
        {"op": "add", "path": "/extra", "value": True},
        {"op": "remove", "path": "/title"},
    ]
    assert diff(old, copy.deepcopy(old)) == []


def test_members_a_pointer_cannot_name_replace_their_parent() -> None:
    old = {"cells": {"a/b": 1, "x": 1}}
    new = {"cells": {"a/b": 2, "x": 1}}
    assert diff(old, new) == [{"op": "replace", "path": "/cells", "value": new["cells"]}]
    assert diff({"7": 1}, {"7": 2}) == [{"op": "replace", "path": "/", "value": {"7": 2}}]


def test_cache_starts_with_the_whole_value_and_forgets_closed_handles() -> None:
    cache = DeltaCache()
    layout = {"a": 1, "b": [1, 2]}
    assert cache.patches(2, "GetLayout", "qLayout", layout) == [
        {"op": "add", "path": "/", "value": layout}
    ]
    layout["a"] = 5  # the cache holds a copy: mutating what was sent changes nothing
    assert cache.patches(2, "GetLayout", "qLayout", {"a": 1, "b": [1, 2]}) == []
    assert cache.patches(2, "GetLayout", "qLayout", {"a": 2, "b": [1, 2]}) == [
        {"op": "replace", "path": "/a", "value": 2}
    ]
    # Each handle, method and member has its own base.
    assert cache.patches(3, "GetLayout", "qLayout", {"a": 2})[0]["op"] == "add"
    assert cache.patches(2, "GetProperties", "qProp", {"a": 2})[0]["op"] == "add"
    cache.forget(2)
    assert cache.patches(2, "GetLayout", "qLayout", {"a": 2})[0]["path"] == "/"
    assert cache.patches(3, "GetLayout", "qLayout", {"a": 2}) == []


def test_scalar_results_are_replaced_at_the_root() -> None:
    cache = DeltaCache()
    assert cache.patches(-1, "ProductVersion", "qReturn", "12") == [
        {"op": "add", "path": "/", "value": "12"}
    ]
    assert cache.patches(-1, "ProductVersion", "qReturn", "13") == [
        {"op": "replace", "path": "/", "value": "13"}
    ]

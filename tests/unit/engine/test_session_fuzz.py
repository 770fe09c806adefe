"""Random requests and hypercube definitions: always answered, never an internal error."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from qlik_jwt.emulator.engine import SampleApp
from tests.unit.engine.engine_client import CUBE, Client

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
methods = st.sampled_from(
    [
        "OpenDoc",
        "GetLayout",
        "CreateSessionObject",
        "GetHyperCubeData",
        "SelectHyperCubeValues",
        "GetObject",
        "Evaluate",
        "SetProperties",
        "GetField",
        "SelectValues",
        "Nope",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    handle=st.sampled_from([-1, 1, 2, 3, 99]),
    method=methods,
    params=json_values,
    delta=st.booleans(),
)
def test_any_request_gets_a_json_answer(
    apps: dict[str, SampleApp], handle: int, method: str, params: Any, delta: bool
) -> None:
    client = Client(apps)
    sales_id = next(iter(apps))
    client.result(-1, "OpenDoc", [sales_id])
    client.result(1, "CreateSessionObject", [CUBE])
    client.result(1, "GetField", ["Region"])
    answer = client.call(handle, method, params, delta=delta)
    assert ("result" in answer) != ("error" in answer)
    assert answer.get("error", {}).get("code") != -32603, answer  # refused, never a crash


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return strategy | json_values


field_names = st.sampled_from(["Region", "Year", "Sales", "Nope", "=1", ""])
expressions = st.sampled_from(
    [
        "Sum(Sales)",
        "Count(DISTINCT Customer)",
        "Avg(Quantity)/Min(Sales)",
        "Sum(",
        "Rank(Sales)",
        "-1",
    ]
)
sorts = st.dictionaries(
    st.sampled_from(
        [
            "qSortByAscii",
            "qSortByNumeric",
            "qSortByLoadOrder",
            "qSortByState",
            "qSortByFrequency",
            "qSortByExpression",
            "qExpression",
        ]
    ),
    _maybe(st.integers(-2, 2) | st.fixed_dictionaries({"qv": expressions})),
    max_size=3,
)
dimensions = st.lists(
    _maybe(
        st.fixed_dictionaries(
            {
                "qDef": st.fixed_dictionaries(
                    {
                        "qFieldDefs": st.lists(field_names, max_size=2),
                        "qSortCriterias": st.lists(sorts, max_size=1),
                    }
                )
            }
        )
    ),
    max_size=3,
)
measures = st.lists(
    _maybe(
        st.fixed_dictionaries(
            {"qDef": st.fixed_dictionaries({"qDef": expressions}), "qSortBy": sorts}
        )
    ),
    max_size=3,
)
pages = st.lists(
    _maybe(
        st.fixed_dictionaries(
            {k: st.integers(-1, 60) for k in ("qTop", "qLeft", "qWidth", "qHeight")}
        )
    ),
    max_size=2,
)


@settings(max_examples=300, deadline=None)
@given(
    qdims=dimensions,
    qmeasures=measures,
    order=_maybe(st.lists(st.integers(-1, 6), max_size=6)),
    fetch=pages,
    mode=st.sampled_from(["S", "P", None]),
    selected=st.lists(st.integers(0, 3), max_size=2),
)
def test_any_hypercube_definition_is_computed_or_refused(
    apps: dict[str, SampleApp],
    qdims: Any,
    qmeasures: Any,
    order: Any,
    fetch: Any,
    mode: str | None,
    selected: list[int],
) -> None:
    client = Client(apps)
    client.result(-1, "OpenDoc", [next(iter(apps))])
    definition = {
        "qDimensions": qdims,
        "qMeasures": qmeasures,
        "qInterColumnSortOrder": order,
        "qInitialDataFetch": fetch,
        "qMode": mode,
    }
    created = client.call(
        1, "CreateSessionObject", [{"qInfo": {"qType": "f"}, "qHyperCubeDef": definition}]
    )
    if "error" in created:
        assert created["error"]["code"] in (6000, 6001, 8), created
        return
    handle = created["result"]["qReturn"]["qHandle"]
    for method, params in [
        ("SelectHyperCubeValues", ["/qHyperCubeDef", 0, selected]),
        ("GetLayout", []),
        (
            "GetHyperCubeData",
            ["/qHyperCubeDef", [{"qTop": 0, "qLeft": 0, "qWidth": 5, "qHeight": 50}]],
        ),
    ]:
        answer = client.call(handle, method, params, delta=True)
        assert answer.get("error", {}).get("code") != -32603, answer

"""EngineSession: the JSON-RPC protocol, every supported method, and every refusal."""

from __future__ import annotations

import json
from typing import Any

import pytest

from qlik_jwt.emulator.engine import ENGINE_VERSION, SampleApp
from qlik_jwt.emulator.engine.objects import MAX_PROPERTY_DEPTH
from tests.support.sample_csv import read_csv, sales_by
from tests.unit.engine.engine_client import CUBE, Client


@pytest.fixture
def client(apps: dict[str, SampleApp]) -> Client:
    return Client(apps, denied={list(apps)[1]})


@pytest.fixture
def doc(client: Client, sales: SampleApp) -> int:
    handle: int = client.result(-1, "OpenDoc", [sales.id])["qReturn"]["qHandle"]
    return handle


def test_greeting_is_on_connected(client: Client) -> None:
    assert client.session.greeting() == [
        {"jsonrpc": "2.0", "method": "OnConnected", "params": {"qSessionState": "SESSION_CREATED"}}
    ]


def test_global_methods(client: Client) -> None:
    assert client.result(-1, "EngineVersion") == {"qVersion": {"qComponentVersion": ENGINE_VERSION}}
    assert client.result(-1, "ProductVersion") == {"qReturn": ENGINE_VERSION}
    assert client.result(-1, "GetAuthenticatedUser") == {"qReturn": "alice@example.com"}
    assert client.result(-1, "IsDesktopMode") == {"qReturn": False}


def test_open_doc_returns_the_doc_handle_and_asks_can_open(
    client: Client, sales: SampleApp
) -> None:
    assert client.error(-1, "GetActiveDoc")["code"] == 1007
    opened = client.result(-1, "OpenDoc", [sales.id])
    assert opened == {"qReturn": {"qType": "Doc", "qHandle": 1, "qGenericId": sales.id}}
    assert client.asked == [sales.id]
    assert client.result(-1, "GetActiveDoc") == opened


def test_open_doc_refusals(client: Client, apps: dict[str, SampleApp], sales: SampleApp) -> None:
    denied_id = list(apps)[1]
    assert client.error(-1, "OpenDoc", ["no-such-app"]) == {
        "code": 1003,
        "message": "App not found",
        "parameter": "no app with id 'no-such-app' on this tenant; check the app id "
        "(GET /api/v1/items?resourceType=app lists the apps you can see)",
    }
    denied = client.error(-1, "OpenDoc", [denied_id])
    assert (denied["code"], denied["message"]) == (5, "Access denied")
    assert "'alice@example.com' may not open app" in denied["parameter"]
    client.result(-1, "OpenDoc", {"qDocName": sales.id, "qNoData": True})
    again = client.error(-1, "OpenDoc", [sales.id])
    assert (again["code"], again["message"]) == (1002, "App already open")


def test_app_layout_and_properties(client: Client, doc: int, sales: SampleApp) -> None:
    layout = client.result(doc, "GetAppLayout")["qLayout"]
    assert layout["qTitle"] == "Sales" and layout["qFileName"] == sales.id
    assert layout["qLastReloadTime"] == "2025-01-06T08:00:00.000Z"
    assert layout["qHasData"] is True and layout["qLocaleInfo"]["qDecimalSep"] == "."
    properties = client.result(doc, "GetAppProperties")["qProp"]
    assert properties["qTitle"] == "Sales"


def test_session_object_hypercube_layout_and_data(client: Client, doc: int) -> None:
    created = client.result(doc, "CreateSessionObject", [CUBE])["qReturn"]
    assert created["qType"] == "GenericObject" and created["qGenericType"] == "test-cube"
    handle = created["qHandle"]
    layout = client.result(handle, "GetLayout")["qLayout"]
    assert layout["qInfo"] == {"qType": "test-cube", "qId": created["qGenericId"]}
    rows = layout["qHyperCube"]["qDataPages"][0]["qMatrix"]
    expected = sales_by("Region")
    assert {r[0]["qText"]: r[1]["qNum"] for r in rows} == pytest.approx(
        {k: float(v) for k, v in expected.items()}
    )
    page = client.result(
        handle,
        "GetHyperCubeData",
        ["/qHyperCubeDef", [{"qTop": 2, "qLeft": 1, "qWidth": 1, "qHeight": 5}]],
    )["qDataPages"][0]
    assert page["qArea"] == {"qLeft": 1, "qTop": 2, "qWidth": 1, "qHeight": 1}
    assert page["qMatrix"] == [[rows[2][1]]]
    properties = client.result(handle, "GetProperties")["qProp"]
    assert properties["qHyperCubeDef"] == CUBE["qHyperCubeDef"]
    assert client.result(handle, "GetEffectiveProperties")["qProp"] == properties
    assert client.result(handle, "GetInfo")["qInfo"]["qType"] == "test-cube"
    assert client.result(handle, "GetChildInfos") == {"qInfos": []}
    infos = client.result(doc, "GetAllInfos")["qInfos"]
    assert {"qId": created["qGenericId"], "qType": "test-cube"} in infos
    assert {"qId": "sales-by-region", "qType": "barchart"} in infos


def test_session_object_ids_must_be_unique(client: Client, doc: int) -> None:
    client.result(doc, "CreateSessionObject", [{"qInfo": {"qId": "mine", "qType": "x"}}])
    assert client.error(doc, "CreateSessionObject", [{"qInfo": {"qId": "mine"}}])["code"] == 3
    assert (
        client.error(doc, "CreateSessionObject", [{"qInfo": {"qId": "sales-by-region"}}])["code"]
        == 3
    )
    assert client.error(doc, "CreateSessionObject", [{"qInfo": "x"}])["code"] == 8
    assert client.error(doc, "CreateSessionObject", [{"qInfo": {"qId": 5}}])["code"] == 8


def test_bad_hypercube_is_refused_at_creation(client: Client, doc: int) -> None:
    bad = {
        "qInfo": {"qType": "x"},
        "qHyperCubeDef": {"qMeasures": [{"qDef": {"qDef": "Sum(Nope)"}}]},
    }
    error = client.error(doc, "CreateSessionObject", [bad])
    assert (error["code"], error["message"]) == (6000, "Invalid hypercube object")
    assert error["parameter"].startswith("qHyperCubeDef.qMeasures[0].qDef.qDef: field 'Nope'")


def nested(levels: int) -> dict[str, Any]:
    """Properties ``levels`` levels deep: member ``a`` holds an ``a``, and so on."""
    properties: dict[str, Any] = {"qInfo": {"qType": "deep"}}
    inner = properties
    for _ in range(levels):
        inner["a"] = {}
        inner = inner["a"]
    return properties


def test_properties_nested_too_deeply_are_refused(client: Client, doc: int) -> None:
    """They ran out of stack while copied: an internal error, with a traceback in the log."""
    error = client.error(doc, "CreateSessionObject", [nested(600)])
    assert error["code"] == 8 and "qProp nests 600 levels deep" in error["parameter"]
    created = client.result(doc, "CreateSessionObject", [nested(MAX_PROPERTY_DEPTH)])
    handle = created["qReturn"]["qHandle"]
    assert client.error(handle, "SetProperties", [nested(600)])["code"] == 8
    assert client.result(handle, "GetLayout")["qLayout"]["qInfo"]["qType"] == "deep"


def test_predefined_objects_and_sheets(client: Client, doc: int) -> None:
    found = client.result(doc, "GetObject", ["sales-by-region"])["qReturn"]
    assert found["qGenericType"] == "barchart" and found["qGenericId"] == "sales-by-region"
    assert client.result(doc, "GetObject", ["sales-by-region"])["qReturn"] == found  # same handle
    layout = client.result(found["qHandle"], "GetLayout")["qLayout"]
    assert layout["title"] == "Sales by Region"
    assert [r[0]["qText"] for r in layout["qHyperCube"]["qDataPages"][0]["qMatrix"]] == [
        name for name, _ in sorted(sales_by("Region").items(), key=lambda kv: -kv[1])
    ]
    sheet = client.result(doc, "GetObject", ["sales-overview"])["qReturn"]["qHandle"]
    sheet_layout = client.result(sheet, "GetLayout")["qLayout"]
    assert sheet_layout["qMeta"] == {"title": "Sales overview", "description": ""}
    items = sheet_layout["qChildList"]["qItems"]
    assert items[1] == {
        "qInfo": {"qId": "sales-by-region", "qType": "barchart"},
        "qData": {"title": "Sales by Region", "visualization": "barchart"},
    }
    assert len(client.result(sheet, "GetChildInfos")["qInfos"]) == 6
    assert client.result(doc, "GetObject", ["nope"]) == {
        "qReturn": {"qType": None, "qHandle": None}
    }


def test_app_objects_are_read_only(client: Client, doc: int) -> None:
    handle = client.result(doc, "GetObject", ["sales-by-region"])["qReturn"]["qHandle"]
    error = client.error(handle, "SetProperties", [{"qInfo": {"qType": "barchart"}}])
    assert error["code"] == 5 and "create a session object" in error["parameter"]
    assert client.result(doc, "DestroySessionObject", ["sales-by-region"]) == {"qSuccess": False}


def test_set_properties_changes_the_layout(client: Client, doc: int) -> None:
    handle = client.result(doc, "CreateSessionObject", [CUBE])["qReturn"]["qHandle"]
    changed = json.loads(json.dumps(CUBE))
    changed["qHyperCubeDef"]["qMeasures"][0]["qDef"]["qDef"] = "Count(OrderID)"
    answer = client.call(handle, "SetProperties", [changed])
    assert answer["result"] == {} and answer["change"] == [handle]
    rows = client.result(handle, "GetLayout")["qLayout"]["qHyperCube"]["qDataPages"][0]["qMatrix"]
    assert sum(r[1]["qNum"] for r in rows) == len(read_csv())


def test_destroy_closes_the_handle(client: Client, doc: int) -> None:
    created = client.result(doc, "CreateSessionObject", [CUBE])["qReturn"]
    answer = client.call(doc, "DestroySessionObject", [created["qGenericId"]])
    assert answer["result"] == {"qSuccess": True} and answer["close"] == [created["qHandle"]]
    gone = client.error(created["qHandle"], "GetLayout")
    assert gone["code"] == -32602 and "is not open in this session" in gone["parameter"]
    assert client.result(doc, "DestroySessionObject", [created["qGenericId"]]) == {
        "qSuccess": False
    }


def test_selections_filter_every_layout_and_report_changes(client: Client, doc: int) -> None:
    cube = client.result(doc, "CreateSessionObject", [CUBE])["qReturn"]["qHandle"]
    kpi = client.result(doc, "GetObject", ["kpi-total-sales"])["qReturn"]["qHandle"]
    emea = next(
        r[0]
        for r in client.result(cube, "GetLayout")["qLayout"]["qHyperCube"]["qDataPages"][0][
            "qMatrix"
        ]
        if r[0]["qText"] == "EMEA"
    )
    answer = client.call(
        cube, "SelectHyperCubeValues", ["/qHyperCubeDef", 0, [emea["qElemNumber"]], False]
    )
    assert answer["result"] == {"qSuccess": True} and sorted(answer["change"]) == sorted(
        [cube, kpi]
    )
    rows = client.result(cube, "GetLayout")["qLayout"]["qHyperCube"]["qDataPages"][0]["qMatrix"]
    assert [(r[0]["qText"], r[0]["qState"]) for r in rows] == [("EMEA", "S")]
    total = client.result(kpi, "GetLayout")["qLayout"]["qHyperCube"]["qDataPages"][0]["qMatrix"][0][
        0
    ]
    assert total["qNum"] == pytest.approx(float(sales_by("Region")["EMEA"]))
    # Selecting the same again changes nothing; toggling it off clears the field.
    assert "change" not in client.call(
        cube, "SelectHyperCubeValues", ["/qHyperCubeDef", 0, [emea["qElemNumber"]]]
    )
    client.result(cube, "SelectHyperCubeValues", ["/qHyperCubeDef", 0, [emea["qElemNumber"]], True])
    assert (
        len(client.result(cube, "GetLayout")["qLayout"]["qHyperCube"]["qDataPages"][0]["qMatrix"])
        == 3
    )


def test_field_api_selects_and_clears(client: Client, doc: int) -> None:
    field = client.result(doc, "GetField", ["Year"])["qReturn"]
    assert field == {"qType": "Field", "qHandle": field["qHandle"]}
    assert client.result(field["qHandle"], "GetCardinal") == {"qReturn": 3}
    answer = client.call(
        field["qHandle"], "SelectValues", [[{"qIsNumeric": True, "qNumber": 2023}]]
    )
    assert answer["result"] == {"qReturn": True} and answer["change"] == [field["qHandle"]]
    in_2023 = [r for r in read_csv() if r["Year"] == "2023"]
    assert client.result(doc, "Evaluate", ["Count(OrderID)"]) == {"qReturn": str(len(in_2023))}
    client.result(field["qHandle"], "SelectValues", [[{"qText": "2024"}], True])
    both = [r for r in read_csv() if r["Year"] in ("2023", "2024")]
    assert client.result(doc, "Evaluate", ["Count(OrderID)"]) == {"qReturn": str(len(both))}
    client.result(field["qHandle"], "Clear")
    assert client.result(doc, "Evaluate", ["Count(OrderID)"]) == {"qReturn": str(len(read_csv()))}
    client.result(field["qHandle"], "SelectValues", [[{"qText": "2022"}]])
    assert client.call(doc, "ClearAll")["change"] == [field["qHandle"]]
    assert client.result(doc, "GetField", ["Nope"]) == {"qReturn": {"qType": None, "qHandle": None}}


def test_field_description_and_evaluate(client: Client, doc: int) -> None:
    description = client.result(doc, "GetFieldDescription", ["Customer"])["qReturn"]
    assert description["qName"] == "Customer" and description["qCardinal"] == 36
    assert description["qIsNumeric"] is False and description["qTotalCount"] == len(read_csv())
    assert client.error(doc, "GetFieldDescription", ["Nope"])["code"] == 2
    value = client.result(doc, "EvaluateEx", ["Count(DISTINCT Country)"])["qValue"]
    assert value == {"qText": "13", "qIsNumeric": True, "qNumber": 13}
    assert client.result(doc, "EvaluateEx", ["Avg(Region)"])["qValue"]["qIsNumeric"] is False
    overflow = "Sum(Sales) * 1" + "0" * 307 + " * 10"  # the client checks for strict JSON
    assert client.result(doc, "EvaluateEx", [overflow])["qValue"] == {
        "qText": "-",
        "qIsNumeric": False,
        "qNumber": 0,
    }
    error = client.error(doc, "Evaluate", ["Sum(Sales"])
    assert error["code"] == 8 and "expected ')'" in error["parameter"]
    error = client.error(doc, "Evaluate", ["1+" * 3000 + "1"])
    assert error["code"] == 8 and "nests too deeply" in error["parameter"]


def test_string_and_value_expressions_are_computed_in_layouts(client: Client, doc: int) -> None:
    properties = {
        "qInfo": {"qType": "text"},
        "title": {"qStringExpression": {"qExpr": "=Count(DISTINCT Customer)"}},
        "nested": [{"value": {"qValueExpression": {"qExpr": "Max(Quantity)"}}}],
    }
    handle = client.result(doc, "CreateSessionObject", [properties])["qReturn"]["qHandle"]
    layout = client.result(handle, "GetLayout")["qLayout"]
    assert layout["title"] == "36" and layout["nested"] == [{"value": 20}]
    assert layout["qSelectionInfo"] == {}
    bad = {"qInfo": {"qType": "t"}, "title": {"qStringExpression": {"qExpr": "Rank(Sales)"}}}
    assert client.error(doc, "CreateSessionObject", [bad])["code"] == 8


def test_delta_answers_are_patches_against_the_last_answer(client: Client, doc: int) -> None:
    handle = client.result(doc, "CreateSessionObject", [CUBE])["qReturn"]["qHandle"]
    first = client.call(handle, "GetLayout", delta=True)
    assert first["delta"] is True
    (patch,) = first["result"]["qLayout"]
    assert patch["op"] == "add" and patch["path"] == "/"
    assert client.call(handle, "GetLayout", delta=True)["result"] == {"qLayout": []}
    client.result(handle, "SelectHyperCubeValues", ["/qHyperCubeDef", 0, [0]])
    patches = client.call(handle, "GetLayout", delta=True)["result"]["qLayout"]
    assert {"op": "replace", "path": "/qHyperCube/qSize/qcy", "value": 1} in patches
    assert "delta" not in client.call(handle, "GetLayout")  # only when asked


def test_hypercube_data_and_selection_refusals(client: Client, doc: int) -> None:
    handle = client.result(doc, "CreateSessionObject", [CUBE])["qReturn"]["qHandle"]
    wrong_path = client.error(handle, "GetHyperCubeData", ["/qListObjectDef", []])
    assert wrong_path["code"] == 8 and "usually '/qHyperCubeDef'" in wrong_path["parameter"]
    too_big = client.error(
        handle, "GetHyperCubeData", ["/qHyperCubeDef", [{"qWidth": 2, "qHeight": 6000}]]
    )
    assert (too_big["code"], too_big["message"]) == (6001, "Result too large")
    bad_page = client.error(handle, "GetHyperCubeData", ["/qHyperCubeDef", [{"qTop": "0"}]])
    assert (
        bad_page["code"] == -32602
        and "qPages[0].qTop: must be an integer >= 0" in bad_page["parameter"]
    )
    assert client.error(handle, "SelectHyperCubeValues", ["/qHyperCubeDef", 3, [0]])["code"] == 8
    assert client.error(handle, "SelectHyperCubeValues", ["/qHyperCubeDef", 0, [99]])["code"] == 8
    assert client.error(handle, "SelectHyperCubeValues", ["/qHyperCubeDef", 0, ["0"]])["code"] == 8


@pytest.mark.parametrize(
    ("message", "code", "fragment"),
    [
        ("not json", -32700, "the message is not JSON"),
        (
            '{"id": 1, "handle": -1, "method": "X", "params": [NaN]}',
            -32700,
            "NaN is not valid JSON",
        ),
        ('{"id": 1, "handle": -1, "method": "X", "params": [1e999]}', -32700, "out of range"),
        ("[1, 2]", -32600, "batches are not supported"),
        ('{"id": 1.5, "handle": -1, "method": "X"}', -32600, "id must be a number or a string"),
        (
            '{"id": 1, "jsonrpc": "1.0", "handle": -1, "method": "X"}',
            -32600,
            'jsonrpc must be "2.0"',
        ),
        ('{"id": 1, "handle": -1}', -32600, "method must be a string"),
        ('{"id": 1, "handle": "1", "method": "OpenDoc"}', -32600, "handle must be an integer"),
        ('{"id": 1, "handle": true, "method": "OpenDoc"}', -32600, "handle must be an integer"),
        (
            '{"id": 1, "handle": -1, "method": "X", "delta": 1}',
            -32600,
            "delta must be true or false",
        ),
        ('{"id": 1, "handle": 7, "method": "GetLayout"}', -32602, "handle 7 is not open"),
        ('{"id": 1, "handle": -1, "method": "Nope"}', -32601, "'Nope' is not a Global method"),
        ('{"id": 1, "handle": -1, "method": "OpenDoc"}', -32602, "OpenDoc: qDocName is required"),
        (
            '{"id": 1, "handle": -1, "method": "OpenDoc", "params": [5]}',
            -32602,
            "qDocName must be a string, got 5",
        ),
        (
            '{"id": 1, "handle": -1, "method": "OpenDoc", "params": {"qApp": "x"}}',
            -32602,
            "OpenDoc has no parameter 'qApp'",
        ),
        (
            '{"id": 1, "handle": -1, "method": "EngineVersion", "params": [1]}',
            -32602,
            "EngineVersion takes 0 parameter(s)",
        ),
        (
            '{"id": 1, "handle": -1, "method": "EngineVersion", "params": "x"}',
            -32602,
            "params must be an array or an object",
        ),
        (
            '{"id": 1, "handle": -1, "method": "OpenDoc", "params": ["x", "", "", "", 1]}',
            -32602,
            "qNoData must be true or false",
        ),
    ],
)
def test_malformed_requests_get_qlik_errors(
    client: Client, message: str, code: int, fragment: str
) -> None:
    (answer,) = client.send(message)
    assert answer["error"]["code"] == code
    assert fragment in answer["error"]["parameter"]
    assert set(answer["error"]) == {"code", "message", "parameter"}


def test_errors_keep_the_request_id_when_it_is_known(client: Client) -> None:
    (answer,) = client.send('{"id": "abc", "handle": "x", "method": "OpenDoc"}')
    assert answer["id"] == "abc"
    (answer,) = client.send("{")
    assert answer["id"] is None


def test_binary_and_oversized_messages(client: Client) -> None:
    (answer,) = client.send(b'{"id": 1, "handle": -1, "method": "EngineVersion"}')
    assert answer["result"]["qVersion"]["qComponentVersion"] == ENGINE_VERSION
    (answer,) = client.send(b"\xff\xfe")
    assert answer["error"]["code"] == -32700
    (answer,) = client.send(" " * 1_048_577)
    assert answer["error"]["code"] == -32600


def test_notifications_run_without_an_answer(client: Client, sales: SampleApp) -> None:
    assert client.send(json.dumps({"handle": -1, "method": "OpenDoc", "params": [sales.id]})) == []
    assert client.result(-1, "GetActiveDoc")["qReturn"]["qHandle"] == 1


def test_a_bug_inside_a_method_is_answered_not_raised(
    client: Client, doc: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qlik_jwt.emulator.engine.document import Document

    def broken(self: Document, object_id: str) -> dict[str, Any]:
        raise ZeroDivisionError

    handle = client.result(doc, "GetObject", ["sales-by-region"])["qReturn"]["qHandle"]
    monkeypatch.setattr(Document, "layout", broken)
    error = client.error(handle, "GetLayout")
    assert error == {
        "code": -32603,
        "message": "Internal JSON-RPC error",
        "parameter": "GetLayout failed inside the emulator",
    }

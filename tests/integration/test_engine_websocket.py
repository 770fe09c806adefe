"""The engine over a real websocket: our Python client, Qlik's enigma.js, and qix.js.

The server is a test-only Starlette route (``tests/support/engine_app.py``) feeding a real
uvicorn websocket into ``EngineSession``; the Node clients run as real ``node`` processes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from qlik_jwt.emulator.engine import ENGINE_VERSION, sample_apps
from tests.support.engine_app import engine_test_app
from tests.support.node import require_node_modules, run_node_json
from tests.support.sample_csv import read_csv, sales_by, total
from tests.support.servers import ServerThread

APPS = {app.id: app for app in sample_apps()}
SALES, SUPPORT = list(APPS.values())


@pytest.fixture(scope="module")
def ws_base() -> Iterator[str]:
    with ServerThread(engine_test_app(APPS, user_name="ada", denied={SUPPORT.id})) as server:
        yield server.url.replace("http://", "ws://")


class Socket:
    """A real websocket client speaking JSON-RPC to the engine."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.sequence = 0

    def receive(self) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(self.connection.recv(timeout=10))
        return message

    def call(self, handle: int, method: str, *params: Any) -> dict[str, Any]:
        self.sequence += 1
        request = {"jsonrpc": "2.0", "id": self.sequence, "handle": handle, "method": method}
        self.connection.send(json.dumps({**request, "params": list(params)}))
        answer = self.receive()
        assert answer["id"] == self.sequence
        return answer


@pytest.fixture
def socket(ws_base: str) -> Iterator[Socket]:
    with connect(f"{ws_base}/app/{SALES.id}") as connection:
        yield Socket(connection)


def test_python_client_reads_every_row(socket: Socket) -> None:
    assert socket.receive() == {
        "jsonrpc": "2.0",
        "method": "OnConnected",
        "params": {"qSessionState": "SESSION_CREATED"},
    }
    assert (
        socket.call(-1, "EngineVersion")["result"]["qVersion"]["qComponentVersion"]
        == ENGINE_VERSION
    )
    assert socket.call(-1, "OpenDoc", SALES.id)["result"]["qReturn"]["qHandle"] == 1
    definition = {
        "qDimensions": [{"qDef": {"qFieldDefs": ["Customer"]}}],
        "qMeasures": [{"qDef": {"qDef": "Sum(Sales)"}}],
        "qInitialDataFetch": [{"qTop": 0, "qLeft": 0, "qWidth": 2, "qHeight": 4}],
    }
    created = socket.call(
        1, "CreateSessionObject", {"qInfo": {"qType": "py"}, "qHyperCubeDef": definition}
    )
    handle = created["result"]["qReturn"]["qHandle"]
    layout = socket.call(handle, "GetLayout")["result"]["qLayout"]["qHyperCube"]
    assert len(layout["qDataPages"][0]["qMatrix"]) == 4
    rows = []
    for top in range(0, layout["qSize"]["qcy"], 10):
        page = {"qTop": top, "qLeft": 0, "qWidth": 2, "qHeight": 10}
        answer = socket.call(handle, "GetHyperCubeData", "/qHyperCubeDef", [page])
        rows += answer["result"]["qDataPages"][0]["qMatrix"]
    got = {row[0]["qText"]: row[1]["qNum"] for row in rows}
    assert got == pytest.approx({k: float(v) for k, v in sales_by("Customer").items()})


def test_bad_frames_are_answered_and_the_socket_stays_open(socket: Socket) -> None:
    socket.receive()  # OnConnected
    socket.connection.send("{not json")
    assert socket.receive()["error"]["code"] == -32700
    socket.connection.send(b"\xff{}")
    assert socket.receive()["error"]["parameter"] == "the message is not UTF-8"
    socket.connection.send(b'{"id": 1, "handle": -1, "method": "GetAuthenticatedUser"}')
    assert socket.receive()["result"] == {"qReturn": "ada"}
    denied = socket.call(-1, "OpenDoc", SUPPORT.id)["error"]
    assert (denied["code"], denied["message"]) == (5, "Access denied")
    assert socket.call(-1, "OpenDoc", SALES.id)["result"]["qReturn"]["qType"] == "Doc"


def test_each_connection_has_its_own_session(ws_base: str) -> None:
    with connect(f"{ws_base}/app/{SALES.id}") as one, connect(f"{ws_base}/app/{SALES.id}") as two:
        first, second = Socket(one), Socket(two)
        for client in (first, second):
            client.receive()
            client.call(-1, "OpenDoc", SALES.id)
        field = first.call(1, "GetField", "Region")["result"]["qReturn"]["qHandle"]
        first.call(field, "SelectValues", [{"qText": "EMEA"}])
        emea = len([r for r in read_csv() if r["Region"] == "EMEA"])
        assert first.call(1, "Evaluate", "Count(OrderID)")["result"]["qReturn"] == str(emea)
        assert second.call(1, "Evaluate", "Count(OrderID)")["result"]["qReturn"] == str(
            len(read_csv())
        )


def _rows(hypercube: dict[str, Any]) -> dict[str, float]:
    return {row[0]["qText"]: row[1]["qNum"] for row in hypercube["qDataPages"][0]["qMatrix"]}


@pytest.mark.parametrize("mode", ["delta", "nodelta"])
def test_enigma_js_opens_the_app_and_reads_a_hypercube(ws_base: str, mode: str) -> None:
    require_node_modules("enigma.js", "ws")
    out = run_node_json("enigma_client.js", ws_base, SALES.id, SUPPORT.id, mode)
    assert {sent["delta"] for sent in out["sent"]} == {mode == "delta"}
    assert out["notifications"] == [
        {"name": "OnConnected", "params": {"qSessionState": "SESSION_CREATED"}}
    ]
    assert out["engineVersion"] == {"qComponentVersion": ENGINE_VERSION}
    assert out["user"] == "ada"
    assert out["doc"] == {"id": SALES.id, "handle": 1, "type": "Doc"}
    assert out["appTitle"] == "Sales"
    assert out["alreadyOpen"]["code"] == 1002
    assert out["cube"]["type"] == "GenericObject" and out["cube"]["genericType"] == "enigma-test"

    by_region = {k: float(v) for k, v in sales_by("Region").items()}
    layout = out["layout"]["qHyperCube"]
    assert layout["qSize"] == {"qcx": 2, "qcy": 3}
    assert _rows(layout) == pytest.approx(by_region)
    assert [r[0]["qText"] for r in layout["qDataPages"][0]["qMatrix"]] == [
        "Americas",
        "APAC",
        "EMEA",
    ]
    assert layout["qGrandTotalRow"][0]["qNum"] == pytest.approx(float(total(read_csv(), "Sales")))
    (second,) = out["secondRow"][0]["qMatrix"]
    assert second[0]["qText"] == "APAC" and second[1]["qNum"] == pytest.approx(by_region["APAC"])

    # Selecting raised enigma's "changed" event, and the patched layouts are right.
    assert out["changedEvents"] == 1
    assert _rows(out["selected"]["qHyperCube"]) == pytest.approx(
        {"Americas": by_region["Americas"]}
    )
    assert out["selected"]["qHyperCube"]["qDataPages"][0]["qMatrix"][0][0]["qState"] == "S"
    assert _rows(out["cleared"]["qHyperCube"]) == pytest.approx(by_region)

    assert out["predefined"] == {"id": "sales-by-region", "genericType": "barchart"}
    assert out["predefinedLayout"]["title"] == "Sales by Region"
    assert _rows(out["predefinedLayout"]["qHyperCube"]) == pytest.approx(by_region)
    assert out["missingObject"]["code"] == -2  # enigma's OBJECT_NOT_FOUND
    assert out["badExpression"]["code"] == 6000
    assert "function Rank()" in out["badExpression"]["parameter"]
    assert out["destroyed"] is True and out["closedEvent"] is True
    assert out["afterDestroy"]["code"] == -32602
    assert out["denied"] == {
        "code": 5,
        "message": "Access denied",
        "parameter": f"user 'ada' may not open app '{SUPPORT.id}'; "
        "assign the app's space to one of the user's groups (role consumer)",
    }
    assert out["notFound"]["code"] == 1003 and out["notFound"]["message"] == "App not found"


def test_qix_js_under_node(ws_base: str) -> None:
    require_node_modules("ws")
    out = run_node_json("qix_client.mjs", ws_base, SALES.id, SUPPORT.id)
    assert out["connected"] == {"qSessionState": "SESSION_CREATED"}
    assert out["doc"] == {"handle": 1, "id": SALES.id}
    assert out["initialRows"] == 5 and out["size"] == {"qcx": 2, "qcy": 36}
    expected = sales_by("Customer")
    got = {row[0]["qText"]: row[1]["qNum"] for row in out["rows"]}
    assert got == pytest.approx({k: float(v) for k, v in expected.items()})
    assert out["unknownMethod"]["code"] == -32601 and out["unknownMethod"]["isQixError"]
    assert out["badParams"]["code"] == -32602
    assert out["changes"] == [{"change": [2], "close": []}, {"change": [], "close": [2]}]
    assert out["afterClose"]["code"] == -1 and out["noServer"]["code"] == -1
    assert out["badUrl"]["code"] == -1 and "Invalid URL" in out["badUrl"]["parameter"]
    assert out["denied"]["code"] == 5

    years = {row[0]["qText"]: row[1]["qNum"] for row in out["oneShot"]["qDataPages"][0]["qMatrix"]}
    units = {y: int(total([r for r in read_csv() if r["Year"] == y], "Quantity")) for y in years}
    assert years == units and list(years) == ["2022", "2023", "2024"]


def test_enigma_js_drives_the_engine_as_stardust_does(ws_base: str) -> None:
    require_node_modules("enigma.js", "ws")
    out = run_node_json("enigma_like_stardust.js", ws_base, SALES.id)
    cells = SALES.sheet_cells(SALES.sheet_ids[0])
    assert out["appTitle"] == "Sales" and out["ids"] == cells and out["tree"] == cells
    region = out["sales-by-region"]
    assert region["type"] == region["visualization"] == "barchart" and region["hasColor"]
    assert region["dimension"] == {"title": "Region", "cardinal": 3, "min": "NaN", "max": "NaN"}
    by_region = sales_by("Region")
    assert region["measures"][0]["max"] == pytest.approx(float(max(by_region.values())))
    year = out["sales-by-year"]["dimension"]
    assert (year["min"], year["max"]) == (2022, 2024)
    assert out["inSelections"] == {"qInSelections": True, "qMadeSelections": False}
    after = out["afterSelect"]
    assert after["regionRows"] == 1 and after["kpi"] == pytest.approx(float(by_region["EMEA"]))
    [selected] = after["selections"]["qSelections"]
    assert (selected["qField"], selected["qSelected"], selected["qTotal"]) == ("Region", "EMEA", 3)
    assert after["selections"]["qBackCount"] == 1 and after["currentChanges"] >= 1
    # Every open object heard of the selection through the change arrays.
    assert all(count >= 1 for count in out["changed"].values()), out["changed"]
    assert out["listbox"] == [["EMEA", "S"], ["Americas", "A"], ["APAC", "A"]]
    assert (out["afterBack"], out["afterForward"], out["afterClearAll"]) == (3, 1, 0)
    assert out["afterAbort"] == 3
    assert out["unknown"]["code"] == -32601

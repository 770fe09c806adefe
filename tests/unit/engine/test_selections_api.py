"""What nebula.js and stardust's selections toolbar ask of the engine: modal selections,
the current selections object, list objects, Back/Forward, property trees."""

from __future__ import annotations

from typing import Any

import pytest

from qlik_jwt.emulator.engine import SampleApp
from tests.support.sample_csv import read_csv
from tests.unit.engine.engine_client import Client

CURRENT_SELECTIONS = {
    "qInfo": {"qType": "current-selections"},
    "qSelectionObjectDef": {"qStateName": "$"},
}


def list_box(field: str) -> dict[str, Any]:
    return {
        "qInfo": {"qType": "listbox"},
        "qListObjectDef": {
            "qDef": {"qFieldDefs": [field], "qSortCriterias": [{"qSortByState": 1}]},
            "qInitialDataFetch": [{"qTop": 0, "qLeft": 0, "qWidth": 1, "qHeight": 50}],
        },
    }


@pytest.fixture
def client(apps: dict[str, SampleApp]) -> Client:
    return Client(apps)


@pytest.fixture
def doc(client: Client, sales: SampleApp) -> int:
    handle: int = client.result(-1, "OpenDoc", [sales.id])["qReturn"]["qHandle"]
    return handle


def handle_of(client: Client, doc: int, object_id: str) -> int:
    found: int = client.result(doc, "GetObject", [object_id])["qReturn"]["qHandle"]
    return found


def matrix(client: Client, handle: int, member: str = "qHyperCube") -> list[list[dict[str, Any]]]:
    pages = client.result(handle, "GetLayout")["qLayout"][member]["qDataPages"]
    return list(pages[0]["qMatrix"])


def elem(client: Client, handle: int, text: str) -> int:
    return next(r[0]["qElemNumber"] for r in matrix(client, handle) if r[0]["qText"] == text)


def selected_fields(client: Client, current: int) -> list[tuple[str, str]]:
    layout = client.result(current, "GetLayout")["qLayout"]["qSelectionObject"]
    return [(s["qField"], s["qSelected"]) for s in layout["qSelections"]]


def test_a_modal_selection_applies_at_once_and_is_undone_when_not_accepted(
    client: Client, doc: int
) -> None:
    chart = handle_of(client, doc, "sales-by-region")
    kpi = handle_of(client, doc, "kpi-total-sales")
    assert client.call(chart, "BeginSelections", [["/qHyperCubeDef"]])["change"] == [chart]
    info = client.result(chart, "GetLayout")["qLayout"]["qSelectionInfo"]
    assert info == {"qInSelections": True, "qMadeSelections": False}
    answer = client.call(chart, "SelectHyperCubeValues", ["/qHyperCubeDef", 0, [0], False])
    assert sorted(answer["change"]) == sorted([chart, kpi])
    assert client.result(chart, "GetLayout")["qLayout"]["qSelectionInfo"]["qMadeSelections"]
    assert len(matrix(client, chart)) == 1
    answer = client.call(chart, "EndSelections", [False])
    assert sorted(answer["change"]) == sorted([chart, kpi])
    assert len(matrix(client, chart)) == 3
    assert client.result(chart, "GetLayout")["qLayout"]["qSelectionInfo"] == {}


def test_an_accepted_modal_selection_is_one_step_back(client: Client, doc: int) -> None:
    chart = handle_of(client, doc, "sales-by-region")
    current = client.result(doc, "CreateSessionObject", [CURRENT_SELECTIONS])["qReturn"]
    current_handle = current["qHandle"]
    client.result(chart, "BeginSelections", [["/qHyperCubeDef"]])
    client.result(
        chart, "SelectHyperCubeValues", ["/qHyperCubeDef", 0, [elem(client, chart, "EMEA")]]
    )
    client.result(
        chart, "SelectHyperCubeValues", ["/qHyperCubeDef", 0, [elem(client, chart, "EMEA")]]
    )
    assert client.call(chart, "EndSelections", [True])["change"] == [chart]
    layout = client.result(current_handle, "GetLayout")["qLayout"]["qSelectionObject"]
    assert (layout["qBackCount"], layout["qForwardCount"]) == (1, 0)
    assert selected_fields(client, current_handle) == [("Region", "EMEA")]
    assert current_handle in client.call(doc, "Back")["change"]
    assert selected_fields(client, current_handle) == []
    client.result(doc, "Forward")
    assert selected_fields(client, current_handle) == [("Region", "EMEA")]
    assert "change" not in client.call(doc, "Forward")  # nothing to redo
    client.result(doc, "ClearAll")
    assert selected_fields(client, current_handle) == []


def test_abort_modal_ends_any_objects_selection(client: Client, doc: int) -> None:
    chart = handle_of(client, doc, "sales-by-year")
    client.result(chart, "BeginSelections", [["/qHyperCubeDef"]])
    client.result(chart, "SelectHyperCubeValues", ["/qHyperCubeDef", 0, [0]])
    client.result(doc, "AbortModal", [False])
    assert len(matrix(client, chart)) == 3
    client.result(chart, "BeginSelections", [["/qHyperCubeDef"]])
    client.result(chart, "SelectHyperCubeValues", ["/qHyperCubeDef", 0, [0]])
    client.result(doc, "AbortModal", [True])
    assert len(matrix(client, chart)) == 1


def test_current_selections_name_up_to_six_values_then_count(client: Client, doc: int) -> None:
    current = client.result(doc, "CreateSessionObject", [CURRENT_SELECTIONS])["qReturn"]["qHandle"]
    country = client.result(doc, "GetField", ["Country"])["qReturn"]["qHandle"]
    names = sorted({r["Country"] for r in read_csv()})
    client.result(country, "SelectValues", [[{"qText": n} for n in names[:2]]])
    [(field, shown)] = selected_fields(client, current)
    assert field == "Country" and set(shown.split(", ")) == set(names[:2])
    client.result(country, "SelectValues", [[{"qText": n} for n in names[:7]]])
    assert selected_fields(client, current) == [("Country", f"7 of {len(names)}")]


def test_list_objects_show_states_and_select(client: Client, doc: int) -> None:
    regions = client.result(doc, "CreateSessionObject", [list_box("Region")])["qReturn"]["qHandle"]
    countries = client.result(doc, "CreateSessionObject", [list_box("Country")])["qReturn"][
        "qHandle"
    ]
    listed = client.result(regions, "GetLayout")["qLayout"]["qListObject"]
    assert listed["qSize"] == {"qcx": 1, "qcy": 3}
    assert listed["qDimensionInfo"]["qCardinal"] == 3
    emea = next(r[0] for r in listed["qDataPages"][0]["qMatrix"] if r[0]["qText"] == "EMEA")
    answer = client.call(
        regions, "SelectListObjectValues", ["/qListObjectDef", [emea["qElemNumber"]]]
    )
    assert sorted(answer["change"]) == sorted([regions, countries])
    states = {r[0]["qText"]: r[0]["qState"] for r in matrix(client, regions, "qListObject")}
    assert states == {"EMEA": "S", "Americas": "A", "APAC": "A"}
    in_emea = {r["Country"] for r in read_csv() if r["Region"] == "EMEA"}
    rows = matrix(client, countries, "qListObject")
    assert {r[0]["qText"] for r in rows if r[0]["qState"] == "O"} == in_emea
    assert rows[0][0]["qState"] == "O" and rows[-1][0]["qState"] == "X"  # sorted by state
    page = client.result(
        countries,
        "GetListObjectData",
        ["/qListObjectDef", [{"qTop": 1, "qLeft": 0, "qWidth": 1, "qHeight": 2}]],
    )["qDataPages"][0]
    assert page["qArea"] == {"qTop": 1, "qLeft": 0, "qWidth": 1, "qHeight": 2}
    client.result(regions, "ClearSelections", ["/qListObjectDef"])
    assert {r[0]["qState"] for r in matrix(client, regions, "qListObject")} == {"O"}
    bad = client.error(regions, "SelectListObjectValues", ["/qListObjectDef", [99]])
    assert bad["code"] == 8 and "Region" in bad["parameter"]
    wrong = client.error(regions, "GetListObjectData", ["/qHyperCubeDef", []])
    assert "qListObjectDef" in wrong["parameter"]


def test_clear_selections_of_a_hypercube_clears_its_dimensions(client: Client, doc: int) -> None:
    chart = handle_of(client, doc, "top-customers")
    client.result(chart, "SelectHyperCubeValues", ["/qHyperCubeDef", 1, [0]])
    assert "change" in client.call(chart, "ClearSelections", ["/qHyperCubeDef", [1]])
    assert "change" not in client.call(chart, "ClearSelections", ["/qHyperCubeDef"])


def test_reduced_data_is_the_full_data(client: Client, doc: int) -> None:
    chart = handle_of(client, doc, "sales-by-month")
    page = [{"qTop": 0, "qLeft": 0, "qWidth": 2, "qHeight": 20}]
    full = client.result(chart, "GetHyperCubeData", ["/qHyperCubeDef", page])
    reduced = client.result(chart, "GetHyperCubeReducedData", ["/qHyperCubeDef", page, -1, "D1"])
    assert reduced == full and len(full["qDataPages"][0]["qMatrix"]) == 12


def test_full_property_tree_holds_the_sheets_children(
    client: Client, doc: int, sales: SampleApp
) -> None:
    sheet = handle_of(client, doc, "sales-overview")
    tree = client.result(sheet, "GetFullPropertyTree")["qPropEntry"]
    assert tree["qProperty"]["qInfo"] == {"qId": "sales-overview", "qType": "sheet"}
    children = [child["qProperty"]["qInfo"]["qId"] for child in tree["qChildren"]]
    assert children == sales.sheet_cells("sales-overview")
    assert all(child["qChildren"] == [] for child in tree["qChildren"])


def test_unknown_methods_answer_method_not_found(client: Client, doc: int) -> None:
    chart = handle_of(client, doc, "sales-by-region")
    error = client.error(chart, "ExportData", ["OOXML"])
    assert error["code"] == -32601 and "ExportData" in error["parameter"]

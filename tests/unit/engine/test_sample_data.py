"""The sample apps: stable ids, data that matches its generator, objects that compute."""

from __future__ import annotations

import json

import pytest

from qlik_jwt.emulator.engine import SampleApp, sample_apps
from qlik_jwt.emulator.engine.apps import load_app
from qlik_jwt.emulator.engine.cube_definition import compile_cube
from qlik_jwt.emulator.engine.document import Document
from qlik_jwt.emulator.engine.sample_data import GENERATORS, to_csv
from tests.support.sample_csv import DATA, read_csv

SALES_ID = "3f2c6a9e-8b1d-4c57-9e0a-5d7b2f41c8a6"
SUPPORT_ID = "a71e0c52-94d3-4b8f-b6e2-1c9d7f03e5b4"


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_committed_csv_is_what_the_generator_writes(name: str) -> None:
    assert (DATA / name).read_text(encoding="utf-8") == to_csv(GENERATORS[name]())


def test_app_ids_never_change_and_sales_comes_first() -> None:
    apps = sample_apps()
    assert [app.id for app in apps] == [SALES_ID, SUPPORT_ID]
    assert [app.name for app in apps] == ["Sales", "Support"]


def test_sales_holds_a_few_hundred_real_rows(sales: SampleApp) -> None:
    records = read_csv()
    assert 200 <= len(sales.rows) == len(records)
    first = sales.rows[0]
    assert first["Region"] == records[0]["Region"]
    assert first["Sales"] == float(records[0]["Sales"])
    assert isinstance(first["Year"], float)
    assert sales.fields["Region"].values == ("APAC", "Americas", "EMEA")  # load order
    assert sales.fields["Region"].elem_number("EMEA") == 2
    assert sales.fields["Sales"].numeric and not sales.fields["Customer"].numeric


def test_every_region_has_several_countries_and_customers(sales: SampleApp) -> None:
    for region in sales.fields["Region"].values:
        rows = [r for r in sales.rows if r["Region"] == region]
        assert len({r["Country"] for r in rows}) >= 3
        assert len({r["Customer"] for r in rows}) >= 5


def test_sheets_list_existing_objects_in_reading_order(sales: SampleApp) -> None:
    assert sales.sheet_ids == ["sales-overview"]
    assert sales.sheet_cells("sales-overview") == [
        "kpi-total-sales",
        "sales-by-region",
        "sales-by-category",
        "sales-by-year",
        "sales-by-month",
        "top-customers",
    ]


def test_every_predefined_object_computes(apps: dict[str, SampleApp]) -> None:
    for app in apps.values():
        document = Document(app)
        for object_id, properties in app.objects.items():
            layout = document.layout(object_id)
            assert layout["qInfo"]["qId"] == object_id
            if "qHyperCubeDef" in properties:
                compile_cube(properties["qHyperCubeDef"], app)
                assert layout["qHyperCube"]["qSize"]["qcy"] >= 1


def _definition(**fields: str) -> dict[str, object]:
    return {"id": "x", "name": "X", "fields": fields or {"A": "text", "N": "number"}}


def test_load_app_refuses_a_header_that_does_not_match() -> None:
    with pytest.raises(ValueError, match=r"header \['A', 'B'\] does not match"):
        load_app(_definition(), "A,B\n1,2\n")


def test_load_app_refuses_text_in_a_number_column() -> None:
    with pytest.raises(ValueError, match="line 3: N 'lots' is not a number"):
        load_app(_definition(), "A,N\nx,1\ny,lots\n")


def test_load_app_refuses_unknown_field_types() -> None:
    with pytest.raises(ValueError, match="field 'A': type 'date'"):
        load_app(_definition(A="date"), "A\n2024-01-01\n")


def test_app_definitions_are_valid_json_with_the_declared_csv() -> None:
    for name in ("sales.json", "support.json"):
        definition = json.loads((DATA / name).read_text(encoding="utf-8"))
        assert (DATA / definition["data"]).is_file()


# What each chart module reads from a stored object before it draws (found by rendering the
# objects with nebula.js: a missing one throws inside the chart).
CHART_PROPERTIES = {
    "barchart": {"color", "legend", "dataPoint", "dimensionAxis", "measureAxis", "gridLine"},
    "linechart": {"color", "legend", "dataPoint", "dimensionAxis", "measureAxis", "gridLine"},
    "piechart": {"color", "legend", "dataPoint", "donut"},
    "kpi": {"showMeasureTitle", "textAlign", "fontSize"},
    "table": {"totals", "usePagination"},
}


def test_stored_objects_are_complete_for_their_chart_type(apps: dict[str, SampleApp]) -> None:
    for app in apps.values():
        for object_id, properties in app.objects.items():
            qtype = properties["qInfo"]["qType"]
            if qtype == "sheet":
                continue
            assert properties["qInfo"]["qId"] == object_id
            assert properties["visualization"] == qtype, object_id
            assert CHART_PROPERTIES[qtype] <= set(properties), object_id
            cube = properties["qHyperCubeDef"]
            for entry in (*cube["qDimensions"], *cube["qMeasures"]):
                assert entry["qDef"]["cId"] and "qAttributeExpressions" in entry, object_id

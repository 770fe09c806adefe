"""Hypercubes: grouping, measures, sorting, paging and layout, checked against the CSV."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from qlik_jwt.emulator.engine import SampleApp
from qlik_jwt.emulator.engine.cube_definition import Page, compile_cube
from qlik_jwt.emulator.engine.errors import EngineError
from qlik_jwt.emulator.engine.hypercube import HyperCube
from qlik_jwt.emulator.engine.selections import Selections
from tests.support.sample_csv import grouped, read_csv, sales_by, total


def cube(app: SampleApp, selections: Selections | None = None, **definition: Any) -> HyperCube:
    return HyperCube(compile_cube(definition, app), app, selections or Selections())


def dim(field: str, **sort: int) -> dict[str, Any]:
    spec: dict[str, Any] = {"qFieldDefs": [field]}
    if sort:
        spec["qSortCriterias"] = [sort]
    return {"qDef": spec}


def measure(expression: str, label: str = "", **sort: int) -> dict[str, Any]:
    spec: dict[str, Any] = {"qDef": {"qDef": expression, "qLabel": label}}
    if sort:
        spec["qSortBy"] = sort
    return spec


def matrix(hypercube: HyperCube, height: int = 1000) -> list[list[dict[str, Any]]]:
    page = hypercube.page(Page(0, 0, hypercube.definition.width, height))
    return page["qMatrix"]


def texts(hypercube: HyperCube) -> list[list[str]]:
    return [[cell["qText"] for cell in row] for row in matrix(hypercube)]


def test_sum_by_region_matches_the_csv(sales: SampleApp) -> None:
    result = cube(sales, qDimensions=[dim("Region")], qMeasures=[measure("Sum(Sales)")])
    got = {row[0]["qText"]: row[1]["qNum"] for row in matrix(result)}
    assert got == pytest.approx({k: float(v) for k, v in sales_by("Region").items()})


def test_two_dimensions_list_only_combinations_in_the_data(sales: SampleApp) -> None:
    records = read_csv()
    result = cube(
        sales,
        qDimensions=[dim("Region"), dim("Country")],
        qMeasures=[measure("Count(OrderID)")],
    )
    pairs = {(r["Region"], r["Country"]) for r in records}
    rows = matrix(result)
    assert {(row[0]["qText"], row[1]["qText"]) for row in rows} == pairs
    assert result.size == {"qcx": 3, "qcy": len(pairs)}
    assert sum(row[2]["qNum"] for row in rows) == len(records)


def test_several_measures_per_group(sales: SampleApp) -> None:
    records = read_csv()
    result = cube(
        sales,
        qDimensions=[dim("ProductCategory")],
        qMeasures=[
            measure("Sum(Quantity)"),
            measure("Count(DISTINCT Customer)"),
            measure("Sum(Sales)/Sum(Quantity)"),
        ],
    )
    units = grouped(records, "ProductCategory", lambda g: total(g, "Quantity"))
    customers = grouped(
        records, "ProductCategory", lambda g: Decimal(len({r["Customer"] for r in g}))
    )
    price = grouped(records, "ProductCategory", lambda g: total(g, "Sales") / total(g, "Quantity"))
    for row in matrix(result):
        name = row[0]["qText"]
        assert row[1]["qNum"] == units[name]
        assert row[2]["qNum"] == customers[name]
        assert row[3]["qNum"] == pytest.approx(float(price[name]))


def test_cells_are_shaped_like_qlik_cells(sales: SampleApp) -> None:
    result = cube(
        sales, qDimensions=[dim("Region"), dim("Year")], qMeasures=[measure("Sum(Quantity)")]
    )
    region, year, units = matrix(result)[0]
    assert region == {
        "qText": region["qText"],
        "qNum": "NaN",
        "qElemNumber": sales.fields["Region"].elem_number(region["qText"]),
        "qState": "O",
    }
    assert year["qNum"] == int(year["qText"]) and isinstance(year["qNum"], int)
    assert year["qElemNumber"] == sales.fields["Year"].elem_number(float(year["qText"]))
    assert units["qElemNumber"] == 0 and units["qState"] == "L"
    assert units["qText"] == str(units["qNum"])


def test_no_dimensions_gives_exactly_one_row(sales: SampleApp) -> None:
    result = cube(sales, qMeasures=[measure("Sum(Sales)"), measure("Count(DISTINCT Customer)")])
    assert result.size == {"qcx": 2, "qcy": 1}
    assert [c["qNum"] for c in matrix(result)[0]] == [
        pytest.approx(float(total(read_csv(), "Sales"))),
        36,
    ]
    selections = Selections()
    selections.select("Region", ["Nowhere"], toggle=False)
    empty = cube(sales, selections, qMeasures=[measure("Sum(Sales)"), measure("Avg(Sales)")])
    assert empty.size["qcy"] == 1
    assert matrix(empty)[0][0]["qNum"] == 0
    assert matrix(empty)[0][1] == {
        "qText": "-",
        "qNum": "NaN",
        "qElemNumber": 0,
        "qState": "L",
        "qIsNull": True,
    }


def test_grand_total_is_the_measure_over_all_rows(sales: SampleApp) -> None:
    result = cube(
        sales,
        qDimensions=[dim("Customer")],
        qMeasures=[measure("Sum(Sales)"), measure("Count(DISTINCT Country)")],
    )
    amount, countries = result.grand_total_row()
    assert amount["qNum"] == pytest.approx(float(total(read_csv(), "Sales")))
    assert amount["qElemNumber"] == -1 and amount["qIsTotalCell"] is True
    assert countries["qNum"] == 13  # distinct over everything, not a sum of the rows


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ({"qSortByAscii": 1}, ["Americas", "APAC", "EMEA"]),
        ({"qSortByAscii": -1}, ["EMEA", "APAC", "Americas"]),
        ({"qSortByLoadOrder": 1}, ["APAC", "Americas", "EMEA"]),
        ({"qSortByLoadOrder": -1}, ["EMEA", "Americas", "APAC"]),
        ({}, ["APAC", "Americas", "EMEA"]),  # no criteria: load order
    ],
)
def test_dimension_sort_criteria(
    sales: SampleApp, sort: dict[str, int], expected: list[str]
) -> None:
    result = cube(sales, qDimensions=[dim("Region", **sort)], qMeasures=[measure("Sum(Sales)")])
    assert [row[0] for row in texts(result)] == expected


def test_numeric_sort_of_a_number_field(sales: SampleApp) -> None:
    up = cube(sales, qDimensions=[dim("Month", qSortByNumeric=1)], qMeasures=[])
    down = cube(sales, qDimensions=[dim("Month", qSortByNumeric=-1)], qMeasures=[])
    assert [row[0] for row in texts(up)] == [str(m) for m in range(1, 13)]
    assert [row[0] for row in texts(down)] == [str(m) for m in range(12, 0, -1)]


def test_sort_by_measure_through_inter_column_order(sales: SampleApp) -> None:
    expected = sorted(sales_by("Country").items(), key=lambda item: -item[1])
    result = cube(
        sales,
        qDimensions=[dim("Country", qSortByAscii=1)],
        qMeasures=[measure("Sum(Sales)", qSortByNumeric=-1)],
        qInterColumnSortOrder=[1, 0],
    )
    assert [row[0] for row in texts(result)] == [name for name, _ in expected]
    # Without the measure first in the order, the dimension's sort wins.
    by_name = cube(
        sales,
        qDimensions=[dim("Country", qSortByAscii=1)],
        qMeasures=[measure("Sum(Sales)", qSortByNumeric=-1)],
    )
    assert [row[0] for row in texts(by_name)] == sorted(n for n, _ in expected)


def test_sort_by_expression_and_frequency(sales: SampleApp) -> None:
    records = read_csv()
    counts = grouped(records, "Region", lambda g: Decimal(len(g)))
    by_frequency = cube(sales, qDimensions=[dim("Region", qSortByFrequency=-1)], qMeasures=[])
    assert [r[0] for r in texts(by_frequency)] == sorted(counts, key=lambda k: -counts[k])
    sums = sales_by("Region")
    spec = dim("Region")
    spec["qDef"]["qSortCriterias"] = [{"qSortByExpression": 1, "qExpression": {"qv": "Sum(Sales)"}}]
    by_expression = cube(sales, qDimensions=[spec], qMeasures=[])
    assert [r[0] for r in texts(by_expression)] == sorted(sums, key=lambda k: sums[k])


def test_two_level_sort_keeps_groups_together(sales: SampleApp) -> None:
    result = cube(
        sales,
        qDimensions=[dim("Region", qSortByAscii=1), dim("Year", qSortByNumeric=-1)],
        qMeasures=[measure("Sum(Sales)")],
    )
    keys = [(row[0], int(row[1])) for row in texts(result)]
    assert keys == sorted(keys, key=lambda k: (k[0].casefold(), -k[1]))


def test_suppress_zero_drops_rows_whose_measures_are_all_zero(support: SampleApp) -> None:
    expression = "Sum(Hours) - Sum(Hours)"
    kept = cube(support, qDimensions=[dim("Team")], qMeasures=[measure(expression)])
    dropped = cube(
        support, qDimensions=[dim("Team")], qMeasures=[measure(expression)], qSuppressZero=True
    )
    assert kept.size["qcy"] == 4 and dropped.size["qcy"] == 0


def test_pages_are_clipped_to_the_cube(sales: SampleApp) -> None:
    result = cube(
        sales, qDimensions=[dim("Customer", qSortByAscii=1)], qMeasures=[measure("Sum(Sales)")]
    )
    everything = texts(result)
    page = result.page(Page(top=30, left=1, width=5, height=10))
    assert page["qArea"] == {"qLeft": 1, "qTop": 30, "qWidth": 1, "qHeight": 6}
    assert [[c["qText"] for c in row] for row in page["qMatrix"]] == [
        r[1:] for r in everything[30:]
    ]
    beyond = result.page(Page(top=99, left=0, width=2, height=5))
    assert beyond["qMatrix"] == [] and beyond["qArea"]["qHeight"] == 0


def test_layout_describes_dimensions_and_measures(sales: SampleApp) -> None:
    selections = Selections()
    selections.select("Region", ["EMEA"], toggle=False)
    result = cube(
        sales,
        selections,
        qDimensions=[
            {
                "qDef": {
                    "qFieldDefs": ["Region"],
                    "qFieldLabels": ["Area"],
                    "qSortCriterias": [{"qSortByAscii": -1}],
                }
            },
            dim("Year"),
        ],
        qMeasures=[measure("Sum(Sales)", "Revenue", qSortByNumeric=1), measure("Max(Quantity)")],
        qInitialDataFetch=[{"qTop": 0, "qLeft": 0, "qWidth": 4, "qHeight": 2}],
    )
    layout = result.layout()
    region, year = layout["qDimensionInfo"]
    assert region["qFallbackTitle"] == "Area" and region["qSortIndicator"] == "D"
    assert region["qCardinal"] == 3 and region["qDimensionType"] == "D"
    assert region["qStateCounts"]["qSelected"] == 1 and region["qStateCounts"]["qExcluded"] == 2
    assert year["qFallbackTitle"] == "Year" and year["qSortIndicator"] == "N"
    assert (year["qMin"], year["qMax"], year["qDimensionType"]) == (2022, 2024, "N")
    revenue, most = layout["qMeasureInfo"]
    emea = {
        k: v for k, v in sales_by("Year", [r for r in read_csv() if r["Region"] == "EMEA"]).items()
    }
    assert revenue["qFallbackTitle"] == "Revenue" and revenue["qSortIndicator"] == "A"
    assert revenue["qMin"] == pytest.approx(float(min(emea.values())))
    assert revenue["qMax"] == pytest.approx(float(max(emea.values())))
    assert most["qFallbackTitle"] == "Max(Quantity)" and most["qMax"] == 20
    assert layout["qSize"] == {"qcx": 4, "qcy": 3}
    assert layout["qEffectiveInterColumnSortOrder"] == [0, 1, 2, 3]
    assert [len(p["qMatrix"]) for p in layout["qDataPages"]] == [2]
    assert {row[0]["qState"] for row in matrix(result)} == {"S"}
    assert {row[1]["qState"] for row in matrix(result)} == {"O"}
    assert layout["qMode"] == "S" and layout["qGrandTotalRow"][0]["qNum"] == pytest.approx(
        float(sum(emea.values()))
    )


def test_number_formats_shape_the_text(sales: SampleApp) -> None:
    fmt = {"qType": "F", "qFmt": "#,##0.00", "qDec": ".", "qThou": ","}
    result = cube(sales, qMeasures=[{"qDef": {"qDef": "Sum(Sales)", "qNumFormat": fmt}}])
    cell = matrix(result)[0][0]
    assert cell["qText"] == f"{cell['qNum']:,.2f}"
    assert result.layout()["qMeasureInfo"][0]["qIsAutoFormat"] is False


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ({"qMode": "P"}, "qHyperCubeDef.qMode: only straight cubes are supported"),
        ({"qDimensions": {}}, "qHyperCubeDef.qDimensions: must be an array"),
        (
            {"qDimensions": [{"qDef": {"qFieldDefs": []}}]},
            "qFieldDefs[0]: a dimension needs a field",
        ),
        (
            {"qDimensions": [dim("Nope")]},
            "qFieldDefs[0]: no such field (got 'Nope'). The app's fields",
        ),
        ({"qDimensions": [dim("=Year+1")]}, "calculated dimensions are not supported"),
        ({"qDimensions": [{"qLibraryId": "abc"}]}, "qDimensions[0].qLibraryId: master dimensions"),
        ({"qMeasures": [{"qLibraryId": "abc"}]}, "qMeasures[0].qLibraryId: master measures"),
        ({"qMeasures": [measure("Rank(Sales)")]}, "qMeasures[0].qDef.qDef: function Rank()"),
        ({"qMeasures": [{"qDef": {"qDef": 5}}]}, "qMeasures[0].qDef.qDef: must be an expression"),
        (
            {"qMeasures": [measure("Sum(Sales)", qSortByNumeric="up")]},
            "qSortBy.qSortByNumeric: must be an integer",
        ),  # type: ignore[arg-type]
        (
            {"qMeasures": [measure("Sum(Sales)")], "qInterColumnSortOrder": [3]},
            "qInterColumnSortOrder[0]: must be a column index from 0 to 0",
        ),
        (
            {"qInitialDataFetch": [{"qHeight": -1}]},
            "qInitialDataFetch[0].qHeight: must be an integer >= 0",
        ),
        (
            {"qInitialDataFetch": [{"qWidth": 2, "qHeight": 5001}]},
            "asks for 10002 cells, more than the 10000",
        ),
    ],
)
def test_unsupported_definitions_are_refused_clearly(
    sales: SampleApp, definition: dict[str, Any], message: str
) -> None:
    with pytest.raises(EngineError) as caught:
        compile_cube(definition, sales)
    assert message in caught.value.parameter
    assert caught.value.error.code in (6000, 6001)


def test_sort_order_is_completed_with_missing_columns(sales: SampleApp) -> None:
    definition = compile_cube(
        {
            "qDimensions": [dim("Region"), dim("Year")],
            "qMeasures": [measure("Sum(Sales)")],
            "qInterColumnSortOrder": [2, 2],
        },
        sales,
    )
    assert definition.sort_order == (2, 0, 1)

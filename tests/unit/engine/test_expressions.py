"""Chart expressions against values computed independently from the CSV."""

from __future__ import annotations

from decimal import Decimal

import pytest

from qlik_jwt.emulator.engine import SampleApp
from qlik_jwt.emulator.engine.expressions import MAX_DEPTH, ExpressionError, compile_expression
from tests.support.sample_csv import read_csv, total


def value(app: SampleApp, text: str, rows: object = None) -> float | None:
    return compile_expression(text, app.fields).evaluate(app.rows if rows is None else rows)  # type: ignore[arg-type]


def test_sum_count_avg_min_max_match_the_csv(sales: SampleApp) -> None:
    records = read_csv()
    amounts = [Decimal(r["Sales"]) for r in records]
    assert value(sales, "Sum(Sales)") == pytest.approx(float(total(records, "Sales")))
    assert value(sales, "Count(OrderID)") == len(records)
    assert value(sales, "Avg(Sales)") == pytest.approx(float(sum(amounts) / len(amounts)))
    assert value(sales, "Min(Sales)") == float(min(amounts))
    assert value(sales, "Max(Quantity)") == max(int(r["Quantity"]) for r in records)


def test_count_distinct_counts_distinct_values(sales: SampleApp) -> None:
    records = read_csv()
    assert value(sales, "Count(DISTINCT Customer)") == len({r["Customer"] for r in records})
    assert value(sales, "count(distinct [Country])") == len({r["Country"] for r in records})
    assert value(sales, "Count(Customer)") == len(records)


def test_arithmetic_between_aggregations_and_inside_them(sales: SampleApp) -> None:
    records = read_csv()
    amount, units = total(records, "Sales"), total(records, "Quantity")
    assert value(sales, "Sum(Sales) / Sum(Quantity)") == pytest.approx(float(amount / units))
    assert value(sales, "=2 * (Sum(Sales) - 1) + -Sum(Sales)") == pytest.approx(float(amount) - 2)
    assert value(sales, 'Sum("Sales" * 2)') == pytest.approx(float(2 * amount))
    assert value(sales, "Sum(Sales) - Sum(Sales) * 0.5") == pytest.approx(float(amount) / 2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sum(Sales)", 0.0),  # an empty Sum is 0
        ("Count(Sales)", 0.0),
        ("Avg(Sales)", None),  # ...but an empty Avg, Min or Max is null
        ("Min(Sales)", None),
        ("Max(Sales) + 1", None),  # arithmetic with null is null
    ],
)
def test_empty_sets_follow_qlik(sales: SampleApp, text: str, expected: float | None) -> None:
    assert value(sales, text, rows=[]) == expected


def test_an_overflow_is_null_never_an_infinity(sales: SampleApp) -> None:
    """A float's infinity has no JSON form: it was sent as the invalid token ``Infinity``."""
    huge = "1" + "0" * 307  # 1e307 is a float; 480 rows of it add up to more than one
    assert value(sales, f"Sum(Sales) * {huge} * {huge}") is None
    assert value(sales, f"Sum({huge})") is None  # math.fsum overflows
    assert value(sales, f"Avg({huge})") is None
    assert value(sales, f"Max(Sales * {huge} * {huge})") is None  # every row is null
    assert value(sales, f"Min({huge}) / {huge}") == 1.0


def test_division_by_zero_and_text_arithmetic_are_null(sales: SampleApp) -> None:
    assert value(sales, "Sum(Sales) / 0") is None
    assert value(sales, "Sum(Region * 2)") == 0.0  # text is null in arithmetic
    assert value(sales, "Max(Region)") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Rank(Sales)", "function Rank() at character 1 is not supported"),
        ("Sales", "field 'Sales' at character 1 is outside an aggregation; wrap it"),
        ("Sum(Sum(Sales))", "Sum() at character 5 is nested in another aggregation"),
        ("Sum(Foo)", "field 'Foo' at character 5 does not exist; the app's fields are Country"),
        ("Sum(Sales", "expected ')' at character 10, found the end"),
        ("Sum(Sales) ^ 2", "unexpected '^' at character 12"),
        ("=Sum({<Year={2023}>} Sales)", "at character 6; set analysis is not supported"),
        ("   ", "the expression is empty"),
        ("Sum(Sales) Sum(Sales)", "unexpected 'Sum' at character 12"),
        ("Sum()", "expected a value at character 5, found ')'"),
        ("Sum(Sales) * 1" + "0" * 400, "the number at character 14 is too large"),
    ],
)
def test_unsupported_expressions_say_where_and_what(
    sales: SampleApp, text: str, message: str
) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression(text, sales.fields)
    assert message in str(caught.value)


def test_positions_count_from_the_original_text(sales: SampleApp) -> None:
    with pytest.raises(ExpressionError, match="at character 9"):
        compile_expression("  = Sum(Nope)", sales.fields)


@pytest.mark.parametrize(
    "text",
    [
        "1+" * 3000 + "1",  # parsed by a loop, but evaluated by recursion
        "Sum(" + "Sales+" * 3000 + "Sales)",
        "-" * 3000 + "1",
        "(" * 3000 + "1" + ")" * 3000,
    ],
)
def test_expressions_nested_too_deeply_are_refused(sales: SampleApp, text: str) -> None:
    """They ran out of stack: an internal error, with a traceback in the log."""
    with pytest.raises(ExpressionError, match="nests too deeply"):
        compile_expression(text, sales.fields)


def test_expressions_up_to_the_depth_limit_are_computed(sales: SampleApp) -> None:
    assert value(sales, "1+" * (MAX_DEPTH - 1) + "1") == MAX_DEPTH
    assert value(sales, "(" * 100 + "Count(OrderID)" + ")" * 100) == len(read_csv())

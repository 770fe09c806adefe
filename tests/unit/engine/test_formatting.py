"""qText and qNum as the engine writes them."""

from __future__ import annotations

import pytest

from qlik_jwt.emulator.engine.formatting import format_number, json_number


@pytest.mark.parametrize(
    ("number", "fmt", "text"),
    [
        (1234567.891, None, "1234567.891"),
        (12.0, None, "12"),
        (250.63094161588364, {"qType": "U"}, "250.63094161588"),
        (None, None, "-"),
        (1234567.891, {"qType": "F", "qFmt": "#,##0.00"}, "1,234,567.89"),
        (-1234.4, {"qType": "M", "qFmt": "$#,##0"}, "-$1,234"),
        (0.1234, {"qType": "F", "qFmt": "0.0%"}, "12.3%"),
        (1234.5, {"qType": "F", "qnDec": 1, "qUseThou": 1}, "1,234.5"),
        (1234.5, {"qType": "F", "qnDec": 3}, "1234.500"),
        (7.6, {"qType": "I"}, "8"),
        (1234567.5, {"qType": "F", "qFmt": "# ##0,00", "qDec": ",", "qThou": " "}, "1 234 567,50"),
        (-0.001, {"qType": "F", "qFmt": "0.00"}, "0.00"),
        (45000.0, {"qType": "D", "qFmt": "YYYY-MM-DD"}, "45000"),  # dates: automatic
        (3.0, {"qType": "F", "qFmt": "none"}, "3"),
    ],
)
def test_format_number(number: float | None, fmt: dict[str, object] | None, text: str) -> None:
    assert format_number(number, fmt) == text


def test_json_number_drops_dot_zero_and_writes_null_as_nan_text() -> None:
    assert json_number(3.0) == 3 and isinstance(json_number(3.0), int)
    assert json_number(2.5) == 2.5
    assert json_number(None) == "NaN"
    assert json_number(float("nan")) == "NaN"
    assert isinstance(json_number(1e300), float)

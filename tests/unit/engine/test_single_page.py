"""The /single/ page: the real numbers as text, self-contained, escaped everywhere."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from qlik_jwt.emulator.engine import SampleApp, UnknownObjectError, render_single_page
from qlik_jwt.emulator.engine.apps import load_app
from qlik_jwt.errors import ConfigurationError
from tests.support.sample_csv import read_csv, sales_by, total

HOSTILE = '<img src=x onerror="alert(1)">&\''


class Page(HTMLParser):
    """Collects what a browser would see: text, tags, attributes and the data tables."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.rows: list[list[str]] = []
        self._row: list[str] | None = None
        self._cell = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "tr":
            self._row = []
        self._cell = tag in ("td", "th")

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell and self._row is not None:
            self._row.append(data)
            self._cell = False


def test_an_object_shows_its_numbers_as_text(sales: SampleApp) -> None:
    html = render_single_page(sales, object_id="sales-by-region", sheet_id=None, options="")
    page = Page(html)
    expected = sales_by("Region")
    table = {row[0]: row[1] for row in page.rows[1:] if row[0] in expected}
    assert {k: float(v) for k, v in table.items()} == pytest.approx(
        {k: float(v) for k, v in expected.items()}
    )
    footer = page.rows[-1]
    assert footer[0] == "Total"
    assert float(footer[1]) == pytest.approx(float(total(read_csv(), "Sales")))
    svg_values = re.findall(r'<text class="value"[^>]*>([^<]+)</text>', html)
    assert sorted(map(float, svg_values)) == pytest.approx(
        sorted(float(v) for v in expected.values())
    )
    assert "<title>Sales: Sales by Region</title>" in html


def test_the_page_is_self_contained(sales: SampleApp) -> None:
    page = Page(render_single_page(sales, object_id=None, sheet_id=None, options=""))
    tags = {tag for tag, _ in page.tags}
    assert "script" not in tags and "link" not in tags and "iframe" not in tags
    for _, attrs in page.tags:
        for name in ("src", "href"):
            assert attrs.get(name) is None
    urls = {attrs.get("xmlns") for tag, attrs in page.tags if tag == "svg"}
    assert urls == {"http://www.w3.org/2000/svg"}


def test_a_sheet_shows_all_its_objects(sales: SampleApp) -> None:
    for kwargs in (
        {"object_id": None, "sheet_id": "sales-overview"},
        {"object_id": None, "sheet_id": None},
    ):
        html = render_single_page(sales, options="", **kwargs)  # type: ignore[arg-type]
        shown = re.findall(r'data-object-id="([^"]+)"', html)
        assert shown == sales.sheet_cells("sales-overview") and len(shown) == 6
    kpi = re.search(r'<div class="value" data-num="([^"]+)">', html)
    assert kpi is not None and float(kpi.group(1)) == pytest.approx(
        float(total(read_csv(), "Sales"))
    )


def test_an_object_that_is_a_sheet_shows_the_sheet(sales: SampleApp) -> None:
    html = render_single_page(sales, object_id="sales-overview", sheet_id=None, options="")
    assert html.count('class="qlik-object"') == 6 and "<h1>Sales overview</h1>" in html


def test_options_are_recorded_and_currsel_shows_the_selection_bar(sales: SampleApp) -> None:
    html = render_single_page(
        sales, object_id="kpi-total-sales", sheet_id=None, options="ctxmenu, CurrSel,"
    )
    assert 'data-options="ctxmenu,currsel"' in html
    assert "Current selections: none" in html
    plain = render_single_page(sales, object_id="kpi-total-sales", sheet_id=None, options="")
    assert "Current selections" not in plain


def test_a_table_object_lists_every_row(sales: SampleApp) -> None:
    page = Page(render_single_page(sales, object_id="top-customers", sheet_id=None, options=""))
    body = page.rows[1:-1]
    assert len(body) == 36 and "<svg" not in "".join(page.text)
    amounts = [float(row[2].replace(",", "")) for row in body]
    assert amounts == sorted(amounts, reverse=True)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"object_id": "nope", "sheet_id": None}, "obj"),
        ({"object_id": None, "sheet_id": "sales-by-region"}, "sheet"),  # an object, not a sheet
    ],
)
def test_unknown_objects_raise_a_configuration_error(
    sales: SampleApp, kwargs: dict[str, str | None], field: str
) -> None:
    with pytest.raises(UnknownObjectError) as caught:
        render_single_page(sales, options="", **kwargs)  # type: ignore[arg-type]
    assert isinstance(caught.value, ConfigurationError) and caught.value.field == field
    assert "Use one of:" in str(caught.value)


def test_everything_is_escaped() -> None:
    definition = {
        "id": HOSTILE,
        "name": HOSTILE,
        "fields": {"Label": "text", "Amount": "number"},
        "objects": {
            "chart": {
                "qInfo": {"qId": "chart", "qType": HOSTILE},
                "title": HOSTILE,
                "qHyperCubeDef": {
                    "qDimensions": [{"qDef": {"qFieldDefs": ["Label"], "qFieldLabels": [HOSTILE]}}],
                    "qMeasures": [{"qDef": {"qDef": "Sum(Amount)", "qLabel": HOSTILE}}],
                },
            }
        },
    }
    app = load_app(definition, f'Label,Amount\n"{HOSTILE.replace(chr(34), chr(34) * 2)}",3\n')
    html = render_single_page(app, object_id="chart", sheet_id=None, options=HOSTILE)
    page = Page(html)
    assert [tag for tag, _ in page.tags if tag in ("img", "script")] == []
    assert not any("onerror" in attrs for _, attrs in page.tags)
    assert "".join(page.text).count(HOSTILE) >= 5  # shown as text, not markup

"""The ``/single/`` page: one object (``obj``) or one sheet (``sheet``) of an app as a
self-contained HTML page.

No scripts, no external resources: charts are inline SVG computed from the hypercube, and
every chart is followed by a table of its numbers (``table.qlik-data``), so people and tests
can read the real values. Without ``obj`` or ``sheet`` the app's first sheet is shown.
``opt`` is Qlik's comma-separated option list: ``currsel`` shows the (empty) current
selections bar; the others (``ctxmenu``, ``nointeraction``...) have nothing to change in a
static page and are only recorded in ``data-options``. All text is HTML-escaped.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from qlik_jwt.emulator.engine.apps import SampleApp
from qlik_jwt.emulator.engine.cube_definition import Page
from qlik_jwt.emulator.engine.document import Document
from qlik_jwt.emulator.engine.hypercube import HyperCube
from qlik_jwt.emulator.engine.svg_chart import Bar, bar_chart_svg
from qlik_jwt.errors import ConfigurationError

__all__ = ["UnknownObjectError", "render_single_page"]

_STYLE = """
body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#fff}
header{display:flex;gap:1rem;align-items:baseline;padding:.5rem 1rem;background:#f2f4f5}
header .app-name{font-weight:600}header .note{color:#666;font-size:.8rem}
.current-selections{padding:.3rem 1rem;border-bottom:1px solid #ddd;font-size:.85rem}
main{display:grid;gap:1rem;padding:1rem;grid-template-columns:repeat(auto-fit,minmax(320px,1fr))}
section{border:1px solid #e1e4e6;border-radius:4px;padding:.5rem 1rem;overflow-x:auto}
h1,h2{font-size:1rem;margin:.3rem 0}
.bar rect{fill:#4477aa}.axis{stroke:#999}.bar text{font-size:18px;fill:#222}
.kpi{display:flex;gap:2rem}.kpi .value{font-size:2rem;font-weight:600}
table{border-collapse:collapse;font-size:.85rem;margin-top:.5rem}
th,td{padding:.15rem .5rem;border-bottom:1px solid #eee;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
"""


class UnknownObjectError(ConfigurationError):
    """``obj`` or ``sheet`` names nothing in the app (the route answers 404)."""


def _options(options: str) -> list[str]:
    return [o.strip().lower() for o in options.split(",") if o.strip()]


def _title(layout: Mapping[str, Any], fallback: str) -> str:
    title = layout.get("title")
    if isinstance(title, str) and title:
        return title
    meta = layout.get("qMeta")
    if isinstance(meta, Mapping) and isinstance(meta.get("title"), str) and meta["title"]:
        return str(meta["title"])
    return fallback


def _cells(cube: HyperCube) -> list[list[dict[str, Any]]]:
    width = max(1, cube.definition.width)
    page = cube.page(Page(0, 0, width, max(1, 10_000 // width)))
    matrix: list[list[dict[str, Any]]] = page["qMatrix"]
    return matrix


def _table(cube: HyperCube, title: str) -> str:
    dims = len(cube.definition.dimensions)
    headers = [d.title for d in cube.definition.dimensions]
    headers += [m.title for m in cube.definition.measures]
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headers)
    body = []
    for row in _cells(cube):
        cells = [
            f'<th scope="row">{escape(c["qText"])}</th>'
            if i < dims
            else f'<td class="num" data-num="{escape(str(c["qNum"]))}">{escape(c["qText"])}</td>'
            for i, c in enumerate(row)
        ]
        body.append("<tr>" + "".join(cells) + "</tr>")
    totals = "".join(
        f'<td class="num" data-num="{escape(str(c["qNum"]))}">{escape(c["qText"])}</td>'
        for c in cube.grand_total_row()
    )
    foot = f'<tfoot><tr><th scope="row" colspan="{dims}">Total</th>{totals}</tr></tfoot>'
    return (
        f'<table class="qlik-data"><caption>{escape(title)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody>"
        f"{foot if dims else ''}</table>"
    )


def _kpi(cube: HyperCube) -> str:
    rows = _cells(cube)
    cells = rows[0] if rows else []
    items = "".join(
        f'<div><div class="label">{escape(m.title)}</div>'
        f'<div class="value" data-num="{escape(str(c["qNum"]))}">{escape(c["qText"])}</div></div>'
        for m, c in zip(cube.definition.measures, cells, strict=False)
    )
    return f'<div class="kpi">{items}</div>'


def _chart(object_id: str, cube: HyperCube, title: str) -> str:
    """Bars of the first measure, one per row, labelled by the row's dimension values."""
    dims, measures = len(cube.definition.dimensions), cube.definition.measures
    if not measures:
        return ""
    bars = []
    for row in _cells(cube):
        label = " / ".join(cell["qText"] for cell in row[:dims])
        cell = row[dims]
        value = None if cell["qNum"] == "NaN" else float(cell["qNum"])
        bars.append(Bar(label, value, cell["qText"]))
    return bar_chart_svg(f"chart-{object_id}", title, measures[0].title, bars)


def _object_section(document: Document, object_id: str) -> str:
    layout = document.layout(object_id)
    info = layout.get("qInfo", {})
    kind = str(layout.get("visualization") or info.get("qType", ""))
    title = _title(layout, object_id)
    heading_id = escape(f"title-{object_id}", quote=True)
    body = ""
    if "qHyperCube" in layout:
        cube = document.hypercube(object_id, "/qHyperCubeDef")
        if not cube.definition.dimensions:
            body = _kpi(cube)
        elif kind == "table":
            body = _table(cube, title)
        else:
            body = _chart(object_id, cube, title) + _table(cube, title)
    return (
        f'<section class="qlik-object" data-object-id="{escape(object_id, quote=True)}" '
        f'data-visualization="{escape(kind, quote=True)}" aria-labelledby="{heading_id}">'
        f'<h2 id="{heading_id}">{escape(title)}</h2>{body}</section>'
    )


def _shown_objects(app: SampleApp, object_id: str | None, sheet_id: str | None) -> list[str]:
    if object_id:
        if object_id not in app.objects:
            raise UnknownObjectError(
                "obj",
                f"app {app.name!r} has no such object",
                object_id,
                f"Use one of: {', '.join(app.objects)}.",
            )
        return app.sheet_cells(object_id) if object_id in app.sheet_ids else [object_id]
    if sheet_id:
        if sheet_id not in app.sheet_ids:
            raise UnknownObjectError(
                "sheet",
                f"app {app.name!r} has no such sheet",
                sheet_id,
                f"Use one of: {', '.join(app.sheet_ids)}.",
            )
        return app.sheet_cells(sheet_id)
    return app.sheet_cells(app.sheet_ids[0]) if app.sheet_ids else list(app.objects)


def render_single_page(
    app: SampleApp, *, object_id: str | None, sheet_id: str | None, options: str
) -> str:
    """The HTML page for ``/single/?appid=<app>&obj=<object_id>`` (or ``&sheet=``).

    Raises :class:`UnknownObjectError` when ``object_id`` or ``sheet_id`` is not in the app.
    """
    shown = _shown_objects(app, object_id, sheet_id)
    document = Document(app)
    opts = _options(options)
    focus = object_id or sheet_id or (app.sheet_ids[0] if app.sheet_ids else None)
    heading = _title(document.layout(focus), focus) if focus else app.name
    selections = (
        '<div class="current-selections" role="status">Current selections: none</div>'
        if "currsel" in opts
        else ""
    )
    sections = "".join(_object_section(document, oid) for oid in shown)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(app.name)}: {escape(heading)}</title><style>{_STYLE}</style></head>"
        f'<body data-app-id="{escape(app.id, quote=True)}" '
        f'data-options="{escape(",".join(opts), quote=True)}">'
        f'<header><span class="app-name">{escape(app.name)}</span>'
        f'<h1>{escape(heading)}</h1><span class="note">Qlik Cloud emulator</span></header>'
        f"{selections}<main>{sections}</main></body></html>"
    )

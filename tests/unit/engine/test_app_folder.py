"""Apps from folders (``--app DIR``): CSV tables associated through same-named fields,
Qlik property trees, and a refusal naming the file and the fix for each kind of mistake."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from qlik_jwt.emulator.engine import load_app_folder, sample_apps, tenant_apps
from qlik_jwt.errors import ConfigurationError
from tests.unit.engine.engine_client import Client

MOVIES = Path(__file__).resolve().parents[3] / "examples" / "apps" / "movies"


@pytest.fixture
def movies(tmp_path: Path) -> Path:
    return Path(shutil.copytree(MOVIES, tmp_path / "movies"))


def refusal(folder: Path) -> str:
    with pytest.raises(ConfigurationError) as refused:
        load_app_folder(folder)
    return str(refused.value)


def test_the_example_app_joins_its_tables_and_keeps_its_id() -> None:
    app = load_app_folder(MOVIES)
    meta = json.loads((MOVIES / "app.json").read_text())
    assert (app.id, app.name) == (meta["id"], meta["name"])
    movies = (MOVIES / "movies.csv").read_text().splitlines()[1:]
    genres = dict(line.split(",") for line in (MOVIES / "genres.csv").read_text().splitlines()[1:])
    assert len(app.rows) == len(movies)
    for line in movies:
        title, genre_id, year, revenue = line.split(",")
        [row] = [r for r in app.rows if r["title"] == title]
        assert row == {
            "title": title,
            "genre_id": genre_id,
            "genre": genres[genre_id],
            "year": float(year),
            "revenue": float(revenue),
        }
    assert app.fields["revenue"].numeric and not app.fields["genre"].numeric
    assert app.sheet_ids == ["movies-overview"]
    assert app.sheet_cells("movies-overview") == [
        "movies-kpi",
        "revenue-by-title",
        "revenue-by-genre",
    ]


def test_the_engine_serves_it_as_a_sense_app() -> None:
    app = load_app_folder(MOVIES)
    client = Client({app.id: app})
    doc = client.result(-1, "OpenDoc", [app.id])["qReturn"]["qHandle"]
    chart = client.result(doc, "GetObject", ["revenue-by-genre"])["qReturn"]["qHandle"]
    rows = client.result(chart, "GetLayout")["qLayout"]["qHyperCube"]["qDataPages"][0]["qMatrix"]
    by_genre: dict[str, float] = {}
    for row in app.rows:
        by_genre[str(row["genre"])] = by_genre.get(str(row["genre"]), 0.0) + float(row["revenue"])
    assert {r[0]["qText"]: r[1]["qNum"] for r in rows} == pytest.approx(by_genre)


def test_an_unmatched_row_keeps_its_fields_empty(tmp_path: Path) -> None:
    (tmp_path / "app.json").write_text('{"id": "x", "name": "X"}')
    (tmp_path / "orders.csv").write_text("order,customer,amount\no1,c1,5\no2,c9,7\n")
    (tmp_path / "customers.csv").write_text("customer,region\nc1,EMEA\nc2,APAC\n")
    rows = sorted(load_app_folder(tmp_path).rows, key=lambda r: str(r["customer"]))
    assert [(r["customer"], r["region"], r["amount"]) for r in rows] == [
        ("c1", "EMEA", 5.0),
        ("c2", "APAC", ""),
        ("c9", "", 7.0),
    ]


def test_malformed_folders_are_refused_naming_the_file_and_the_fix(movies: Path) -> None:
    (movies / "app.json").write_text('{"id": "m", "name": ')
    assert "app.json: is not JSON" in refusal(movies) and "line 1" in refusal(movies)
    (movies / "app.json").write_text('{"name": "No id"}')
    assert "needs a non-empty 'id'" in refusal(movies)
    (movies / "app.json").write_text('{"id": "m", "name": "Movies"}')

    sheet = movies / "sheets" / "movies-overview.json"
    tree = json.loads(sheet.read_text())
    dimension = tree["qChildren"][2]["qProperty"]["qHyperCubeDef"]["qDimensions"][0]
    dimension["qDef"]["qFieldDefs"] = ["studio"]
    sheet.write_text(json.dumps(tree))
    text = refusal(movies)
    assert str(sheet) in text and "'revenue-by-genre'" in text and "no such field" in text
    assert "studio" in text and "a field used by an object must be in a table" in text

    del tree["qChildren"][2]
    sheet.write_text(json.dumps(tree))
    assert "has a cell naming no object" in refusal(movies) and "revenue-by-genre" in refusal(
        movies
    )

    (movies / "islands.csv").write_text("island,size\na,1\n")
    assert "islands.csv: shares no field" in refusal(movies)

    for table in movies.glob("*.csv"):
        table.unlink()
    assert "has no table" in refusal(movies)


def test_ids_are_unique_across_the_tenant(movies: Path, tmp_path: Path) -> None:
    twin = Path(shutil.copytree(movies, tmp_path / "twin"))
    with pytest.raises(ConfigurationError, match=r"uses app id .* again"):
        tenant_apps([movies, twin])
    sales = sample_apps()[0]
    (twin / "app.json").write_text(json.dumps({"id": sales.id, "name": "Mine"}))
    with pytest.raises(ConfigurationError, match="uses the id of the sample app 'Sales'"):
        tenant_apps([twin])
    assert [app.name for app in tenant_apps([movies])] == ["Movies", "Sales", "Support"]

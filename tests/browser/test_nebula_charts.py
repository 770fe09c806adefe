"""Qlik's own charts in the page: the sample app's objects drawn by id with nebula.js over
enigma.js, selections across charts with stardust's toolbar, and every way a chart can fail
without blanking the rest of the page."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import WebSocketRoute

from qlik_jwt.demo.run import DemoInfo
from qlik_jwt.emulator.engine import load_app_folder, sample_apps
from qlik_jwt.web import DEMO_USERS
from tests.browser.conftest import start_demo
from tests.support.browser import (
    chart_states,
    chart_text,
    chromium,
    click_bar,
    confirm_selection,
    money,
    problem_of,
    shows_text,
    sign_in_page,
    step_state,
    wait_until_done,
)
from tests.support.sample_csv import read_csv, sales_by, total

ADA = DEMO_USERS[0]
SALES = sample_apps()[0]
SHEET = SALES.sheet_cells(SALES.sheet_ids[0])
MOVIES = Path(__file__).resolve().parents[2] / "examples" / "apps" / "movies"


@pytest.fixture(params=["direct", "proxy"])
def any_demo(request: pytest.FixtureRequest) -> DemoInfo:
    info: DemoInfo = request.getfixturevalue("demo" if request.param == "direct" else "proxy_demo")
    return info


def test_every_sample_object_is_drawn_by_id_and_selections_follow(
    any_demo: DemoInfo, tmp_path: Path
) -> None:
    with chromium(tmp_path, third_party_cookies=True) as context:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        sign_in_page(page, any_demo.web_url, ADA.username, ADA.password)
        wait_until_done(page, "session", "user", "engine", "chart", "iframe")
        assert chart_states(page) == dict.fromkeys(SHEET, "done")
        types = {
            cell: page.get_attribute(f'[data-object-id="{cell}"]', "data-type") for cell in SHEET
        }
        assert types == {oid: SALES.objects[oid]["qInfo"]["qType"] for oid in SHEET}
        everything = money(total(read_csv(), "Sales"))
        assert everything in chart_text(page, "top-customers")
        assert "Total sales" in chart_text(page, "kpi-total-sales")

        click_bar(page, "sales-by-region", "EMEA")
        confirm_selection(page)
        emea = money(sales_by("Region")["EMEA"])
        shows_text(page, "top-customers", emea)
        assert "EMEA" in page.inner_text("#selections") and "Region" in page.inner_text(
            "#selections"
        )
        shows_text(page, "sales-by-region", "Americas", present=False)
        assert "APAC" not in chart_text(page, "sales-by-region")

        page.locator("#selections").get_by_title("Clear all selections").click()
        shows_text(page, "top-customers", everything)
        assert "EMEA" not in page.inner_text("#selections")
        shows_text(page, "sales-by-region", "Americas")
        assert step_state(page, "iframe") == "done"  # the /single/ frame works beside them
        assert errors == []


def test_bad_object_ids_are_named_and_the_rest_still_draws(tmp_path: Path) -> None:
    ids = ("sales-by-region", "no-such-object", "sales-overview")
    with (
        start_demo(tmp_path / "state", web_mode="proxy", chart_object_ids=ids) as demo,
        chromium(tmp_path / "profile", third_party_cookies=False) as context,
    ):
        page = context.new_page()
        sign_in_page(page, demo.web_url, ADA.username, ADA.password)
        assert chart_states(page) == {
            "sales-by-region": "done",
            "no-such-object": "failed",
            "sales-overview": "failed",
        }
        unknown = page.locator('[data-object-id="no-such-object"]')
        assert unknown.get_attribute("data-kind") == "unknown-object"
        assert 'no object "no-such-object"' in unknown.inner_text()
        assert "QLIK_CHART_OBJECT_IDS" in unknown.inner_text()
        sheet = page.locator('[data-object-id="sales-overview"]')
        assert sheet.get_attribute("data-kind") == "no-chart-module"
        assert "is a sheet" in sheet.inner_text() and "sn-*" in sheet.inner_text()
        kind, problem = problem_of(page)
        assert kind == "unknown-object" and "2 of 3 charts" in problem
        wait_until_done(page, "chart", "iframe")


def test_a_missing_chart_module_names_the_file_and_the_build_step(
    proxy_demo: DemoInfo, tmp_path: Path
) -> None:
    with chromium(tmp_path, third_party_cookies=False) as context:
        page = context.new_page()
        page.route("**/static/sn-pie-chart.js", lambda route: route.fulfill(status=404))
        sign_in_page(page, proxy_demo.web_url, ADA.username, ADA.password)
        states = chart_states(page)
        assert states.pop("sales-by-category") == "failed" and set(states.values()) == {"done"}
        cell = page.locator('[data-object-id="sales-by-category"]')
        assert cell.get_attribute("data-kind") == "asset-missing"
        assert "sn-pie-chart.js" in cell.inner_text() and "make node-deps" in cell.inner_text()


def test_without_stardust_the_page_says_what_to_build(proxy_demo: DemoInfo, tmp_path: Path) -> None:
    with chromium(tmp_path, third_party_cookies=False) as context:
        page = context.new_page()
        page.route("**/static/stardust.js", lambda route: route.fulfill(status=404))
        sign_in_page(page, proxy_demo.web_url, ADA.username, ADA.password)
        kind, problem = problem_of(page)
        assert kind == "asset-missing"
        assert "stardust.js" in problem and "make node-deps" in problem
        wait_until_done(page, "session", "user", "engine", "iframe")  # the rest still works
        assert "Ada Lovelace" in page.inner_text("#qlik-user")


def test_an_engine_closing_mid_render_fails_the_charts_it_was_drawing(
    proxy_demo: DemoInfo, tmp_path: Path
) -> None:
    with chromium(tmp_path, third_party_cookies=False) as context:
        page = context.new_page()

        def engine(socket: WebSocketRoute) -> None:
            server = socket.connect_to_server()

            def to_server(message: str | bytes) -> None:
                if (
                    isinstance(message, str)
                    and '"GetObject"' in message
                    and "top-customers" in message
                ):
                    socket.close(code=1011, reason="engine restarting")
                    return
                server.send(message)

            socket.on_message(to_server)

        page.route_web_socket("**/app/**", engine)
        sign_in_page(page, proxy_demo.web_url, ADA.username, ADA.password)
        states = chart_states(page)
        assert states["top-customers"] == "failed"
        cell = page.locator('[data-object-id="top-customers"]')
        assert cell.get_attribute("data-kind") == "engine-closed"
        assert "closed (code 1011)" in cell.inner_text() and "Reload the page" in cell.inner_text()
        wait_until_done(page, "session", "user", "engine", "iframe")


def test_your_own_app_folder_is_drawn_like_a_tenant_app(tmp_path: Path) -> None:
    """``qlik-jwt demo --app examples/apps/movies``: the tutorial's fields (title, revenue),
    two associated tables, a sheet exported as a property tree; the app id kept as given."""
    movies = load_app_folder(MOVIES)
    with (
        start_demo(tmp_path / "state", web_mode="proxy", app_folders=(MOVIES,)) as demo,
        chromium(tmp_path / "profile", third_party_cookies=False) as context,
    ):
        assert demo.app_id == movies.id
        page = context.new_page()
        sign_in_page(page, demo.web_url, ADA.username, ADA.password)
        cells = movies.sheet_cells(movies.sheet_ids[0])
        assert chart_states(page) == dict.fromkeys(cells, "done")
        revenue = sum(float(row["revenue"]) for row in movies.rows)
        shows_text(page, "movies-kpi", f"{revenue / 1000:.2f}k")  # sn-kpi's short format
        shows_text(page, "revenue-by-title", "Average revenue")
        wait_until_done(page, "iframe")

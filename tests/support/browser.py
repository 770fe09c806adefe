"""Real headless Chromium (Debian's ``/usr/bin/chromium``) driven by Playwright for Python.

Third-party cookies: this Chromium blocks them by default, so the direct (cross-site) flow
needs a persistent profile whose preferences allow them; the "blocked" profile shows what
users of Safari, incognito windows or strict browsers meet. Recipe and measurements:
``shared/reference/browser-testing.md``. Never downloads a browser.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, sync_playwright

from qlik_jwt.demo.run import DemoInfo
from qlik_jwt.web import DEMO_USERS
from tests.support.sample_csv import sales_by

CHROMIUM = "/usr/bin/chromium"
LAUNCH_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--ignore-certificate-errors",
]
ALLOW_THIRD_PARTY = {"profile": {"cookie_controls_mode": 0, "block_third_party_cookies": False}}
BLOCK_THIRD_PARTY = {"profile": {"cookie_controls_mode": 1, "block_third_party_cookies": True}}


@contextmanager
def chromium(profile_dir: Path, *, third_party_cookies: bool) -> Iterator[BrowserContext]:
    """A persistent Chromium context in ``profile_dir`` allowing or blocking third-party cookies."""
    default = profile_dir / "Default"
    default.mkdir(parents=True, exist_ok=True)
    prefs = ALLOW_THIRD_PARTY if third_party_cookies else BLOCK_THIRD_PARTY
    (default / "Preferences").write_text(json.dumps(prefs))
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile_dir),
            executable_path=CHROMIUM,
            headless=True,
            args=LAUNCH_FLAGS,
            ignore_https_errors=True,
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(15_000)
        try:
            yield context
        finally:
            context.close()


def sign_in_page(page: Page, app_url: str, username: str, password: str) -> None:
    """Open the app, sign in through its form, land on the embedding page."""
    page.goto(app_url + "/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(app_url + "/")


def step_state(page: Page, step: str) -> str:
    return str(page.get_attribute(f'[data-step="{step}"]', "data-state"))


def wait_until_done(page: Page, *steps: str) -> None:
    for step in steps:
        page.wait_for_selector(f'[data-step="{step}"][data-state="done"]')


def problem_of(page: Page) -> tuple[str, str]:
    """The kind and text of the problem the page reports, once it reports one."""
    page.wait_for_selector("#problem[data-kind]")
    return str(page.get_attribute("#problem", "data-kind")), page.inner_text("#problem")


def chart_states(page: Page) -> dict[str, str]:
    """Object id -> state (``done``/``failed``) of each chart cell, once none is pending."""
    page.wait_for_function(
        "() => document.querySelector('.qlik-chart') && "
        "!document.querySelector('.qlik-chart[data-state=\"pending\"]')"
    )
    cells = page.query_selector_all(".qlik-chart")
    return {
        str(cell.get_attribute("data-object-id")): str(cell.get_attribute("data-state"))
        for cell in cells
    }


def chart_text(page: Page, object_id: str) -> str:
    return page.inner_text(f'.qlik-chart[data-object-id="{object_id}"]')


def shows_text(page: Page, object_id: str, text: str, *, present: bool = True) -> None:
    """Wait until the chart shows ``text`` (or, with ``present=False``, no longer does)."""
    page.wait_for_function(
        '([id, text, present]) => document.querySelector(`[data-object-id="${id}"]`)'
        ".innerText.includes(text) === present",
        arg=[object_id, text, present],
    )


def shows_adas_chart(page: Page) -> None:
    """The page got through every step and shows Ada, the sample app's region chart drawn by
    nebula.js (every configured chart drawn) and the embedded object, with no problem."""
    wait_until_done(page, "session", "user", "engine", "chart", "iframe")
    assert "Ada Lovelace (demo|ada)" in page.inner_text("#qlik-user")
    states = chart_states(page)
    assert states.get("sales-by-region") == "done" and set(states.values()) == {"done"}, states
    for region in sales_by("Region"):
        shows_text(page, "sales-by-region", region)
    frame = page.frame_locator("#qlik-iframe")
    assert "Sales by Region" in frame.locator("body").inner_text()
    assert page.query_selector("#problem").is_hidden()


def money(value: Decimal) -> str:
    """A sum as the sample table shows it (``#,##0.00``)."""
    return f"{value:,.2f}"


def click_bar(page: Page, object_id: str, label: str) -> None:
    """Click the bar of a vertical nebula bar chart (drawn on a canvas) above its axis label."""
    chart = page.locator(f'.qlik-chart[data-object-id="{object_id}"]')
    box = chart.locator("svg text", has_text=label).first.bounding_box()
    assert box is not None, label
    # Rotated labels end under their bar's centre; the tallest bars reach well above 30 px.
    page.mouse.click(box["x"] + box["width"] - 3, box["y"] - 30)


def confirm_selection(page: Page) -> None:
    page.locator('[title="Confirm selection"], [aria-label="Confirm selection"]').first.click()


def assert_group_refusal_explained(demo: DemoInfo, profile: Path, *, third_party: bool) -> None:
    """Eve's groups do not grant the demo's app: the page says so, naming group and app."""
    eve = DEMO_USERS[2]
    with chromium(profile, third_party_cookies=third_party) as context:
        page = context.new_page()
        sign_in_page(page, demo.web_url, eve.username, eve.password)
        kind, problem = problem_of(page)
        assert kind == "app-access-denied"
        assert "Marketing" in problem and demo.app_id in problem
        assert "Grant one of these groups" in problem
        assert step_state(page, "session") == "done"
        assert step_state(page, "engine") == "failed"

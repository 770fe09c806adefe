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

import pytest
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


def chart_values(page: Page) -> dict[str, Decimal]:
    rows = page.query_selector_all("#chart table.qlik-data tbody tr")
    values = {}
    for row in rows:
        label = row.query_selector("th").inner_text()
        values[label] = Decimal(row.query_selector("td.num").get_attribute("data-num") or "NaN")
    return values


def shows_adas_chart(page: Page) -> None:
    """The page got through every step and shows Ada, the sample app's real numbers and
    the embedded object, with no problem reported."""
    wait_until_done(page, "session", "user", "engine", "chart", "iframe")
    assert "Ada Lovelace (demo|ada)" in page.inner_text("#qlik-user")
    expected = sales_by("Region")
    shown = chart_values(page)
    assert set(shown) == set(expected)
    for region, value in expected.items():
        assert float(shown[region]) == pytest.approx(float(value))
    frame = page.frame_locator("#qlik-iframe")
    assert "Sales by Region" in frame.locator("body").inner_text()
    assert page.query_selector("#problem").is_hidden()


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

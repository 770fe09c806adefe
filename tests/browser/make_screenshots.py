"""Screenshots of the demo for the README: ``python -m tests.browser.make_screenshots``.

Starts the demo (emulated tenant + web app) in a temporary folder, drives Chromium (with
third-party cookies blocked, as it ships) through the sign-in, the embedded page with Qlik's
charts, a selection made by clicking a bar, a refused group in proxy mode, your own app
folder (``examples/apps/movies``), then the blocked-cookie failure of direct mode, and
writes PNGs to ``docs/screenshots/``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page

from qlik_jwt.demo.run import Demo, DemoOptions
from qlik_jwt.web import DEMO_USERS
from tests.support.browser import (
    chart_states,
    chromium,
    click_bar,
    confirm_selection,
    shows_text,
    sign_in_page,
)

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "docs" / "screenshots"
ADA, _GRACE, EVE = DEMO_USERS


def _settle(page: Page, selector: str) -> None:
    page.wait_for_selector(selector)
    page.wait_for_load_state("networkidle")


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        root = Path(work)
        # The demo as it runs by default: proxy mode, in a browser blocking third-party cookies.
        options = DemoOptions(state_dir=root / "proxy", web_port=0, emulator_port=0)
        with Demo(options) as info:
            with chromium(root / "ada", third_party_cookies=False) as context:
                page = context.new_page()
                page.goto(info.web_url + "/sign-in")
                page.fill("input[name=username]", ADA.username)
                page.screenshot(path=OUT / "sign-in.png")
                sign_in_page(page, info.web_url, ADA.username, ADA.password)
                _settle(page, '[data-step="iframe"][data-state="done"]')
                chart_states(page)
                page.screenshot(path=OUT / "embedded-analytics.png", full_page=True)
                click_bar(page, "sales-by-region", "EMEA")
                confirm_selection(page)
                shows_text(page, "sales-by-region", "Americas", present=False)
                page.wait_for_timeout(500)  # the other charts' animations
                page.locator("#charts-panel").screenshot(path=OUT / "charts-selected.png")
            with chromium(root / "eve", third_party_cookies=False) as context:
                page = context.new_page()
                sign_in_page(page, info.web_url, EVE.username, EVE.password)
                _settle(page, "#problem[data-kind]")
                page.screenshot(path=OUT / "group-refused.png")
        # Your own app, from a folder.
        options = DemoOptions(
            state_dir=root / "movies",
            web_port=0,
            emulator_port=0,
            app_folders=(REPO / "examples" / "apps" / "movies",),
        )
        with (
            Demo(options) as info,
            chromium(root / "movies-ada", third_party_cookies=False) as context,
        ):
            page = context.new_page()
            sign_in_page(page, info.web_url, ADA.username, ADA.password)
            chart_states(page)
            page.wait_for_timeout(500)
            page.locator("#charts-panel").screenshot(path=OUT / "own-app.png")
        # Direct mode in the same browser: the tenant's cookies are third-party, and blocked.
        options = DemoOptions(
            state_dir=root / "direct", web_port=0, emulator_port=0, web_mode="direct"
        )
        with Demo(options) as info, chromium(root / "block", third_party_cookies=False) as context:
            page = context.new_page()
            sign_in_page(page, info.web_url, ADA.username, ADA.password)
            _settle(page, "#problem[data-kind]")
            page.screenshot(path=OUT / "third-party-cookies-blocked.png")
    for png in sorted(OUT.glob("*.png")):
        print(png.relative_to(OUT.parents[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

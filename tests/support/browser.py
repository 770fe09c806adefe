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
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, sync_playwright

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

"""Proxy mode in Chromium with third-party cookies blocked (as this Chromium, Safari and
incognito windows ship): the page talks only to the web app, which logs in to the tenant
for it, and everything renders. (The same browser in direct mode gets the page's "third-
party cookies blocked" explanation: test_embedding.py.)"""

from __future__ import annotations

from pathlib import Path

from qlik_jwt.demo.run import DemoInfo
from qlik_jwt.web import DEMO_USERS
from tests.browser.conftest import MintCounter
from tests.support.browser import (
    assert_group_refusal_explained,
    chromium,
    problem_of,
    shows_adas_chart,
    sign_in_page,
    wait_until_done,
)

ADA, GRACE, _EVE = DEMO_USERS


def test_proxy_mode_renders_the_chart_and_the_frame_with_third_party_cookies_blocked(
    proxy_demo: DemoInfo, tmp_path: Path, mints: MintCounter
) -> None:
    with chromium(tmp_path, third_party_cookies=False) as context:
        page = context.new_page()
        errors: list[str] = []
        elsewhere: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on(
            "request",
            lambda r: None if r.url.startswith(proxy_demo.web_url) else elsewhere.append(r.url),
        )
        sign_in_page(page, proxy_demo.web_url, ADA.username, ADA.password)
        shows_adas_chart(page)
        assert page.get_attribute("body", "data-qlik-session") == "new"
        assert elsewhere == []  # not one request to the tenant: all of them to the web app
        assert errors == []
        assert mints.count("demo|ada") == 1
        cookies = {c["name"] for c in context.cookies()}
        assert "qlik-jwt-proxy" in cookies and not cookies & {"eas.sid", "_csrfToken"}


def test_proxy_mode_round_trips_before_the_engine_session(
    proxy_demo: DemoInfo, tmp_path: Path, mints: MintCounter
) -> None:
    """First visit and reload: one request (csrf-token, answered once the web app holds a
    working Qlik session) before the engine websocket; a reload mints nothing."""
    with chromium(tmp_path, third_party_cookies=False) as context:
        page = context.new_page()
        sent: list[str] = []
        qlik_paths = ("/api/", "/login/", "/token", "/app/")
        page.on(
            "request",
            lambda r: (
                sent.append(f"{r.method} {r.url.split('?')[0].removeprefix(proxy_demo.web_url)}")
                if any(p in r.url for p in qlik_paths)
                else None
            ),
        )
        page.on("websocket", lambda ws: sent.append("WEBSOCKET"))
        sign_in_page(page, proxy_demo.web_url, GRACE.username, GRACE.password)
        wait_until_done(page, "chart")
        first = sent[: sent.index("WEBSOCKET")]
        # users/me (and its redirect) may still be running: the engine does not wait for it.
        assert [r for r in first if "/users/" not in r] == ["GET /api/v1/csrf-token"]
        assert mints.count("demo|grace") == 1
        sent.clear()
        page.reload()
        wait_until_done(page, "session", "user", "chart")
        reload = sent[: sent.index("WEBSOCKET")]
        assert [r for r in reload if "/users/" not in r] == ["GET /api/v1/csrf-token"]
        assert page.get_attribute("body", "data-qlik-session") == "reused"
        assert mints.count("demo|grace") == 1  # the reload minted nothing


def test_proxy_mode_explains_a_group_without_the_app(proxy_demo: DemoInfo, tmp_path: Path) -> None:
    assert_group_refusal_explained(proxy_demo, tmp_path, third_party=False)


def test_sign_out_in_one_tab_closes_the_engine_socket_of_the_other(
    proxy_demo: DemoInfo, tmp_path: Path
) -> None:
    """Two tabs of one browser: signing out in the second closes the first's engine socket
    within a second (code 4401), and the first tab says the session ended."""
    with chromium(tmp_path, third_party_cookies=False) as context:
        first = context.new_page()
        sign_in_page(first, proxy_demo.web_url, ADA.username, ADA.password)
        wait_until_done(first, "chart")
        second = context.new_page()
        second.goto(proxy_demo.web_url + "/")
        wait_until_done(second, "chart")
        signed_out_at = second.evaluate("Date.now()")
        second.click("#sign-out")
        second.wait_for_url(proxy_demo.web_url + "/sign-in")
        first.wait_for_selector("body[data-engine-closed]", timeout=5000)
        assert first.get_attribute("body", "data-engine-closed") == "4401 signed-out"
        closed_at = int(first.get_attribute("body", "data-engine-closed-at") or 0)
        assert closed_at - signed_out_at < 1000
        kind, text = problem_of(first)
        assert kind == "session-ended" and "Sign in again" in text

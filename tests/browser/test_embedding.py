"""The embedding page end to end in Chromium, against the demo: an emulated tenant on
https://127.0.0.1 and the web app on http://localhost (two sites), provisioned over REST."""

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


def test_jwt_mode_end_to_end(demo: DemoInfo, tmp_path: Path, mints: MintCounter) -> None:
    with chromium(tmp_path, third_party_cookies=True) as context:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        sign_in_page(page, demo.web_url, ADA.username, ADA.password)
        shows_adas_chart(page)
        assert page.get_attribute("body", "data-qlik-session") == "new"
        user_text = page.inner_text("#qlik-user")
        assert "e-mail ada@example.com" in user_text and "Finance" in user_text
        assert mints.count("demo|ada") == 1
        assert errors == []


def test_reload_reuses_the_qlik_session_and_mints_nothing(
    demo: DemoInfo, tmp_path: Path, mints: MintCounter
) -> None:
    with chromium(tmp_path, third_party_cookies=True) as context:
        page = context.new_page()
        sign_in_page(page, demo.web_url, GRACE.username, GRACE.password)
        wait_until_done(page, "session", "chart")
        assert mints.count("demo|grace") == 1
        page.reload()
        wait_until_done(page, "session", "user", "chart")
        assert page.get_attribute("body", "data-qlik-session") == "reused"
        assert mints.count("demo|grace") == 1
        # Grace's address is not verified: Qlik shows no e-mail for her.
        assert "no e-mail shown" in page.inner_text("#qlik-user")


def test_group_without_the_app_sees_the_refusal_explained(demo: DemoInfo, tmp_path: Path) -> None:
    assert_group_refusal_explained(demo, tmp_path, third_party=True)


def test_origin_missing_from_the_web_integration_is_named(demo: DemoInfo, tmp_path: Path) -> None:
    unlisted = demo.web_url.replace("localhost", "127.0.0.1")
    with chromium(tmp_path, third_party_cookies=True) as context:
        page = context.new_page()
        sign_in_page(page, unlisted, ADA.username, ADA.password)
        kind, problem = problem_of(page)
        assert kind == "origin-refused"
        assert unlisted in problem and demo.web_integration_id in problem


def test_blocked_third_party_cookies_are_detected(demo: DemoInfo, tmp_path: Path) -> None:
    with chromium(tmp_path, third_party_cookies=False) as context:
        page = context.new_page()
        sign_in_page(page, demo.web_url, ADA.username, ADA.password)
        kind, problem = problem_of(page)
        assert kind == "third-party-cookies-blocked"
        assert "third-party cookies are blocked" in problem and "proxy mode" in problem


def test_requests_to_the_tenant_before_the_engine_session(demo: DemoInfo, tmp_path: Path) -> None:
    """What a first visit and a reload send to the tenant before the engine websocket."""
    with chromium(tmp_path, third_party_cookies=True) as context:
        page = context.new_page()
        sent: list[str] = []
        page.on(
            "request",
            lambda r: (
                sent.append(f"{r.method} {r.url.split('?')[0].removeprefix(demo.tenant_url)}")
                if r.url.startswith(demo.tenant_url) and "/single/" not in r.url
                else None
            ),
        )
        page.on("websocket", lambda ws: sent.append("WEBSOCKET"))
        sign_in_page(page, demo.web_url, ADA.username, ADA.password)
        wait_until_done(page, "chart")
        first = sent[: sent.index("WEBSOCKET")]
        # Before the engine socket: the session check, the login, the CSRF token (users/me
        # and its redirect may still be running: they are not waited for).
        assert [r for r in first if "/users/" not in r and not r.startswith("OPTIONS")] == [
            "GET /api/v1/csrf-token",
            "POST /login/jwt-session",
            "GET /api/v1/csrf-token",
        ]
        sent.clear()
        page.reload()
        wait_until_done(page, "chart")
        reload = sent[: sent.index("WEBSOCKET")]
        # One round trip: preflights are cached (the tenant sends Access-Control-Max-Age).
        assert [r for r in reload if "/users/" not in r] == ["GET /api/v1/csrf-token"]
        assert "POST /login/jwt-session" not in sent


def test_a_qlik_session_of_another_user_is_replaced(
    demo: DemoInfo, tmp_path: Path, mints: MintCounter
) -> None:
    """Ada's host session ends without a sign-out (the host app's cookies are gone, the
    tab closed) and Grace signs in, in the same browser: the Qlik session still belongs to
    Ada, so the page logs Grace in instead of reusing it. (A sign-out would have ended
    Ada's Qlik session: the next test.)"""
    with chromium(tmp_path, third_party_cookies=True) as context:
        page = context.new_page()
        sign_in_page(page, demo.web_url, ADA.username, ADA.password)
        wait_until_done(page, "chart")
        context.clear_cookies(domain="localhost")  # the web app's, not the tenant's
        sign_in_page(page, demo.web_url, GRACE.username, GRACE.password)
        wait_until_done(page, "user", "chart")
        assert "Grace Hopper (demo|grace)" in page.inner_text("#qlik-user")
        assert page.get_attribute("body", "data-qlik-session") == "new"
        assert mints.count("demo|grace") == 1


def test_sign_out_ends_the_qlik_session_so_the_next_user_never_sees_the_last(
    demo: DemoInfo, tmp_path: Path, mints: MintCounter
) -> None:
    """Direct mode: the browser holds Qlik's cookies, so the page's sign-out first ends the
    session at the tenant. Grace, next in the same browser, gets 401 from users/me (then
    her own login), never Ada's user."""
    with chromium(tmp_path, third_party_cookies=True) as context:
        page = context.new_page()
        sign_in_page(page, demo.web_url, ADA.username, ADA.password)
        wait_until_done(page, "user", "chart")
        logouts: list[int] = []
        page.on(
            "response",
            lambda r: logouts.append(r.status) if r.url.split("?")[0].endswith("/logout") else None,
        )
        page.click("#sign-out")
        page.wait_for_url(demo.web_url + "/sign-in")
        assert logouts == [204]
        seen: list[str] = []
        page.on(
            "response",
            lambda r: (
                seen.append(r.json()["subject"])
                if "/api/v1/users/" in r.url and r.status == 200
                else None
            ),
        )
        sign_in_page(page, demo.web_url, GRACE.username, GRACE.password)
        wait_until_done(page, "user", "chart")
        assert seen and set(seen) == {"demo|grace"}
        assert page.get_attribute("body", "data-qlik-session") == "new"

"""Interactive login mode, and a tenant whose CSP does not let the page frame it (both in
direct mode: the browser talks to the tenant itself)."""

from __future__ import annotations

from pathlib import Path

from qlik_jwt.admin.client import TenantClient
from qlik_jwt.admin.csp_origins import find_csp_origin, list_csp_origins
from qlik_jwt.web import DEMO_USERS
from tests.browser.conftest import MintCounter, start_demo
from tests.support.browser import chart_states, chromium, sign_in_page, step_state

ADA = DEMO_USERS[0]


def test_interactive_mode_end_to_end(tmp_path: Path, mints: MintCounter) -> None:
    with (
        start_demo(tmp_path / "state", login_mode="interactive", web_mode="direct") as demo,
        chromium(tmp_path / "profile", third_party_cookies=True) as context,
    ):
        page = context.new_page()
        sign_in_page(page, demo.web_url, ADA.username, ADA.password)
        page.wait_for_selector("#login-link:not([hidden])")
        assert page.get_attribute("#problem", "data-kind") == "interactive-login-needed"
        link = page.get_attribute("#login-anchor", "href") or ""
        assert link.startswith(f"{demo.tenant_url}/login?returnto=")
        assert f"qlik-web-integration-id={demo.web_integration_id}" in link
        page.click("#login-anchor")
        page.click(f"button:has-text('{ADA.email}')")  # the tenant's own sign-in page
        page.wait_for_url(demo.web_url + "/")
        page.wait_for_selector('[data-step="chart"][data-state="done"]')
        assert "Ada Lovelace (demo|ada)" in page.inner_text("#qlik-user")
        assert page.get_attribute("body", "data-qlik-session") == "reused"
        assert set(chart_states(page).values()) == {"done"}
        assert mints.subjects == []  # interactive mode never mints a token


def test_csp_without_frame_ancestors_blocks_the_iframe(tmp_path: Path) -> None:
    with start_demo(tmp_path / "state", web_mode="direct") as demo:
        tls_cert = tmp_path / "state" / "tls" / "certificate.pem"
        admin_key = (tmp_path / "state" / "admin-key").read_text()
        with TenantClient(demo.tenant_url, api_key=admin_key, verify=str(tls_cert)) as client:
            entry = find_csp_origin(list_csp_origins(client), demo.web_url)
            assert entry is not None and entry["frameAncestors"] is True
            client.delete(f"/api/v1/csp-origins/{entry['id']}")
        with chromium(tmp_path / "profile", third_party_cookies=True) as context:
            page = context.new_page()
            console: list[str] = []
            page.on("console", lambda message: console.append(message.text))
            sign_in_page(page, demo.web_url, ADA.username, ADA.password)
            page.wait_for_selector('[data-step="chart"][data-state="done"]')
            page.wait_for_selector('[data-step="iframe"][data-state="done"]')
            frame = page.frame(url=lambda url: "/single/" in url or url.startswith("chrome-error:"))
            assert frame is not None and frame.url.startswith("chrome-error:")
            assert any("frame-ancestors" in line for line in console), console
            assert step_state(page, "engine") == "done"  # only the frame is refused

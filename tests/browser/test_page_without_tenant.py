"""The page in Chromium when the tenant cannot be reached: sign-in works, the failure is named."""

from __future__ import annotations

from pathlib import Path

from qlik_jwt.web import DEMO_USERS
from tests.support.browser import chromium, sign_in_page, step_state
from tests.support.servers import ServerThread, free_port
from tests.support.webapp import make_app, web_settings


def test_unreachable_tenant_is_named(key_dir: Path, tmp_path: Path) -> None:
    dead_tenant = f"https://127.0.0.1:{free_port()}"
    app = make_app(web_settings(key_dir, tenant_url=dead_tenant))
    ada = DEMO_USERS[0]
    with ServerThread(app) as server, chromium(tmp_path / "p", third_party_cookies=True) as ctx:
        url = server.url.replace("127.0.0.1", "localhost")
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        sign_in_page(page, url, ada.username, ada.password)
        page.wait_for_selector("#problem[data-kind]")
        assert page.get_attribute("#problem", "data-kind") == "tenant-unreachable"
        assert dead_tenant in page.inner_text("#problem")
        assert step_state(page, "session") == "failed"
        assert page.inner_text("#host-user") == f"Signed in as {ada.name}"
        assert errors == []

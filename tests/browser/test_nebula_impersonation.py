"""Qlik's charts in login mode ``impersonation`` (OAuth access tokens instead of cookies): the
same nebula.js page over the engine URL the bearer session gives it, in both web modes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from qlik_jwt.admin.client import TenantClient
from qlik_jwt.emulator.engine import sample_apps
from qlik_jwt.impersonation import ImpersonationClient
from qlik_jwt.settings import Settings
from tests.support.browser import (
    chart_states,
    chromium,
    click_bar,
    confirm_selection,
    shows_text,
    sign_in_page,
    wait_until_done,
)
from tests.support.emulator import RunningEmulator, running_emulator
from tests.support.sample_csv import read_csv, total
from tests.support.servers import ServerThread, free_port
from tests.support.webapp import ADA, make_app

SALES = sample_apps()[0]


@pytest.fixture(scope="module")
def tenant() -> Iterator[RunningEmulator]:
    with running_emulator() as running:
        running.grant_custom_group("Finance")
        yield running


@pytest.mark.parametrize("web_mode", ["direct", "proxy"])
def test_charts_draw_and_select_with_an_impersonated_users_token(
    tenant: RunningEmulator, tmp_path: Path, web_mode: str
) -> None:
    port = free_port()
    # Direct mode: the page calls the tenant itself, from the app's origin.
    client_id, secret = tenant.create_oauth_client(origins=[f"http://127.0.0.1:{port}"])
    settings = Settings.load(
        env_file=None,
        tenant_url=tenant.url,
        app_id=tenant.app_id,
        login_mode="impersonation",
        web_mode=web_mode,
        oauth_client_id=client_id,
        oauth_client_secret=secret,
        users_db=str(tmp_path / "web.sqlite3"),
    )
    admin = TenantClient(tenant.url, api_key=tenant.admin_key)
    impersonation = ImpersonationClient(tenant.url, client_id, secret, admin=admin)
    try:
        with (
            ServerThread(make_app(settings, impersonation=impersonation), port=port) as web,
            chromium(tmp_path / "profile", third_party_cookies=False) as context,
        ):
            page = context.new_page()
            sign_in_page(page, web.url, ADA.username, ADA.password)
            wait_until_done(page, "session", "user", "engine", "chart")
            cells = SALES.sheet_cells(SALES.sheet_ids[0])  # the app's first sheet, by default
            assert chart_states(page) == dict.fromkeys(cells, "done")
            shows_text(page, "top-customers", f"{total(read_csv(), 'Sales'):,.2f}")
            click_bar(page, "sales-by-region", "EMEA")
            confirm_selection(page)
            shows_text(page, "sales-by-region", "Americas", present=False)
    finally:
        admin.close()

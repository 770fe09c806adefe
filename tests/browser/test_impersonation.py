"""Login mode ``impersonation`` in Chromium with third-party cookies blocked: the demo's page
shows the charts and the embedded object in direct mode (the page calls the tenant with a
Bearer token and opens the engine with an exchanged ``accessToken``) and in proxy mode (the
page sees no token); a user without access and a wrong client secret are explained."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from qlik_jwt.demo.run import Demo, DemoInfo
from qlik_jwt.web import DEMO_USERS, UserStore, create_app
from qlik_jwt.web.database import Database
from tests.browser.conftest import start_demo
from tests.support.browser import (
    assert_group_refusal_explained,
    chromium,
    problem_of,
    shows_adas_chart,
    sign_in_page,
)
from tests.support.servers import ServerThread

ADA = DEMO_USERS[0]


@pytest.fixture(scope="module")
def direct_runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Demo, DemoInfo]]:
    runner = start_demo(
        tmp_path_factory.mktemp("impersonation-direct"),
        login_mode="impersonation",
        web_mode="direct",
    )
    with runner as info:
        yield runner, info


@pytest.fixture(scope="module")
def proxy_impersonation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoInfo]:
    demo = start_demo(tmp_path_factory.mktemp("impersonation-proxy"), login_mode="impersonation")
    with demo as info:
        yield info


def test_direct_mode_shows_the_charts_and_the_frame_with_third_party_cookies_blocked(
    direct_runner: tuple[Demo, DemoInfo], tmp_path: Path
) -> None:
    demo = direct_runner[1]
    with chromium(tmp_path, third_party_cookies=False) as context:
        page = context.new_page()
        bearer: list[str] = []
        sockets: list[str] = []
        page.on(
            "request",
            lambda r: (
                bearer.append(r.url)
                if (r.headers.get("authorization") or "").startswith("Bearer ")
                else None
            ),
        )
        page.on("websocket", lambda socket: sockets.append(socket.url))
        sign_in_page(page, demo.web_url, ADA.username, ADA.password)
        shows_adas_chart(page)
        assert any(url.startswith(demo.tenant_url + "/api/v1/users/me") for url in bearer)
        assert any("accessToken=" in url and url.startswith("wss://") for url in sockets)
        assert page.frame_locator("#qlik-iframe").locator("body").inner_text()
        assert page.get_attribute("#qlik-iframe", "src").startswith(demo.web_url + "/single/")
        tenant_cookies = [c for c in context.cookies() if c["domain"] in demo.tenant_url]
        assert tenant_cookies == []  # no Qlik cookie at all: nothing for a browser to block


def test_proxy_mode_shows_everything_and_the_page_never_sees_a_token(
    proxy_impersonation: DemoInfo, tmp_path: Path
) -> None:
    with chromium(tmp_path, third_party_cookies=False) as context:
        page = context.new_page()
        elsewhere: list[str] = []
        answers: list[str] = []
        web_url = proxy_impersonation.web_url
        page.on("request", lambda r: None if r.url.startswith(web_url) else elsewhere.append(r.url))
        page.on("response", lambda r: answers.append(r.url))
        sign_in_page(page, web_url, ADA.username, ADA.password)
        shows_adas_chart(page)
        assert elsewhere == []
        assert not [url for url in answers if "access-token" in url or "accessToken" in url]


def test_a_user_without_access_is_told_which_groups_and_app(
    proxy_impersonation: DemoInfo, tmp_path: Path
) -> None:
    assert_group_refusal_explained(proxy_impersonation, tmp_path, third_party=False)


def test_a_wrong_client_secret_is_explained_with_its_fix(
    direct_runner: tuple[Demo, DemoInfo], tmp_path: Path
) -> None:
    settings = direct_runner[0].web_app.state.settings
    wrong = settings.model_copy(update={"oauth_client_secret": SecretStr("not-the-secret-0000")})
    users = UserStore(Database(settings.users_db))
    server = ServerThread(create_app(wrong, user_store=users))
    with server, chromium(tmp_path, third_party_cookies=False) as context:
        page = context.new_page()
        app_url = server.url.replace("127.0.0.1", "localhost")
        sign_in_page(page, app_url, ADA.username, ADA.password)
        kind, problem = problem_of(page)
    assert kind == "client-refused"
    assert "QLIK_OAUTH_CLIENT_SECRET" in problem and "not-the-secret" not in problem

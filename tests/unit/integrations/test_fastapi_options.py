"""``qlik_jwt.integrations.fastapi`` in process: its options (CSRF provider or header only,
async hooks, prefix and root path) and its refusals, answered without any app handler."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient

from qlik_jwt import SettingsError, UserClaims, jws
from qlik_jwt.embedding.forgery import HEADER_ONLY_TOKEN
from qlik_jwt.integrations.fastapi import QlikEmbedding
from qlik_jwt.settings import Settings
from tests.support.hosts import bootstrap_in
from tests.support.webapp import web_settings

KIM = UserClaims("crm|77", "Kim", "kim@example.com", True, ("Sales",))
ORIGIN = {"Origin": "http://testserver"}


def identify(request: Request) -> UserClaims | None:
    return KIM if request.headers.get("X-User") == "kim" else None


def host_app(qlik: QlikEmbedding, root_path: str = "") -> TestClient:
    app = FastAPI()
    app.include_router(qlik.router)

    @app.get("/page")
    async def page(request: Request) -> HTMLResponse:
        fragment = await qlik.fragment(request)
        return HTMLResponse("anonymous" if fragment is None else fragment.head + fragment.body)

    return TestClient(app, root_path=root_path)


def bootstrap(client: TestClient, **headers: str) -> dict[str, Any]:
    return bootstrap_in(client.get("/page", headers=headers).text)


def test_without_a_csrf_provider_the_header_must_be_present(settings: Settings) -> None:
    with host_app(QlikEmbedding(settings, identify=identify)) as client:
        page = bootstrap(client, **{"X-User": "kim"})
        assert page["csrfToken"] == HEADER_ONLY_TOKEN and page["csrfHeader"] == "X-CSRF-Token"
        signed_in = {**ORIGIN, "X-User": "kim"}
        missing = client.post("/qlik/token", headers=signed_in)
        ok = client.post("/qlik/token", headers={**signed_in, "X-CSRF-Token": page["csrfToken"]})
    assert missing.status_code == 403
    assert missing.json()["error"]["code"] == "csrf-token-missing"
    assert ok.status_code == 200
    assert jws.decode(ok.json()["token"]).claims["sub"] == "crm|77"


def test_async_hooks_and_the_hosts_csrf_token(settings: Settings) -> None:
    async def identify_async(request: Request) -> UserClaims | None:
        return identify(request)

    async def session_token(request: Request) -> str | None:
        return "host-token-of-kim" if request.headers.get("X-User") == "kim" else None

    qlik = QlikEmbedding(settings, identify=identify_async, csrf_token=session_token)
    with host_app(qlik) as client:
        assert bootstrap(client, **{"X-User": "kim"})["csrfToken"] == "host-token-of-kim"
        signed_in = {**ORIGIN, "X-User": "kim"}
        wrong = client.post("/qlik/token", headers={**signed_in, "X-CSRF-Token": "guess"})
        right = client.post(
            "/qlik/token", headers={**signed_in, "X-CSRF-Token": "host-token-of-kim"}
        )
        anonymous = client.post("/qlik/token", headers={**ORIGIN, "X-CSRF-Token": "x"})
        assert client.get("/page").text == "anonymous"
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "csrf-token-mismatch"
    assert right.status_code == 200
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "not-signed-in"


def test_prefix_and_root_path_reach_the_page(settings: Settings) -> None:
    qlik = QlikEmbedding(settings, identify=identify, prefix="/embed/qlik/")
    with host_app(qlik, root_path="/app") as client:
        page = client.get("/page", headers={"X-User": "kim"}).text
        assert '"tokenUrl":"/app/embed/qlik/token"' in page
        assert 'src="/app/embed/qlik/static/embed.js"' in page
        assert client.get("/embed/qlik/static/embed.js").status_code == 200
        assert client.get("/embed/qlik/config").json()["appId"] == settings.app_id


def test_interactive_login_mode_mints_nothing(key_dir: Path) -> None:
    settings = web_settings(key_dir, login_mode="interactive")
    with host_app(QlikEmbedding(settings, identify=identify)) as client:
        refused = client.post(
            "/qlik/token", headers={**ORIGIN, "X-User": "kim", "X-CSRF-Token": "x"}
        )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "jwt-login-off"
    assert refused.headers["cache-control"] == "no-store"


def test_missing_settings_are_listed_before_anything_is_mounted() -> None:
    with pytest.raises(SettingsError) as raised:
        QlikEmbedding(Settings.load(env_file=None), identify=identify)
    message = str(raised.value)
    for variable in ("QLIK_TENANT_URL", "QLIK_WEB_INTEGRATION_ID", "QLIK_APP_ID", "QLIK_ISSUER"):
        assert variable in message


def test_proxy_mode_closes_its_tenant_client_when_the_host_stops(key_dir: Path) -> None:
    """The router's lifespan runs in the host app: the proxy's client and store close."""
    settings = web_settings(key_dir, web_mode="proxy", proxy_session_store="sqlite:///:memory:")
    qlik = QlikEmbedding(settings, identify=identify)
    assert qlik.proxy is not None
    with host_app(qlik):
        assert not qlik.proxy.http.is_closed
    assert qlik.proxy.http.is_closed


def test_post_token_is_described_as_in_the_web_app(settings: Settings) -> None:
    from qlik_jwt.web.app import create_app

    with host_app(QlikEmbedding(settings, identify=identify)) as client:
        host = client.get("/openapi.json").json()["paths"]["/qlik/token"]["post"]
    with TestClient(create_app(settings, identify=identify)) as client:
        web = client.get("/openapi.json").json()["paths"]["/token"]["post"]
    assert host["summary"] == web["summary"] == "Mint a Qlik JWT for the signed-in user"
    assert (
        set(host["responses"])
        == set(web["responses"])
        == {"200", "400", "401", "403", "429", "500"}
    )
    assert host["responses"]["200"] == web["responses"]["200"]

"""The embedding page, ``/config``, static files and security headers, in process."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qlik_jwt.settings import Settings
from qlik_jwt.web import UserStore
from qlik_jwt.web.database import Database
from qlik_jwt.web.security_headers import content_security_policy
from qlik_jwt.web.static_files import STATIC_DIR
from tests.support.webapp import ADA, make_app, sign_in, web_settings

PUBLIC_KEYS = {
    "tenantUrl",
    "webIntegrationId",
    "appId",
    "objectId",
    "sheetId",
    "chartObjectIds",
    "loginMode",
}


def bootstrap(page: str) -> dict[str, object]:
    match = re.search(r'<script type="application/json" id="bootstrap">(.*?)</script>', page)
    assert match
    return dict(json.loads(match.group(1)))


def test_config_holds_public_fields_only(client: TestClient, settings: Settings) -> None:
    response = client.get("/config")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == PUBLIC_KEYS
    assert body["tenantUrl"] == settings.tenant_url
    assert body["webIntegrationId"] == settings.web_integration_id
    assert body["loginMode"] == "jwt"
    for secret in (settings.issuer, settings.key_id, "PRIVATE KEY", "private.pem"):
        assert secret and secret not in response.text


def test_page_inlines_config_and_session_facts_but_no_secrets(
    client: TestClient, settings: Settings
) -> None:
    sign_in(client, ADA.username, ADA.password)
    page = client.get("/")
    assert page.headers["cache-control"] == "no-store"
    data = bootstrap(page.text)
    assert data["config"] == client.get("/config").json()
    assert data["qlikBaseUrl"] == settings.tenant_url
    assert data["subject"] == "demo|ada"
    assert data["csrfHeader"] == "X-CSRF-Token" and data["csrfToken"]
    assert settings.issuer not in page.text and "test-kid" not in page.text
    cookie = client.cookies.get("qlik-jwt-session")
    assert cookie and cookie not in page.text


def test_page_escapes_what_users_control(key_dir: Path) -> None:
    store = UserStore(Database(":memory:"))
    store.add(
        "mallory",
        "pw",
        name="</script><script>alert(1)</script>",
        email="m@example.com",
        email_verified=False,
    )
    with TestClient(make_app(web_settings(key_dir), user_store=store)) as client:
        sign_in(client, "mallory", "pw")
        page = client.get("/").text
    assert "<script>alert(1)" not in page
    assert "&lt;/script&gt;" in page


def test_page_offers_the_qlik_embed_snippet(client: TestClient, settings: Settings) -> None:
    sign_in(client, ADA.username, ADA.password)
    page = client.get("/").text
    assert "&lt;qlik-embed ui=&quot;analytics/chart&quot;" in page
    assert f"data-web-integration-id=&quot;{settings.web_integration_id}&quot;" in page


def test_security_headers_on_pages(client: TestClient, settings: Settings) -> None:
    response = client.get("/sign-in")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'self'" in csp
    # Scripts only from this app, never inline or eval; inline styles for Qlik's charts.
    assert "script-src 'self';" in csp and "unsafe-eval" not in csp
    assert "style-src 'self' 'unsafe-inline';" in csp
    assert f"connect-src 'self' {settings.tenant_url} wss://127.0.0.1:9443" in csp
    assert f"frame-src {settings.tenant_url}" in csp


def test_csp_without_tenant_frames_nothing() -> None:
    csp = content_security_policy(None)
    assert "frame-src 'none'" in csp and "connect-src 'self';" in csp
    assert "ws://localhost:8443" in content_security_policy("http://localhost:8443")


def test_static_modules_are_served_with_a_javascript_type(client: TestClient) -> None:
    response = client.get("/static/qlik-session.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.text == (STATIC_DIR / "qlik-session.js").read_text()
    assert client.get("/static/app.css").headers["content-type"].startswith("text/css")


def test_qliks_javascript_goes_gzipped_and_revalidates_with_a_304(client: TestClient) -> None:
    original = (STATIC_DIR / "vendor" / "stardust.js").read_bytes()
    plain = client.get("/static/stardust.js", headers={"Accept-Encoding": "identity"})
    assert plain.content == original and "content-encoding" not in plain.headers
    packed = client.get("/static/stardust.js", headers={"Accept-Encoding": "gzip, br"})
    assert packed.headers["content-encoding"] == "gzip" and packed.content == original
    assert int(packed.headers["content-length"]) < len(original) / 2
    assert packed.headers["vary"] == "Accept-Encoding"
    assert packed.headers["content-type"].startswith("text/javascript")
    again = client.get(
        "/static/stardust.js",
        headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["etag"]},
    )
    assert again.status_code == 304 and again.content == b""
    assert client.get("/static/stardust.js.gz").status_code == 404  # only by its own name
    ours = client.get("/static/embed.js")
    mine = client.get("/static/embed.js", headers={"If-None-Match": ours.headers["etag"]})
    assert mine.status_code == 304 and "content-encoding" not in ours.headers


@pytest.mark.parametrize(
    "path",
    [
        "/static/../app.py",
        "/static/..%2fapp.py",
        "/static/%2e%2e/app.py",
        "/static/..%2F..%2Fsettings.py",
        "/static/app.py",
        "/static/.hidden.js",
        "/static/",
        "/static/missing.js",
        "/static/EMBED.JS",
        "/templates/page.html",
        "/static/..%5capp.py",
        "/app.py",
        "/static/qlik-session.js%00.css",
    ],
)
def test_nothing_outside_the_static_folder_is_served(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "import" not in response.text


def test_openapi_document_lists_the_api(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/config", "/token"} <= set(paths)


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_bootstrap_json_cannot_close_its_script_element() -> None:
    from qlik_jwt.embedding.page import bootstrap_json

    text = bootstrap_json({"subject": "</script><script>alert(1)</script>", "x": "a&b"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text)["subject"] == "</script><script>alert(1)</script>"


def test_unknown_paths_and_methods_answer_in_the_error_shape(client: TestClient) -> None:
    missing = client.get("/nowhere")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not-found"
    wrong = client.get("/token")
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method-not-allowed"
    assert wrong.headers["allow"] == "POST"

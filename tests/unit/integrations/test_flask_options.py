"""``qlik_jwt.integrations.flask`` in process (Flask's test client): the host's CSRF token,
signed tokens checked by the host, a missing token, the blueprint's URL prefix; and proxy
mode refused where it is not offered (Flask, Django)."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, request
from itsdangerous import BadSignature, URLSafeSerializer

from qlik_jwt import ConfigurationError, UserClaims, jws
from qlik_jwt.integrations.flask import QlikEmbedding
from qlik_jwt.settings import Settings
from tests.support.hosts import bootstrap_in
from tests.support.webapp import web_settings

KIM = UserClaims("crm|77", "Kim", "kim@example.com", True, ("Sales",))
ORIGIN = {"Origin": "http://localhost"}


def identify() -> UserClaims | None:
    return KIM if request.headers.get("X-User") == "kim" else None


def host_app(qlik: QlikEmbedding) -> Flask:
    app = Flask(__name__)
    app.register_blueprint(qlik.blueprint)

    @app.get("/page")
    def page() -> str:
        fragment = qlik.fragment()
        return "anonymous" if fragment is None else fragment.head + fragment.body

    return app


def bootstrap(app: Flask) -> dict[str, Any]:
    return bootstrap_in(app.test_client().get("/page", headers={"X-User": "kim"}).text)


def test_signed_tokens_are_checked_by_the_host(settings: Settings) -> None:
    """Per-request signed tokens (as Flask-WTF makes) cannot be compared; the host checks."""
    signer = URLSafeSerializer("host secret", salt="csrf")

    def check(token: str) -> bool:
        try:
            return bool(signer.loads(token) == "session-7")
        except BadSignature:
            return False

    qlik = QlikEmbedding(
        settings, identify=identify, csrf_token=lambda: signer.dumps("session-7"), check_csrf=check
    )
    app = host_app(qlik)
    token = bootstrap(app)["csrfToken"]
    client = app.test_client()
    signed_in = {**ORIGIN, "X-User": "kim"}
    ok = client.post("/qlik/token", headers={**signed_in, "X-CSRF-Token": token})
    forged = client.post("/qlik/token", headers={**signed_in, "X-CSRF-Token": token + "x"})
    assert ok.status_code == 200
    assert jws.decode(ok.get_json()["token"]).claims["sub"] == "crm|77"
    assert forged.status_code == 403
    assert forged.get_json()["error"]["code"] == "csrf-token-mismatch"


def test_no_host_token_means_no_token(settings: Settings) -> None:
    app = host_app(QlikEmbedding(settings, identify=identify, csrf_token=lambda: None))
    assert bootstrap(app)["csrfToken"] == ""
    refused = app.test_client().post(
        "/qlik/token", headers={**ORIGIN, "X-User": "kim", "X-CSRF-Token": "anything"}
    )
    assert refused.status_code == 403
    assert refused.headers["Cache-Control"] == "no-store"


def test_url_prefix_reaches_the_page_and_the_routes(settings: Settings) -> None:
    qlik = QlikEmbedding(
        settings, identify=identify, csrf_token=lambda: "t", url_prefix="/embed/qlik/"
    )
    app = host_app(qlik)
    page = bootstrap(app)
    assert page["tokenUrl"] == "/embed/qlik/token"
    client = app.test_client()
    with client.get("/embed/qlik/static/embed.js") as script:  # closes the file it sends
        assert script.status_code == 200
    assert client.get("/embed/qlik/static/..%2Fapp.py").status_code == 404
    assert client.get("/embed/qlik/config").get_json()["tenantUrl"] == settings.tenant_url
    assert client.get("/page").text == "anonymous"


@pytest.mark.parametrize("framework", ["flask", "django"])
def test_proxy_mode_is_refused_where_it_is_not_offered(key_dir: Path, framework: str) -> None:
    module = importlib.import_module(f"qlik_jwt.integrations.{framework}")
    options = {"csrf_token": lambda: "t"} if framework == "flask" else {}
    with pytest.raises(ConfigurationError) as raised:
        module.QlikEmbedding(web_settings(key_dir, web_mode="proxy"), identify=identify, **options)
    assert raised.value.field == "web_mode" and "QLIK_WEB_MODE=direct" in str(raised.value)

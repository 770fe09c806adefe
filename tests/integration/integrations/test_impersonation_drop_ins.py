"""The Flask and Django drop-ins in login mode ``impersonation``: ``access-token`` by the token
route's rules (same origin, the framework's CSRF check, signed in), the user's access token
the tenant accepts, a reload costing no grant, and the page told to skip the iframe."""

from __future__ import annotations

from pathlib import Path

import pytest

from qlik_jwt.signer import TokenSigner
from tests.support.emulator import RunningEmulator
from tests.support.hosts import (
    page_bootstrap,
    provisioned_settings,
    running_host,
    sign_in,
    token_headers,
)
from tests.support.webapp import ADA


@pytest.mark.parametrize("framework", ["flask", "django"])
def test_the_drop_in_hands_out_the_users_access_token(
    request: pytest.FixtureRequest,
    framework: str,
    emulator: RunningEmulator,
    signer: TokenSigner,
    key_dir: Path,
) -> None:
    if framework == "django":
        request.getfixturevalue("django_site")
    client_id, secret = emulator.create_oauth_client()
    settings_for = provisioned_settings(
        emulator,
        signer,
        (key_dir / "certificate.pem").read_bytes(),
        login_mode="impersonation",
        oauth_client_id=client_id,
        oauth_client_secret=secret,
        admin_api_key=emulator.admin_key,
    )
    with running_host(framework, settings_for, clock=emulator.clock) as host, host.client() as web:
        sign_in(web, ADA.username, ADA.password)
        bootstrap = page_bootstrap(web)
        assert bootstrap["auth"] == "bearer" and bootstrap["tokenUrl"].endswith("/access-token")
        assert bootstrap["frameBaseUrl"] is None  # no proxy here: the page skips the iframe
        headers = token_headers(web, bootstrap)
        assert (
            web.post(
                bootstrap["tokenUrl"], headers={**headers, "Origin": "https://evil.example"}
            ).status_code
            == 403
        )
        without_csrf = {k: v for k, v in headers.items() if k != bootstrap["csrfHeader"]}
        assert web.post(bootstrap["tokenUrl"], headers=without_csrf).status_code == 403
        first = web.post(bootstrap["tokenUrl"], headers=headers)
        assert first.status_code == 200, first.text
        assert first.headers["cache-control"] == "no-store"
        token = first.json()["accessToken"]
        again = web.post(bootstrap["tokenUrl"], headers=headers)
        assert again.json()["accessToken"] == token  # cached: a reload costs no grant
    bearer = {"Authorization": f"Bearer {token}"}
    with emulator.client(headers=bearer, follow_redirects=True) as tenant:
        assert tenant.get("/api/v1/users/me").json()["subject"] == "demo|ada"

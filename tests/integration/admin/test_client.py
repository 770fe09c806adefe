"""TenantClient against the emulator: rate limits, OAuth tokens, errors, and no leaked secrets."""

from __future__ import annotations

import logging

import httpx
import pytest

from qlik_jwt.admin import TenantClient, ensure_web_integration
from qlik_jwt.admin.groups import delete_user
from qlik_jwt.admin.identity_providers import delete_identity_provider
from qlik_jwt.errors import TenantHTTPError
from tests.integration.admin.conftest import ORIGIN
from tests.support.emulator import RunningEmulator


class CountingTransport(httpx.HTTPTransport):
    """A real HTTP transport that also remembers the paths it sent."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return super().handle_request(request)


def set_faults(emulator: RunningEmulator, **faults: object) -> None:
    emulator.admin.put("/_emulator/faults", json=faults).raise_for_status()


def test_a_429_is_retried_after_its_retry_after(emulator: RunningEmulator) -> None:
    set_faults(emulator, tier1_per_minute=1)
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # moves the tenant's clock instead of sleeping
        waits.append(seconds)
        emulator.clock.advance(seconds)

    with TenantClient(emulator.url, api_key=emulator.admin_key, sleep=sleep) as client:
        client.get("/api/v1/web-integrations")
        assert client.get("/api/v1/web-integrations")["data"] == []
    assert len(waits) == 1
    assert 50 <= waits[0] <= 60


def test_retries_are_bounded_and_the_last_429_is_raised(emulator: RunningEmulator) -> None:
    set_faults(emulator, tier1_per_minute=1)
    waits: list[float] = []
    with TenantClient(
        emulator.url, api_key=emulator.admin_key, sleep=waits.append, max_retries=2
    ) as client:
        client.get("/api/v1/web-integrations")
        with pytest.raises(TenantHTTPError) as caught:
            client.get("/api/v1/web-integrations")
    assert caught.value.status == 429
    assert "rate limit" in caught.value.fix
    assert len(waits) == 2


def test_oauth_client_credentials_are_fetched_once_and_again_after_expiry(
    emulator: RunningEmulator,
) -> None:
    counting = CountingTransport()
    oauth = emulator.oauth_client
    with TenantClient(
        emulator.url,
        oauth_client_id=oauth.client_id,
        oauth_client_secret=oauth.client_secret,
        transport=counting,
    ) as client:
        assert client.tenant_id() == emulator.tenant_id
        client.get("/api/v1/identity-providers")
        assert counting.paths.count("/oauth/token") == 1
        emulator.clock.advance(emulator.tenant.options.oauth_token_lifetime + 1)
        client.get("/api/v1/identity-providers")
    assert counting.paths.count("/oauth/token") == 2
    assert counting.paths[-3:] == [
        "/api/v1/identity-providers",
        "/oauth/token",
        "/api/v1/identity-providers",
    ]


def test_a_wrong_oauth_secret_names_the_client(emulator: RunningEmulator) -> None:
    with (
        TenantClient(
            emulator.url,
            oauth_client_id=emulator.oauth_client.client_id,
            oauth_client_secret="not-the-secret",
        ) as client,
        pytest.raises(TenantHTTPError) as caught,
    ):
        client.get("/api/v1/identity-providers")
    assert caught.value.url.endswith("/oauth/token")
    assert "OAuth client" in caught.value.fix
    assert "not-the-secret" not in str(caught.value)


def test_a_refused_api_key_is_explained_without_showing_it(emulator: RunningEmulator) -> None:
    with (
        TenantClient(emulator.url, api_key="wrong-admin-key") as client,
        pytest.raises(TenantHTTPError) as caught,
    ):
        client.get("/api/v1/identity-providers")
    assert caught.value.status == 401
    assert "admin credential" in caught.value.fix
    assert "wrong-admin-key" not in str(caught.value)


def test_a_missing_resource_carries_qlik_error_fields(admin: TenantClient) -> None:
    with pytest.raises(TenantHTTPError) as caught:
        admin.get("/api/v1/web-integrations/" + "x" * 32)
    assert caught.value.status == 404
    assert caught.value.code
    assert caught.value.method == "GET"


def test_credentials_and_tokens_never_reach_the_logs(
    emulator: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    oauth = emulator.oauth_client
    with TenantClient(
        emulator.url, oauth_client_id=oauth.client_id, oauth_client_secret=oauth.client_secret
    ) as client:
        ensure_web_integration(client, name="qlik-jwt", origins=[ORIGIN])
        token = client._bearer()
    with TenantClient(emulator.url, api_key=emulator.admin_key) as client:
        ensure_web_integration(client, name="qlik-jwt", origins=[ORIGIN])
    assert "/api/v1/web-integrations" in caplog.text
    for secret in (oauth.client_secret, token, emulator.admin_key):
        assert secret not in caplog.text


def test_deleting_what_is_already_gone_counts_as_done_only_when_asked(
    admin: TenantClient,
) -> None:
    gone = "/api/v1/identity-providers/" + "0" * 24
    assert admin.delete(gone, missing_ok=True) is None
    delete_identity_provider(admin, "0" * 24)
    delete_user(admin, "0" * 24)
    with pytest.raises(TenantHTTPError) as caught:
        admin.delete(gone)
    assert caught.value.status == 404

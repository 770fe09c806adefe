"""The public surface of qlik_jwt.admin, and what a SetupRequest refuses up front."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

import qlik_jwt.admin
from qlik_jwt.admin.setup import SetupRequest
from qlik_jwt.errors import ConfigurationError
from qlik_jwt.signer import TokenSigner


def test_the_public_names_are_exactly_these_and_all_import() -> None:
    assert sorted(qlik_jwt.admin.__all__) == [
        "LoginResult",
        "Step",
        "TenantClient",
        "app_space_id",
        "client_from_settings",
        "enable_auto_create_groups",
        "ensure_csp_origin",
        "ensure_identity_provider",
        "ensure_web_integration",
        "grant_group_to_space",
        "jwt_login",
        "signer_from_settings",
    ]
    for name in qlik_jwt.admin.__all__:
        assert getattr(qlik_jwt.admin, name) is not None


@pytest.fixture
def signer(rsa_key: rsa.RSAPrivateKey) -> TokenSigner:
    return TokenSigner(rsa_key, None, "app.example.com")


def test_a_setup_request_normalises_its_origins(signer: TokenSigner) -> None:
    request = SetupRequest(signer, b"", ("HTTPS://App.Example.com:443/",))
    assert request.origins == ("https://app.example.com",)


def test_a_setup_request_needs_an_origin(signer: TokenSigner) -> None:
    with pytest.raises(ConfigurationError) as caught:
        SetupRequest(signer, b"", ())
    assert caught.value.field == "app_origins"
    assert "QLIK_APP_ORIGINS" in caught.value.fix


def test_a_grant_needs_a_space_or_an_app(signer: TokenSigner) -> None:
    with pytest.raises(ConfigurationError) as caught:
        SetupRequest(signer, b"", ("https://app.example.com",), grants=("Finance",))
    assert caught.value.field == "space_id"
    assert "--space-id" in caught.value.fix
    assert SetupRequest(
        signer, b"", ("https://app.example.com",), grants=("Finance",), app_id="a1"
    ).grants == ("Finance",)


def test_a_client_refuses_half_an_oauth_client_or_two_credentials() -> None:
    with pytest.raises(ConfigurationError) as caught:
        qlik_jwt.admin.TenantClient("https://t.example.com", oauth_client_id="id")
    assert caught.value.field == "oauth_client_secret"
    with pytest.raises(ConfigurationError) as caught:
        qlik_jwt.admin.TenantClient(
            "https://t.example.com", api_key="k", oauth_client_id="id", oauth_client_secret="s"
        )
    assert caught.value.field == "api_key"
    with pytest.raises(ConfigurationError) as caught:
        qlik_jwt.admin.TenantClient("https://t.example.com/some/path", api_key="k")
    assert caught.value.field == "tenant_url"


def test_a_client_never_shows_the_password_of_a_tenant_url() -> None:
    with pytest.raises(ConfigurationError) as caught:
        qlik_jwt.admin.TenantClient("https://admin:hunter22@t.example.com", api_key="k")
    assert caught.value.field == "tenant_url"
    assert "credentials" in str(caught.value)
    assert "hunter22" not in str(caught.value)

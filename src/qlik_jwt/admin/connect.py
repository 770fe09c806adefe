"""Build the admin client and the signer from :class:`~qlik_jwt.settings.Settings`."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from qlik_jwt.admin.client import TenantClient
from qlik_jwt.errors import ConfigurationError, SettingsError
from qlik_jwt.settings import ENV_PREFIX, Settings
from qlik_jwt.signer import TokenSigner

__all__ = ["client_from_settings", "missing_credential", "signer_from_settings"]


def missing_credential(settings: Settings) -> ConfigurationError | None:
    """The problem when ``settings`` hold neither an admin API key nor an admin OAuth client."""
    if settings.admin_api_key is not None or settings.admin_oauth_client_id is not None:
        return None
    return ConfigurationError(
        "admin_api_key",
        "is not set, and no admin OAuth client is either",
        None,
        f"Set {ENV_PREFIX}ADMIN_API_KEY (a tenant admin's API key), or "
        f"{ENV_PREFIX}ADMIN_OAUTH_CLIENT_ID and {ENV_PREFIX}ADMIN_OAUTH_CLIENT_SECRET.",
    )


def client_from_settings(
    settings: Settings,
    *,
    transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
    require_credential: bool = True,
    timeout: float = 10,
) -> TenantClient:
    """A TenantClient for ``settings.tenant_url`` with the admin API key or OAuth client.

    Raises SettingsError when the tenant URL is unset, or no admin credential is set and
    ``require_credential`` is true.
    """
    settings.require("tenant_url")
    assert settings.tenant_url is not None
    api_key = settings.admin_api_key.get_secret_value() if settings.admin_api_key else None
    secret = settings.admin_oauth_client_secret
    problem = missing_credential(settings) if require_credential else None
    if problem is not None:
        raise SettingsError([problem])
    return TenantClient(
        settings.tenant_url,
        api_key=api_key,
        oauth_client_id=settings.admin_oauth_client_id,
        oauth_client_secret=secret.get_secret_value() if secret else None,
        transport=transport,
        verify=settings.tenant_ca_file or True,
        timeout=timeout,
    )


def signer_from_settings(
    settings: Settings,
    *,
    key: rsa.RSAPrivateKey | None = None,
    clock: Callable[[], float] = time.time,
) -> TokenSigner:
    """:meth:`TokenSigner.from_settings <qlik_jwt.signer.TokenSigner.from_settings>`."""
    return TokenSigner.from_settings(settings, key=key, clock=clock)

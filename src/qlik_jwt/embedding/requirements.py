"""What an embedding needs from the settings, checked once when it is built."""

from __future__ import annotations

from qlik_jwt.admin.connect import signer_from_settings
from qlik_jwt.errors import ConfigurationError
from qlik_jwt.settings import ENV_PREFIX, Settings
from qlik_jwt.signer import TokenSigner

__all__ = [
    "EMBED_SETTINGS",
    "IMPERSONATION_SETTINGS",
    "SIGNER_SETTINGS",
    "require_direct_mode",
    "required_settings",
    "signer_for",
]

EMBED_SETTINGS = ("tenant_url", "web_integration_id", "app_id")
SIGNER_SETTINGS = ("private_key", "issuer")
# Impersonation needs no web integration: the tenant allows browser calls per OAuth client.
IMPERSONATION_SETTINGS = ("tenant_url", "app_id", "oauth_client_id", "oauth_client_secret")


def required_settings(settings: Settings, *, signer_given: bool = False) -> tuple[str, ...]:
    """The settings an embedding cannot run without, for this login mode."""
    if settings.login_mode == "impersonation":
        return IMPERSONATION_SETTINGS
    if settings.login_mode == "jwt" and not signer_given:
        return EMBED_SETTINGS + SIGNER_SETTINGS
    return EMBED_SETTINGS


def signer_for(settings: Settings, signer: TokenSigner | None) -> TokenSigner | None:
    """``signer``, else one made from the settings in JWT login mode, else None.

    Raises SettingsError listing every missing setting, PrivateKeyError for an unusable key.
    """
    settings.require(*required_settings(settings, signer_given=signer is not None))
    if signer is None and settings.login_mode == "jwt":
        return signer_from_settings(settings)
    return signer


def require_direct_mode(settings: Settings, integration: str) -> None:
    """Raise ConfigurationError unless ``settings.web_mode`` is ``direct``: ``integration``
    (a framework without proxy mode) cannot forward Qlik's calls."""
    if settings.web_mode != "direct":
        raise ConfigurationError(
            "web_mode",
            f"is not offered by the {integration} integration, which has no proxy routes",
            settings.web_mode,
            f"Set {ENV_PREFIX}WEB_MODE=direct (the browser logs in to the tenant itself), or "
            "serve the pages with qlik_jwt.integrations.fastapi, which offers proxy mode.",
        )

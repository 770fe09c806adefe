"""The TLS context for talking to a tenant: the system's CAs, or the CA file of a tenant
with its own certificate (``QLIK_TENANT_CA_FILE``, the HTTPS emulator's). Used by the admin
client and by the web app's proxy mode alike."""

from __future__ import annotations

import ssl

from qlik_jwt.errors import ConfigurationError

__all__ = ["tls_context"]


def tls_context(verify: bool | str) -> ssl.SSLContext | bool:
    """httpx wants an SSLContext for a CA file; a missing file is a settings error."""
    if not isinstance(verify, str):
        return verify
    try:
        return ssl.create_default_context(cafile=verify)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigurationError(
            "tenant_ca_file",
            f"cannot be used as a CA bundle ({getattr(exc, 'strerror', None) or exc})",
            verify,
            "Give a PEM file holding the CA or self-signed certificate of the tenant.",
        ) from None

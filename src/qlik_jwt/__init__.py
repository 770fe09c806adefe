"""qlik-jwt: mint, inspect and serve Qlik Cloud JWTs, embed Qlik analytics, and test it all
offline against a local tenant emulator.

The public API is the short list below; everything else is importable from its module but
may change between releases. The names are loaded on first use, so that importing a part of
the package (the CLI printing its help, say) does not load PyJWT, cryptography and pydantic.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from qlik_jwt.errors import (
    ClaimsError,
    ConfigurationError,
    ContractError,
    MalformedTokenError,
    OAuthGrantError,
    PrivateKeyError,
    QlikJwtError,
    SettingsError,
    TenantError,
    TenantHTTPError,
    TenantUnreachableError,
    TokenError,
)

if TYPE_CHECKING:
    from qlik_jwt.contract import AUDIENCE, Violation, check
    from qlik_jwt.impersonation import AccessToken, ImpersonationClient
    from qlik_jwt.inspection import Report, inspect_token
    from qlik_jwt.keys import generate_private_key, load_private_key, load_public_key
    from qlik_jwt.settings import Settings
    from qlik_jwt.signer import MintedToken, TokenSigner, UserClaims

__version__ = "0.1.0"

__all__ = [
    "AUDIENCE",
    "AccessToken",
    "ClaimsError",
    "ConfigurationError",
    "ContractError",
    "ImpersonationClient",
    "MalformedTokenError",
    "MintedToken",
    "OAuthGrantError",
    "PrivateKeyError",
    "QlikJwtError",
    "Report",
    "Settings",
    "SettingsError",
    "TenantError",
    "TenantHTTPError",
    "TenantUnreachableError",
    "TokenError",
    "TokenSigner",
    "UserClaims",
    "Violation",
    "__version__",
    "check",
    "generate_private_key",
    "inspect_token",
    "load_private_key",
    "load_public_key",
]

_HOMES = {
    "AUDIENCE": "contract",
    "Violation": "contract",
    "check": "contract",
    "AccessToken": "impersonation",
    "ImpersonationClient": "impersonation",
    "Report": "inspection",
    "inspect_token": "inspection",
    "generate_private_key": "keys",
    "load_private_key": "keys",
    "load_public_key": "keys",
    "Settings": "settings",
    "MintedToken": "signer",
    "TokenSigner": "signer",
    "UserClaims": "signer",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

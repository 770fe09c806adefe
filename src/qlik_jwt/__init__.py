"""qlik-jwt: mint, inspect and serve Qlik Cloud JWTs, embed Qlik analytics, and test it all
offline against a local tenant emulator.

The public API is the short list below; everything else is importable from its module but
may change between releases.
"""

from __future__ import annotations

from qlik_jwt.contract import AUDIENCE, Violation, check
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

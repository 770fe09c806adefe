"""The package's public surface is deliberate: __all__ matches what users are told to import."""

from __future__ import annotations

import qlik_jwt

EXPECTED = {
    "AUDIENCE",
    "AccessToken",
    "ClaimsError",
    "ConfigurationError",
    "ContractError",
    "MalformedTokenError",
    "ImpersonationClient",
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
}


def test_all_is_exactly_the_public_api() -> None:
    assert set(qlik_jwt.__all__) == EXPECTED
    for name in qlik_jwt.__all__:
        assert hasattr(qlik_jwt, name), name


def test_error_tree() -> None:
    assert issubclass(qlik_jwt.SettingsError, qlik_jwt.ConfigurationError)
    assert issubclass(qlik_jwt.ClaimsError, qlik_jwt.ConfigurationError)
    assert issubclass(qlik_jwt.PrivateKeyError, qlik_jwt.ConfigurationError)
    assert issubclass(qlik_jwt.ContractError, qlik_jwt.TokenError)
    assert issubclass(qlik_jwt.MalformedTokenError, qlik_jwt.TokenError)
    assert issubclass(qlik_jwt.TenantHTTPError, qlik_jwt.TenantError)
    assert issubclass(qlik_jwt.OAuthGrantError, qlik_jwt.TenantHTTPError)
    for family in (qlik_jwt.ConfigurationError, qlik_jwt.TokenError, qlik_jwt.TenantError):
        assert issubclass(family, qlik_jwt.QlikJwtError)


def test_describe_hides_secrets() -> None:
    from qlik_jwt.errors import describe

    assert describe("-----BEGIN PRIVATE KEY-----abc") == "<private key, not shown>"
    assert describe("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlc2lnbmF0dXJl") == (
        "<a token, not shown>"
    )
    assert describe("x" * 500).endswith("...'")

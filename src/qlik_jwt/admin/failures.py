"""Qlik's error answers, read and explained: the common failures of the reference, §7.

A real tenant names a failure by its error ``code`` and ``detail``; the emulator adds
``meta.reason``. :func:`fix_for` turns either into the one fix a developer should try.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Any

import httpx

from qlik_jwt.contract import RULES

__all__ = ["ErrorEntry", "first_error", "fix_for", "transport_fix", "transport_reason"]


@dataclass(frozen=True)
class ErrorEntry:
    """The first entry of a Qlik error body; every field may be missing."""

    code: str | None = None
    title: str | None = None
    detail: str | None = None
    reason: str | None = None  # the emulator's meta.reason


def first_error(response: httpx.Response) -> ErrorEntry:
    """The first ``errors[]`` entry of ``response``, or an empty ErrorEntry for other bodies."""
    try:
        body: Any = response.json()
    except ValueError:
        return ErrorEntry()
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        return ErrorEntry()
    entry = errors[0]
    meta = entry.get("meta")
    if not isinstance(meta, dict):
        meta = {}

    def text(value: Any) -> str | None:
        return value if isinstance(value, str) and value else None

    return ErrorEntry(
        text(entry.get("code")),
        text(entry.get("title")),
        text(entry.get("detail")),
        text(meta.get("reason")),
    )


# Qlik's published and observed error codes (reference §3 and §7).
CODE_FIXES: dict[str, str] = {
    "INTERNAL-TOKEN-1": "Add every required claim (iss, aud, sub, subType, name, email, "
    "email_verified, jti, iat, nbf, exp) with exp - nbf <= 3600; `qlik-jwt inspect` shows "
    "which is missing.",
    "LOGIN-2": "The tenant host name is wrong: fix QLIK_TENANT_URL.",
    "LOGIN-8": "The returnto value is malformed: pass an absolute http(s) URL or a path.",
    "LOGIN-10": "Add the page's origin to the web integration (`qlik-jwt setup`) and pass "
    "qlik-web-integration-id in the query.",
    "LOGIN-12": "Another active user has this e-mail: remove the duplicate and keep `sub` "
    "stable per person.",
    "USER_INVITE_EXPIRED": "A pending invitation holds this e-mail: remove it in the "
    "Management Console.",
    "AUTH-5": "The user is not a member of this tenant: provision or assign the user.",
    "STATE-1": "The login state cookie was blocked (typical inside iframes): do not use "
    "interactive login in a frame.",
    "CSRF-TOKEN-2": "Fetch a fresh CSRF token after login and send it as qlik-csrf-token.",
    "CSRF-TOKEN-4": "Bearer-authenticated calls need no CSRF token; do not ask for one.",
    "INVALID-IDP-CONFIG": "The identity provider is misconfigured: run `qlik-jwt doctor`.",
}

# The emulator's meta.reason values mapped to the contract's rules, from the rules themselves:
# a reason several rules share is explained by the first of them (reversed: the first one is
# written last), so bad_claim_type by bad-claim-type.
REASON_RULES: dict[str, str] = {rule.reason: rule.code for rule in reversed(RULES.values())}

# Reasons no contract rule names.
REASON_FIXES: dict[str, str] = {
    "missing_bearer": "Send the token as `Authorization: Bearer <token>`.",
    "origin_not_allowed": "Add the page's origin to the web integration's validOrigins "
    "(exact scheme, host and port) with `qlik-jwt setup`.",
    "invalid_client": "Check the OAuth client's id and secret: the tenant knows no such client "
    "or the secret is wrong (a secret is shown once, at creation; create a new one if lost).",
    "unauthorized_client": "Allow the grant on the OAuth client: appType web with "
    "allowedGrantTypes urn:qlik:oauth:user-impersonation.",
    "invalid_scope": "Ask only for scopes the OAuth client allows (usually user_default).",
    "unknown_user": "Qlik impersonates existing users only: give the ImpersonationClient an "
    "admin TenantClient so it creates users, or create the user first (POST /api/v1/users).",
    "user_disabled": "The user is disabled in the tenant: enable them in the Management "
    "Console (or PATCH /api/v1/users/{id} /status active).",
    "too_many_tokens": "The user holds the tenant's maximum number of access tokens: reuse a "
    "token until it expires and revoke it at sign-out (ImpersonationClient caches and "
    "revokes for you; do not make one per request).",
    "admin_not_impersonable": "Impersonate the end user, not the tenant administrator.",
    "invalid_grant": "The access token expired or was revoked: get a new one.",
    "rate_limited": "The tenant's rate limit was reached even after retries (Tier 2: 100 "
    "logins or writes a minute): wait a minute, and reuse sessions instead of logging in "
    "again.",
}

# A real tenant publishes no code for these, but its detail text names them.
DETAIL_HINTS: tuple[tuple[str, str], ...] = (
    ("origin has not been granted access", "origin_not_allowed"),
    ("missing required claim", "missing_claim"),
    ("maximum number of tokens", "too_many_tokens"),
    ("invalid origin header", "origin_not_allowed"),
)

STATUS_FIXES: dict[int, str] = {
    401: "Check the admin credential (API key or OAuth client); it may have expired.",
    403: "The admin credential lacks a permission: the identity-provider APIs need the "
    "TenantAdmin role.",
    404: "Check the tenant URL and the id used; the resource may have been deleted.",
    429: "The tenant's rate limit was reached even after retries: wait a minute, and "
    "reuse sessions instead of logging in again.",
}


def fix_for(status: int, error: ErrorEntry) -> str:
    """The fix for an error answer, most specific first: reason, code, detail, status."""
    reason = error.reason
    if reason is None and error.detail:
        lowered = error.detail.lower()
        reason = next((r for hint, r in DETAIL_HINTS if hint in lowered), None)
    if reason in REASON_RULES:
        return RULES[REASON_RULES[reason]].fix
    if reason in REASON_FIXES:
        return REASON_FIXES[reason]
    if error.code in CODE_FIXES:
        return CODE_FIXES[error.code]
    if status >= 500:
        return "The tenant failed; retry later."
    return STATUS_FIXES.get(status, "")


def transport_reason(exc: httpx.TransportError) -> str:
    """A short, secret-free reason for a failure below HTTP."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS certificate not trusted ({cause.verify_message})"
        if isinstance(cause, ssl.SSLError):
            return f"TLS failed ({cause.reason or type(cause).__name__})"
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, httpx.ConnectError):
        return f"connection failed ({exc})" if str(exc) else "connection failed"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def transport_fix(exc: httpx.TransportError) -> str:
    if "certificate" in transport_reason(exc):
        return (
            "Trust the tenant's certificate: set QLIK_TENANT_CA_FILE to its CA bundle "
            "(for the emulator, its certificate file)."
        )
    return "Check the tenant URL (QLIK_TENANT_URL), that the tenant is up, and your network."

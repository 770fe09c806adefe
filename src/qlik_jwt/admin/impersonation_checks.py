"""The checks of ``qlik-jwt doctor`` for login mode ``impersonation``, after the others.

One question each, each with its fix: does the OAuth client exist, does it allow the
impersonation grant, does it list every page origin, and does a grant work end to end (for a
throw-away user created and deleted again; this also proves the client secret). In the other
login modes they are skipped.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from qlik_jwt.admin.checks import CheckContext, CheckResult, Status
from qlik_jwt.admin.oauth_clients import (
    IMPERSONATION_GRANT,
    get_oauth_client,
    missing_client_origins,
)
from qlik_jwt.errors import TenantError, TenantHTTPError, TenantUnreachableError
from qlik_jwt.settings import ENV_PREFIX

__all__ = ["IMPERSONATION_CHECKS"]

SETUP_FIX = f"Run `qlik-jwt setup` with {ENV_PREFIX}LOGIN_MODE=impersonation."
TEST_SUBJECT_PREFIX = "qlik-jwt-doctor-"


def _result(name: str, status: Status, message: str, fix: str = "") -> CheckResult:
    return CheckResult(name, status, message, fix)


def _skipped(ctx: CheckContext, name: str) -> CheckResult | None:
    settings = ctx.settings
    assert settings is not None
    if settings.login_mode != "impersonation":
        return _result(name, "skip", f"login mode is {settings.login_mode!r}")
    if settings.oauth_client_id is None:
        return _result(name, "skip", f"needs {ENV_PREFIX}OAUTH_CLIENT_ID")
    if ctx.client is None or not ctx.client.has_credential or not ctx.admin:
        return _result(name, "skip", "needs a tenant that accepts the admin credential")
    return None


def _tenant_failure(name: str, exc: TenantError) -> CheckResult:
    fix = getattr(exc, "fix", "") or "See the tenant's answer."
    return _result(name, "fail", str(exc), fix)


def check_oauth_client(ctx: CheckContext) -> CheckResult:
    name = "oauth_client"
    skipped = _skipped(ctx, name)
    if skipped:
        return skipped
    assert ctx.client is not None and ctx.settings is not None
    client_id = str(ctx.settings.oauth_client_id)
    try:
        found = get_oauth_client(ctx.client, client_id)
    except TenantError as exc:
        return _tenant_failure(name, exc)
    if found is None:
        return _result(
            name,
            "fail",
            f"OAuth client {client_id!r} ({ENV_PREFIX}OAUTH_CLIENT_ID) does not exist on the "
            "tenant",
            f"Fix {ENV_PREFIX}OAUTH_CLIENT_ID, or remove it and {SETUP_FIX[0].lower()}"
            f"{SETUP_FIX[1:]}",
        )
    ctx.oauth_client = found
    return _result(name, "pass", f"OAuth client {found.get('clientName')!r} exists")


def check_oauth_grant(ctx: CheckContext) -> CheckResult:
    name = "oauth_grant"
    found = ctx.oauth_client
    if found is None:
        return _result(name, "skip", "needs the OAuth client")
    grants = list(found.get("allowedGrantTypes") or [])
    if IMPERSONATION_GRANT not in grants:
        return _result(
            name,
            "fail",
            f"the OAuth client allows {', '.join(grants) or 'no grant'}, not "
            f"{IMPERSONATION_GRANT}: every grant is refused (unauthorized_client)",
            f"Allow user impersonation on the client in the Management Console, or {SETUP_FIX}",
        )
    if found.get("appType") != "web":
        return _result(
            name,
            "fail",
            f"the OAuth client's appType is {found.get('appType')!r}; impersonation needs "
            "a confidential 'web' client",
            f"Create a new client: remove {ENV_PREFIX}OAUTH_CLIENT_ID and {SETUP_FIX}",
        )
    return _result(name, "pass", f"the OAuth client allows {IMPERSONATION_GRANT}")


def check_oauth_origins(ctx: CheckContext) -> CheckResult:
    name = "oauth_origins"
    found = ctx.oauth_client
    assert ctx.settings is not None
    if found is None or not ctx.settings.app_origins:
        return _result(name, "skip", "needs the OAuth client and the app origins")
    missing = missing_client_origins(found, list(ctx.settings.app_origins))
    if missing:
        listed = ", ".join(found.get("allowedOrigins") or []) or "none"
        return _result(
            name,
            "fail",
            f"{', '.join(missing)} not in the OAuth client's allowed origins ({listed}): the "
            "page's calls with an access token fail CORS (OAUTH-29 Invalid Origin Header)",
            f"{SETUP_FIX} (origins match exactly: scheme, host and port).",
        )
    return _result(name, "pass", f"the OAuth client allows {', '.join(ctx.settings.app_origins)}")


def check_impersonation(ctx: CheckContext) -> CheckResult:
    """A real grant for a throw-away user, then users/me with its token, revoke, delete."""
    name = "impersonation"
    skipped = _skipped(ctx, name)
    if skipped:
        return skipped
    assert ctx.client is not None and ctx.settings is not None
    if ctx.settings.oauth_client_secret is None:
        return _result(name, "skip", f"needs {ENV_PREFIX}OAUTH_CLIENT_SECRET")
    subject = TEST_SUBJECT_PREFIX + secrets.token_hex(6)
    try:
        user = ctx.client.post(
            "/api/v1/users",
            {"subject": subject, "name": "qlik-jwt doctor", "email": "doctor@example.invalid"},
        )
    except TenantError as exc:
        return _tenant_failure(name, exc)
    user_id = str(user.get("id")) if isinstance(user, dict) else ""
    try:
        return _grant(ctx, name, subject)
    finally:
        if user_id:
            try:
                ctx.client.delete(f"/api/v1/users/{user_id}", missing_ok=True)
            except TenantError as exc:
                ctx.notes.append(f"the throw-away user {subject!r} was left: {exc}")


def _grant(ctx: CheckContext, name: str, subject: str) -> CheckResult:
    assert ctx.client is not None and ctx.settings is not None
    assert ctx.settings.oauth_client_secret is not None
    body = {
        "client_id": ctx.settings.oauth_client_id,
        "client_secret": ctx.settings.oauth_client_secret.get_secret_value(),
        "grant_type": IMPERSONATION_GRANT,
        "user_lookup": {"field": "subject", "value": subject},
        "scope": "user_default",
    }
    try:
        answer = ctx.client.request("POST", "/oauth/token", json=body, authenticate=False)
        token = str(answer.json()["access_token"])
        me = ctx.client.send(
            "GET",
            "/api/v1/users/me",
            headers={"Authorization": f"Bearer {token}"},
            follow_redirects=True,  # Qlik answers with the user's own address
        )
        ctx.client.send("POST", "/oauth/revoke", json={"token": token})
    except TenantHTTPError as exc:
        if exc.status == 401:
            return _result(
                name,
                "fail",
                f"the tenant refused the OAuth client's credentials ({exc.code or 401}): "
                f"{ENV_PREFIX}OAUTH_CLIENT_SECRET is wrong (or the client id is)",
                "Copy the secret again, or make a new one and remove the old (see "
                "'Rotating the OAuth client secret' in the README).",
            )
        return _tenant_failure(name, exc)
    except TenantUnreachableError as exc:
        return _tenant_failure(name, exc)
    except (ValueError, KeyError):
        return _result(name, "fail", "/oauth/token answered without an access_token", SETUP_FIX)
    seen = me.json().get("subject") if me.status_code == 200 else None
    if seen != subject:
        return _result(
            name,
            "fail",
            f"users/me with the user's token answered {me.status_code} (subject {seen!r})",
            "The tenant does not accept the access token for REST calls; check the client's "
            "scopes (user_default).",
        )
    return _result(
        name, "pass", f"a token for throw-away user {subject!r} reads users/me as that user"
    )


IMPERSONATION_CHECKS: tuple[Callable[[CheckContext], CheckResult], ...] = (
    check_oauth_client,
    check_oauth_grant,
    check_oauth_origins,
    check_impersonation,
)

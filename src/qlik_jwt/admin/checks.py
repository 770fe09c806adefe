"""The checks of ``qlik-jwt doctor``, in the order they run.

Each check answers one question and, when the answer is no, names the fix; together they
cover the common failures of the reference (§7). Later checks use what earlier ones found
(the provider that matched, the tenant's clock offset) through a :class:`CheckContext`; a
check whose prerequisite failed is skipped rather than failed twice.
"""

from __future__ import annotations

import email.utils
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from qlik_jwt import contract, jws, keys
from qlik_jwt.admin.client import TenantClient
from qlik_jwt.admin.connect import signer_from_settings
from qlik_jwt.admin.csp_origins import covering_entries, list_csp_origins
from qlik_jwt.admin.identity_providers import (
    find_jwt_provider,
    list_jwt_providers,
    provider_clock_tolerance,
    provider_issuer,
    provider_key_id,
    provider_public_key,
)
from qlik_jwt.admin.login import jwt_login
from qlik_jwt.admin.web_integrations import get_web_integration, missing_origins
from qlik_jwt.errors import (
    ConfigurationError,
    TenantError,
    TenantHTTPError,
    TenantUnreachableError,
)
from qlik_jwt.settings import ENV_PREFIX, Settings
from qlik_jwt.signer import MAX_BACKDATE, TokenSigner, UserClaims

__all__ = ["ALL_CHECKS", "CheckContext", "CheckResult", "Status", "problem_text"]

Status = Literal["pass", "fail", "skip"]
DATE_RESOLUTION = 1.0  # the Date header counts whole seconds
SETUP_FIX = "Run `qlik-jwt setup`."


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome; ``fix`` is set for every failure."""

    name: str
    status: Status
    message: str
    fix: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "message": self.message, "fix": self.fix}


@dataclass
class CheckContext:
    """What the checks have learnt so far."""

    clock: Callable[[], float]
    settings: Settings | None = None
    key: rsa.RSAPrivateKey | None = None
    signer: TokenSigner | None = None
    client: TenantClient | None = None
    client_problem: ConfigurationError | None = None  # why there is no client for the URL
    admin: bool = False
    unreachable: bool = False
    provider: dict[str, Any] | None = None
    offset: float | None = None
    login_subject: str | None = None
    oauth_client: dict[str, Any] | None = None  # the impersonation client, once found
    notes: list[str] = field(default_factory=list)

    @property
    def tolerance(self) -> int:
        registered = provider_clock_tolerance(self.provider or {})
        if registered is not None:
            return registered
        return self.settings.clock_tolerance if self.settings else 0


def _ok(name: str, message: str) -> CheckResult:
    return CheckResult(name, "pass", message)


def _fail(name: str, message: str, fix: str) -> CheckResult:
    return CheckResult(name, "fail", message, fix)


def _skip(name: str, why: str) -> CheckResult:
    return CheckResult(name, "skip", why)


def problem_text(problem: ConfigurationError) -> str:
    return f"{problem.field} {problem.problem}"


def _from_error(name: str, exc: TenantError) -> CheckResult:
    if isinstance(exc, TenantHTTPError):
        said = " ".join(p for p in (exc.code, exc.title, exc.detail) if p)
        message = f"{exc.method} {exc.url} answered {exc.status}" + (f": {said}" if said else "")
        return _fail(name, message, exc.fix or "See the tenant's answer above.")
    if isinstance(exc, TenantUnreachableError):
        return _fail(name, f"{exc.url} could not be reached: {exc.reason}", exc.fix)
    return _fail(name, str(exc), "See the message; `qlik-jwt doctor --login` tests a login.")


# -- the checks, in order ---------------------------------------------------------------


def check_settings(ctx: CheckContext) -> CheckResult:
    settings = ctx.settings
    assert settings is not None
    if settings.login_mode == "impersonation":
        problems = settings.missing("tenant_url", "oauth_client_id", "oauth_client_secret")
    else:
        problems = settings.missing("tenant_url", "web_integration_id", "issuer", "private_key")
    if not settings.app_origins:
        problems.append(
            ConfigurationError(
                "app_origins",
                "is not set",
                None,
                f"Set {ENV_PREFIX}APP_ORIGINS to the origin(s) of the pages embedding Qlik.",
            )
        )
    if problems:
        names = ", ".join(f"{ENV_PREFIX}{p.field.upper()}" for p in problems)
        return _fail(
            "settings",
            "; ".join(problem_text(p) for p in problems),
            f"Set {names} in the settings file or the environment (`qlik-jwt config` "
            "lists every setting).",
        )
    return _ok("settings", "every setting needed to embed is set and well-formed")


def check_private_key(ctx: CheckContext) -> CheckResult:
    settings = ctx.settings
    assert settings is not None
    if settings.private_key is None:
        return _skip("private_key", "no private key is set")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            ctx.key = keys.load_private_key(settings.private_key_source())
        except ConfigurationError as exc:
            return _fail("private_key", problem_text(exc), exc.fix)
    if settings.issuer is not None:
        ctx.signer = signer_from_settings(settings, key=ctx.key, clock=ctx.clock)
    note = f" (warning: {caught[0].message})" if caught else ""
    return _ok("private_key", f"an RSA key of {ctx.key.key_size} bits loads{note}")


def check_tenant(ctx: CheckContext) -> CheckResult:
    if ctx.client_problem is not None:
        return _fail("tenant", problem_text(ctx.client_problem), ctx.client_problem.fix)
    if ctx.client is None:
        return _skip("tenant", "no tenant URL is set")
    try:
        if not ctx.client.has_credential:
            ctx.client.send("GET", "/api/v1/users/me")
            return _ok(
                "tenant",
                f"{ctx.client.tenant_url} answers (no admin credential: identity provider, "
                "web integration and CSP checks are skipped)",
            )
        me = ctx.client.get("/api/v1/users/me")
    except TenantError as exc:
        ctx.unreachable = isinstance(exc, TenantUnreachableError)
        return _from_error("tenant", exc)
    ctx.admin = True
    tenant = me.get("tenantId") if isinstance(me, dict) else None
    return _ok("tenant", f"{ctx.client.tenant_url} accepts the admin credential (tenant {tenant})")


def _admin_skip(ctx: CheckContext, name: str) -> CheckResult | None:
    if ctx.client_problem is not None:
        return _skip(name, "the tenant check failed")
    if ctx.client is None or not ctx.client.has_credential:
        return _skip(name, f"needs an admin credential ({ENV_PREFIX}ADMIN_API_KEY)")
    if not ctx.admin:
        return _skip(name, "the tenant check failed")
    return None


def check_identity_provider(ctx: CheckContext) -> CheckResult:
    name = "identity_provider"
    skipped = _admin_skip(ctx, name)
    settings = ctx.settings
    assert settings is not None
    key_id = ctx.signer.key_id if ctx.signer else settings.key_id
    if skipped or settings.issuer is None or key_id is None:
        return skipped or _skip(name, "needs the issuer and the key (or key id)")
    assert ctx.client is not None
    issuer = settings.issuer
    try:
        providers = list_jwt_providers(ctx.client)
    except TenantError as exc:
        return _from_error(name, exc)
    match = find_jwt_provider(providers, issuer=issuer, key_id=key_id)
    if match is not None and match.get("active") is not False:
        ctx.provider = match
        return _ok(
            name,
            f"active JWT provider {match.get('id')} has issuer {issuer!r} and key id {key_id!r}",
        )
    if match is not None:
        return _fail(
            name,
            f"JWT provider {match.get('id')} matches issuer and key id but is inactive",
            "Activate it in the Management Console, or delete it and run `qlik-jwt setup`.",
        )
    if not providers:
        return _fail(name, "the tenant has no JWT identity provider", SETUP_FIX)
    same_issuer = [p for p in providers if provider_issuer(p) == issuer]
    if same_issuer:
        kids = ", ".join(repr(provider_key_id(p)) for p in same_issuer)
        return _fail(
            name,
            f"key id {key_id!r} is not registered for issuer {issuer!r} (registered: {kids})",
            f"Tokens carry kid {key_id!r}: set {ENV_PREFIX}KEY_ID to the registered key id "
            "with its matching key, or register this key with `qlik-jwt setup` "
            "(after a key change, `qlik-jwt rotate-key`).",
        )
    same_kid = [p for p in providers if provider_key_id(p) == key_id]
    if same_kid:
        registered = provider_issuer(same_kid[0])
        hint = (
            " (it has leading or trailing whitespace)"
            if registered and registered.strip() == issuer
            else ""
        )
        return _fail(
            name,
            f"key id {key_id!r} is registered with issuer {registered!r}, not {issuer!r}{hint}",
            f"Qlik compares the issuer exactly: set {ENV_PREFIX}ISSUER to the registered issuer.",
        )
    issuers = ", ".join(sorted({repr(provider_issuer(p)) for p in providers}))
    return _fail(
        name,
        f"no JWT provider has issuer {issuer!r} (registered issuers: {issuers})",
        f"Set {ENV_PREFIX}ISSUER to a registered issuer, or run `qlik-jwt setup`.",
    )


def check_key_matches(ctx: CheckContext) -> CheckResult:
    name = "key_matches"
    if ctx.provider is None or ctx.key is None:
        return _skip(name, "needs the private key and a matching identity provider")
    registered = provider_public_key(ctx.provider)
    if registered is None:
        return _fail(
            name,
            f"the certificate of provider {ctx.provider.get('id')} cannot be read",
            "Register the certificate as single-line PEM (no line breaks or spaces), "
            "as `qlik-jwt setup` does.",
        )
    ours = ctx.key.public_key()
    if registered.public_numbers() != ours.public_numbers():
        return _fail(
            name,
            f"the registered certificate is for key {keys.key_id_for(registered)}, "
            f"the private key is {keys.key_id_for(ours)}",
            f"Point {ENV_PREFIX}PRIVATE_KEY at the key of the registered certificate, or "
            "register this key under a new key id with `qlik-jwt rotate-key`.",
        )
    return _ok(name, "the private key belongs to the registered certificate")


def check_web_integration(ctx: CheckContext) -> CheckResult:
    name = "web_integration"
    settings = ctx.settings
    assert settings is not None
    skipped = _admin_skip(ctx, name)
    if skipped or settings.web_integration_id is None or not settings.app_origins:
        return skipped or _skip(name, "needs the web integration id and the app origins")
    assert ctx.client is not None
    try:
        integration = get_web_integration(ctx.client, settings.web_integration_id)
    except TenantError as exc:
        return _from_error(name, exc)
    if integration is None:
        return _fail(
            name,
            f"web integration {settings.web_integration_id!r} does not exist on the tenant",
            f"Fix {ENV_PREFIX}WEB_INTEGRATION_ID, or run `qlik-jwt setup` to create one.",
        )
    missing = missing_origins(integration, list(settings.app_origins))
    if missing:
        listed = ", ".join(integration.get("validOrigins") or []) or "none"
        return _fail(
            name,
            f"{', '.join(missing)} not in the web integration's origins ({listed}); browsers "
            "get a CORS error, 'Origin has not been granted access'",
            "Run `qlik-jwt setup` to add it (origins match exactly: scheme, host and port).",
        )
    return _ok(name, f"{integration.get('name')!r} lists {', '.join(settings.app_origins)}")


def check_csp(ctx: CheckContext) -> CheckResult:
    name = "csp"
    settings = ctx.settings
    assert settings is not None
    skipped = _admin_skip(ctx, name)
    if skipped or not settings.app_origins:
        return skipped or _skip(name, "needs the app origins")
    assert ctx.client is not None
    try:
        entries = list_csp_origins(ctx.client)
    except TenantError as exc:
        return _from_error(name, exc)
    uncovered = [o for o in settings.app_origins if not covering_entries(entries, o)]
    if uncovered:
        return _fail(
            name,
            f"frame-ancestors does not cover {', '.join(uncovered)}: the /single/ iframe "
            "stays blank and the browser console mentions frame-ancestors",
            "Run `qlik-jwt setup` to add a CSP origin with frameAncestors.",
        )
    return _ok(name, "frame-ancestors covers every app origin")


def _tenant_time(response: httpx.Response) -> float | None:
    value = response.headers.get("Date")
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when.timestamp() + DATE_RESOLUTION / 2  # the true time is within the second


def _clock_fix(verb: str, setting: str, needed: int, allowed: int) -> str:
    """Synchronise the clock; or change ``setting`` to ``needed`` when the settings allow it."""
    fix = "Synchronise this machine's clock (NTP)"
    if needed <= allowed:
        return f"{fix}, or {verb} {ENV_PREFIX}{setting} to at least {needed}."
    return f"{fix}: {ENV_PREFIX}{setting} would need {needed} s, and allows at most {allowed} s."


def check_clock(ctx: CheckContext) -> CheckResult:
    name = "clock"
    settings = ctx.settings
    assert settings is not None
    if ctx.client is None or ctx.unreachable:
        return _skip(name, "needs a reachable tenant")
    before = ctx.clock()
    try:
        response = ctx.client.send("GET", "/api/v1/users/me")
    except TenantError as exc:
        return _from_error(name, exc)
    after = ctx.clock()
    tenant = _tenant_time(response)
    if tenant is None:
        return _skip(name, "the tenant's answer has no Date header to compare with")
    ctx.offset = offset = tenant - (before + after) / 2
    slack = DATE_RESOLUTION / 2 + (after - before) / 2
    tol, backdate, lifetime = ctx.tolerance, settings.token_backdate, settings.token_lifetime
    hour = contract.MAX_WINDOW_SECONDS  # lifetime + backdate may not exceed it
    shown = f"tenant clock {'ahead of' if offset >= 0 else 'behind'} ours by {abs(offset):.1f} s"
    if offset + slack < -(tol + backdate):
        return _fail(
            name,
            f"{shown}: tokens arrive before their nbf (tolerance {tol} s, backdate {backdate} s)",
            _clock_fix(
                "set", "TOKEN_BACKDATE", int(-offset - tol) + 1, min(MAX_BACKDATE, hour - lifetime)
            ),
        )
    if offset - slack >= lifetime + tol:
        return _fail(
            name,
            f"{shown}: tokens arrive already expired (lifetime {lifetime} s, tolerance {tol} s)",
            _clock_fix("raise", "TOKEN_LIFETIME", int(offset - tol) + 1, hour - backdate),
        )
    return _ok(name, f"{shown} (±{slack:.1f} s), within what tokens allow")


def check_token(ctx: CheckContext) -> CheckResult:
    name = "token"
    if ctx.signer is None:
        return _skip(name, "needs the private key and the issuer")
    user = UserClaims("qlik-jwt-doctor", "qlik-jwt doctor", "doctor@example.invalid", False)
    decoded = jws.decode(ctx.signer.mint(user))
    provider = ctx.provider or {}
    violations = contract.check(
        decoded.header,
        decoded.claims,
        now=ctx.clock() + (ctx.offset or 0.0),
        issuer=provider_issuer(provider) if provider else ctx.signer.issuer,
        key_id=provider_key_id(provider) if provider else ctx.signer.key_id,
        clock_tolerance=ctx.tolerance,
    )
    registered = provider_public_key(provider) if provider else None
    if registered is not None and not jws.verify_signature(decoded, registered):
        rule = contract.RULES["bad-signature"]
        violations.append(contract.Violation(rule.code, rule.meaning, rule.fix))
    if violations:
        return _fail(
            name,
            "; ".join(f"[{v.code}] {v.message}" for v in violations),
            " ".join(dict.fromkeys(v.fix for v in violations)),
        )
    against = "the registered provider, at the tenant's time" if provider else "the settings"
    return _ok(name, f"a test token passes the contract against {against}")


def check_login(ctx: CheckContext) -> CheckResult:
    name = "login"
    settings = ctx.settings
    assert settings is not None
    if ctx.login_subject is None:
        return _skip(name, "not asked for (--login)")
    if ctx.signer is None or ctx.client is None:
        return _skip(name, "needs the tenant URL, the private key and the issuer")
    subject = ctx.login_subject
    user = UserClaims(subject, "qlik-jwt doctor", "doctor@example.invalid", False)
    origin = settings.app_origins[0] if settings.app_origins else None
    try:
        result = jwt_login(
            ctx.client,
            ctx.signer.mint(user),
            web_integration_id=settings.web_integration_id if origin else None,
            origin=origin,
        )
    except TenantError as exc:
        return _from_error(name, exc)
    via = f" from origin {origin}" if origin else ""
    return _ok(
        name, f"signed in as {result.subject!r}{via}; users/me answered user {result.user_id}"
    )


ALL_CHECKS: tuple[Callable[[CheckContext], CheckResult], ...] = (
    check_settings,
    check_private_key,
    check_tenant,
    check_identity_provider,
    check_key_matches,
    check_web_integration,
    check_csp,
    check_clock,
    check_token,
    check_login,
)

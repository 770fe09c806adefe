"""The proxy's refusals, in the web app's error shape: a tenant that is down, slow, or that
will not log the user in. The one place where tenant and store failures become answers.

Codes (stable, in the README): ``tenant-unreachable`` (502), ``tenant-timeout`` (504),
``qlik-login-refused`` (502), ``qlik-session-refused`` (502), ``engine-refused`` (the
tenant's 4xx, else 502), ``session-store-failed`` (503). Messages carry Qlik's error code,
title and detail, never a token or cookie.
"""

from __future__ import annotations

import httpx

from qlik_jwt.admin.failures import first_error, fix_for, transport_fix, transport_reason
from qlik_jwt.web.errors import WebError
from qlik_jwt.web.proxy.store import SessionStoreError

__all__ = [
    "engine_refused",
    "login_refused",
    "session_refused",
    "store_failed",
    "tenant_failure",
    "timeout_failure",
]


def tenant_failure(exc: httpx.TransportError, tenant_url: str) -> WebError:
    """No answer from the tenant: 504 when it timed out, else 502."""
    if isinstance(exc, httpx.TimeoutException):
        return timeout_failure(tenant_url)
    return WebError(
        502,
        "tenant-unreachable",
        f"The Qlik tenant {tenant_url} could not be reached: {transport_reason(exc)}.",
        transport_fix(exc),
    )


def timeout_failure(tenant_url: str) -> WebError:
    return WebError(
        504,
        "tenant-timeout",
        f"The Qlik tenant {tenant_url} did not answer in time.",
        "Retry later; if it persists, check the tenant's status or raise QLIK_PROXY_TIMEOUT.",
    )


def _qlik_said(response: httpx.Response) -> str:
    error = first_error(response)
    said = " · ".join(part for part in (error.code, error.title, error.detail) if part)
    return f"{response.status_code}" + (f" ({said})" if said else "")


def login_refused(response: httpx.Response) -> WebError:
    """The tenant refused the token the app minted for the user (jwt-session not 200)."""
    fix = fix_for(response.status_code, first_error(response)) or (
        "Run `qlik-jwt doctor` to compare the app's settings with the tenant's identity provider."
    )
    return WebError(
        502,
        "qlik-login-refused",
        f"Qlik refused to log the user in: POST /login/jwt-session answered "
        f"{_qlik_said(response)}.",
        fix,
    )


def session_refused(response: httpx.Response, what: str) -> WebError:
    """The tenant still refuses the session right after a fresh login (the one retry)."""
    return WebError(
        502,
        "qlik-session-refused",
        f"Qlik refused the new session right after logging in again: {what} answered "
        f"{_qlik_said(response)}.",
        "Check the tenant's session settings and that the user may use this API; "
        "`qlik-jwt doctor` checks the login chain.",
    )


def engine_refused(answer: httpx.Response) -> WebError:
    """The tenant refused the engine websocket's handshake (other than an expired session)."""
    return WebError(
        answer.status_code if 400 <= answer.status_code < 500 else 502,
        "engine-refused",
        f"The tenant refused the engine websocket: {_qlik_said(answer)}.",
        "Check that the user's groups may open this app.",
    )


def store_failed(exc: SessionStoreError) -> WebError:
    return WebError(
        503,
        "session-store-failed",
        f"The web app cannot reach its proxy session store: {exc}.",
        "Check QLIK_PROXY_SESSION_STORE and that the store (e.g. redis-server) is running.",
    )

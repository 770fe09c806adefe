"""Who is calling: the admin (admin key or OAuth token), a signed-in user (session), or nobody.

FastAPI dependencies, resolved per request:

- ``Authorization: Bearer <admin key | client-credentials token>`` → the emulator's
  administrator; ``Bearer <impersonation access token>`` → that token's user (never an
  administrator). Any other bearer value is refused (401), never silently ignored.
- Otherwise the signed session cookies → the session's user. A cookie-authenticated
  ``POST``/``PUT``/``PATCH``/``DELETE`` must carry header ``qlik-csrf-token`` equal to the
  session's token, else 403 ``CSRF-TOKEN-2``. Bearer requests never need it.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.requests import HTTPConnection

from qlik_jwt.emulator.errors import QlikError
from qlik_jwt.emulator.state.access_tokens import TokenRecord
from qlik_jwt.emulator.state.sessions import Session
from qlik_jwt.emulator.state.users import User
from qlik_jwt.emulator.tenant import EmulatedTenant

__all__ = [
    "AdminCaller",
    "AnyCaller",
    "Caller",
    "MaybeCaller",
    "TenantDep",
    "bearer_token",
    "check_csrf",
    "is_cross_site",
    "own_origin",
    "query_token_user",
    "session_of",
]

MODIFYING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_HEADER = "qlik-csrf-token"
WIID = "qlik-web-integration-id"


async def tenant_of(connection: HTTPConnection) -> EmulatedTenant:
    """The request's tenant (``async``: FastAPI runs a plain ``def`` in a worker thread)."""
    tenant: EmulatedTenant = connection.app.state.tenant
    return tenant


TenantDep = Annotated[EmulatedTenant, Depends(tenant_of)]


@dataclass(frozen=True)
class Caller:
    """An authenticated caller; ``session`` is None for bearer callers."""

    user: User
    session: Session | None = None


def own_origin(connection: HTTPConnection) -> str:
    """This tenant's origin as the caller addressed it (scheme and Host header)."""
    scheme = "https" if connection.url.scheme in ("https", "wss") else "http"
    return f"{scheme}://{connection.headers.get('host', connection.url.netloc)}".lower()


def is_cross_site(connection: HTTPConnection) -> bool:
    """True for a request a browser sends from another site (Origin or Sec-Fetch-Site)."""
    origin = connection.headers.get("origin")
    if origin and origin.lower() != own_origin(connection):
        return True
    return connection.headers.get("sec-fetch-site") == "cross-site"


def web_integration_id(connection: HTTPConnection) -> str | None:
    """The web integration id of a request: header first, then the same-named query parameter."""
    return connection.headers.get(WIID) or connection.query_params.get(WIID) or None


def bearer_token(connection: HTTPConnection) -> str | None:
    """The bearer token, or None without an Authorization header; 401 for another scheme."""
    header = connection.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise QlikError(
            401,
            detail="The Authorization header must be 'Bearer <token>'.",
            reason="missing_bearer",
        )
    return token.strip()


def session_of(connection: HTTPConnection, tenant: EmulatedTenant) -> Session | None:
    """The live session whose signed cookies this request carries, or None.

    Records why not in ``connection.state.session_problem`` for the 401 that may follow.
    With the ``drop_cross_site_cookies`` fault on, cookies of cross-site requests are ignored
    as a browser blocking third-party cookies would withhold them.
    """
    connection.state.session_problem = "no_session"
    if tenant.faults.settings.drop_cross_site_cookies and is_cross_site(connection):
        connection.state.session_problem = "cross_site_cookies_dropped"
        return None
    cookies = tenant.cookies.read_session(connection.cookies)
    if cookies is None:
        if any(name.startswith(("eas.sid", "_csrfToken")) for name in connection.cookies):
            connection.state.session_problem = "bad_cookie_signature"
        return None
    session, problem = tenant.sessions.resume(cookies.sid, now=tenant.now())
    if session is None or not hmac.compare_digest(
        session.csrf_token.encode(), cookies.csrf_token.encode()
    ):
        connection.state.session_problem = problem or "bad_cookie_signature"
        return None
    return session


def query_token_user(
    connection: HTTPConnection, tenant: EmulatedTenant, purpose: str
) -> tuple[User, TokenRecord | None] | None:
    """Whom query ``accessToken`` speaks for (a token exchanged for ``purpose``), None
    without that parameter; 401 ``bad_access_token`` for a token that is not live."""
    token = connection.query_params.get("accessToken")
    if token is None:
        return None
    found = tenant.query_token_user(token, purpose)
    if found is None:
        raise QlikError(
            401,
            detail=f"accessToken is not a live token exchanged for purpose {purpose} "
            "(POST /oauth/token, grant urn:ietf:params:oauth:grant-type:token-exchange).",
            reason="bad_access_token",
        )
    return found


def check_csrf(session: Session, supplied: str | None, *, needed: str) -> None:
    """403 ``CSRF-TOKEN-2`` unless ``supplied`` is the session's CSRF token.

    ``needed`` says what needs the token and where it goes, for the detail of a missing one.
    """
    if not supplied:
        detail = f"{needed}; get it from GET /api/v1/csrf-token."
        raise QlikError(403, "CSRF-TOKEN-2", "Invalid CSRF token", detail, reason="csrf_missing")
    if not hmac.compare_digest(supplied.encode(), session.csrf_token.encode()):
        raise QlikError(
            403,
            "CSRF-TOKEN-2",
            "Invalid CSRF token",
            f"The {CSRF_HEADER} value does not belong to this session; fetch a fresh one "
            "from GET /api/v1/csrf-token after every login.",
            reason="csrf_mismatch",
        )


def maybe_caller(request: Request, tenant: TenantDep) -> Caller | None:
    token = bearer_token(request)
    if token is not None:
        found = tenant.bearer_user(token)
        if found is not None:
            return Caller(found[0])
        raise QlikError(
            401,
            detail="The bearer token is neither the admin key nor a live OAuth access token "
            "(expired, revoked, or its user disabled).",
            reason="bad_bearer",
        )
    session = session_of(request, tenant)
    if session is None:
        return None
    user = tenant.users.find(session.user_id)
    if user is None:
        return None
    if request.method in MODIFYING:
        needed = f"{request.method} with a session cookie needs header {CSRF_HEADER}"
        check_csrf(session, request.headers.get(CSRF_HEADER), needed=needed)
    return Caller(user, session)


MaybeCaller = Annotated[Caller | None, Depends(maybe_caller)]


def any_caller(request: Request, caller: MaybeCaller) -> Caller:
    if caller is None:
        problem = getattr(request.state, "session_problem", "no_session")
        raise QlikError(
            401,
            detail="Not signed in: log in with POST /login/jwt-session (or GET /login), "
            f"or send the admin key as a Bearer token ({problem}).",
            reason=problem,
        )
    return caller


AnyCaller = Annotated[Caller, Depends(any_caller)]


def admin_caller(caller: AnyCaller) -> Caller:
    if not caller.user.is_admin or caller.session is not None:
        raise QlikError(
            403,
            detail="This API needs the tenant administrator: send the admin key or an OAuth "
            "access token as a Bearer token.",
            reason="not_admin",
        )
    return caller


AdminCaller = Annotated[Caller, Depends(admin_caller)]

"""``POST /login/jwt-session`` and the interactive ``GET /login`` with its sign-in page.

Interactive login, as the emulator plays it: ``GET /login`` validates ``returnto`` against the
tenant and the named web integration (``LOGIN-8`` malformed, ``LOGIN-10`` not listed), sets
the ``eas.rfp.<state>`` cookie and redirects to the emulator's own identity provider page
``/login/emulator``. Choosing a user there posts back; without the ``eas.rfp`` cookie (blocked
in a third-party iframe, say) the callback answers 401 ``STATE-1``, otherwise the user gets
a session and is sent to ``returnto``. Only the page's own people (the directory) sign in,
with the name, e-mail and groups the directory holds: the form says who, never what they are.
"""

from __future__ import annotations

import html
import logging
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import StringConstraints

from qlik_jwt import jws
from qlik_jwt.emulator.auth import TenantDep, own_origin, session_of, web_integration_id
from qlik_jwt.emulator.errors import ERROR_RESPONSES, QlikError
from qlik_jwt.emulator.jwt_login import exchange
from qlik_jwt.emulator.state.users import LoginProfile
from qlik_jwt.emulator.state.web_integrations import header_origin
from qlik_jwt.emulator.tenant import EmulatedTenant
from qlik_jwt.errors import MalformedTokenError, describe

__all__ = ["router", "validate_returnto"]

log = logging.getLogger("qlik_jwt.emulator")
router = APIRouter(tags=["login"])

# The sign-in form's subject, looked up without surrounding whitespace
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256), Form()
]


def _safe_ids(authorization: str | None) -> str:
    """``sub=… jti=…`` of a token for a log line (never the token), or '' when unreadable."""
    try:
        claims = jws.decode((authorization or "").partition(" ")[2]).claims
    except MalformedTokenError:
        return ""
    return f" (sub={describe(claims.get('sub'))} jti={describe(claims.get('jti'))})"


@router.post(
    "/login/jwt-session",
    summary="Exchange a JWT for a session (cookies eas.sid, _csrfToken and their .sig)",
    responses={200: {"description": "Logged in; the session cookies are set."}, **ERROR_RESPONSES},
)
async def jwt_session(request: Request, tenant: TenantDep) -> JSONResponse:
    # On the event loop, not in a worker thread: a login is ~0.2 ms of CPU (checks, one
    # SQLite transaction on the tenant's single connection), and the thread hop cost more
    # than that (bench/emulator_login.py).
    authorization = request.headers.get("authorization")
    current = session_of(request, tenant) if tenant.options.reuse_session_on_relogin else None
    try:
        result = exchange(tenant, authorization, current=current)
    except QlikError as refusal:
        reason = refusal.problems[0].reason
        log.info("jwt-session refused: %s%s", reason, _safe_ids(authorization))
        raise
    response = JSONResponse({})
    https = request.url.scheme == "https"
    tenant.cookies.set_session(response, result.session.sid, result.session.csrf_token, https=https)
    return response


def _login_error(code: str, title: str, detail: str, reason: str) -> QlikError:
    return QlikError(401, code, title, detail, reason=reason)


def validate_returnto(value: str | None, request: Request, tenant: EmulatedTenant) -> str:
    """The URL to send the user to after login, or 401 ``LOGIN-8``/``LOGIN-10``.

    Relative paths stay on the tenant. An absolute http(s) URL must be on the tenant's own
    origin or on an origin listed by the web integration the request names.
    """
    if not value:
        return "/"
    malformed = _login_error(
        "LOGIN-8",
        "Illegal returnto value",
        f"returnto {value!r} is not a relative path or an http(s) URL.",
        "returnto_malformed",
    )
    if value.startswith("//") or any(c == "\\" or ord(c) < 32 for c in value):
        raise malformed
    try:
        parts = urlsplit(value)
    except ValueError:
        raise malformed from None
    if not parts.scheme and not parts.netloc:
        return value if value.startswith("/") else "/" + value
    origin = header_origin(f"{parts.scheme}://{parts.netloc}")
    if parts.scheme not in ("http", "https") or origin is None:
        raise malformed
    integration = web_integration_id(request)
    if origin == own_origin(request) or (
        integration and tenant.web_integrations.allows(origin, integration)
    ):
        return value
    raise _login_error(
        "LOGIN-10",
        "returnto not included in web integration whitelist",
        f"returnto origin {origin!r} is not listed in web integration {integration!r}; add it "
        "to validOrigins and pass qlik-web-integration-id in the query.",
        "returnto_not_allowed",
    )


@router.get(
    "/login",
    summary="Interactive login: validate returnto, then the emulator's sign-in page",
    response_class=RedirectResponse,
    status_code=302,
    responses={401: ERROR_RESPONSES[401]},
)
def login(
    request: Request,
    tenant: TenantDep,
    returnto: str | None = None,
    prompt: Annotated[str | None, Query(pattern="^(none|login)$")] = None,
    login_hint: str | None = None,
    max_age: float | None = None,
) -> Response:
    target = validate_returnto(returnto, request, tenant)
    if session_of(request, tenant) is not None and prompt != "login":
        return RedirectResponse(target, status_code=302)
    if prompt == "none":
        raise QlikError(401, detail="No session and prompt=none.", reason="login_required")
    state = tenant.sessions.begin_login(target, now=tenant.now())
    page = f"/login/emulator?state={quote(state)}"
    if login_hint:
        page += f"&login_hint={quote(login_hint)}"
    response = RedirectResponse(page, status_code=302)
    tenant.cookies.set_state(response, state, https=request.url.scheme == "https")
    return response


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in: Qlik Cloud emulator</title>
<style>body{{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem}}
form{{margin:.5rem 0}} button{{padding:.4rem .8rem}}</style></head>
<body><h1>Sign in to the emulated tenant</h1>
<p>This page stands in for the tenant's interactive identity provider. Choose a user:</p>
{choices}
<p>More people: <code>qlik-jwt emulator --user 'SUBJECT;NAME;EMAIL;GROUPS'</code>, or the
admin's <code>POST /_emulator/sign-in-users</code>.</p></body></html>
"""

_CHOICE = """<form method="post" action="/login/emulator">
<input type="hidden" name="state" value="{state}">
<input type="hidden" name="subject" value="{subject}">
<button type="submit"{focus}>{name} ({email}; groups: {groups_shown})</button></form>
"""


@router.get(
    "/login/emulator",
    summary="The emulator's sign-in page (its stand-in identity provider)",
    response_class=HTMLResponse,
)
def sign_in_page(tenant: TenantDep, state: str, login_hint: str = "") -> HTMLResponse:
    e = html.escape
    choices = "".join(
        _CHOICE.format(
            state=e(state),
            subject=e(p.subject),
            name=e(p.name),
            email=e(p.email),
            groups_shown=e(", ".join(p.groups) or "none"),
            focus=" autofocus" if login_hint and p.subject == login_hint else "",
        )
        for p in tenant.users.directory()
    )
    body = _PAGE.format(choices=choices)
    return HTMLResponse(body, headers={"Cache-Control": "no-store"})


@router.post(
    "/login/emulator",
    summary="Sign-in callback: check the eas.rfp state cookie, sign in one of the page's "
    "users, go to returnto",
    response_class=RedirectResponse,
    status_code=303,
    responses={401: ERROR_RESPONSES[401]},
)
def sign_in(
    request: Request,
    tenant: TenantDep,
    state: Annotated[str, Form(min_length=1, max_length=128)],
    subject: Text,
) -> Response:
    state_error = _login_error(
        "STATE-1",
        "State not valid, missing request forgery protection",
        "The eas.rfp state cookie set by GET /login did not come back (blocked third-party "
        "cookies in an iframe?); start again at /login in a top-level window.",
        "state_missing",
    )
    if not tenant.cookies.read_state(request.cookies, state):
        raise state_error
    person = tenant.users.in_directory(subject)
    if person is None:  # checked before the state is used up: the user may choose again
        raise QlikError(
            401,
            detail=f"subject: {subject!r} is not one of the users this sign-in page offers; "
            "choose one of them (add people with --user or POST /_emulator/sign-in-users).",
            reason="not_offered",
        )
    target = tenant.sessions.finish_login(state)
    if target is None:
        raise state_error
    now = tenant.now()
    profile = LoginProfile(person.subject, person.name, person.email, True, person.groups)
    _, session = tenant.sign_in(profile, now=now)
    log.info("interactive login: sub=%s", describe(profile.subject))
    response = RedirectResponse(target, status_code=303)
    https = request.url.scheme == "https"
    tenant.cookies.set_session(response, session.sid, session.csrf_token, https=https)
    tenant.cookies.clear_state(response, state)
    return response

"""A server-side login: ``POST /login/jwt-session`` with a token, then ``GET users/me``.

This is how scripts and proxies sign in (reference §2.1, server-to-server): no CSRF token,
cookies kept by the caller. It proves the whole chain: identity provider, key, claims,
clock, and that the session cookie works. The cookies are used for ``users/me`` only and
never returned, logged or shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from qlik_jwt.admin.client import TenantClient, http_error
from qlik_jwt.errors import TenantError

__all__ = ["LoginResult", "jwt_login"]

_REDIRECTS = (301, 302, 303, 307, 308)


@dataclass(frozen=True)
class LoginResult:
    """The user the tenant signed in (``users/me``) and facts about the exchange."""

    user: dict[str, Any]
    user_id: str
    subject: str | None
    tenant_id: str | None


def jwt_login(
    client: TenantClient,
    token: str,
    *,
    web_integration_id: str | None = None,
    origin: str | None = None,
) -> LoginResult:
    """Exchange ``token`` for a session and return who ``users/me`` says is signed in.

    With ``origin`` (and ``web_integration_id``) the exchange is sent as a browser on that
    origin would send it, so the web integration's origin list is checked too. Raises
    TenantHTTPError when the tenant refuses the token (its fix names the likely cause) and
    TenantError when the session cookie it set does not work.
    """
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    params = {}
    if web_integration_id:
        headers["qlik-web-integration-id"] = web_integration_id
        params["qlik-web-integration-id"] = web_integration_id
    if origin:
        headers["Origin"] = origin
    with client.session_client() as http:
        login = client.send("POST", "/login/jwt-session", http=http, headers=headers, params=params)
        if login.status_code >= 400:
            raise http_error(login)
        # An http:// emulator sets Secure cookies that a cookie jar would not send back, so
        # the session cookies are forwarded by hand, as a first-party proxy does.
        cookie = "; ".join(f"{c.name}={c.value}" for c in login.cookies.jar)
        if not cookie:
            raise TenantError(
                f"{client.tenant_url}/login/jwt-session answered {login.status_code} without "
                "session cookies; the login did not create a session"
            )
        me_headers = {"Cookie": cookie, "Accept": "application/json"}
        me = client.send("GET", "/api/v1/users/me", http=http, headers=me_headers)
        if me.status_code in _REDIRECTS and me.headers.get("Location"):
            location = httpx.URL(me.headers["Location"])
            path = location.raw_path.decode("ascii") if location.is_absolute_url else str(location)
            me = client.send("GET", path, http=http, headers=me_headers)
    if me.status_code == 401:
        raise TenantError(
            f"{client.tenant_url}/login/jwt-session accepted the token, but users/me "
            "answered 401 with the session cookie it set: the session does not work "
            "(in a browser this is what blocked third-party cookies look like)"
        )
    if me.status_code >= 400:
        raise http_error(me)
    try:
        user = me.json()
    except ValueError:  # not JSON: the shape check below reports it
        user = None
    if not isinstance(user, dict) or not isinstance(user.get("id"), str):
        raise TenantError(f"{client.tenant_url}/api/v1/users/me answered without a user id")
    return LoginResult(user, user["id"], user.get("subject"), user.get("tenantId"))

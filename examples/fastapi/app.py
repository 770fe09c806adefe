"""A FastAPI app with its own users and sign-in, embedding Qlik with
``qlik_jwt.integrations.fastapi``.

Run it against the demo's emulated tenant (README, "Drop-in integrations")::

    qlik-jwt demo --app-origin http://localhost:8001       # terminal 1
    set -a; . .qlik-jwt/demo/host-app.env; set +a          # terminal 2
    python examples/fastapi/app.py                         # open http://localhost:8001

With ``QLIK_WEB_MODE=proxy`` the app also forwards Qlik's paths (``/api/v1/*``, ``/single/*``,
``/resources/*``, ``/assets/*``, the engine websocket ``/app/*``) and logs in for the browser,
which then needs no third-party cookies. Users and sessions live in memory here; yours live in
your database.
"""

from __future__ import annotations

import hmac
import html
import os
import secrets
from dataclasses import dataclass, field
from typing import Annotated, Any

import uvicorn
from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from qlik_jwt import Settings, UserClaims, log_redaction
from qlik_jwt.integrations.fastapi import QlikEmbedding
from qlik_jwt.web import DEMO_USERS
from qlik_jwt.web.passwords import hash_password, verify_password

PORT = int(os.environ.get("PORT", "8001"))
COOKIE = "host-session"
NO_STORE = {"Cache-Control": "no-store"}
# The host's users (yours live in a database): password hashes and who each person is.
PASSWORDS = {u.username: hash_password(u.password) for u in DEMO_USERS}
PEOPLE = {u.username: u for u in DEMO_USERS}

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} · FastAPI host</title>
<link rel="stylesheet" href="/qlik/static/app.css">{head}</head>
<body><header class="bar"><strong>FastAPI host app</strong>{header}</header>{main}</body></html>"""

SIGN_IN = """<main class="narrow"><section class="panel"><h2>Sign in</h2>
<p class="problem"{hidden}>{problem}</p>
<form method="post" action="/sign-in">
<label>User name <input name="username" required></label>
<label>Password <input name="password" type="password" required></label>
<button type="submit">Sign in</button></form></section></main>"""


@dataclass(frozen=True)
class HostSession:
    username: str
    csrf_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))


class HostAuth:
    """The host app's sign-in sessions (in memory) and who is signed in."""

    def __init__(self) -> None:
        self.sessions: dict[str, HostSession] = {}

    def session(self, request: Request) -> HostSession | None:
        return self.sessions.get(request.cookies.get(COOKIE, ""))

    def identify(self, request: Request) -> UserClaims | None:
        """The one function qlik-jwt needs: the signed-in user as Qlik should see them."""
        session = self.session(request)
        if session is None:
            return None
        person = PEOPLE[session.username]
        return UserClaims(
            sub=f"demo|{person.username}",  # stable for the person: Qlik finds users by it
            name=person.name,
            email=person.email,
            email_verified=person.email_verified,  # only what your app has verified
            groups=person.groups,
        )

    def csrf_token(self, request: Request) -> str | None:
        session = self.session(request)
        return None if session is None else session.csrf_token


def same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.url.scheme}://{request.url.netloc}"


def create_app(settings: Settings, **qlik_options: Any) -> FastAPI:
    """The host app; ``qlik_options`` go to :class:`QlikEmbedding` (signer, clocks)."""
    auth = HostAuth()
    qlik = QlikEmbedding(
        settings, identify=auth.identify, csrf_token=auth.csrf_token, **qlik_options
    )
    app = FastAPI(docs_url=None, redoc_url=None)
    app.include_router(qlik.router)

    def page(
        title: str, main: str, *, head: str = "", header: str = "", status: int = 200
    ) -> Response:
        body = PAGE.format(title=title, head=head, header=header, main=main)
        return HTMLResponse(body, status_code=status, headers=NO_STORE)

    @app.get("/")
    async def analytics(request: Request) -> Response:
        session = auth.session(request)
        fragment = await qlik.fragment(request)
        if session is None or fragment is None:
            return RedirectResponse("/sign-in", status_code=303)
        header = (
            f'<span class="spacer"></span><span>{html.escape(session.username)}</span>'
            '<form method="post" action="/sign-out" class="inline">'
            f'<input type="hidden" name="csrf_token" value="{session.csrf_token}">'
            '<button type="submit" id="sign-out">Sign out</button></form>'
        )
        response = page("Analytics", fragment.body, head=fragment.head, header=header)
        qlik.page_cookies(request, response)  # proxy mode: the browser's proxy cookie
        return response

    @app.get("/sign-in")
    async def sign_in_form() -> Response:
        return page("Sign in", SIGN_IN.format(hidden=" hidden", problem=""))

    @app.post("/sign-in")
    async def sign_in(
        request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()]
    ) -> Response:
        stored = PASSWORDS.get(username)
        if not same_origin(request) or stored is None or not verify_password(password, stored):
            main = SIGN_IN.format(hidden="", problem="Unknown user name or wrong password.")
            return page("Sign in", main, status=401)
        session_id = secrets.token_urlsafe(32)
        auth.sessions[session_id] = HostSession(username)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(COOKIE, session_id, httponly=True, samesite="lax")
        return response

    @app.post("/sign-out")
    async def sign_out(request: Request, csrf_token: Annotated[str, Form()]) -> Response:
        session = auth.session(request)
        if session is not None:
            token_ok = hmac.compare_digest(csrf_token.encode(), session.csrf_token.encode())
            if not (same_origin(request) and token_ok):  # another site's form: keep the user
                return page("Sign out", "<main>The sign-out form is stale.</main>", status=403)
            auth.sessions.pop(request.cookies[COOKIE], None)
        response = RedirectResponse("/sign-in", status_code=303)
        response.delete_cookie(COOKIE)
        await qlik.end_session(request, response)  # proxy mode: its sockets, its Qlik session
        return response

    return app


if __name__ == "__main__":
    log_redaction.install()  # secret query values stay out of uvicorn's request lines
    uvicorn.run(create_app(Settings.load()), host="127.0.0.1", port=PORT)

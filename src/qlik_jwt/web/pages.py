"""The web app's HTML pages: the embedding page, sign-in and sign-out.

The embedding page inlines everything its script needs (public config, the session's CSRF
token, whether a Qlik session probably exists) so the browser starts talking to the tenant
without another round trip to us. Pages are never cached.
"""

from __future__ import annotations

import hmac
import html
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from string import Template
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from qlik_jwt.settings import Settings
from qlik_jwt.web.bodies import read_form
from qlik_jwt.web.errors import WebError
from qlik_jwt.web.forgery import CSRF_HEADER, app_origin, check_same_origin
from qlik_jwt.web.identity import Identify
from qlik_jwt.web.proxy.context import QlikProxy
from qlik_jwt.web.public_config import public_config
from qlik_jwt.web.ratelimit import RateLimiter
from qlik_jwt.web.signin import HostSessionCookie
from qlik_jwt.web.tokens import identify_user
from qlik_jwt.web.users import UserStore

__all__ = ["QLIK_SESSION_HINT_SECONDS", "bootstrap_json", "page_routes", "sign_in_routes"]

log = logging.getLogger("qlik_jwt.web")

TEMPLATES = Path(__file__).parent / "templates"
NO_STORE = {"Cache-Control": "no-store"}
# Qlik's default session inactivity timeout: a token minted more recently than this most
# likely left a live Qlik session, so the page probes it before asking for a new token.
QLIK_SESSION_HINT_SECONDS = 1800
SNIPPET = """<script crossorigin="anonymous" type="application/javascript"
  src="https://cdn.jsdelivr.net/npm/@qlik/embed-web-components@1/dist/index.min.js"
  data-host="{tenant}"
  data-auth-type="cookie"
  data-web-integration-id="{wiid}"
  data-cross-site-cookies="true"></script>

<qlik-embed ui="{ui}" app-id="{app}" {target}></qlik-embed>"""


def _template(name: str) -> Template:
    return Template((TEMPLATES / name).read_text(encoding="utf-8"))


class Layout:
    """The pages' shared frame (``layout.html``) around a page's own head, header and main."""

    def __init__(self) -> None:
        self.frame = _template("layout.html")

    def render(self, title: str, main: str, *, head: str = "", header: str = "") -> str:
        return self.frame.substitute(title=html.escape(title), head=head, header=header, main=main)


def bootstrap_json(value: dict[str, Any]) -> str:
    """JSON safe to place inside ``<script type="application/json">``."""
    text = json.dumps(value, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _snippet(settings: Settings) -> str:
    sheet = settings.sheet_id and not settings.object_id
    return SNIPPET.format(
        tenant=settings.tenant_url or "https://<tenant>.<region>.qlikcloud.com",
        wiid=settings.web_integration_id or "<web integration id>",
        ui="classic/app" if sheet else "analytics/chart",
        app=settings.app_id or "<app id>",
        target=f'sheet-id="{settings.sheet_id}"'
        if sheet
        else f'object-id="{settings.object_id or "<object id>"}"',
    )


def page_routes(
    settings: Settings,
    *,
    identify: Identify,
    cookie: HostSessionCookie,
    sign_in_path: str | None,
    proxy: QlikProxy | None = None,
    clock: Callable[[], float] = time.time,
) -> APIRouter:
    """``GET /``: the embedding page for a signed-in user.

    Without a user it redirects to ``sign_in_path``, or answers 401 when there is none.
    With ``proxy`` (proxy mode) the page's Qlik calls go to this app, which logs in for
    the browser: the page gets no token URL, and its proxy cookie when it has none yet.
    """
    router = APIRouter()
    layout = Layout()
    page_head = _template("page-head.html")
    page = _template("page.html")
    config = public_config(settings).model_dump()
    preconnect = (
        f'<link rel="preconnect" href="{html.escape(settings.tenant_url)}" crossorigin>'
        if settings.tenant_url and proxy is None
        else ""
    )
    snippet = html.escape(_snippet(settings))

    @router.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index(request: Request) -> Response:
        user = await identify_user(identify, request)
        if user is None:
            if sign_in_path:
                return RedirectResponse(sign_in_path, status_code=303, headers=NO_STORE)
            raise WebError(401, "not-signed-in", "Sign in to the host app first.")
        session = cookie.session(request)
        minted_at = None if session is None else session.minted_at
        likely = minted_at is not None and clock() - minted_at < QLIK_SESSION_HINT_SECONDS
        bootstrap = {
            "config": config,
            "mode": settings.web_mode,
            # Every Qlik call goes to this base URL; proxy mode points it at this app.
            "qlikBaseUrl": settings.tenant_url
            if proxy is None
            else app_origin(request, settings.public_origin),
            "subject": user.sub,
            # No token URL in proxy mode: the app logs in for the browser.
            "tokenUrl": "/token" if proxy is None else None,
            "csrfHeader": CSRF_HEADER,
            "csrfToken": "" if session is None else session.csrf_token,
            "qlikSessionLikely": likely,
        }
        header = (
            '<span class="spacer"></span>'
            f'<span id="host-user">Signed in as <b>{html.escape(user.name)}</b></span>'
        )
        if session is not None:
            header += (
                '<form method="post" action="/sign-out" class="inline">'
                f'<input type="hidden" name="csrf_token" value="{html.escape(session.csrf_token)}">'
                '<button type="submit" id="sign-out">Sign out</button></form>'
            )
        body = layout.render(
            "Embedded analytics",
            page.substitute(
                tenant_url=html.escape(settings.tenant_url or "(not set)"),
                login_mode=html.escape(settings.login_mode),
                web_mode=html.escape(settings.web_mode),
                snippet=snippet,
            ),
            head=page_head.substitute(bootstrap=bootstrap_json(bootstrap), preconnect=preconnect),
            header=header,
        )
        response = HTMLResponse(body, headers=NO_STORE)
        if proxy is not None:
            proxy.give_cookie(request, response)
        return response

    return router


def sign_in_routes(
    settings: Settings,
    *,
    users: UserStore,
    cookie: HostSessionCookie,
    limiter: RateLimiter,
    proxy: QlikProxy | None = None,
) -> APIRouter:
    """``GET``/``POST /sign-in`` and ``POST /sign-out`` for the built-in user store.

    ``limiter`` caps sign-in attempts per user name (password guessing), right or wrong.
    Sign-out also drops the Qlik session ``proxy`` holds for the browser.
    """
    router = APIRouter()
    layout = Layout()
    form_page = _template("sign-in.html")

    def render(problem: str = "", username: str = "", status: int = 200) -> HTMLResponse:
        main = form_page.substitute(
            problem=html.escape(problem),
            problem_hidden="" if problem else " hidden",
            username=html.escape(username),
        )
        return HTMLResponse(layout.render("Sign in", main), status_code=status, headers=NO_STORE)

    @router.get("/sign-in", response_class=HTMLResponse, include_in_schema=False)
    async def sign_in_form(request: Request) -> Response:
        if cookie.session(request) is not None:
            return RedirectResponse("/", status_code=303, headers=NO_STORE)
        return render()

    @router.post("/sign-in", response_class=HTMLResponse, include_in_schema=False)
    async def sign_in(request: Request) -> Response:
        check_same_origin(request, settings.public_origin)
        form = await read_form(request, {"username": 64, "password": 1024})
        wait = limiter.acquire(form["username"].lower())
        if wait:
            refused = render(
                f"Too many sign-in attempts for this user; try again in "
                f"{limiter.retry_after(wait)} s.",
                form["username"],
                429,
            )
            refused.headers["Retry-After"] = limiter.retry_after(wait)
            return refused
        user = await run_in_threadpool(users.authenticate, form["username"], form["password"])
        if user is None:
            return render("Unknown user name or wrong password.", form["username"], 401)
        old = cookie.session(request)
        if old is not None:
            cookie.sessions.delete(old.id)
        session = cookie.sessions.create(user.id)
        response = RedirectResponse("/", status_code=303, headers=NO_STORE)
        cookie.set(request, response, session)
        return response

    @router.post("/sign-out", include_in_schema=False)
    async def sign_out(request: Request) -> Response:
        check_same_origin(request, settings.public_origin)
        form = await read_form(request, {"csrf_token": 128})
        session = cookie.session(request)
        if session is not None:
            if not hmac.compare_digest(form["csrf_token"].encode(), session.csrf_token.encode()):
                raise WebError(403, "csrf-token-mismatch", "The sign-out form is stale.")
            cookie.sessions.delete(session.id)
        response = RedirectResponse("/sign-in", status_code=303, headers=NO_STORE)
        cookie.clear(request, response)
        if proxy is not None:
            try:
                await proxy.forget(request, response)
            except WebError as exc:  # the store is down: sign out anyway; it expires there
                log.warning("sign-out could not drop the proxy session: %s", exc.message)
        return response

    return router

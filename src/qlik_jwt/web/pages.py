"""The web app's HTML pages: the embedding page, sign-in and sign-out.

The embedding page inlines everything its script needs (public config, the session's CSRF
token, whether a Qlik session probably exists) so the browser starts talking to the tenant
without another round trip to us. Pages are never cached.
"""

from __future__ import annotations

import hmac
import html
import logging

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from qlik_jwt.embedding.access_tokens import AccessTokenIssuer
from qlik_jwt.embedding.forgery import HEADER_ONLY_TOKEN
from qlik_jwt.embedding.page import EmbedPage, template
from qlik_jwt.embedding.ratelimit import RateLimiter
from qlik_jwt.settings import Settings
from qlik_jwt.web.bodies import read_form
from qlik_jwt.web.errors import WebError
from qlik_jwt.web.forgery import CSRF_HEADER, app_origin, check_request_origin
from qlik_jwt.web.hashing import HashingGate
from qlik_jwt.web.identity import Identify, identify_user
from qlik_jwt.web.mint_hint import MintHint
from qlik_jwt.web.proxy.context import QlikProxy
from qlik_jwt.web.session_ends import SIGNED_OUT, USER_CHANGED
from qlik_jwt.web.signin import HostSessionCookie
from qlik_jwt.web.users import UserStore

__all__ = ["page_routes", "sign_in_routes"]

log = logging.getLogger("qlik_jwt.web")

NO_STORE = {"Cache-Control": "no-store"}
# Sign-out: the browser drops what it cached or stored for this origin (answers, and the
# page's storage). Not "cookies": that clears every cookie of the whole registrable domain,
# the host app's others included; the app clears its own cookies by name.
CLEAR_SITE_DATA = {"Clear-Site-Data": '"cache", "storage"'}


class Layout:
    """The pages' shared frame (``layout.html``) around a page's own head, header and main."""

    def __init__(self) -> None:
        self.frame = template("layout.html")

    def render(self, title: str, main: str, *, head: str = "", header: str = "") -> str:
        return self.frame.substitute(title=html.escape(title), head=head, header=header, main=main)


def page_routes(
    settings: Settings,
    *,
    identify: Identify,
    cookie: HostSessionCookie,
    sign_in_path: str | None,
    hint: MintHint,
    proxy: QlikProxy | None = None,
    frame_through_app: bool = False,
) -> APIRouter:
    """``GET /``: the embedding page for a signed-in user.

    Without a user it redirects to ``sign_in_path``, or answers 401 when there is none.
    With ``proxy`` (proxy mode) the page's Qlik calls go to this app, which logs in for
    the browser: the page gets no token URL, and its proxy cookie when it has none yet.
    With ``frame_through_app`` (direct mode, login mode ``impersonation``) only the
    ``/single/`` iframe goes through this app.
    """
    router = APIRouter()
    layout = Layout()
    embed = EmbedPage(settings)

    @router.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index(request: Request) -> Response:
        user = await identify_user(identify, request)
        if user is None:
            if sign_in_path:
                return RedirectResponse(sign_in_path, status_code=303, headers=NO_STORE)
            raise WebError(401, "not-signed-in", "Sign in to the host app first.")
        session = cookie.session(request)
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
        fragment = embed.render(
            "",
            subject=user.sub,
            csrf_header=CSRF_HEADER,
            csrf_token=HEADER_ONLY_TOKEN if session is None else session.csrf_token,
            session_likely=hint.likely(request),
            proxy_origin=None if proxy is None else app_origin(request, settings.public_origin),
            frame_origin=app_origin(request, settings.public_origin) if frame_through_app else None,
        )
        body = layout.render(
            "Embedded analytics",
            f"<main>\n{embed.panels}</main>",
            head=fragment.head,
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
    hashing: HashingGate,
    hint: MintHint,
    proxy: QlikProxy | None = None,
    access_tokens: AccessTokenIssuer | None = None,
) -> APIRouter:
    """``GET``/``POST /sign-in`` and ``POST /sign-out`` for the built-in user store.

    ``limiter`` caps sign-in attempts per user name (password guessing), right or wrong;
    ``hashing`` how many password checks run at once (memory), in all and per address.
    Sign-out also drops the Qlik session ``proxy`` holds for the browser, and revokes the
    user's cached access tokens (login mode ``impersonation``).
    """
    router = APIRouter()
    layout = Layout()
    form_page = template("sign-in.html")

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
        check_request_origin(request, settings.public_origin)
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
        client = request.client.host if request.client else None
        try:
            user = await hashing.run(client, users.authenticate, form["username"], form["password"])
        except WebError as busy:
            refused = render(f"{busy.message} {busy.fix}", form["username"], busy.status)
            refused.headers.update(busy.headers)
            return refused
        if user is None:
            return render("Unknown user name or wrong password.", form["username"], 401)
        old = cookie.session(request)
        if old is not None:
            cookie.sessions.delete(old.id)
        session = cookie.sessions.create(user.id)
        response = RedirectResponse("/", status_code=303, headers=NO_STORE)
        cookie.set(request, response, session)
        hint.clear(request, response)
        await _end_proxy_session(proxy, request, response, USER_CHANGED)
        return response

    @router.post("/sign-out", include_in_schema=False)
    async def sign_out(request: Request) -> Response:
        check_request_origin(request, settings.public_origin)
        form = await read_form(request, {"csrf_token": 128})
        session = cookie.session(request)
        if session is not None:
            if not hmac.compare_digest(form["csrf_token"].encode(), session.csrf_token.encode()):
                raise WebError(403, "csrf-token-mismatch", "The sign-out form is stale.")
            cookie.sessions.delete(session.id)
            user = users.get(session.user_id) if access_tokens is not None else None
            if access_tokens is not None and user is not None:
                await run_in_threadpool(access_tokens.revoke, user.subject)
        response = RedirectResponse(
            "/sign-in", status_code=303, headers={**NO_STORE, **CLEAR_SITE_DATA}
        )
        cookie.clear(request, response)
        hint.clear(request, response)
        await _end_proxy_session(proxy, request, response, SIGNED_OUT)
        return response

    return router


async def _end_proxy_session(
    proxy: QlikProxy | None, request: Request, response: Response, reason: str
) -> None:
    """A sign-out or a new sign-in ends what proxy mode held for the browser (its engine
    sockets on every instance, its Qlik session) and gives it a new proxy cookie."""
    if proxy is None:
        return
    try:
        await proxy.end(request, response, reason)
    except WebError as exc:  # the store is down: sign out anyway; it expires there
        log.warning("the proxy session could not be ended: %s", exc.message)

"""Qlik embedding inside a FastAPI (or Starlette-routed) app::

    from qlik_jwt.integrations.fastapi import QlikEmbedding

    qlik = QlikEmbedding(Settings.load(), identify=current_qlik_user)
    app.include_router(qlik.router)          # /qlik/config, /qlik/token, /qlik/static/*

    @app.get("/analytics")
    async def analytics(request: Request) -> HTMLResponse:
        fragment = await qlik.fragment(request)   # None: not signed in
        response = ...                             # fragment.head and .body in your page
        qlik.page_cookies(request, response)       # proxy mode's cookie (no-op otherwise)
        return response

``identify(request)`` (plain or ``async``) returns the signed-in user's
:class:`~qlik_jwt.signer.UserClaims`, or ``None``. CSRF: FastAPI has no protection of its
own, so ``POST /qlik/token`` needs the same origin and the ``X-CSRF-Token`` header (a
cross-site page cannot send it without a CORS preflight the app never grants); pass
``csrf_token(request)`` to also require the value of your session's token. Refusals are
answered by the routes themselves (the same JSON shape as the web app's), so the host app
needs no exception handler.

In proxy mode (``settings.web_mode == "proxy"``) the router also forwards Qlik's own paths at
the app's root (``/api/v1/*``, ``/single/*``, ``/resources/*``, ``/assets/*``, the engine
websocket ``/app/*``; see :mod:`qlik_jwt.web.proxy`), logs in for the browser and mounts no
token route; the host's own routes must not use those paths.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from qlik_jwt.embedding.access_tokens import access_token_answer, access_token_issuer
from qlik_jwt.embedding.forgery import CSRF_HEADER, HEADER_ONLY_TOKEN, check_csrf_header, matches
from qlik_jwt.embedding.page import EmbedFragment, EmbedPage
from qlik_jwt.embedding.refusals import WebError
from qlik_jwt.embedding.tokens import (
    NO_STORE,
    VIA_TOKEN_ENDPOINT,
    TokenMinter,
    require_user,
    token_answer,
)
from qlik_jwt.impersonation import ImpersonationClient
from qlik_jwt.settings import Settings
from qlik_jwt.signer import TokenSigner, UserClaims
from qlik_jwt.web.bodies import read_empty_json
from qlik_jwt.web.errors import refusal_response
from qlik_jwt.web.forgery import app_origin, check_request_origin
from qlik_jwt.web.identity import Identify, identify_user
from qlik_jwt.web.proxy import IFRAME_PREFIXES, QlikProxy, engine_routes, rest_routes
from qlik_jwt.web.public_config import config_routes
from qlik_jwt.web.static_files import static_routes
from qlik_jwt.web.tokens import post_access_token, post_token

__all__ = ["CsrfToken", "QlikEmbedding"]

CsrfToken = Callable[[Request], str | Awaitable[str | None] | None]


async def _call(hook: CsrfToken, request: Request) -> str | None:
    found = hook(request)
    if inspect.isawaitable(found):
        found = await found
    return found


class QlikEmbedding:
    """The Qlik routes and page parts for a FastAPI host app.

    ``router`` holds ``GET {prefix}/config``, ``GET {prefix}/static/{name}`` and, in direct
    mode, ``POST {prefix}/token`` (login mode ``impersonation``: ``POST
    {prefix}/access-token``, by the same rules, and the ``/single/`` iframe forwarded at the
    app's root); in proxy mode the forwarded Qlik paths instead. ``signer`` defaults to one
    made from ``settings``, ``impersonation`` to the settings' OAuth client (login mode
    ``impersonation``); ``clock`` (UNIX time) and ``rate_clock`` are for tests. Raises
    SettingsError listing every missing setting, ConfigurationError for an unusable proxy
    session store.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        identify: Identify,
        csrf_token: CsrfToken | None = None,
        prefix: str = "/qlik",
        signer: TokenSigner | None = None,
        impersonation: ImpersonationClient | None = None,
        clock: Callable[[], float] = time.time,
        rate_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.identify = identify
        self.csrf_token = csrf_token
        self.prefix = prefix.rstrip("/")
        self.minter = TokenMinter(settings, signer=signer, clock=clock, rate_clock=rate_clock)
        self.access_tokens = access_token_issuer(
            settings, impersonation, clock=clock, rate_clock=rate_clock
        )
        self.proxy: QlikProxy | None = None
        self.proxy_mode = settings.web_mode == "proxy"
        if self.proxy_mode or self.access_tokens is not None:
            self.proxy = QlikProxy(
                settings,
                identify=identify,
                minter=self.minter,
                access_tokens=self.access_tokens,
                clock=clock,
            )
        self.page = EmbedPage(settings)
        self.router = self._routes()

    async def fragment(self, request: Request) -> EmbedFragment | None:
        """The embedding page's head and body for the request's user; None when the
        identify hook says nobody is signed in. Serve the page with ``no-store``: it
        holds the CSRF token."""
        user = await identify_user(self.identify, request)
        if user is None:
            return None
        token = HEADER_ONLY_TOKEN
        if self.csrf_token is not None:
            token = await _call(self.csrf_token, request) or ""
        return self.page.render(
            request.scope.get("root_path", "") + self.prefix,
            subject=user.sub,
            csrf_header=CSRF_HEADER,
            csrf_token=token,
            session_likely=self.minter.minted_recently(user.sub),
            proxy_origin=app_origin(request, self.settings.public_origin)
            if self.proxy_mode
            else None,
            frame_origin=app_origin(request, self.settings.public_origin),
        )

    def page_cookies(self, request: Request, response: Response) -> None:
        """Set what the embedding page's answer must carry: in proxy mode the browser's
        proxy cookie (so the page's first parallel Qlik calls share one login); nothing in
        direct mode."""
        if self.proxy is not None and self.proxy_mode:
            self.proxy.give_cookie(request, response)

    async def end_session(self, request: Request, response: Response) -> None:
        """Call from your sign-out route (and when another user signs in): in proxy mode
        ends what the app holds for the browser (its engine websockets on every instance,
        its Qlik session at the tenant and in the store) and clears the proxy cookie;
        nothing in direct mode. Without it, open websockets close within 30 s, when the
        identify hook is asked again. Raises WebError 503 when the session store is down."""
        if self.proxy is not None:
            await self.proxy.end(request, response)
        user = await identify_user(self.identify, request)
        if self.access_tokens is not None and user is not None:
            await asyncio.to_thread(self.access_tokens.revoke, user.sub)

    async def _user_for_token(self, request: Request) -> UserClaims:
        """The token request's checks before minting, in the web app's order."""
        check_request_origin(request, self.settings.public_origin)
        await read_empty_json(request)
        user = require_user(await identify_user(self.identify, request))
        valid = None
        if self.csrf_token is not None:
            valid = matches(await _call(self.csrf_token, request))
        check_csrf_header(request.headers.get(CSRF_HEADER), valid)
        return user

    def _routes(self) -> APIRouter:
        qlik = APIRouter(prefix=self.prefix, tags=["qlik"])
        qlik.include_router(config_routes(self.settings))
        qlik.include_router(static_routes())
        proxy = self.proxy
        if proxy is None:
            qlik.include_router(self._token_routes())
            return qlik
        access_tokens = self.access_tokens

        @asynccontextmanager
        async def lifespan(app: object) -> AsyncIterator[None]:
            yield
            await proxy.aclose()
            if access_tokens is not None:
                access_tokens.close()

        # The tenant's own paths, forwarded (their raw path is the tenant's): all of them in
        # proxy mode; only the /single/ iframe's in direct mode with impersonation.
        router = APIRouter(lifespan=lifespan)
        if self.proxy_mode:
            router.include_router(qlik)
            router.include_router(rest_routes(proxy))
            router.include_router(engine_routes(proxy))
            return router
        qlik.include_router(self._access_token_routes())
        router.include_router(qlik)
        router.include_router(rest_routes(proxy, prefixes=IFRAME_PREFIXES))
        return router

    def _access_token_routes(self) -> APIRouter:
        router = APIRouter()
        access_tokens = self.access_tokens
        assert access_tokens is not None

        @post_access_token(router)
        async def qlik_access_token(request: Request) -> Response:
            try:
                user = await self._user_for_token(request)
                client = request.client.host if request.client else None
                issue = functools.partial(
                    access_tokens.issue, user, via=VIA_TOKEN_ENDPOINT, client=client
                )
                token = await asyncio.to_thread(issue)
            except WebError as refusal:
                return refusal_response(refusal)
            return JSONResponse(access_token_answer(token), headers=NO_STORE)

        return router

    def _token_routes(self) -> APIRouter:
        router = APIRouter()

        @post_token(router)
        async def qlik_token(request: Request) -> Response:
            # Answered here, not by an exception handler: the host app has none of ours.
            try:
                minted = self.minter.mint(
                    await self._user_for_token(request),
                    via=VIA_TOKEN_ENDPOINT,
                    client=request.client.host if request.client else None,
                )
            except WebError as refusal:
                return refusal_response(refusal)
            return JSONResponse(token_answer(minted), headers=NO_STORE)

        return router

"""``create_app``: the embedding web app, assembled from its parts.

Routes: ``GET /`` (embedding page), ``GET /config``, ``POST /token``, ``GET /static/*``,
``GET /healthz``, and with the built-in user store ``GET``/``POST /sign-in`` and
``POST /sign-out``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from qlik_jwt.embedding.ratelimit import RateLimiter
from qlik_jwt.embedding.requirements import required_settings
from qlik_jwt.embedding.tokens import TokenIssuer
from qlik_jwt.settings import Settings
from qlik_jwt.signer import TokenSigner
from qlik_jwt.web.database import Database
from qlik_jwt.web.errors import WebError, http_error_response, web_error_response
from qlik_jwt.web.identity import Identify, SessionIdentity
from qlik_jwt.web.pages import page_routes, sign_in_routes
from qlik_jwt.web.public_config import config_routes
from qlik_jwt.web.security_headers import SecurityHeadersMiddleware
from qlik_jwt.web.sessions import SessionStore
from qlik_jwt.web.signin import HostSessionCookie
from qlik_jwt.web.static_files import static_routes
from qlik_jwt.web.tokens import token_routes
from qlik_jwt.web.users import UserStore

__all__ = ["create_app", "required_settings"]

SIGN_IN_ATTEMPTS_PER_MINUTE = 10


def create_app(
    settings: Settings,
    *,
    user_store: UserStore | None = None,
    signer: TokenSigner | None = None,
    identify: Identify | None = None,
    clock: Callable[[], float] = time.time,
    rate_clock: Callable[[], float] = time.monotonic,
) -> FastAPI:
    """The embedding web app for ``settings``.

    ``user_store`` defaults to one in ``settings.users_db``; ``signer`` defaults to one made
    from the settings (JWT login mode only). ``identify`` replaces the built-in sign-in: see
    :mod:`qlik_jwt.web.identity`. ``clock`` dates sessions; ``rate_clock`` drives the rate
    limit. Raises SettingsError listing every missing setting.
    """
    issuer = TokenIssuer(settings, signer=signer, clock=clock, rate_clock=rate_clock)
    users = user_store or UserStore(Database(settings.users_db))
    sessions = SessionStore(users.database, lifetime=settings.web_session_lifetime, clock=clock)
    cookie = HostSessionCookie(sessions, settings.public_origin)
    built_in = identify is None
    hook: Identify = SessionIdentity(cookie, users) if identify is None else identify

    app = FastAPI(
        title="qlik-jwt web app",
        summary="Embeds Qlik analytics for the host app's signed-in users.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.users = users
    app.state.sessions = sessions
    app.add_exception_handler(WebError, web_error_response)
    app.add_exception_handler(HTTPException, http_error_response)
    app.add_middleware(SecurityHeadersMiddleware, tenant_url=settings.tenant_url)

    app.include_router(
        page_routes(
            settings,
            identify=hook,
            cookie=cookie,
            sign_in_path="/sign-in" if built_in else None,
            clock=clock,
        )
    )
    if built_in:
        attempts = RateLimiter(SIGN_IN_ATTEMPTS_PER_MINUTE, clock=rate_clock)
        app.include_router(sign_in_routes(settings, users=users, cookie=cookie, limiter=attempts))
    app.include_router(config_routes(settings))
    app.include_router(
        token_routes(issuer, public_origin=settings.public_origin, identify=hook, cookie=cookie)
    )
    app.include_router(static_routes())

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return app

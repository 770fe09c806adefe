"""Qlik embedding inside a Flask app (``pip install qlik-jwt[flask]``)::

    from qlik_jwt.integrations.flask import QlikEmbedding

    qlik = QlikEmbedding(
        Settings.load(),
        identify=current_qlik_user,              # () -> UserClaims | None
        csrf_token=lambda: session["csrf"],      # your session's CSRF token
    )
    app.register_blueprint(qlik.blueprint)       # /qlik/config, /qlik/token, /qlik/static/*

and in a view ``render_template("analytics.html", qlik=qlik.fragment())`` (``None``: nobody
is signed in), with ``{{ qlik.head }}`` inside the template's ``<head>`` and
``{{ qlik.body }}`` where the analytics go (both are HTML that Jinja leaves unescaped).

``identify()`` reads Flask's own context (``session``, ``g``, Flask-Login's
``current_user``) and returns the signed-in user's
:class:`~qlik_jwt.signer.UserClaims`, or ``None``. CSRF: Flask has no protection of its own,
so ``POST /qlik/token`` needs the same origin and the ``X-CSRF-Token`` header holding the
token your app provides: ``csrf_token()`` gives the page its value, and the request's is
compared with it in constant time, or handed to ``check_csrf(value) -> bool`` when your
tokens are signed per request (Flask-WTF: ``validate_csrf``). Only the token routes are
offered: proxy mode's routes are not available in Flask.

In login mode ``impersonation`` the blueprint holds ``POST /access-token`` instead of
``/token``, by the same rules (the user's Qlik access token, cached per user); the
``/single/`` iframe, which cannot carry a token, is skipped (the page says so: serve it with
the FastAPI integration or the web app). Call ``qlik.revoke(subject)`` at sign-out.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from flask import Blueprint, Response, request, send_file

from qlik_jwt.embedding.access_tokens import AccessTokenIssuer, access_token_issuer
from qlik_jwt.embedding.forgery import CSRF_HEADER, check_csrf_header, matches
from qlik_jwt.embedding.page import EmbedFragment, EmbedPage
from qlik_jwt.embedding.public_config import public_config
from qlik_jwt.embedding.refusals import WebError
from qlik_jwt.embedding.requirements import require_direct_mode
from qlik_jwt.embedding.static import HEADERS, static_file
from qlik_jwt.embedding.tokens import (
    NO_STORE,
    VIA_TOKEN_ENDPOINT,
    TokenMinter,
    check_token_request,
    require_user,
)
from qlik_jwt.impersonation import ImpersonationClient
from qlik_jwt.settings import Settings
from qlik_jwt.signer import TokenSigner, UserClaims

__all__ = ["QlikEmbedding"]

BLUEPRINT = "qlik_jwt"


def _json(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status, headers, mimetype="application/json")


def _refusal(error: WebError) -> Response:
    return _json(error.as_dict(), error.status, error.response_headers())


class QlikEmbedding:
    """The Qlik blueprint and page parts for a Flask host app.

    ``blueprint`` (named ``qlik_jwt``, at ``url_prefix``) holds ``GET /config``,
    ``POST /token`` and ``GET /static/<name>``. ``signer`` defaults to one made from
    ``settings``; ``clock`` (UNIX time) and ``rate_clock`` are for tests. Raises
    SettingsError listing every missing setting, ConfigurationError in proxy mode (not
    offered here).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        identify: Callable[[], UserClaims | None],
        csrf_token: Callable[[], str | None],
        check_csrf: Callable[[str], bool] | None = None,
        url_prefix: str = "/qlik",
        signer: TokenSigner | None = None,
        impersonation: ImpersonationClient | None = None,
        clock: Callable[[], float] = time.time,
        rate_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        require_direct_mode(settings, "Flask")
        self.settings = settings
        self.identify = identify
        self.csrf_token = csrf_token
        self.check_csrf = check_csrf
        self.minter = TokenMinter(settings, signer=signer, clock=clock, rate_clock=rate_clock)
        self.access_tokens = access_token_issuer(
            settings, impersonation, clock=clock, rate_clock=rate_clock
        )
        self.credentials: TokenMinter | AccessTokenIssuer = self.access_tokens or self.minter
        self.page = EmbedPage(settings)
        self.blueprint = self._blueprint(url_prefix.rstrip("/"))

    def revoke(self, subject: str) -> None:
        """Sign-out in login mode ``impersonation``: revoke the user's cached access token
        (nothing in the other modes)."""
        if self.access_tokens is not None:
            self.access_tokens.revoke(subject)

    def fragment(self) -> EmbedFragment | None:
        """The embedding page's head and body for the current user; None when nobody is
        signed in. Serve the page with ``Cache-Control: no-store``: it holds the CSRF token."""
        user = self.identify()
        if user is None:
            return None
        user = require_user(user)
        return self.page.render(
            request.root_path + (self.blueprint.url_prefix or ""),
            subject=user.sub,
            csrf_header=CSRF_HEADER,
            csrf_token=self.csrf_token() or "",
            session_likely=self.minter.minted_recently(user.sub),
        )

    def _user_for_token(self) -> UserClaims:
        """The token request's checks before minting, in the web app's order."""
        check_token_request(
            self.settings.public_origin or f"{request.scheme}://{request.host}",
            request.headers.get("Origin"),
            request.headers.get("Sec-Fetch-Site"),
            request.headers.get("Content-Length"),
            request.stream.read,
        )
        user = require_user(self.identify())
        valid = self.check_csrf or matches(self.csrf_token())
        check_csrf_header(request.headers.get(CSRF_HEADER), valid)
        return user

    def _blueprint(self, url_prefix: str) -> Blueprint:
        blueprint = Blueprint(BLUEPRINT, __name__, url_prefix=url_prefix or None)
        config = public_config(self.settings).model_dump()

        @blueprint.get("/config")
        def config_view() -> Response:
            return _json(config, headers={"Cache-Control": "no-cache"})

        route = "/access-token" if self.access_tokens is not None else "/token"

        @blueprint.post(route, endpoint="token_view")
        def token_view() -> Response:
            try:
                answer = self.credentials.answer(
                    self._user_for_token(), via=VIA_TOKEN_ENDPOINT, client=request.remote_addr
                )
            except WebError as refusal:
                return _refusal(refusal)
            return _json(answer, headers=NO_STORE)

        @blueprint.get("/static/<name>")
        def static_view(name: str) -> Response:
            found = static_file(name)
            if found is None:
                return _refusal(WebError(404, "not-found", "No such file."))
            response = send_file(found.path, mimetype=found.media_type, max_age=None)
            response.headers.update(HEADERS)
            return response

        return blueprint

"""Qlik embedding inside a Django project (``pip install qlik-jwt[django]``)::

    # urls.py
    from qlik_jwt.integrations.django import QlikEmbedding

    qlik = QlikEmbedding(Settings.load(), identify=current_qlik_user)
    urlpatterns = [path("qlik/", include(qlik.urls)), ...]   # namespace "qlik_jwt"

    # a view
    return render(request, "analytics.html", {"qlik": qlik.fragment(request)})

and in the template ``{{ qlik.head }}`` inside ``<head>``, ``{{ qlik.body }}`` where the
analytics go (both are marked safe).

``identify(request)`` maps ``request.user`` (Django's authentication) to
:class:`~qlik_jwt.signer.UserClaims`, or returns ``None``. CSRF is Django's own: the token
view is wrapped in ``csrf_protect`` (so it is protected even without
``CsrfViewMiddleware``, which must still be installed to set the CSRF cookie), and the page
sends ``get_token(request)`` in the header named by ``CSRF_HEADER_NAME``. Django checks it
before the view runs, so a request without it gets Django's 403 before any 401; the view
then adds the same-origin check and the web app's rules. Only the token routes are offered:
proxy mode's routes are not available in Django.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings as django_settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.urls import URLPattern, path, reverse
from django.views.decorators.csrf import csrf_protect

from qlik_jwt.embedding.access_tokens import AccessTokenIssuer, access_token_issuer
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

__all__ = ["NAMESPACE", "QlikEmbedding"]

NAMESPACE = "qlik_jwt"


def _refusal(error: WebError) -> JsonResponse:
    return JsonResponse(error.as_dict(), status=error.status, headers=error.response_headers())


def _wrong_method(request: HttpRequest, allowed: str) -> JsonResponse:
    refusal = WebError(
        405, "method-not-allowed", f"{request.method} is not allowed here; use {allowed}."
    )
    refusal.headers["Allow"] = allowed
    return _refusal(refusal)


def csrf_header_name() -> str:
    """The HTTP header Django reads the CSRF token from (``X-CSRFToken`` by default)."""
    meta_key = str(getattr(django_settings, "CSRF_HEADER_NAME", "HTTP_X_CSRFTOKEN"))
    return meta_key.removeprefix("HTTP_").replace("_", "-")


class QlikEmbedding:
    """The Qlik URL patterns and page parts for a Django project.

    ``urls`` is ``(patterns, "qlik_jwt")`` for ``include()``: ``config``, ``token`` and
    ``static/<name>``. ``signer`` defaults to one made from ``settings`` (qlik-jwt's, not
    Django's); ``clock`` (UNIX time) and ``rate_clock`` are for tests. Raises SettingsError
    listing every missing setting, ConfigurationError in proxy mode (not offered here).
    In login mode ``impersonation`` the ``token`` pattern is ``access-token`` (the user's
    Qlik access token, by the same rules) and the page skips the ``/single/`` iframe, which
    cannot carry a token; call :meth:`revoke` at sign-out.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        identify: Callable[[HttpRequest], UserClaims | None],
        signer: TokenSigner | None = None,
        impersonation: ImpersonationClient | None = None,
        clock: Callable[[], float] = time.time,
        rate_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        require_direct_mode(settings, "Django")
        self.settings = settings
        self.identify = identify
        self.minter = TokenMinter(settings, signer=signer, clock=clock, rate_clock=rate_clock)
        self.access_tokens = access_token_issuer(
            settings, impersonation, clock=clock, rate_clock=rate_clock
        )
        self.credentials: TokenMinter | AccessTokenIssuer = self.access_tokens or self.minter
        self.page = EmbedPage(settings)
        self.config = public_config(settings).model_dump()

    @property
    def urls(self) -> tuple[list[URLPattern], str]:
        return (
            [
                path("config", self.config_view, name="config"),
                # login mode impersonation: the user's access token, by the same rules
                path(
                    "access-token" if self.access_tokens is not None else "token",
                    csrf_protect(self.token_view),
                    name="token",
                ),
                path("static/<str:name>", self.static_view, name="static"),
            ],
            NAMESPACE,
        )

    def fragment(self, request: HttpRequest) -> EmbedFragment | None:
        """The embedding page's head and body for the request's user; None when nobody is
        signed in. Serve the page with ``Cache-Control: no-store``: it holds the CSRF token."""
        user = self.identify(request)
        if user is None:
            return None
        user = require_user(user)
        return self.page.render(
            reverse(f"{NAMESPACE}:config").removesuffix("/config"),
            subject=user.sub,
            csrf_header=csrf_header_name(),
            csrf_token=get_token(request),
            session_likely=self.minter.minted_recently(user.sub),
        )

    def config_view(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return _wrong_method(request, "GET")
        return JsonResponse(self.config, headers={"Cache-Control": "no-cache"})

    def token_view(self, request: HttpRequest) -> HttpResponse:
        """Django's CSRF check has passed when this runs (``csrf_protect``)."""
        if request.method != "POST":
            return _wrong_method(request, "POST")
        try:
            answer = self.credentials.answer(
                self._user_for_token(request),
                via=VIA_TOKEN_ENDPOINT,
                client=request.META.get("REMOTE_ADDR"),
            )
        except WebError as refusal:
            return _refusal(refusal)
        return JsonResponse(answer, headers=NO_STORE)

    def revoke(self, subject: str) -> None:
        """Sign-out in login mode ``impersonation``: revoke the user's cached access token
        (nothing in the other modes)."""
        if self.access_tokens is not None:
            self.access_tokens.revoke(subject)

    def static_view(self, request: HttpRequest, name: str) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return _wrong_method(request, "GET")
        found = static_file(name)
        if found is None:
            return _refusal(WebError(404, "not-found", "No such file."))
        # Small files, read whole: Django under ASGI would iterate a file synchronously.
        return HttpResponse(found.path.read_bytes(), content_type=found.media_type, headers=HEADERS)

    def _user_for_token(self, request: HttpRequest) -> UserClaims:
        """The token request's checks after Django's CSRF check, in the web app's order."""
        check_token_request(
            self.settings.public_origin or f"{request.scheme}://{request.get_host()}",
            request.headers.get("Origin"),
            request.headers.get("Sec-Fetch-Site"),
            request.META.get("CONTENT_LENGTH") or None,
            request.read,
        )
        return require_user(self.identify(request))

"""The embedding page's parts, for the web app's own page and for a host app's templates.

:class:`EmbedPage` renders an :class:`EmbedFragment`: ``head`` (the inlined bootstrap JSON
and the front end's ES modules) and ``body`` (the panels the script fills: steps, problem,
Qlik user, chart, iframe, the ``qlik-embed`` snippet). The bootstrap holds everything the
script needs (public config, token URL, the CSRF header and token, whether a Qlik session
probably exists), so the browser's first request goes straight to the tenant.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

from qlik_jwt.embedding.public_config import public_config
from qlik_jwt.settings import Settings

__all__ = ["TEMPLATES", "EmbedFragment", "EmbedPage", "Html", "bootstrap_json", "template"]

TEMPLATES = Path(__file__).parents[1] / "web" / "templates"
LOADER = """<script crossorigin="anonymous" type="application/javascript"
  src="https://cdn.jsdelivr.net/npm/@qlik/embed-web-components@1/dist/index.min.js"
  data-host="{host}"
{auth}></script>
"""
# qlik-embed's auth attributes per mode (the loader ignores data-cross-site-cookies).
COOKIE_AUTH = '  data-auth-type="cookie"\n  data-web-integration-id="{wiid}"'
NONE_AUTH = '  data-auth-type="none"'
OAUTH_AUTH = (
    '  data-auth-type="Oauth2"\n  data-client-id="{client_id}"\n'
    '  data-get-access-token="getAccessToken"'
)
GET_ACCESS_TOKEN = """<script>
  // qlik-embed asks for each token it needs: the user's, from this app's route.
  async function getAccessToken() {{
    const answer = await fetch("/access-token", {{
      method: "POST", credentials: "same-origin",
      headers: {{ "X-CSRF-Token": "<the session's CSRF token>" }},
    }});
    return (await answer.json()).accessToken;
  }}
</script>
"""
TAG = """
<qlik-embed ui="{ui}" app-id="{app}" {target}></qlik-embed>"""
SNIPPET_NOTES = {
    "cookie": "once this page has logged the user in (cookie authentication with the web "
    "integration id)",
    "none": "through this app, which adds the user's credential on its way to the tenant "
    "(auth type none, the host being this app's origin)",
    "oauth2": "with the user's access token from this app's /access-token route (OAuth2 "
    "impersonation: no Qlik cookies)",
}


def template(name: str) -> Template:
    """A page template from the web app's ``templates`` folder."""
    return Template((TEMPLATES / name).read_text(encoding="utf-8"))


class Html(str):
    """HTML that templates insert as is: Jinja (Flask) and Django honour ``__html__``."""

    __slots__ = ()

    def __html__(self) -> str:
        return str(self)


@dataclass(frozen=True)
class EmbedFragment:
    """``head`` goes into the host page's ``<head>``, ``body`` where the analytics go."""

    head: Html
    body: Html


def bootstrap_json(value: dict[str, Any]) -> str:
    """JSON safe to place inside ``<script type="application/json">``."""
    text = json.dumps(value, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def snippet_kind(settings: Settings) -> str:
    """Which qlik-embed auth suits the mode (reference §3): ``cookie`` (direct, JWT or
    interactive), ``none`` (proxy mode), ``oauth2`` (direct, impersonation)."""
    if settings.web_mode == "proxy":
        return "none"
    return "oauth2" if settings.login_mode == "impersonation" else "cookie"


def _snippet(settings: Settings) -> str:
    sheet = settings.sheet_id and not settings.object_id
    kind = snippet_kind(settings)
    tenant = settings.tenant_url or "https://<tenant>.<region>.qlikcloud.com"
    if kind == "none":
        host = settings.public_origin or "https://<this app's origin>"
        auth = NONE_AUTH
    elif kind == "oauth2":
        host = tenant
        auth = OAUTH_AUTH.format(client_id=settings.oauth_client_id or "<OAuth client id>")
    else:
        host = tenant
        auth = COOKIE_AUTH.format(wiid=settings.web_integration_id or "<web integration id>")
    tag = TAG.format(
        ui="classic/app" if sheet else "analytics/chart",
        app=settings.app_id or "<app id>",
        target=f'sheet-id="{settings.sheet_id}"'
        if sheet
        else f'object-id="{settings.object_id or "<object id>"}"',
    )
    extra = GET_ACCESS_TOKEN if kind == "oauth2" else ""
    return LOADER.format(host=host, auth=auth) + extra + tag


class EmbedPage:
    """Renders the embedding page's parts for ``settings`` (templates are read once)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.config = public_config(settings).model_dump()
        self._head = template("page-head.html")
        tenant = settings.tenant_url
        self._preconnect = (
            f'<link rel="preconnect" href="{html.escape(tenant)}" crossorigin>' if tenant else ""
        )
        self.panels = template("page.html").substitute(
            tenant_url=html.escape(tenant or "(not set)"),
            login_mode=html.escape(settings.login_mode),
            web_mode=html.escape(settings.web_mode),
            snippet=html.escape(_snippet(settings)),
            snippet_note=html.escape(SNIPPET_NOTES[snippet_kind(settings)]),
        )

    def bootstrap(
        self,
        *,
        subject: str,
        token_url: str,
        csrf_header: str,
        csrf_token: str,
        session_likely: bool,
        proxy_origin: str | None = None,
        frame_origin: str | None = None,
    ) -> dict[str, Any]:
        """What the page's script reads from ``#bootstrap``.

        Every Qlik call goes to the tenant, or in proxy mode to ``proxy_origin`` (the app's
        own origin), which logs in for the browser: the page then gets no token URL. In
        direct mode with login mode ``impersonation`` the page authenticates with a bearer
        token (``auth``), exchanges it with the OAuth client id, and frames ``/single/``
        through ``frame_origin`` (the app, which adds the token; None: no frame).
        """
        bearer = self.settings.login_mode == "impersonation" and proxy_origin is None
        return {
            "config": self.config,
            "mode": self.settings.web_mode,
            "auth": "bearer" if bearer else "cookie",
            "qlikBaseUrl": proxy_origin or self.settings.tenant_url,
            "subject": subject,
            "tokenUrl": None if proxy_origin else token_url,
            "clientId": self.settings.oauth_client_id if bearer else None,
            "frameBaseUrl": frame_origin if bearer else None,
            "csrfHeader": csrf_header,
            "csrfToken": csrf_token,
            "qlikSessionLikely": session_likely,
        }

    def render(
        self,
        base_url: str,
        *,
        subject: str,
        csrf_header: str,
        csrf_token: str,
        session_likely: bool,
        proxy_origin: str | None = None,
        frame_origin: str | None = None,
    ) -> EmbedFragment:
        """The head and body parts for an app whose token route is ``{base_url}/token``
        (login mode ``impersonation``: ``{base_url}/access-token``) and whose static files
        are under ``{base_url}/static/`` (``base_url`` without a trailing ``/``; ``""`` for
        the web app itself). The rest is :meth:`bootstrap`'s."""
        if base_url.endswith("/"):
            raise ValueError(f"base_url must not end with '/', got {base_url!r}")
        route = "/access-token" if self.settings.login_mode == "impersonation" else "/token"
        bootstrap = self.bootstrap(
            subject=subject,
            token_url=base_url + route,
            csrf_header=csrf_header,
            csrf_token=csrf_token,
            session_likely=session_likely,
            proxy_origin=proxy_origin,
            frame_origin=frame_origin,
        )
        head = self._head.substitute(
            static=html.escape(f"{base_url}/static/"),
            bootstrap=bootstrap_json(bootstrap),
            preconnect="" if proxy_origin else self._preconnect,
        )
        return EmbedFragment(Html(head), Html(f'<div class="qlik-embedding">\n{self.panels}</div>'))

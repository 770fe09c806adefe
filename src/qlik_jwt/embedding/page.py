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
SNIPPET = """<script crossorigin="anonymous" type="application/javascript"
  src="https://cdn.jsdelivr.net/npm/@qlik/embed-web-components@1/dist/index.min.js"
  data-host="{tenant}"
  data-auth-type="cookie"
  data-web-integration-id="{wiid}"
  data-cross-site-cookies="true"></script>

<qlik-embed ui="{ui}" app-id="{app}" {target}></qlik-embed>"""


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
    ) -> dict[str, Any]:
        """What the page's script reads from ``#bootstrap``.

        Every Qlik call goes to the tenant, or in proxy mode to ``proxy_origin`` (the app's
        own origin), which logs in for the browser: the page then gets no token URL.
        """
        return {
            "config": self.config,
            "mode": self.settings.web_mode,
            "qlikBaseUrl": proxy_origin or self.settings.tenant_url,
            "subject": subject,
            "tokenUrl": None if proxy_origin else token_url,
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
    ) -> EmbedFragment:
        """The head and body parts for an app whose token route is ``{base_url}/token`` and
        whose static files are under ``{base_url}/static/`` (``base_url`` without a trailing
        ``/``; ``""`` for the web app itself). The rest is :meth:`bootstrap`'s."""
        if base_url.endswith("/"):
            raise ValueError(f"base_url must not end with '/', got {base_url!r}")
        bootstrap = self.bootstrap(
            subject=subject,
            token_url=f"{base_url}/token",
            csrf_header=csrf_header,
            csrf_token=csrf_token,
            session_likely=session_likely,
            proxy_origin=proxy_origin,
        )
        head = self._head.substitute(
            static=html.escape(f"{base_url}/static/"),
            bootstrap=bootstrap_json(bootstrap),
            preconnect="" if proxy_origin else self._preconnect,
        )
        return EmbedFragment(Html(head), Html(f'<div class="qlik-embedding">\n{self.panels}</div>'))

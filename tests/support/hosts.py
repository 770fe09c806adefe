"""The integration examples (``examples/``) as running host apps for tests.

Each example is built with the test's settings, signer and clocks and served on a real
server on 127.0.0.1: FastAPI under uvicorn, Flask under werkzeug's WSGI server, Django under
uvicorn (ASGI). Browsers and clients reach them as ``http://localhost:<port>``, a different
site from the emulated tenant on ``127.0.0.1``. The port is bound before the app is built,
so the settings (the web integration listing the origin) can depend on it.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx

from qlik_jwt.demo.run import chart_object_id
from qlik_jwt.embedding.forgery import CSRF_HEADER
from qlik_jwt.settings import Settings
from qlik_jwt.signer import TokenSigner
from tests.support.emulator import RunningEmulator
from tests.support.servers import ServerThread, WsgiServerThread

__all__ = [
    "FRAMEWORKS",
    "RunningHost",
    "bootstrap_in",
    "page_bootstrap",
    "prepare_django",
    "provisioned_settings",
    "running_host",
    "sign_in",
    "token_headers",
]

FRAMEWORKS = ("fastapi", "flask", "django")
EXAMPLES = Path(__file__).parents[2] / "examples"
BOOTSTRAP = re.compile(r'<script type="application/json" id="bootstrap">(.*?)</script>', re.S)
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


@dataclass(frozen=True)
class RunningHost:
    """A started example: ``url`` (``http://localhost:<port>``) and the header its pages send
    the CSRF token in."""

    framework: str
    url: str
    csrf_header: str

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10)


class LateAsgiApp:
    """An ASGI app set after its server bound the port. With ``answers_lifespan`` it answers
    lifespan itself (Django's handler does not speak it); otherwise the app's own startup
    and shutdown run (FastAPI's: proxy mode closes its tenant client and store there)."""

    def __init__(self, *, answers_lifespan: bool) -> None:
        self.app: Any = None
        self.answers_lifespan = answers_lifespan

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan" and self.answers_lifespan:
            while True:
                message = await receive()
                await send({"type": message["type"] + ".complete"})
                if message["type"] == "lifespan.shutdown":
                    return
        await self.app(scope, receive, send)


class LateWsgiApp:
    """A WSGI app set after its server bound the port."""

    app: Any = None

    def __call__(self, environ: Any, start_response: Any) -> Any:
        return self.app(environ, start_response)


def _load(framework: str) -> ModuleType:
    """``examples/<framework>/app.py`` as module ``example_<framework>``."""
    name = f"example_{framework}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, EXAMPLES / framework / "app.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def prepare_django(db_path: Path) -> None:
    """Configure Django once per test process with the example project's settings (its
    database at ``db_path``, URLs from :mod:`tests.support.django_urls`), migrate it and
    create the demo users. Later calls do nothing."""
    from django.conf import settings

    if settings.configured:
        return
    import django
    from django.core.management import call_command

    sys.path.insert(0, str(EXAMPLES / "django"))
    site = importlib.import_module("analytics_site.settings")
    values = {name: getattr(site, name) for name in dir(site) if name.isupper()}
    values.update(
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(db_path)}},
        ROOT_URLCONF="tests.support.django_urls",
        # Django's default (PBKDF2, a million rounds) costs about three times scrypt per sign-in
        # here (0.7 s against 0.24 s, measured on the loaded 2-core test machine).
        PASSWORD_HASHERS=["django.contrib.auth.hashers.ScryptPasswordHasher"],
    )
    settings.configure(**values)
    django.setup()
    call_command("migrate", verbosity=0)
    importlib.import_module("analytics_site.demo_users").create_demo_users()


def provisioned_settings(
    emulator: RunningEmulator, signer: TokenSigner, certificate_pem: bytes, **overrides: Any
) -> Callable[[str], Settings]:
    """``settings_for(origin)`` for :func:`running_host`: provisions ``emulator`` for a page
    at ``origin`` (identity provider of ``signer``, web integration, CSP, group Finance
    granted the sample app) and gives the host's settings for its sample chart."""
    app = emulator.tenant.apps[emulator.app_id]

    def settings_for(origin: str) -> Settings:
        granted = emulator.provision(signer, certificate_pem, origins=[origin])
        values: dict[str, Any] = {
            "tenant_url": emulator.url,
            "web_integration_id": granted.web_integration_id,
            "app_id": app.id,
            "object_id": chart_object_id(app),
            **overrides,
        }
        return Settings.load(env_file=None, **values)

    return settings_for


def _build(framework: str, settings: Settings, qlik_options: dict[str, Any]) -> Any:
    """The example's app, built around a QlikEmbedding with ``qlik_options``."""
    if framework == "django":
        from django.core.asgi import get_asgi_application
        from django.urls import clear_url_caches

        from qlik_jwt.integrations.django import QlikEmbedding
        from tests.support import django_urls

        views = importlib.import_module("analytics_site.views")
        qlik = QlikEmbedding(settings, identify=views.identify, **qlik_options)
        django_urls.urlpatterns[:] = views.site_urls(qlik)
        clear_url_caches()
        return get_asgi_application()
    return _load(framework).create_app(settings, **qlik_options)


@contextmanager
def running_host(
    framework: str, settings_for: Callable[[str], Settings], **qlik_options: Any
) -> Iterator[RunningHost]:
    """Serve the ``framework`` example; ``settings_for(origin)`` gives its settings once its
    origin is known. ``qlik_options`` go to its QlikEmbedding (signer, clocks). Django must
    be prepared first (:func:`prepare_django`)."""
    late: LateAsgiApp | LateWsgiApp
    server: ServerThread | WsgiServerThread
    if framework == "flask":
        late = LateWsgiApp()
        server = WsgiServerThread(late)
    else:
        late = LateAsgiApp(answers_lifespan=framework == "django")
        server = ServerThread(late)
    url = f"http://localhost:{server.port}"
    late.app = _build(framework, settings_for(url), qlik_options)
    csrf_header = CSRF_HEADER
    if framework == "django":
        from qlik_jwt.integrations.django import csrf_header_name

        csrf_header = csrf_header_name()
    with server:
        yield RunningHost(framework, url, csrf_header)


def sign_in(client: httpx.Client, username: str, password: str) -> httpx.Response:
    """Sign in through the example's own form (with its hidden CSRF field, same Origin)."""
    form = client.get("/sign-in")
    hidden = dict(HIDDEN.findall(form.text))
    return client.post(
        "/sign-in",
        data={**hidden, "username": username, "password": password},
        headers={"Origin": str(client.base_url).rstrip("/")},
        follow_redirects=False,
    )


def bootstrap_in(page: str) -> dict[str, Any]:
    """The bootstrap JSON a page inlines for the front end."""
    match = BOOTSTRAP.search(page)
    assert match, f"no bootstrap in the page: {page[:200]!r}"
    value: dict[str, Any] = json.loads(match.group(1))
    return value


def page_bootstrap(client: httpx.Client) -> dict[str, Any]:
    """The bootstrap of the example's page at ``/``."""
    return bootstrap_in(client.get("/").text)


def token_headers(client: httpx.Client, bootstrap: dict[str, Any]) -> dict[str, str]:
    """What the page's script sends with its token request."""
    return {
        "Origin": str(client.base_url).rstrip("/"),
        "Sec-Fetch-Site": "same-origin",
        bootstrap["csrfHeader"]: bootstrap["csrfToken"],
    }

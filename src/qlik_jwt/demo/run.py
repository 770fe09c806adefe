"""``qlik-jwt demo``: an emulated tenant and the embedding web app, provisioned and running.

The emulator is served over HTTPS on ``127.0.0.1`` and the web app on ``http://localhost``:
two different sites, so the browser meets exactly the cross-site situation of a real
embedding (third-party cookies, CORS, CSP frame-ancestors). The web app runs in proxy mode
by default (the browser talks only to it; it works with third-party cookies blocked) and
in direct mode on request. The tenant is provisioned only
through its REST API, with :mod:`qlik_jwt.admin`'s setup (as ``qlik-jwt setup`` does for a
real tenant): JWT identity provider for our certificate, web integration listing the web
app's origin, CSP origin with frame-ancestors, group auto-creation, and one group granted the
sample app's space.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from qlik_jwt import keys
from qlik_jwt.admin.client import TenantClient
from qlik_jwt.admin.setup import OAuthClientRequest, SetupRequest, apply_setup, plan_setup
from qlik_jwt.demo.servers import BackgroundServer
from qlik_jwt.demo.state import DEMO_ISSUER, DemoState
from qlik_jwt.emulator import create_app as create_emulator
from qlik_jwt.emulator.engine import SampleApp, tenant_apps
from qlik_jwt.emulator.options import EmulatorOptions
from qlik_jwt.emulator.state.users import DirectoryUser
from qlik_jwt.errors import ConfigurationError
from qlik_jwt.settings import LoginMode, Settings
from qlik_jwt.signer import TokenSigner
from qlik_jwt.web import DEMO_USERS, DemoUser, UserStore, create_app
from qlik_jwt.web.database import Database

__all__ = ["Demo", "DemoInfo", "DemoOptions", "chart_object_id"]

WEB_INTEGRATION_NAME = "qlik-jwt demo"
IMPERSONATION_CLIENT_NAME = "qlik-jwt demo impersonation"


@dataclass(frozen=True)
class DemoOptions:
    """How to run the demo. Port 0 picks a free port."""

    state_dir: Path = Path(".qlik-jwt/demo")
    web_port: int = 8000
    emulator_port: int = 8443
    login_mode: LoginMode = "jwt"
    web_mode: Literal["direct", "proxy"] = "proxy"
    granted_group: str = "Finance"
    # More pages that embed from this tenant (the integration examples): listed in the web
    # integration and the CSP origins next to the web app's own origin.
    app_origins: tuple[str, ...] = ()
    # The objects the page draws (QLIK_CHART_OBJECT_IDS); empty: the app's first sheet's cells.
    chart_object_ids: tuple[str, ...] = ()
    # Your own apps (folders, see engine.app_folder): the page shows the first one.
    app_folders: tuple[Path, ...] = ()
    emulator_options: EmulatorOptions = field(default_factory=EmulatorOptions)


@dataclass(frozen=True)
class DemoInfo:
    """What the demo is running (nothing secret: the admin key stays in the state folder)."""

    web_url: str
    tenant_url: str
    app_id: str
    object_id: str
    web_integration_id: str
    web_mode: Literal["direct", "proxy"]
    granted_group: str
    users: tuple[DemoUser, ...]
    state_dir: Path
    app_origins: tuple[str, ...] = ()
    host_app_env: Path | None = None


def chart_object_id(app: SampleApp) -> str:
    """The app's first bar chart, else its first object that is not a sheet: the object the
    page frames. ``ConfigurationError`` when the app has no object at all."""
    types = {
        oid: properties.get("qInfo", {}).get("qType") for oid, properties in app.objects.items()
    }
    charts = [oid for oid, qtype in types.items() if qtype != "sheet"]
    if not charts:
        raise ConfigurationError(
            "--app",
            f"app {app.name!r} has no object for the demo page to show",
            app.id,
            "Add a sheet to sheets/ or an object to objects/ (see the README).",
        )
    bars = [oid for oid in charts if types[oid] == "barchart"]
    return (bars or charts)[0]


def _directory(users: tuple[DemoUser, ...]) -> list[DirectoryUser]:
    """The same people on the emulator's interactive sign-in page (interactive mode)."""
    return [DirectoryUser(f"demo|{u.username}", u.name, u.email, list(u.groups)) for u in users]


class Demo:
    """Starts the emulator and the web app (:meth:`start`) and stops both (:meth:`stop`)."""

    def __init__(self, options: DemoOptions | None = None) -> None:
        self.options = options or DemoOptions()
        self.state = DemoState(self.options.state_dir)
        self.emulator: BackgroundServer | None = None
        self.web: BackgroundServer | None = None
        self.web_app: Any = None

    def start(self) -> DemoInfo:
        """Prepare state, start and provision the tenant, start the web app.

        Raises ConfigurationError (a port in use, an unwritable state folder) or
        TenantError (provisioning failed); whatever was started is stopped again.
        """
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> DemoInfo:
        options = self.options
        self.state.prepare()
        signing = self.state.signing_key()
        tls = self.state.tls_certificate()
        admin_key = self.state.admin_key()
        apps = tenant_apps(options.app_folders)
        app = apps[0]  # the first --app, else the sample app
        object_id = chart_object_id(app)
        default_ids = app.sheet_cells(app.sheet_ids[0]) if app.sheet_ids else [object_id]

        self.web = BackgroundServer(name="web app", port=options.web_port, splice=True).bind()
        web_origin = f"http://localhost:{self.web.port}"
        self.emulator = BackgroundServer(
            name="emulator",
            port=options.emulator_port,
            certfile=tls.certificate,
            keyfile=tls.private_key,
        )
        self.emulator.start(
            create_emulator(
                options.emulator_options,
                db=str(self.state.emulator_db),
                admin_key=admin_key,
                apps=apps,
                sign_in_users=_directory(DEMO_USERS),
            )
        )
        tenant_url = self.emulator.url

        signer = TokenSigner(keys.load_private_key(signing.private_key), None, DEMO_ISSUER)
        oauth_client = None
        if options.login_mode == "impersonation":
            known = self.state.impersonation_client()
            oauth_client = OAuthClientRequest(
                IMPERSONATION_CLIENT_NAME,
                None if known is None else known[0],
                secret_known=known is not None,
            )
        with TenantClient(tenant_url, api_key=admin_key, verify=str(tls.certificate)) as client:
            request = SetupRequest(
                signer=signer,
                certificate_pem=signing.certificate.read_bytes(),
                origins=(web_origin, *options.app_origins),
                web_integration_name=WEB_INTEGRATION_NAME,
                auto_create_groups=True,
                grants=(options.granted_group,),
                app_id=app.id,
                oauth_client=oauth_client,
            )
            result = apply_setup(plan_setup(client, request))
        assert result.web_integration_id is not None  # the demo always has a signing key
        impersonation = self.state.impersonation_client(result.oauth_client)

        settings = Settings.load(
            env_file=None,
            tenant_url=tenant_url,
            web_integration_id=result.web_integration_id,
            app_id=app.id,
            object_id=object_id,
            chart_object_ids=list(options.chart_object_ids) or default_ids,
            issuer=DEMO_ISSUER,
            key_id=signer.key_id,
            private_key=str(signing.private_key),
            users_db=str(self.state.users_db),
            login_mode=options.login_mode,
            web_mode=options.web_mode,
            oauth_client_id=None if impersonation is None else impersonation[0],
            oauth_client_secret=None if impersonation is None else impersonation[1],
            # Impersonation: the web app finds or creates each user and sets their groups.
            admin_api_key=None if impersonation is None else admin_key,
            tenant_ca_file=str(tls.certificate),
            proxy_session_store=f"sqlite:///{self.state.proxy_sessions_db}",
        )
        host_app_env = self.state.write_host_app_env(settings)
        users = UserStore(Database(self.state.users_db))
        users.seed(DEMO_USERS)
        self.web_app = create_app(settings, user_store=users, signer=signer)
        self.web.start(self.web_app)
        return DemoInfo(
            web_url=web_origin,
            tenant_url=tenant_url,
            app_id=app.id,
            object_id=object_id,
            web_integration_id=result.web_integration_id,
            web_mode=options.web_mode,
            granted_group=options.granted_group,
            users=DEMO_USERS,
            state_dir=self.state.root,
            app_origins=request.origins[1:],
            host_app_env=host_app_env,
        )

    def stop(self) -> None:
        """Stop the web app, then the emulator. Safe to call twice."""
        for server in (self.web, self.emulator):
            if server is not None:
                server.stop()

    def __enter__(self) -> DemoInfo:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

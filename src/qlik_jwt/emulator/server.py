"""The emulator as a server process: what ``qlik-jwt emulator`` serves, in one constructor.

:class:`EmulatorServer` takes the command's values as given (text where the command line
gives text) and assembles the options, the faults, the OAuth client, the sign-in users, the
apps, the state file and the TLS certificate, then serves the app with uvicorn. Its errors
name the ``qlik-jwt emulator`` flag whose value is unusable. The demo and the tests build
the app with :func:`qlik_jwt.emulator.create_app` directly.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import uvicorn
from pydantic import ValidationError

from qlik_jwt import log_redaction
from qlik_jwt.emulator.app import create_app
from qlik_jwt.emulator.engine import tenant_apps
from qlik_jwt.emulator.faults import Faults, FaultSettings, ForcedError
from qlik_jwt.emulator.https import write_tls_certificate
from qlik_jwt.emulator.options import EmulatorOptions
from qlik_jwt.emulator.state.users import DirectoryUser
from qlik_jwt.emulator.tenant import EmulatedTenant, OAuthClient
from qlik_jwt.errors import ConfigurationError
from qlik_jwt.listen import bind_port

__all__ = ["DEFAULT_DB", "FAULT_FLAGS", "EmulatorServer"]

DEFAULT_DB = Path(".qlik-jwt/emulator.sqlite3")
# FaultSettings field -> the flag of `qlik-jwt emulator` that sets it
FAULT_FLAGS = {
    "clock_offset": "--clock-offset",
    "latency_ms": "--latency-ms",
    "tier1_per_minute": "--tier1-limit",
    "tier2_per_minute": "--tier2-limit",
    "engine_delay_ms": "--engine-delay-ms",
    "engine_close_next": "--engine-close",
}


def emulator_options(settings: Sequence[str], strict: bool) -> EmulatorOptions:
    """The options ``--set NAME=VALUE`` (repeated) and ``--strict`` ask for."""
    values: dict[str, str] = {}
    for item in settings:
        name, sep, value = item.partition("=")
        if not sep:
            raise ConfigurationError(
                "--set", "must be NAME=VALUE", item, "For example: --set users_me_redirect=false."
            )
        values[name.strip()] = value
    options = EmulatorOptions().with_values(values)
    return options.with_values({"strict": "true"}) if strict else options


def faults_from(**settings: Any) -> Faults:
    """The faults of FaultSettings fields; ConfigurationError naming the flag of a value
    out of range."""
    try:
        return Faults(FaultSettings(**settings))
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "faults"
        raise ConfigurationError(
            FAULT_FLAGS.get(name, name), first["msg"], first.get("input")
        ) from None


def oauth_client(client_id: str | None, client_secret: str | None) -> OAuthClient | None:
    """The OAuth client given (a missing half generated), or None for a generated one."""
    if not (client_id or client_secret):
        return None
    generated = OAuthClient.generate()
    return OAuthClient(client_id or generated.client_id, client_secret or generated.client_secret)


class EmulatorServer:
    """One emulated tenant on ``host:port``, its port already taken (so a port in use is
    refused before the banner is printed), ready to :meth:`serve`.

    ``port`` defaults to 8443 with ``https``, else 8080 (0: any free port). ``db`` is an
    SQLite file or ``:memory:``; ``https`` writes a fresh self-signed certificate to
    ``cert_dir`` (default: ``emulator-tls`` beside the state file). ``settings`` are
    ``NAME=VALUE`` options, ``users`` and ``fail`` the text forms of
    :meth:`DirectoryUser.parse` and :meth:`ForcedError.parse`, the other fault arguments
    FaultSettings' fields. Raises ConfigurationError naming the flag of an unusable value.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        db: str = str(DEFAULT_DB),
        admin_key: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        https: bool = False,
        cert_dir: Path | None = None,
        settings: Sequence[str] = (),
        strict: bool = False,
        users: Sequence[str] = (),
        host_names: Sequence[str] = (),
        app_dirs: Sequence[Path] = (),
        clock_offset: float = 0.0,
        latency_ms: int = 0,
        fail: Sequence[str] = (),
        tier1_limit: int | None = None,
        tier2_limit: int | None = None,
        drop_cross_site_cookies: bool = False,
        engine_delay_ms: int = 0,
        engine_close: int = 0,
    ) -> None:
        options = emulator_options(settings, strict)
        apps = tenant_apps(app_dirs)
        faults = faults_from(
            clock_offset=clock_offset,
            latency_ms=latency_ms,
            errors=[ForcedError.parse(text) for text in fail],
            tier1_per_minute=tier1_limit,
            tier2_per_minute=tier2_limit,
            drop_cross_site_cookies=drop_cross_site_cookies,
            engine_delay_ms=engine_delay_ms,
            engine_close_next=engine_close,
        )
        sign_in_users = [DirectoryUser.parse(text) for text in users]
        state = None if db == ":memory:" else Path(db).expanduser()
        self.host = host
        self.port = (8443 if https else 8080) if port is None else port
        self.scheme = "https" if https else "http"
        self.db = db
        try:
            self.app = create_app(
                options,
                db=":memory:" if state is None else str(state),
                admin_key=admin_key,
                oauth_client=oauth_client(client_id, client_secret),
                faults=faults,
                apps=apps,
                sign_in_users=sign_in_users,
                host_names=host_names,
            )
        except (OSError, sqlite3.Error) as exc:
            raise ConfigurationError(
                "--db",
                f"cannot hold the emulator's state ({exc})",
                db,
                "Give a file in a writable folder (a new one is created), or :memory:.",
            ) from None
        self._socket = bind_port(
            host, self.port, field="--port", fix="Pick another port, or stop what uses it."
        )
        self.port = int(self._socket.getsockname()[1])  # the real one when asked for 0
        try:
            home = DEFAULT_DB.parent if state is None else state.parent
            self.tls = write_tls_certificate(cert_dir or home / "emulator-tls") if https else None
        except BaseException:
            self._socket.close()
            raise

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    @property
    def tenant(self) -> EmulatedTenant:
        tenant: EmulatedTenant = self.app.state.tenant
        return tenant

    def serve(self, log_level: str = "warning") -> None:
        """Serve until interrupted (Ctrl-C), on the port taken at construction."""
        log_redaction.install()
        config = uvicorn.Config(
            self.app,
            ssl_certfile=str(self.tls.certificate) if self.tls else None,
            ssl_keyfile=str(self.tls.private_key) if self.tls else None,
            log_level=log_level,
            access_log=False,  # request lines can hold qlik-csrf-token query parameters
            ws_max_size=1024 * 1024,
            proxy_headers=False,  # nobody's X-Forwarded-* is believed (uvicorn trusts loopback's)
        )
        try:
            uvicorn.Server(config).run(sockets=[self._socket])
        except KeyboardInterrupt:  # uvicorn raises the Ctrl-C it caught once it has stopped
            pass
        finally:
            self._socket.close()

"""``qlik-jwt emulator``: serve an offline Qlik Cloud tenant until Ctrl-C."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn
from pydantic import ValidationError
from rich.markup import escape

from qlik_jwt import log_redaction
from qlik_jwt.cli.app import app, out
from qlik_jwt.emulator import EmulatorOptions, Faults, FaultSettings, ForcedError, OAuthClient
from qlik_jwt.emulator import create_app as create_emulator
from qlik_jwt.emulator.engine import tenant_apps
from qlik_jwt.emulator.https import write_tls_certificate
from qlik_jwt.emulator.state.users import DirectoryUser
from qlik_jwt.errors import ConfigurationError

DEFAULT_DB = Path(".qlik-jwt/emulator.sqlite3")
# FaultSettings field -> the flag that sets it
FAULT_FLAGS = {
    "clock_offset": "--clock-offset",
    "latency_ms": "--latency-ms",
    "tier1_per_minute": "--tier1-limit",
    "tier2_per_minute": "--tier2-limit",
    "engine_delay_ms": "--engine-delay-ms",
    "engine_close_next": "--engine-close",
}


def _options(settings: list[str], strict: bool) -> EmulatorOptions:
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


def _faults(**settings: Any) -> Faults:
    """The faults the flags ask for; ConfigurationError naming the flag of a value out of range."""
    try:
        return Faults(FaultSettings(**settings))
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "faults"
        flag = FAULT_FLAGS.get(name, name)
        raise ConfigurationError(flag, first["msg"], first.get("input")) from None


def _banner(url: str, tenant: Any, db: str) -> None:
    summary = tenant.summary()
    out.print(f"[bold]Qlik Cloud emulator[/] serving on [bold]{url}[/]", highlight=False)
    out.print(f"tenant id          : {summary['tenant_id']}", highlight=False)
    out.print(f"admin key          : {escape(tenant.admin_key)}", highlight=False)
    client = tenant.oauth_client
    out.print(f"OAuth client id    : {client.client_id}", highlight=False)
    out.print(f"OAuth client secret: {escape(client.client_secret)}", highlight=False)
    out.print(f"state              : {db}", highlight=False)
    space = summary["space"]
    out.print(f"space              : {escape(space['name'])} ({space['id']})", highlight=False)
    for item in summary["apps"]:
        out.print(f"app                : {escape(item['name'])} ({item['id']})", highlight=False)
    for idp in summary["identity_providers"]:
        state = "active" if idp["active"] else "inactive"
        out.print(
            f"identity provider  : {escape(idp['issuer'])} / kid {escape(idp['kid'])} ({state})",
            highlight=False,
        )
    for wi in summary["web_integrations"]:
        origins = ", ".join(wi["origins"]) or "no origins"
        out.print(
            f"web integration    : {escape(wi['name'])} {wi['id']} ({origins})", highlight=False
        )
    out.print(
        f"sign-in users      : {escape(', '.join(summary['sign_in_users']))}", highlight=False
    )
    out.print("Press Ctrl-C to stop.", highlight=False)


@app.command()
def emulator(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[
        int | None, typer.Option(help="Port; default 8443 with --https, else 8080.")
    ] = None,
    db: Annotated[
        str, typer.Option(help="SQLite state file (kept across restarts), or :memory:.")
    ] = str(DEFAULT_DB),
    admin_key: Annotated[
        str | None,
        typer.Option(
            "--admin-key",
            envvar="QLIK_EMULATOR_ADMIN_KEY",
            help="Bearer key of the tenant admin; default: a new one each start.",
        ),
    ] = None,
    client_id: Annotated[
        str | None, typer.Option(help="OAuth client id; default: generated.")
    ] = None,
    client_secret: Annotated[
        str | None,
        typer.Option(envvar="QLIK_EMULATOR_CLIENT_SECRET", help="OAuth client secret."),
    ] = None,
    https: Annotated[
        bool, typer.Option(help="Serve HTTPS with a generated self-signed certificate.")
    ] = False,
    cert_dir: Annotated[
        Path | None, typer.Option(help="Where --https writes its certificate.")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", metavar="NAME=VALUE", help="An emulator option (see README)."),
    ] = None,
    strict: Annotated[bool, typer.Option(help="Qlik-exact error bodies: no meta.reason.")] = False,
    user: Annotated[
        list[str] | None,
        typer.Option(metavar="SUBJECT;NAME;EMAIL[;GROUPS]", help="Add a user to the sign-in page."),
    ] = None,
    host_name: Annotated[
        list[str] | None,
        typer.Option(
            metavar="NAME",
            help="A host name clients use for the emulator besides IP addresses and "
            "localhost (DNS, a reverse proxy); * for any. Other hosts get 421.",
        ),
    ] = None,
    clock_offset: Annotated[
        float, typer.Option(help="Fault: seconds added to the tenant's clock.")
    ] = 0.0,
    latency_ms: Annotated[int, typer.Option(help="Fault: delay every request.")] = 0,
    fail: Annotated[
        list[str] | None,
        typer.Option(
            metavar="[METHOD ]PATH=STATUS[xCOUNT]", help="Fault: answer requests with an error."
        ),
    ] = None,
    tier1_limit: Annotated[
        int | None, typer.Option(help="Fault: Tier 1 requests per minute.")
    ] = None,
    tier2_limit: Annotated[
        int | None, typer.Option(help="Fault: Tier 2 requests per minute.")
    ] = None,
    drop_cross_site_cookies: Annotated[
        bool, typer.Option(help="Fault: act as a browser blocking third-party cookies.")
    ] = False,
    engine_delay_ms: Annotated[
        int, typer.Option(help="Fault: delay before engine websockets are accepted.")
    ] = 0,
    engine_close: Annotated[
        int, typer.Option(help="Fault: close this many next engine websockets at once.")
    ] = 0,
    app_dir: Annotated[
        list[Path] | None,
        typer.Option(
            "--app",
            metavar="DIR",
            help="Your own app: a folder with app.json, CSV tables and sheets/ or objects/ "
            "property trees (see README); repeatable.",
        ),
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
) -> None:
    """Serve an emulated Qlik Cloud tenant; print its URL, admin key and what it holds."""
    options = _options(set_ or [], strict)
    apps = tenant_apps(app_dir or [])
    faults = _faults(
        clock_offset=clock_offset,
        latency_ms=latency_ms,
        errors=[ForcedError.parse(text) for text in fail or []],
        tier1_per_minute=tier1_limit,
        tier2_per_minute=tier2_limit,
        drop_cross_site_cookies=drop_cross_site_cookies,
        engine_delay_ms=engine_delay_ms,
        engine_close_next=engine_close,
    )
    oauth = None
    if client_id or client_secret:
        generated = OAuthClient.generate()
        oauth = OAuthClient(
            client_id or generated.client_id, client_secret or generated.client_secret
        )
    sign_in_users = [DirectoryUser.parse(text) for text in user or []]
    state = db if db == ":memory:" else str(Path(db).expanduser())
    try:
        application = create_emulator(
            options,
            db=state,
            admin_key=admin_key,
            oauth_client=oauth,
            faults=faults,
            apps=apps,
            sign_in_users=sign_in_users,
            host_names=host_name or (),
        )
    except (OSError, sqlite3.Error) as exc:
        raise ConfigurationError(
            "--db",
            f"cannot hold the emulator's state ({exc})",
            db,
            "Give a file in a writable folder (a new one is created), or :memory:.",
        ) from None
    tls = None
    if https:
        home = DEFAULT_DB.parent if state == ":memory:" else Path(state).parent
        tls = write_tls_certificate(cert_dir or home / "emulator-tls")
    port = port or (8443 if https else 8080)
    url = f"{'https' if https else 'http'}://{host}:{port}"
    _banner(url, application.state.tenant, db)
    log_redaction.install()
    uvicorn.run(
        application,
        host=host,
        port=port,
        ssl_certfile=str(tls.certificate) if tls else None,
        ssl_keyfile=str(tls.private_key) if tls else None,
        log_level=log_level,
        access_log=False,  # request lines can hold qlik-csrf-token query parameters
        ws_max_size=1024 * 1024,
        proxy_headers=False,  # nobody's X-Forwarded-* is believed (uvicorn trusts loopback's)
    )

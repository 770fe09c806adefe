"""``qlik-jwt emulator``: serve an offline Qlik Cloud tenant until Ctrl-C."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from qlik_jwt.cli.app import app, out

if TYPE_CHECKING:
    from qlik_jwt.emulator.server import EmulatorServer


def _banner(server: EmulatorServer) -> None:
    tenant = server.tenant
    summary = tenant.summary()
    out.print(f"[bold]Qlik Cloud emulator[/] serving on [bold]{server.url}[/]", highlight=False)
    out.print(f"tenant id          : {summary['tenant_id']}", highlight=False)
    out.print(f"admin key          : {escape(tenant.admin_key)}", highlight=False)
    client = tenant.oauth_client
    out.print(f"OAuth client id    : {client.client_id}", highlight=False)
    out.print(f"OAuth client secret: {escape(client.client_secret)}", highlight=False)
    out.print(f"state              : {escape(server.db)}", highlight=False)
    if server.tls is not None:
        where = escape(str(server.tls.certificate.resolve()))
        out.print(f"TLS certificate    : {where}", highlight=False)
        out.print(f"  trust it with    : QLIK_TENANT_CA_FILE={where}", highlight=False)
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
        int | None,
        typer.Option(help="Port; default 8443 with --https, else 8080; 0 for any free one."),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            help="SQLite state file, kept across restarts (default: "
            ".qlik-jwt/emulator.sqlite3), or :memory:."
        ),
    ] = None,
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
    from qlik_jwt.emulator.server import DEFAULT_DB, EmulatorServer

    server = EmulatorServer(
        host=host,
        port=port,
        db=str(DEFAULT_DB) if db is None else db,
        admin_key=admin_key,
        client_id=client_id,
        client_secret=client_secret,
        https=https,
        cert_dir=cert_dir,
        settings=set_ or (),
        strict=strict,
        users=user or (),
        host_names=host_name or (),
        app_dirs=app_dir or (),
        clock_offset=clock_offset,
        latency_ms=latency_ms,
        fail=fail or (),
        tier1_limit=tier1_limit,
        tier2_limit=tier2_limit,
        drop_cross_site_cookies=drop_cross_site_cookies,
        engine_delay_ms=engine_delay_ms,
        engine_close=engine_close,
    )
    _banner(server)
    server.serve(log_level)

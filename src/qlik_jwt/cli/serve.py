"""``qlik-jwt serve``: the embedding web app against the tenant named in the settings."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from qlik_jwt.cli.app import app, err

if TYPE_CHECKING:
    from fastapi import FastAPI

# How `serve --workers N` tells each worker process which .env file to read.
ENV_FILE_VARIABLE = "QLIK_JWT_SERVE_ENV_FILE"


def audit_to_stderr() -> None:
    """One line per minted token on stderr (see :mod:`qlik_jwt.embedding.audit`; never a token)."""
    from qlik_jwt.embedding.audit import AUDIT_LOGGER

    audit = logging.getLogger(AUDIT_LOGGER)
    if not audit.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s audit %(message)s"))
        audit.addHandler(handler)
    audit.setLevel(logging.INFO)
    audit.propagate = False


def worker_app() -> FastAPI:
    """The web app one worker of ``serve --workers N`` serves (a uvicorn ``--factory``):
    settings from the environment and the .env file the command was given."""
    from qlik_jwt import log_redaction
    from qlik_jwt.settings import Settings
    from qlik_jwt.web import UserStore, create_app
    from qlik_jwt.web.database import Database

    settings = Settings.load(env_file=os.environ.get(ENV_FILE_VARIABLE) or None)
    audit_to_stderr()
    log_redaction.install()
    return create_app(settings, user_store=UserStore(Database(settings.users_db)))


@app.command()
def serve(
    env_file: Annotated[str, typer.Option(help="The .env file to read.")] = ".env",
    host: Annotated[str | None, typer.Option(help="Listen address [QLIK_WEB_HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port [QLIK_WEB_PORT].")] = None,
    demo_users: Annotated[
        bool, typer.Option(help="Add the demo users (ada, grace, eve) if they are missing.")
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Worker processes sharing the port. Proxy sessions and the token rate limit "
            "are shared through a redis:// QLIK_PROXY_SESSION_STORE; with SQLite each worker "
            "counts the rate limit on its own.",
        ),
    ] = 1,
) -> None:
    """Serve the embedding web app for a real tenant, configured by QLIK_* settings.

    Refuses to start, listing every missing setting, when the settings are incomplete.
    """
    import uvicorn

    from qlik_jwt import log_redaction
    from qlik_jwt.settings import Settings
    from qlik_jwt.web import UserStore, create_app, required_settings
    from qlik_jwt.web.database import Database

    # The class, not its import string: uvicorn 0.35 takes only its own names as strings.
    from qlik_jwt.web.proxy.uvicorn_splice import SpliceWebSocketProtocol as SPLICE_PROTOCOL

    settings = Settings.load(env_file=env_file, web_host=host, web_port=port)
    settings.require(*required_settings(settings))
    users = UserStore(Database(settings.users_db))
    if demo_users:
        users.seed()
    if users.count() == 0:
        err.print(
            f"[yellow]warning:[/] no users in {escape(str(settings.users_db))}: nobody can sign "
            "in. Pass --demo-users, or pass your own identify hook to create_app()."
        )
    web_app = create_app(settings, user_store=users)  # checks every setting before forking
    audit_to_stderr()
    log_redaction.install()
    served = f"http://{settings.web_host}:{settings.web_port}"
    where = f"{served} for {settings.tenant_url}"
    err.print(f"serving {escape(where)}" + (f" with {workers} workers" if workers > 1 else ""))
    if settings.public_origin is not None and settings.public_origin != served:
        err.print(
            f"[yellow]warning:[/] browsers must open {escape(settings.public_origin)} "
            f"(QLIK_PUBLIC_ORIGIN, the origin the web integration lists), not {escape(served)}: "
            "the app refuses sign-ins and tokens from any other origin."
        )
    # The app believes X-Forwarded-* from QLIK_TRUSTED_PROXIES only (uvicorn: from loopback).
    # Websockets through uvicorn's protocol with the splice: proxied engine websockets pass as
    # bytes, compressed when the browser and the tenant agree on it (web/proxy/splice.py).
    if workers == 1:
        uvicorn.run(
            web_app,
            host=settings.web_host,
            port=settings.web_port,
            log_level="info",
            ws=SPLICE_PROTOCOL,
            ws_per_message_deflate=False,  # the tenant answers the browser's offer, not uvicorn
            proxy_headers=False,
        )
        return
    os.environ[ENV_FILE_VARIABLE] = env_file
    uvicorn.run(
        f"{__name__}:worker_app",
        factory=True,
        workers=workers,
        host=settings.web_host,
        port=settings.web_port,
        log_level="info",
        ws=SPLICE_PROTOCOL,
        ws_per_message_deflate=False,
        proxy_headers=False,
    )

"""``qlik-jwt demo``: the emulated tenant and the web app, provisioned, until Ctrl-C."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.markup import escape

from qlik_jwt.cli.app import app, out
from qlik_jwt.cli.serve import audit_to_stderr

if TYPE_CHECKING:
    from qlik_jwt.demo.run import DemoInfo
    from qlik_jwt.settings import LoginMode


def wait_for_interrupt() -> None:
    """Block until SIGINT (Ctrl-C) or SIGTERM."""
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        while not stop.wait(3600):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def show(info: DemoInfo) -> None:
    from rich.table import Table

    out.print(f"[bold green]qlik-jwt demo is running:[/] open [bold]{info.web_url}[/]")
    out.print(f"emulated tenant : {info.tenant_url} (HTTPS, self-signed; a different site)")
    if info.web_mode == "proxy":
        out.print(
            "mode            : proxy (the browser talks only to the web app, which logs in "
            "to the tenant for it; works with third-party cookies blocked)"
        )
    else:
        out.print(
            "mode            : direct (the browser logs in to the tenant itself: it needs "
            "third-party cookies for the tenant)"
        )
        out.print(
            f"first visit     : open {info.tenant_url}/ once and accept its self-signed "
            "certificate, or the browser refuses every call to it"
        )
    out.print(f"sample app      : {info.app_id}, object {info.object_id}")
    # Paths and origins as given: "[" in them is text, not Rich markup.
    out.print(f"state           : {escape(str(info.state_dir))} (keys, databases, admin key)")
    if info.app_origins:
        out.print(f"also allowed    : {escape(', '.join(info.app_origins))}")
    if info.host_app_env:
        where = escape(str(info.host_app_env))
        out.print(f"host app env    : {where} (settings for the integration examples)")
    table = Table(title="demo users (the host app's own sign-in)", header_style="bold")
    for column in ("user name", "password", "groups", "note"):
        table.add_column(column)
    for user in info.users:
        table.add_row(user.username, user.password, ", ".join(user.groups), user.note)
    out.print(table)
    out.print(f"Group {info.granted_group!r} may open the app. Press Ctrl-C to stop.")


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="Port of the web app on http://localhost.")] = 8000,
    emulator_port: Annotated[
        int, typer.Option(help="Port of the emulated tenant on https://127.0.0.1.")
    ] = 8443,
    state_dir: Annotated[
        Path, typer.Option(help="Folder for the demo's keys and databases (kept between runs).")
    ] = Path(".qlik-jwt/demo"),
    login_mode: Annotated[
        str,
        typer.Option(
            help="jwt (tokens from the web app), impersonation (OAuth access tokens the "
            "web app gets for each user) or interactive (Qlik's login page; runs in direct "
            "mode)."
        ),
    ] = "jwt",
    direct: Annotated[
        bool,
        typer.Option(
            "--direct",
            help="Direct mode: the browser logs in to the tenant itself (needs third-party "
            "cookies). Default: proxy mode.",
        ),
    ] = False,
    app_origin: Annotated[
        list[str] | None,
        typer.Option(
            metavar="ORIGIN",
            help="Another page origin to allow (an integration example, e.g. "
            "http://localhost:8001); repeatable.",
        ),
    ] = None,
    app_dir: Annotated[
        list[Path] | None,
        typer.Option(
            "--app",
            metavar="DIR",
            help="Your own app (folder of CSV tables and property trees, see README); the page "
            "shows the first one. Repeatable.",
        ),
    ] = None,
) -> None:
    """Run the embedding demo offline: keys, emulated tenant, provisioning and web app."""
    from qlik_jwt.demo.run import Demo, DemoOptions  # the emulator loads only for the demo

    modes: dict[str, LoginMode] = {
        "jwt": "jwt",
        "impersonation": "impersonation",
        "interactive": "interactive",
    }
    if login_mode not in modes:
        raise typer.BadParameter(
            f"got {login_mode!r}; use jwt, impersonation or interactive", param_hint="--login-mode"
        )
    mode = modes[login_mode]
    # Qlik's own login page sets the tenant's cookies in the browser: only direct mode.
    web_mode: Literal["direct", "proxy"] = "direct" if direct or mode == "interactive" else "proxy"
    options = DemoOptions(
        state_dir=state_dir,
        web_port=port,
        emulator_port=emulator_port,
        login_mode=mode,
        web_mode=web_mode,
        app_origins=tuple(app_origin or ()),
        app_folders=tuple(app_dir or ()),
    )
    audit_to_stderr()
    out.print("starting the emulated tenant and the web app ...")
    runner = Demo(options)
    info = runner.start()
    try:
        show(info)
        wait_for_interrupt()
    finally:
        out.print("stopping ...")
        runner.stop()
    out.print("stopped.")

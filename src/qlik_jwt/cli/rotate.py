"""``qlik-jwt rotate-key``: a new signing key with no moment at which logins fail."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from qlik_jwt.cli.app import app, finite, out
from qlik_jwt.cli.tenant_options import TenantFlags, with_tenant_flags

STEP_TEXT = {
    "check": "checking the current key and its identity provider",
    "generate": "generating the new key pair",
    "register": "registering the new key as a second identity provider",
    "verify": "verifying a login signed with the new key",
    "switch": "switching the settings file to the new key",
    "confirm": "verifying a login with the switched settings",
    "drain": "waiting for tokens signed with the old key to expire",
    "retire": "deleting the old identity provider",
}


def countdown(seconds: float) -> None:
    """Wait ``seconds`` with a progress bar."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("  draining"), BarColumn(), TimeRemainingColumn(), console=out
    ) as progress:
        task = progress.add_task("drain", total=seconds or 1)
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            time.sleep(min(0.25, left))
            progress.update(task, completed=seconds - max(0.0, end - time.monotonic()))
        progress.update(task, completed=seconds or 1)


@app.command("rotate-key")
@with_tenant_flags
def rotate_key_command(
    tenant: TenantFlags,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Directory for the new key pair; default: a dated one."),
    ] = None,
    bits: Annotated[
        int | None, typer.Option(help="RSA key size: 4096 (the default) or 2048.")
    ] = None,
    grace: Annotated[
        float | None,
        typer.Option(
            min=0,
            callback=finite,
            help="Seconds to keep the old key valid after the switch, for running apps to "
            "reload; default: token lifetime + clock tolerance.",
        ),
    ] = None,
    keep_old: Annotated[
        bool, typer.Option(help="Leave the old identity provider in place.")
    ] = False,
    verify_subject: Annotated[
        str | None,
        typer.Option(help="Verify logins as this subject; default: a temporary user, deleted."),
    ] = None,
) -> None:
    """Generate a new key, register it beside the old one, switch, verify, retire the old.

    Writes QLIK_PRIVATE_KEY and QLIK_KEY_ID into the settings file. Apps reading that file
    must reload it within the grace period.
    """
    from qlik_jwt import keys
    from qlik_jwt.admin import client_from_settings
    from qlik_jwt.admin.rotation import rotate_key

    settings = tenant.load_settings()
    env_file = tenant.env_file

    def announce(step: str) -> None:
        out.print(f"[bold]{step:<8}[/] {STEP_TEXT[step]}")

    with client_from_settings(settings) as client:
        result = rotate_key(
            client,
            env_file=env_file,
            key_dir=out_dir,
            bits=keys.DEFAULT_BITS if bits is None else bits,
            grace=grace,
            keep_old=keep_old,
            verify_subject=verify_subject,
            drain=countdown,
            on_step=announce,
        )
    out.print(f"[green]Rotated[/]: key id {result.old_key_id} -> {result.new_key_id}")
    out.print(f"new key      : {result.private_key} (mode 600; keep it secret)")
    out.print(f"certificate  : {result.certificate}")
    out.print(f"provider     : {result.new_provider_id} (new)")
    if result.retired:
        out.print(f"retired      : {result.old_provider_id}")
    else:
        out.print(f"kept         : {result.old_provider_id} (delete it when apps have reloaded)")

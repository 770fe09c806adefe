"""``qlik-jwt config``: the effective settings, secrets hidden, and every problem found."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from qlik_jwt.cli.app import EXIT_CONFIG, app, out
from qlik_jwt.errors import ConfigurationError

if TYPE_CHECKING:
    from qlik_jwt.settings import Settings

EMBED_FIELDS = ("tenant_url", "web_integration_id", "app_id", "issuer", "private_key")


def problems(settings: Settings) -> list[ConfigurationError]:
    """What stops these settings from minting tokens and embedding an app."""
    from qlik_jwt import keys

    found = settings.missing(*EMBED_FIELDS)
    if settings.private_key is not None:
        try:
            keys.load_private_key(settings.private_key_source())
        except ConfigurationError as exc:
            found.append(exc)
    return found


@app.command()
def config(
    env_file: Annotated[str, typer.Option(help="The .env file to read.")] = ".env",
) -> None:
    """Print the effective settings (secrets hidden) and list every problem found."""
    from rich.table import Table

    from qlik_jwt.settings import ENV_PREFIX, Settings

    settings = Settings.load(env_file=env_file)
    table = Table(title="effective settings", header_style="bold")
    table.add_column("setting")
    table.add_column("variable")
    table.add_column("value", overflow="fold")
    for name, value in settings.redacted().items():
        table.add_row(
            name, f"{ENV_PREFIX}{name.upper()}", "-" if value is None else escape(str(value))
        )
    out.print(table)
    found = problems(settings)
    for problem in found:
        out.print(f"[red]problem:[/] {escape(str(problem))}")
    if found:
        raise typer.Exit(EXIT_CONFIG)
    out.print("[green]No problems found.[/]")

"""``qlik-jwt token`` and ``qlik-jwt inspect``: mint one token, or explain one."""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from qlik_jwt.cli.app import EXIT_REFUSED, app, finite, out

if TYPE_CHECKING:
    from qlik_jwt.inspection import Report


@app.command()
def token(
    sub: Annotated[str, typer.Option(help="The user's stable subject, e.g. 'app|12345'.")],
    name: Annotated[str, typer.Option(help="The user's display name.")],
    email: Annotated[str, typer.Option(help="The user's e-mail address.")],
    email_verified: Annotated[
        bool, typer.Option(help="State that the address is verified (never assumed).")
    ] = False,
    group: Annotated[
        list[str] | None,
        typer.Option("--group", metavar="NAME", help="A group name; repeat for several."),
    ] = None,
    key: Annotated[
        Path | None, typer.Option(help="Private key PEM file [QLIK_PRIVATE_KEY].")
    ] = None,
    key_id: Annotated[
        str | None, typer.Option("--key-id", help="Key id [QLIK_KEY_ID; else thumbprint].")
    ] = None,
    issuer: Annotated[str | None, typer.Option(help="Issuer [QLIK_ISSUER].")] = None,
    lifetime: Annotated[
        int | None, typer.Option(help="Seconds until exp, 1-3600 [QLIK_TOKEN_LIFETIME].")
    ] = None,
    backdate: Annotated[
        int | None, typer.Option(help="Seconds to backdate iat/nbf [QLIK_TOKEN_BACKDATE].")
    ] = None,
    env_file: Annotated[str, typer.Option(help="The .env file to read.")] = ".env",
) -> None:
    """Print one signed token for a user on stdout, and nothing else there."""
    from qlik_jwt.settings import Settings
    from qlik_jwt.signer import TokenSigner, UserClaims

    settings = Settings.load(
        env_file=env_file,
        private_key=str(key) if key else None,
        key_id=key_id,
        issuer=issuer,
        token_lifetime=lifetime,
        token_backdate=backdate,
    )
    signer = TokenSigner.from_settings(settings)
    user = UserClaims(sub, name, email, email_verified, tuple(group or ()))
    sys.stdout.write(signer.mint(user) + "\n")


def _when(value: Any, now: float) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            stamp = dt.datetime.fromtimestamp(value, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        except (OverflowError, OSError, ValueError):
            return repr(value)
        delta = value - now
        rel = f"in {delta:.0f} s" if delta > 0 else f"{-delta:.0f} s ago"
        return f"{value}  ({stamp}, {rel})"
    return repr(value)


def _render(report: Report, now: float) -> None:
    from rich.table import Table

    if report.header or report.claims:
        table = Table(title="token", show_header=True, header_style="bold")
        table.add_column("part")
        table.add_column("field")
        table.add_column("value", overflow="fold")
        for field_name, value in report.header.items():
            table.add_row("header", escape(field_name), escape(repr(value)))
        for field_name, value in report.claims.items():
            shown = _when(value, now) if field_name in ("iat", "nbf", "exp") else repr(value)
            table.add_row("claims", escape(field_name), escape(shown))
        out.print(table)
    if report.valid:
        out.print("[green]OK[/]: Qlik would accept this token's content.")
        if report.signature_checked:
            out.print("The signature verifies with the given certificate.")
        else:
            out.print("The signature was not checked: pass --cert with the registered certificate.")
        return
    findings = Table(title="why Qlik would refuse it", header_style="bold red")
    findings.add_column("code")
    findings.add_column("problem", overflow="fold")
    findings.add_column("fix", overflow="fold")
    for v in report.violations:
        findings.add_row(v.code, escape(v.message), escape(v.fix))
    out.print(findings)


@app.command()
def inspect(
    token_text: Annotated[
        str, typer.Argument(metavar="[TOKEN | -]", help="The token, or - to read stdin.")
    ] = "-",
    cert: Annotated[
        Path | None,
        typer.Option(help="Certificate or public key PEM: also verify the signature."),
    ] = None,
    issuer: Annotated[str | None, typer.Option(help="Expected issuer.")] = None,
    key_id: Annotated[str | None, typer.Option("--key-id", help="Expected key id.")] = None,
    clock_tolerance: Annotated[
        int, typer.Option(min=0, max=300, help="The provider's clockToleranceSec.")
    ] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    at: Annotated[
        float | None,
        typer.Option(
            callback=finite,
            help="Judge the times as of this UNIX time (e.g. a login's, from a log).",
        ),
    ] = None,
) -> None:
    """Decode a token and explain every reason Qlik would refuse it (exit 1 if it would)."""
    from qlik_jwt import keys
    from qlik_jwt.inspection import inspect_token

    text = sys.stdin.read() if token_text == "-" else token_text
    public_key = keys.load_public_key(cert) if cert else None
    now = time.time() if at is None else at
    report = inspect_token(
        text,
        now=now,
        public_key=public_key,
        issuer=issuer,
        key_id=key_id,
        clock_tolerance=clock_tolerance,
    )
    if as_json:
        sys.stdout.write(json.dumps(report.as_dict(), indent=2) + "\n")
    else:
        _render(report, now)
    if not report.valid:
        raise typer.Exit(EXIT_REFUSED)

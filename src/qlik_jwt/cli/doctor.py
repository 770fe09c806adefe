"""``qlik-jwt doctor``: one line per check, each failure with its fix."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from qlik_jwt.cli.app import EXIT_REFUSED, app, finite, out
from qlik_jwt.cli.tenant_options import AppOrigins, TenantFlags, with_tenant_flags

if TYPE_CHECKING:
    from qlik_jwt.admin.doctor import CheckResult

MARK = {"pass": "[green]pass[/]", "fail": "[red]FAIL[/]", "skip": "[dim]skip[/]"}


def print_check(result: CheckResult) -> None:
    line = f"{MARK[result.status]}  {result.name:<17} {escape(result.message)}"
    if result.fix:
        line += f"  [bold]Fix:[/] {escape(result.fix)}"
    out.print(line, highlight=False)


@app.command()
@with_tenant_flags
def doctor(
    tenant: TenantFlags,
    app_origin: AppOrigins = None,
    login: Annotated[
        bool, typer.Option(help="Also log in for real as --login-subject, then call users/me.")
    ] = False,
    login_subject: Annotated[
        str, typer.Option(help="Subject of the test login (a dedicated test user).")
    ] = "qlik-jwt-doctor",
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    timeout: Annotated[
        float,
        typer.Option(min=0.1, max=300, callback=finite, help="Seconds to wait for each answer."),
    ] = 10,
) -> None:
    """Check the settings, key, identity provider, web integration, CSP and clock.

    Exit code 0 when no check fails, 1 when one does.
    """
    from qlik_jwt.admin.doctor import run_doctor

    report = run_doctor(
        tenant.env_file,
        overrides=tenant.overrides(app_origins=app_origin),
        login_subject=login_subject if login else None,
        timeout=timeout,
        on_check=None if as_json else print_check,
    )
    if as_json:
        sys.stdout.write(json.dumps(report.as_dict(), indent=2) + "\n")
    elif report.ok:
        out.print("[green]No problems found.[/]")
    else:
        failed = sum(1 for c in report.checks if c.status == "fail")
        out.print(f"[red]{failed} check(s) failed.[/]")
    if not report.ok:
        raise typer.Exit(EXIT_REFUSED)

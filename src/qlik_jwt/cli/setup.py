"""``qlik-jwt setup``: provision the tenant for this app, showing the plan first."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from qlik_jwt.cli.app import app, out
from qlik_jwt.cli.tenant_options import AppOrigins, TenantFlags, with_tenant_flags
from qlik_jwt.errors import SettingsError

if TYPE_CHECKING:
    from rich.table import Table

    from qlik_jwt.admin.plan import Step
    from qlik_jwt.admin.setup import SetupPlan

ACTION_STYLE = {"create": "green", "update": "yellow", "keep": "dim"}


def plan_table(plan: SetupPlan) -> Table:
    from rich.table import Table

    table = Table(title="plan", header_style="bold")
    for column in ("resource", "target", "action", "detail"):
        table.add_column(column, overflow="fold")
    for step in plan.steps:
        style = ACTION_STYLE[step.action]
        table.add_row(
            step.kind.replace("_", " "),
            escape(step.target),
            f"[{style}]{step.action}[/]",
            escape(step.detail),
        )
    return table


@app.command()
@with_tenant_flags
def setup(
    tenant: TenantFlags,
    app_origin: AppOrigins = None,
    cert: Annotated[
        Path | None,
        typer.Option(help="Certificate to register; default: certificate.pem beside the key."),
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="Show the plan and change nothing.")] = False,
    auto_create_groups: Annotated[
        bool, typer.Option(help="Turn on group auto-creation (groups appear at login).")
    ] = False,
    grant: Annotated[
        list[str] | None,
        typer.Option(
            metavar="GROUP", help="Give this group a role in the app's space; repeat for several."
        ),
    ] = None,
    space_id: Annotated[
        str | None, typer.Option(help="Space for --grant; default: the space of QLIK_APP_ID.")
    ] = None,
    role: Annotated[
        list[str] | None,
        typer.Option(metavar="ROLE", help="Role for --grant (default consumer); repeatable."),
    ] = None,
) -> None:
    """Create or update the JWT identity provider, web integration and CSP origins (login
    mode impersonation: the impersonation OAuth client and CSP origins).

    Shows the plan (create/update/keep per resource) first; --dry-run stops there. Writes
    the web integration id (or the OAuth client's id and new secret) into the settings
    file. Safe to run again: it creates nothing twice.
    """
    from qlik_jwt.admin import client_from_settings
    from qlik_jwt.admin.oauth_clients import record_oauth_client
    from qlik_jwt.admin.setup import (
        apply_setup,
        plan_setup,
        record_web_integration_id,
        request_from_settings,
        setup_problems,
    )

    settings = tenant.load_settings(app_origins=app_origin)
    env_file = tenant.env_file
    problems = setup_problems(settings)
    if problems:
        raise SettingsError(problems)
    request = request_from_settings(
        settings,
        cert_path=cert,
        auto_create_groups=auto_create_groups,
        grants=tuple(grant or ()),
        space_id=space_id,
        roles=tuple(role) if role else None,
    )
    with client_from_settings(settings) as client:
        with out.status(f"Reading {client.tenant_url} ..."):
            plan = plan_setup(client, request)
        out.print(plan_table(plan))
        if dry_run:
            out.print(f"Dry run: {plan.changes} change(s) planned, none made.")
            return

        def announce(step: Step) -> None:
            if step.action != "keep":
                out.print(f"{step.action} {step.kind.replace('_', ' ')}: {escape(step.target)}")

        with out.status("Applying ..."):
            result = apply_setup(plan, on_step=announce)
    out.print(f"[green]Done[/]: {plan.changes} change(s) made.")
    if result.web_integration_id is None:
        pass
    elif result.web_integration_id != settings.web_integration_id:
        record_web_integration_id(env_file, result.web_integration_id)
        out.print(f"Wrote QLIK_WEB_INTEGRATION_ID={result.web_integration_id} to {env_file}.")
    else:
        out.print(f"Web integration id: {result.web_integration_id}")
    if result.oauth_client is not None:
        client_id = str(result.oauth_client["clientId"])
        secret = result.oauth_client.get("clientSecret")
        if secret is not None or client_id != settings.oauth_client_id:
            record_oauth_client(env_file, client_id, secret)
            also = " and its new secret (not shown; the file is owner-only)" if secret else ""
            out.print(f"Wrote QLIK_OAUTH_CLIENT_ID={client_id}{also} to {env_file}.")
        else:
            out.print(f"Impersonation OAuth client id: {client_id}")

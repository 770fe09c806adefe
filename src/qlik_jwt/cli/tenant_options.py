"""Flags shared by the commands that talk to a tenant as its admin (setup, doctor, rotate-key).

Each flag overrides one setting; every one can also come from its ``QLIK_*`` variable or
the settings file, which is the better place for secrets (flags show in process lists).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from qlik_jwt.settings import Settings

EnvFile = Annotated[Path, typer.Option(help="The settings file to read (and update).")]
TenantUrl = Annotated[str | None, typer.Option(help="The tenant [QLIK_TENANT_URL].")]
ApiKey = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        help="A tenant admin's API key [QLIK_ADMIN_API_KEY; prefer the variable].",
    ),
]
OAuthClientId = Annotated[
    str | None,
    typer.Option("--oauth-client-id", help="Admin OAuth client id [QLIK_ADMIN_OAUTH_CLIENT_ID]."),
]
OAuthClientSecret = Annotated[
    str | None,
    typer.Option(
        "--oauth-client-secret",
        help="Admin OAuth client secret [QLIK_ADMIN_OAUTH_CLIENT_SECRET; prefer the variable].",
    ),
]
AppOrigins = Annotated[
    list[str] | None,
    typer.Option(
        "--app-origin",
        "--app-origins",
        help="Origin of the embedding pages; repeat for several [QLIK_APP_ORIGINS].",
    ),
]


def overrides(
    *,
    tenant_url: str | None = None,
    api_key: str | None = None,
    oauth_client_id: str | None = None,
    oauth_client_secret: str | None = None,
    app_origins: list[str] | None = None,
) -> dict[str, Any]:
    """The same flags as Settings.load keyword arguments (None = not given)."""
    return {
        "tenant_url": tenant_url,
        "admin_api_key": api_key,
        "admin_oauth_client_id": oauth_client_id,
        "admin_oauth_client_secret": oauth_client_secret,
        "app_origins": app_origins or None,
    }


def load_settings(env_file: Path, **flags: Any) -> Settings:
    """The settings from the environment and ``env_file``, with the flags of
    :func:`overrides` on top."""
    from qlik_jwt.settings import Settings

    return Settings.load(env_file=env_file, **overrides(**flags))

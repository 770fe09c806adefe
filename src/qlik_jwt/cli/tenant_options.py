"""The one block of flags shared by the commands that talk to a tenant as its admin (setup,
doctor, rotate-key): decorate the command with :func:`with_tenant_flags` and take
``tenant: TenantFlags``.

Each flag overrides one setting; every one can also come from its ``QLIK_*`` variable or
the settings file, which is the better place for secrets (flags show in process lists).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, get_type_hints

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
        metavar="ORIGIN",
        help="Origin of the embedding pages; repeat for several [QLIK_APP_ORIGINS].",
    ),
]


@dataclass(frozen=True)
class TenantFlags:
    """The tenant flags of one run, as given (None: not given)."""

    env_file: Path = Path(".env")
    tenant_url: str | None = None
    api_key: str | None = None
    oauth_client_id: str | None = None
    oauth_client_secret: str | None = None

    def overrides(self, *, app_origins: list[str] | None = None) -> dict[str, Any]:
        """The flags as Settings.load keyword arguments, ``app_origins`` too when given."""
        return {
            "tenant_url": self.tenant_url,
            "admin_api_key": self.api_key,
            "admin_oauth_client_id": self.oauth_client_id,
            "admin_oauth_client_secret": self.oauth_client_secret,
            "app_origins": app_origins or None,
        }

    def load_settings(self, *, app_origins: list[str] | None = None) -> Settings:
        """The settings from the environment and the settings file, the flags on top."""
        from qlik_jwt.settings import Settings

        return Settings.load(env_file=self.env_file, **self.overrides(app_origins=app_origins))


# The one block of tenant flags: a parameter of each command that takes `tenant: TenantFlags`.
_TENANT_PARAMETERS = [
    inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=kind)
    for name, kind, default in (
        ("env_file", EnvFile, Path(".env")),
        ("tenant_url", TenantUrl, None),
        ("api_key", ApiKey, None),
        ("oauth_client_id", OAuthClientId, None),
        ("oauth_client_secret", OAuthClientSecret, None),
    )
]


def with_tenant_flags(command: Callable[..., None]) -> Callable[..., None]:
    """``command`` with the tenant flags before its own; it gets them as ``tenant``.

    Typer reads a command's flags from its signature, so the wrapper shows the tenant
    parameters plus the command's own (their annotations resolved in the command's module).
    """
    hints = get_type_hints(command, include_extras=True)
    own = [
        parameter.replace(
            kind=inspect.Parameter.KEYWORD_ONLY,
            annotation=hints.get(parameter.name, parameter.annotation),
        )
        for parameter in inspect.signature(command).parameters.values()
        if parameter.name != "tenant"
    ]
    names = [parameter.name for parameter in _TENANT_PARAMETERS]

    @functools.wraps(command)
    def run(**given: Any) -> None:
        command(tenant=TenantFlags(**{name: given.pop(name) for name in names}), **given)

    parameters = [*_TENANT_PARAMETERS, *own]
    run.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in parameters} | {"return": None}
    return run

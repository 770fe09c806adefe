"""The Typer application and the one place where errors become messages and exit codes."""

from __future__ import annotations

import math
import warnings
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from typer._click.core import Context
from typer.core import TyperGroup

from qlik_jwt.errors import ConfigurationError, QlikJwtError, TenantError

__all__ = ["EXIT_CONFIG", "EXIT_REFUSED", "EXIT_TENANT", "app", "err", "finite", "out"]

EXIT_REFUSED = 1  # a token or check was refused
EXIT_CONFIG = 2  # bad input: settings, flags, keys, claims (also click's usage errors)
EXIT_TENANT = 3  # the tenant refused a request or was unreachable

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def exit_code_for(exc: QlikJwtError) -> int:
    if isinstance(exc, ConfigurationError):
        return EXIT_CONFIG
    if isinstance(exc, TenantError):
        return EXIT_TENANT
    return EXIT_REFUSED


def finite(value: float | None) -> float | None:
    """Option callback: refuse ``nan`` and ``inf``, which click's float type (and its
    ``min``/``max`` range check) let through."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a finite number.")
    return value


def _show_warning(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
    err.print(f"[yellow]warning:[/] {escape(str(message))}")


class QlikGroup(TyperGroup):
    """Turns every QlikJwtError into one red line on stderr and an exit code, no traceback."""

    def invoke(self, ctx: Context) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.showwarning = _show_warning
            try:
                return super().invoke(ctx)
            except QlikJwtError as exc:
                err.print(f"[red]error:[/] {escape(str(exc))}")
                raise typer.Exit(exit_code_for(exc)) from None


app = typer.Typer(
    cls=QlikGroup,
    name="qlik-jwt",
    help="Mint, inspect and serve Qlik Cloud JWTs; run and provision a local tenant emulator.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)

"""The Typer application and the one place where errors become messages and exit codes."""

from __future__ import annotations

import math
import re
import warnings
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from qlik_jwt.errors import ConfigurationError, QlikJwtError, SettingsError, TenantError

__all__ = [
    "EXIT_CONFIG",
    "EXIT_REFUSED",
    "EXIT_TENANT",
    "app",
    "err",
    "error_text",
    "field_flags",
    "finite",
    "out",
]

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


# A flag's help names the setting it overrides as "[QLIK_NAME" (see tenant_options.py).
_SETTING_IN_HELP = re.compile(r"\[QLIK_([A-Z0-9_]+)")


def field_flags(command: Any) -> dict[str, str]:
    """Setting -> the flag of ``command`` (a click command) that overrides it, found by the
    ``[QLIK_NAME`` its help shows; ``env_file`` -> ``--env-file`` where the command has it."""
    flags: dict[str, str] = {}
    for param in getattr(command, "params", ()):
        long = [opt for opt in getattr(param, "opts", ()) if opt.startswith("--")]
        if not long:
            continue
        if param.name == "env_file":
            flags["env_file"] = long[0]
        for name in _SETTING_IN_HELP.findall(getattr(param, "help", None) or ""):
            flags.setdefault(name.lower(), long[0])
    return flags


def error_text(exc: QlikJwtError, command: Any = None) -> str:
    """The message for ``exc``; each problem about a setting or flag that ``command`` has a
    flag for also names that flag (the core names only the ``QLIK_*`` variable, since which
    flags exist depends on the command)."""
    problems = exc.problems if isinstance(exc, SettingsError) else [exc]
    flags = field_flags(command)
    lines = []
    for problem in problems:
        text = str(problem)
        flag = flags.get(problem.field) if isinstance(problem, ConfigurationError) else None
        if flag and flag not in text:
            text += f" Or pass {flag}."
        lines.append(text)
    return "\n".join(lines)


def _show_warning(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
    err.print(f"[yellow]warning:[/] {escape(str(message))}")


class QlikGroup(TyperGroup):
    """Turns every QlikJwtError into one red line on stderr and an exit code, no traceback."""

    # ``ctx`` is click's Context: typer bundles its own click from 0.26 on, and its public
    # ``typer.Context`` is a subclass, too narrow for this override.
    def invoke(self, ctx: Any) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.showwarning = _show_warning
            try:
                return super().invoke(ctx)
            except QlikJwtError as exc:
                name = ctx.invoked_subcommand
                command = self.get_command(ctx, name) if name else None
                err.print(f"[red]error:[/] {escape(error_text(exc, command))}")
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


def _print_version(wanted: bool) -> None:
    if wanted:
        from qlik_jwt import __version__

        out.print(f"qlik-jwt {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """The options of ``qlik-jwt`` itself, before a command."""

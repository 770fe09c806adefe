"""The ``qlik-jwt`` command: one module per command group, each only parsing flags."""

from __future__ import annotations

from qlik_jwt.cli import config, emulator, keygen, token  # noqa: F401  (registers the commands)
from qlik_jwt.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    app()

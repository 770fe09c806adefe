"""The ``qlik-jwt`` command: one module per command group, each only parsing flags."""

from __future__ import annotations

from qlik_jwt.cli import (  # noqa: F401  (registers the commands)
    config,
    demo,
    doctor,
    emulator,
    keygen,
    rotate,
    serve,
    setup,
    token,
)
from qlik_jwt.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    app()

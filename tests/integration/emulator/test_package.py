"""The emulator package's public names, loaded lazily so the engine stays framework-free."""

from __future__ import annotations

import subprocess
import sys

import qlik_jwt.emulator as emulator


def test_every_public_name_resolves() -> None:
    for name in emulator.__all__:
        assert getattr(emulator, name).__name__ == name


def test_importing_the_engine_does_not_import_a_web_framework() -> None:
    code = (
        "import sys, qlik_jwt.emulator.engine; "
        "print(sorted(m for m in ('fastapi', 'starlette', 'uvicorn') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"

"""Framework packages are optional: each integration loads only its own framework, and the
rest of qlik-jwt loads none of Flask, Django or Werkzeug (fresh interpreters)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

FRAMEWORKS = ("fastapi", "starlette", "flask", "werkzeug", "django")


def loaded_after(*modules: str) -> set[str]:
    code = (
        "import importlib, json, sys\n"
        f"for name in {list(modules)!r}: importlib.import_module(name)\n"
        f"print(json.dumps([m for m in {list(FRAMEWORKS)!r} if m in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(done.stdout))


@pytest.mark.parametrize(
    ("modules", "expected"),
    [
        (("qlik_jwt", "qlik_jwt.embedding", "qlik_jwt.integrations"), set()),
        (("qlik_jwt.web", "qlik_jwt.cli", "qlik_jwt.emulator"), {"fastapi", "starlette"}),
        (("qlik_jwt.integrations.fastapi",), {"fastapi", "starlette"}),
        (("qlik_jwt.integrations.flask",), {"flask", "werkzeug"}),
        (("qlik_jwt.integrations.django",), {"django"}),
    ],
)
def test_each_module_loads_only_its_framework(modules: tuple[str, ...], expected: set[str]) -> None:
    assert loaded_after(*modules) == expected

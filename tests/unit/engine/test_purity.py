"""The engine stays pure Python: the emulator's web layer wraps it, never the reverse."""

from __future__ import annotations

import ast
from pathlib import Path

import qlik_jwt.emulator.engine as engine

WEB = {"starlette", "fastapi", "uvicorn", "websockets", "httpx", "anyio"}


def test_no_engine_module_imports_a_web_framework() -> None:
    package = Path(engine.__file__).parent
    modules = sorted(package.glob("*.py"))
    assert len(modules) > 10
    for module in modules:
        tree = ast.parse(module.read_text(encoding="utf-8"))
        imported = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        imported |= {
            node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
        }
        assert {name.split(".")[0] for name in imported} & WEB == set(), module.name


def test_public_interface() -> None:
    assert set(engine.__all__) == {
        "ENGINE_VERSION",
        "EngineSession",
        "Field",
        "SampleApp",
        "UnknownObjectError",
        "load_app_folder",
        "render_single_page",
        "sample_apps",
        "tenant_apps",
    }

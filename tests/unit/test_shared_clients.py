"""Every HTTP client the package builds keeps no cookies (issue 12, finding 0): a client
shared by users must never carry one user's session on another's call. A new client that
forgets ``cookies=cookieless_jar()`` fails here, before any user meets it."""

from __future__ import annotations

import ast
from pathlib import Path

import qlik_jwt

PACKAGE = Path(qlik_jwt.__file__).parent
CLIENTS = {"Client", "AsyncClient"}


def _client_calls(tree: ast.AST) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in CLIENTS
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "httpx"
    ]


def _cookieless(call: ast.Call) -> bool:
    return any(
        keyword.arg == "cookies"
        and isinstance(keyword.value, ast.Call)
        and isinstance(keyword.value.func, ast.Name)
        and keyword.value.func.id == "cookieless_jar"
        for keyword in call.keywords
    )


def test_every_httpx_client_of_the_package_keeps_no_cookies() -> None:
    found, careless = 0, []
    for path in sorted(PACKAGE.rglob("*.py")):
        for call in _client_calls(ast.parse(path.read_text(encoding="utf-8"))):
            found += 1
            if not _cookieless(call):
                careless.append(f"{path.relative_to(PACKAGE)}:{call.lineno}")
    assert found >= 2  # the admin client's and the proxy's: the scan sees them
    assert careless == [], f"httpx clients without cookies=cookieless_jar(): {careless}"
